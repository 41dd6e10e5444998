"""Labels of the evaluation, in Chinese, defined once here (workspace, decision board, exports)."""

ELIGIBILITY_LABELS = {
    "pending": "待审查",
    "eligible": "资格通过",
    "ineligible": "不符合资格",
    "clarification": "待澄清",
}
DECISION_LABELS = {"pending": "待定", "selected": "选定", "not_selected": "未入选"}

# The audit log: what each recorded evaluation and pilot action is called (a verb; the admin
# page reads "某人确定入围了方案 #7").
AUDIT_ACTION_LABELS = {
    "evaluation.start": "启动评审",
    "evaluation.assign": "指派评审专家",
    "evaluation.unassign": "撤销评审专家",
    "evaluation.declare_conflicts": "申报利益冲突",
    "evaluation.add_affiliation": "添加任职关系",
    "evaluation.remove_affiliation": "删除任职关系",
    "evaluation.mark_eligible": "判定资格通过",
    "evaluation.mark_ineligible": "判定不符合资格",
    "evaluation.request_clarification": "要求澄清",
    "evaluation.answer_clarification": "答复澄清",
    "evaluation.save_scores": "保存评分",
    "evaluation.submit_scores": "提交评分",
    "evaluation.consensus_note": "记录合议意见",
    "evaluation.shortlist": "列入入围",
    "evaluation.unshortlist": "移出入围",
    "evaluation.pitch_invite": "邀请答辩",
    "evaluation.select_partner": "选定合作方",
    "evaluation.declare_unsuccessful": "宣布未成交",
    "evaluation.publish_result": "公布评审结果",
    "pilot.start": "启动",
    "pilot.update": "发布进展",
    "pilot.milestone": "更新里程碑",
    "pilot.complete": "完成",
}
AUDIT_ENTITY_LABELS = {"pilot": "试点"}

OBJECTION_AUDIT_LABELS = {"objection.raise": "提出质疑", "objection.answer": "答复质疑"}
AUDIT_ACTION_LABELS.update(OBJECTION_AUDIT_LABELS)
AUDIT_ENTITY_LABELS["objection"] = "质疑"
