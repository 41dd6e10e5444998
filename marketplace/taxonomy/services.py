"""Reading the taxonomy and mapping free-text capability words onto it."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from marketplace.taxonomy.tables import Capability


def normalize_word(word: str) -> str:
    """Fold width and case and drop spaces, so 'ＡＳＲ', 'asr' and ' ASR ' compare equal."""
    return "".join(unicodedata.normalize("NFKC", word).casefold().split())


@dataclass
class CapabilityIndex:
    """Every name, English name, key and synonym of the taxonomy -> capability id."""

    by_word: dict[str, int] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    parents: dict[int, int | None] = field(default_factory=dict)

    def lookup(self, word: str) -> int | None:
        return self.by_word.get(normalize_word(word))

    def map_words(self, words: list[str]) -> tuple[list[int], list[str]]:
        """Split free-text words into mapped capability ids (deduplicated, in order) and the
        words the taxonomy does not know (kept as tags, deduplicated, never dropped)."""
        ids: list[int] = []
        tags: list[str] = []
        for raw in words:
            word = raw.strip()
            if not word:
                continue
            cap = self.lookup(word)
            if cap is not None:
                if cap not in ids:
                    ids.append(cap)
            elif word not in tags:
                tags.append(word)
        return ids, tags


async def load_capability_index() -> CapabilityIndex:
    rows = await Capability.select(
        Capability.id, Capability.key, Capability.name, Capability.name_en, Capability.synonyms,
        Capability.parent,
    ).output(load_json=True)
    index = CapabilityIndex()
    # Leaves first, so a word shared by a group and a leaf maps to the more specific leaf.
    for row in sorted(rows, key=lambda r: r["parent"] is None):
        index.names[row["id"]] = row["name"]
        index.parents[row["id"]] = row["parent"]
        for word in [row["name"], row["name_en"], row["key"], *(row["synonyms"] or [])]:
            norm = normalize_word(word or "")
            if norm:
                index.by_word.setdefault(norm, row["id"])
    return index


async def list_capability_tree() -> list[dict]:
    """Groups in order, each with ``children`` (its capabilities), for filters and forms."""
    rows = await Capability.select(
        Capability.id, Capability.key, Capability.name, Capability.name_en, Capability.parent,
        Capability.position,
    ).order_by(Capability.position).order_by(Capability.id)
    groups = [dict(r, children=[]) for r in rows if r["parent"] is None]
    by_id = {g["id"]: g for g in groups}
    for r in rows:
        if r["parent"] is not None and r["parent"] in by_id:
            by_id[r["parent"]]["children"].append(r)
    return groups


# --------------------------------------------------------------------------------------------
# Added for the public JSON API (GET /api/v1/capabilities): the tree with synonyms.


async def list_capability_tree_with_synonyms() -> list[dict]:
    """Like ``list_capability_tree``, with each node's ``synonyms`` and ``description`` too,
    so API clients can map their own words onto capability ids. Groups in order, each with
    ``children``; plain dicts (the API converts them to its Structs)."""
    rows = await Capability.select(
        Capability.id, Capability.key, Capability.name, Capability.name_en, Capability.synonyms,
        Capability.description, Capability.parent, Capability.position,
    ).order_by(Capability.position).order_by(Capability.id).output(load_json=True)
    for row in rows:
        row["synonyms"] = list(row["synonyms"] or [])
    groups = [dict(r, children=[]) for r in rows if r["parent"] is None]
    by_id = {g["id"]: g for g in groups}
    for r in rows:
        if r["parent"] is not None and r["parent"] in by_id:
            by_id[r["parent"]]["children"].append(r)
    return groups
