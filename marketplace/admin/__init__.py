"""The association admins' area: member approval and suspension, staff accounts, the audit log.
Thin controllers over the domains' services; nothing here bypasses them."""
