"""Labels of the bulk import, in Chinese, defined once here."""

# The entity types an import file upserts (recorded as "<entity>.import").
IMPORTED_ENTITIES = ("department", "capability", "company", "scenario")

# The audit log: what each recorded import action is called.
AUDIT_ACTION_LABELS = {
    **{f"{entity}.import": "导入" for entity in IMPORTED_ENTITIES},
    "scenario.import_status": "导入状态",
}

# The sections of an import file, as the import report names them.
SECTION_LABELS = {"departments": "部门", "capabilities": "能力", "companies": "企业", "scenarios": "场景"}
