"""Labels of the bulk import, in Chinese, defined once here."""

# The entity types an import file upserts (recorded as "<entity>.import").
IMPORTED_ENTITIES = ("department", "capability", "company", "scenario")

# The audit log: what each recorded import action is called.
AUDIT_ACTION_LABELS = {
    **{f"{entity}.import": "导入" for entity in IMPORTED_ENTITIES},
    "scenario.import_status": "导入状态",
}
