"""Labels of matching results, in Chinese, defined once here (pages, the API and the CLI)."""

# The fit bands (see ``fit.band_of``): what a member or an officer reads beside the 0-100 fit.
BAND_LABELS = {"high": "高", "medium": "中", "low": "低"}

# What the pages and the API say instead of listing matches below the threshold.
NO_COMPANY_MATCH = "暂无足够匹配的会员企业。"
NO_SCENARIO_MATCH = "暂无足够匹配的征集中场景。完善能力档案（能力、项目案例）后推荐会更准确。"

# How a capability the company did not declare was found (explanations).
INFERRED_LABEL = "从企业介绍推断，未申报，证据较弱"
INFERRED_NEED_LABEL = "场景文字提到"
