"""Labels of companies and their capabilities, in Chinese, defined once here (pages, exports,
the API and the matching explanations all use them)."""

SIZE_LABELS = {"large": "大型企业", "sme": "中小企业"}
# How a company's capability is evidenced, strongest first.
EVIDENCE_LABELS = {"verified": "协会已核验", "past_project": "有项目案例", "self_declared": "自述"}
EVIDENCE_ORDER = {"verified": 0, "past_project": 1, "self_declared": 2}

# The audit log: what each recorded action on a company's profile is called (a verb; the admin
# page reads "某人认证能力了企业 #3"), and the entity types of the profile's items.
AUDIT_ACTION_LABELS = {
    "company.profile.update": "更新主页",
    "company.size": "修改规模",
    "company.capability.add": "添加能力",
    "company.capability.note": "修改能力说明",
    "company.capability.remove": "移除能力",
    "company.capability.replace": "替换能力清单",
    "company.capability.verify": "认证能力",
    "company.capability.unverify": "取消认证能力",
    **{
        f"company.{entity}.{verb}": label
        for entity in ("past_project", "company_certificate", "case_study")
        for verb, label in (("add", "添加"), ("update", "修改"), ("delete", "删除"))
    },
}
AUDIT_ENTITY_LABELS = {
    "company": "企业",
    "past_project": "过往项目",
    "company_certificate": "资质证书",
    "case_study": "案例",
}
