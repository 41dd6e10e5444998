"""Labels of the scenario catalog, in Chinese, defined once here and used by every page (the
status labels live beside the transition table in ``status.py``)."""

# What each programme means, in one line, for the home page and the list's filter help.
DOMAIN_DESCRIPTIONS = {
    "一网通办": "让企业和群众办事少跑腿、好办事，材料更少、审批更快。",
    "一网统管": "城市运行一屏统览、事件联动处置，让管理更精细、响应更及时。",
    "一网提优": "用数据助企惠企，优化营商环境，服务产业升级与招商引资。",
    "一网协同": "部门之间数据共享、业务协同，让机关办文办会办事更高效。",
}
DOMAIN_SUBTITLES = {
    "一网通办": "政务服务",
    "一网统管": "城市治理",
    "一网提优": "经济发展",
    "一网协同": "政府运行",
}
DEADLINE_LABELS = {
    "7d": "7 天内截止",
    "30d": "30 天内截止",
    "90d": "90 天内截止",
    "passed": "已过截止时间",
}
SORT_LABELS = {"relevance": "相关度", "newest": "最新发布", "deadline": "截止时间最近"}
CHANGE_KIND_LABELS = {
    "amendment": "内容变更",
    "extension": "延期",
    "deadline_extension": "延期",
    "cancellation": "取消",
}

# The audit log: what each recorded action on a scenario or a question is called (a verb; the
# admin page reads "某人批准了场景 #12"), keyed by the action code services record.
TRANSITION_ACTION_LABELS = {  # the action names of ``status.TRANSITIONS``, recorded as scenario.<name>
    "submit_for_review": "提交审核",
    "return_to_draft": "退回草稿",
    "request_changes": "退回修改",
    "approve": "批准",
    "close": "截止征集",
    "start_evaluation": "启动评审",
    "shortlist": "确定入围",
    "award": "选定合作方",
    "declare_unsuccessful": "宣布未成交",
    "start_pilot": "启动试点",
    "complete": "完成",
    "cancel": "取消",
}
AUDIT_ACTION_LABELS = {
    "scenario.create": "创建",
    "scenario.edit": "编辑",
    "scenario.schedule": "定时发布",
    "scenario.amend": "变更",
    "scenario.extend_deadline": "延期",
    "scenario.attach": "上传附件",
    "scenario.detach": "删除附件",
    "scenario.publish_result": "公布结果",
    "scenario.invite_company": "邀请企业申报",
    "scenario.invite_company_by_email": "邮件邀请企业注册并申报",
    **{f"scenario.{name}": label for name, label in TRANSITION_ACTION_LABELS.items()},
    "scenario.follow": "关注",
    "scenario.unfollow": "取消关注",
    "question.ask": "提出",
    "question.answer": "答复",
    "question.edit_answer": "修改答复",
}
AUDIT_ENTITY_LABELS = {"scenario": "场景", "question": "问题"}

# How staff invited a company to apply (the match page and the invitation record).
INVITATION_CHANNEL_LABELS = {"in_app": "站内通知", "email": "注册邀请邮件"}
