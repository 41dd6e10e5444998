"""Labels of departments, in Chinese, defined once here."""

# The audit log: what each recorded action on a department is called.
AUDIT_ACTION_LABELS = {"department.create": "创建", "department.update": "修改"}
AUDIT_ENTITY_LABELS = {"department": "部门"}
