"""Labels of accounts and membership, in Chinese, defined once here."""

from marketplace.core.principal import ROLE_LABELS

COMPANY_STATUS_LABELS = {
    "pending": "待审核",
    "approved": "已批准",
    "suspended": "已暂停",
    "rejected": "未通过",
}
# The action names of ``services.COMPANY_TRANSITIONS``, recorded as company.<name>.
COMPANY_TRANSITION_LABELS = {"approve": "批准", "suspend": "暂停", "reinstate": "恢复", "reject": "驳回"}

# Who acted, as the audit log records it: the three account roles, a user acting on their own
# account before signing in ("user"), and the system itself (imports, periodic tasks).
ACTOR_ROLE_LABELS = {**ROLE_LABELS, "user": "用户本人", "system": "系统"}

# The audit log: what each recorded action is called (a verb; the admin page reads
# "某人批准了企业 #3").
AUDIT_ACTION_LABELS = {
    "user.create": "创建",
    "user.invite": "邀请",
    "user.set_password": "设置密码",
    "user.change_password": "修改密码",
    "user.request_email_change": "申请修改邮箱",
    "user.change_email": "修改邮箱",
    "user.update_staff": "修改工作人员权限",
    "api_token.create": "创建",
    "api_token.revoke": "吊销",
    "company.register": "注册",
    "company.reapply": "重新提交会员申请",
    "company.open_account": "受邀开通账号",
    **{f"company.{name}": label for name, label in COMPANY_TRANSITION_LABELS.items()},
}
AUDIT_ENTITY_LABELS = {"user": "用户", "api_token": "API 令牌"}
