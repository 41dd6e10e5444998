"""Labels of the evaluation, in Chinese, defined once here (workspace, decision board, exports)."""

ELIGIBILITY_LABELS = {
    "pending": "待审查",
    "eligible": "资格通过",
    "ineligible": "不符合资格",
    "clarification": "待澄清",
}
DECISION_LABELS = {"pending": "待定", "selected": "选定", "not_selected": "未入选"}
