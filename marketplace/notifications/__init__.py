"""In-app notifications and their emails: one ``Notification`` row per recipient, written by
the domain service that caused it inside its own transaction (``notify``), shown behind the bell
in the header and on ``/notifications``, and mailed afterwards by ``deliver_pending_emails``
(the periodic task), so a slow or failing mail server never fails or slows a user's action.
A ``dedupe_key`` makes a notification idempotent (deadline reminders are never sent twice)."""
