from piccolo.columns import Boolean, ForeignKey, Serial, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from marketplace.accounts.tables import User

NOTIFICATION_KINDS = (
    "scenario_match",
    "question_answered",
    "question_asked",
    "amendment",
    "deadline_extended",
    "scenario_cancelled",
    "deadline_reminder",
    "review_requested",
    "changes_requested",
    "approved",
    "invitation_to_apply",
    "proposal_submitted",
    "proposal_withdrawn",
    "consortium_invitation",
    "consortium_answer",
    "consortium_change",
    "pitch_invitation",
    "evaluation_result",
    "evaluation_assigned",
    "clarification_requested",
    "pilot_started",
    "pilot_completed",
    "objection_raised",
    "objection_answered",
)
EMAIL_STATUSES = ("none", "pending", "sending", "sent", "failed")


class Notification(Table, tablename="notification"):
    """One message to one user. ``dedupe_key`` (unique when set) makes sending idempotent;
    ``email_status`` is the mail's progress: pending -> sending -> sent | failed."""

    id: Serial  # added by Piccolo; declared for the type checker

    user = ForeignKey(User, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=30)
    title = Varchar(length=200)
    body = Text(default="")
    link = Varchar(length=300, default="")
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    read_at = Timestamptz(null=True, default=None)
    dedupe_key = Varchar(length=200, unique=True, null=True, default=None)
    email_status = Varchar(length=10, default="none", index=True)
    emailed_at = Timestamptz(null=True, default=None)
    email_error = Text(default="")


class NotificationSetting(Table, tablename="notification_setting"):
    """A user's choice for one kind of notification (no row: the kind's default). ``in_app``
    off: the notification no longer counts in the bell's unread number (it stays in the list);
    ``email`` off: no mail of that kind. Both off: nothing of that kind is written at all."""

    id: Serial  # added by Piccolo; declared for the type checker

    user = ForeignKey(User, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=30)
    in_app = Boolean(default=True)
    email = Boolean(default=True)
    updated_at = Timestamptz(default=TimestamptzNow())
