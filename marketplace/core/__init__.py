"""Cross-cutting pieces every domain uses: domain errors, the clock, database transactions,
pagination, templating helpers, the audit log (AuditEvent + ``record``) and the search outbox
(Outbox + ``enqueue``); and what running several hosts on one database needs: uploaded files in
the database (``files``, StoredFile), named locks across processes (``locks``), the metrics
(``metrics``), JSON logs with the request id (``logs``) and ``backup``/``restore``. Nothing here
knows about a particular domain.
"""
