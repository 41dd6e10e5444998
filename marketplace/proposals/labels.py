"""Labels of proposals, in Chinese, defined once here (the status labels live beside the
lifecycle in ``status.py``)."""

# The audit log: what each recorded action on a proposal is called (a verb; the admin page reads
# "某人提交了方案 #7").
AUDIT_ACTION_LABELS = {
    "proposal.create": "创建",
    "proposal.save": "保存",
    "proposal.submit": "提交",
    "proposal.withdraw": "撤回",
    "proposal.attach": "上传附件",
    "proposal.detach": "删除附件",
    "proposal.invite": "邀请联合体成员",
    "proposal.accept_invitation": "接受联合体邀请",
    "proposal.decline_invitation": "拒绝联合体邀请",
    "proposal.change_member": "调整联合体成员",
    "proposal.remove_member": "移除联合体成员",
}
AUDIT_ENTITY_LABELS = {"proposal": "方案"}
