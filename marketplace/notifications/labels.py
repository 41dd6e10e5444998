"""Labels of notifications, in Chinese, defined once here: what each kind is called on the
settings page, and which kinds each role can receive (the settings page lists only those)."""

KIND_LABELS = {
    "scenario_match": "与本企业能力相符的新场景",
    "question_answered": "我的提问已答复",
    "question_asked": "本部门场景收到新的提问",
    "amendment": "场景内容变更",
    "deadline_extended": "场景截止时间延长",
    "scenario_cancelled": "场景取消",
    "deadline_reminder": "截止前提醒",
    "review_requested": "场景提交审核（首席数据官）",
    "changes_requested": "场景被退回修改",
    "approved": "场景审核通过",
    "invitation_to_apply": "部门邀请申报",
    "proposal_submitted": "方案提交回执",
    "proposal_withdrawn": "方案撤回",
    "consortium_invitation": "联合体邀请",
    "consortium_answer": "联合体成员的答复",
    "consortium_change": "联合体成员或分工变化",
    "pitch_invitation": "答辩邀请",
    "evaluation_result": "评审结果",
    "evaluation_assigned": "被指派评审",
    "clarification_requested": "资格审查要求澄清",
    "pilot_started": "试点启动",
    "pilot_completed": "试点完成",
    "objection_raised": "结果收到质疑（部门）",
    "objection_answered": "我的质疑已答复",
}

_STAFF_KINDS = (
    "question_asked",
    "review_requested",
    "changes_requested",
    "approved",
    "evaluation_assigned",
    "objection_raised",
)
KINDS_BY_ROLE = {
    "member": tuple(kind for kind in KIND_LABELS if kind not in _STAFF_KINDS),
    "staff": _STAFF_KINDS,
    "admin": ("evaluation_assigned",),
}

# Kinds that are not mailed unless the user asks for it (frequent, and seen in the app anyway).
EMAIL_OFF_BY_DEFAULT = frozenset({"question_asked", "proposal_submitted"})

AUDIT_ACTION_LABELS = {"notification.settings": "修改通知设置"}
AUDIT_ENTITY_LABELS = {"user": "用户"}
