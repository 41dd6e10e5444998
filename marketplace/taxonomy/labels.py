"""Labels of the capability taxonomy, in Chinese, defined once here."""

# The audit log: what each recorded action on a capability is called.
AUDIT_ACTION_LABELS = {"capability.create": "创建", "capability.update": "修改"}
AUDIT_ENTITY_LABELS = {"capability": "能力"}
