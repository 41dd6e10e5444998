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
