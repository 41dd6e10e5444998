"""Suggest required capabilities from a scenario's text: every capability of the taxonomy whose
name, English name or synonym occurs in the text, the most mentioned first. Read-only."""

from __future__ import annotations

import re
from dataclasses import dataclass

from marketplace.taxonomy.services import normalize_word
from marketplace.taxonomy.tables import Capability

MAX_SUGGESTIONS = 8


@dataclass(frozen=True)
class Suggestion:
    id: int
    name: str
    group: str
    matched: str  # the word found in the text
    hits: int


async def suggest_capabilities(
    text: str, exclude: set[int] | None = None, limit: int = MAX_SUGGESTIONS
) -> list[Suggestion]:
    exclude = exclude or set()
    haystack = normalize_word(text or "")
    if len(haystack) < 2:
        return []
    rows = await Capability.select(
        Capability.id,
        Capability.name,
        Capability.name_en,
        Capability.synonyms,
        Capability.parent,
        Capability.parent.name,
    ).output(load_json=True)
    found: list[Suggestion] = []
    for row in rows:
        if row["parent"] is None or row["id"] in exclude:
            continue  # groups are too broad to require; already chosen ones are not repeated
        best, hits = "", 0
        for word in [row["name"], row["name_en"], *(row["synonyms"] or [])]:
            norm = normalize_word(word or "")
            if len(norm) < 2:
                continue
            if norm.isascii():  # a whole word only: "ai" must not match inside "maintain"
                count = len(re.findall(rf"(?<![a-z0-9]){re.escape(norm)}(?![a-z0-9])", haystack))
            else:
                count = haystack.count(norm)
            if count and (count > hits or (count == hits and len(word) > len(best))):
                best, hits = word, count
        if hits:
            found.append(Suggestion(row["id"], row["name"], row["parent.name"] or "", best, hits))
    found.sort(key=lambda s: (-s.hits, -len(s.matched), s.id))
    return found[:limit]
