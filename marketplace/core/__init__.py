"""Cross-cutting pieces every domain uses: domain errors, the clock, database transactions,
pagination, templating helpers, the audit log (AuditEvent + ``record``) and the search outbox
(Outbox + ``enqueue``). Nothing here knows about a particular domain.
"""
