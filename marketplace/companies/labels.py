"""Labels of companies and their capabilities, in Chinese, defined once here (pages, exports,
the API and the matching explanations all use them)."""

SIZE_LABELS = {"large": "大型企业", "sme": "中小企业"}
# How a company's capability is evidenced, strongest first.
EVIDENCE_LABELS = {"verified": "协会已核验", "past_project": "有项目案例", "self_declared": "自述"}
EVIDENCE_ORDER = {"verified": 0, "past_project": 1, "self_declared": 2}
