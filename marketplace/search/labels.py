"""Labels of the search pages and the suggestion API (Simplified Chinese)."""

from __future__ import annotations

# What a suggested word is: shown beside it in the as-you-type list.
SUGGESTION_KIND_LABELS = {
    "scenario": "场景",
    "company": "企业",
    "capability": "能力",
    "term": "术语",
}

# Where suggestions come from: the public catalog, or the member directory.
SUGGESTION_SCOPE_LABELS = {
    "scenarios": "应用场景（场景标题、能力与园区术语）",
    "companies": "成员企业（企业名称、能力与园区术语）",
}
