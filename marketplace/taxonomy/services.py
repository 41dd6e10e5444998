"""Reading the taxonomy and mapping free-text capability words onto it."""

from __future__ import annotations

import re as _re
import unicodedata
from dataclasses import dataclass, field

from piccolo.custom_types import Combinable

from marketplace.core.audit import Actor, record
from marketplace.core.db import write_transaction
from marketplace.core.errors import NotFound, ValidationFailed
from marketplace.core.refcache import Cached
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


async def _read_capability_index() -> CapabilityIndex:
    rows = await Capability.select(
        Capability.id,
        Capability.key,
        Capability.name,
        Capability.name_en,
        Capability.synonyms,
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


async def _read_capability_rows() -> list[dict]:
    return (
        await Capability.select(
            Capability.id,
            Capability.key,
            Capability.name,
            Capability.name_en,
            Capability.synonyms,
            Capability.description,
            Capability.parent,
            Capability.position,
        )
        .order_by(Capability.position)
        .order_by(Capability.id)
        .output(load_json=True)
    )


# In memory until the taxonomy changes (any process, any host: see ``core.refcache``).
capability_index_cache = Cached("capability", _read_capability_index)
capability_rows_cache = Cached("capability", _read_capability_rows)


async def load_capability_index() -> CapabilityIndex:
    """Every word of the taxonomy -> capability id. Shared and cached: callers must not change it."""
    return await capability_index_cache.get()


async def list_capability_tree() -> list[dict]:
    """Groups in order, each with ``children`` (its capabilities in order); every node with its
    id, key, names, ``synonyms`` and ``description``. Plain dicts, for filters, forms and the API
    (API clients map their own words onto capability ids with the synonyms). Built from the
    cached rows on each call: the caller owns (and may change) what it gets."""
    rows = [dict(r, synonyms=list(r["synonyms"] or [])) for r in await capability_rows_cache.get()]
    groups = [dict(r, children=[]) for r in rows if r["parent"] is None]
    by_id = {g["id"]: g for g in groups}
    for r in rows:
        if r["parent"] is not None and r["parent"] in by_id:
            by_id[r["parent"]]["children"].append(r)
    return groups


# --------------------------------------------------------------------------------------------
# Keeping the taxonomy (association admins)

_KEY_RE = _re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")


async def get_capability(capability_id: int) -> dict:
    """One capability as stored (for the admin's edit form). ``NotFound`` if absent."""
    row = await Capability.select().where(Capability.id == capability_id).output(load_json=True).first()
    if row is None:
        raise NotFound("能力不存在。")
    return row


async def list_capability_groups(excluding: int | None = None) -> list[dict]:
    """The top-level groups (id, name) in their order, optionally without one capability."""
    where: Combinable = Capability.parent.is_null()
    if excluding is not None:
        where &= Capability.id != excluding
    return await Capability.select(Capability.id, Capability.name).where(where).order_by(Capability.position)


def _split_synonyms(raw: str) -> list[str]:
    """Synonyms typed as one line, separated by commas (either width), 、 or semicolons."""
    words = [w.strip() for w in _re.split(r"[,，、;；\n]", raw)]
    seen: list[str] = []
    for w in words:
        if w and w not in seen:
            seen.append(w)
    return seen


async def save_capability(
    *,
    capability_id: int | None,
    key: str,
    name: str,
    name_en: str,
    synonyms: str,
    description: str,
    parent_id: int | None,
    actor: Actor,
) -> int:
    """Create (``capability_id`` None) or edit a group or a capability of a group.

    Refuses, with a message per field: a malformed or taken key, a taken name, a parent that is
    not a group (the taxonomy has two levels), and a synonym another capability already uses
    (it would make free-text mapping ambiguous).
    """
    errors: dict[str, str] = {}
    key, name, name_en = key.strip().lower(), name.strip(), name_en.strip()
    words = _split_synonyms(synonyms)
    if not _KEY_RE.match(key):
        errors["key"] = "标识只能用小写字母、数字、点、横线和下划线（80 字以内）。"
    if not 1 <= len(name) <= 80:
        errors["name"] = "请填写名称（80 字以内）。"
    async with write_transaction():
        if parent_id is not None:
            parent = await Capability.select(Capability.parent).where(Capability.id == parent_id).first()
            if parent is None or parent["parent"] is not None:
                errors["parent"] = "上级必须是一个能力分组（分类只有两级）。"
            elif capability_id is not None and await Capability.exists().where(
                Capability.parent == capability_id
            ):
                errors["parent"] = "这个分组下还有能力，不能把它变成某个分组的下级。"
        if await Capability.exists().where((Capability.key == key) & (Capability.id != (capability_id or 0))):
            errors["key"] = "这个标识已被使用。"
        if await Capability.exists().where(
            (Capability.name == name) & (Capability.id != (capability_id or 0))
        ):
            errors["name"] = "这个名称已被使用。"
        index = await load_capability_index()
        clashes = [w for w in [name, name_en, *words] if w and index.lookup(w) not in (None, capability_id)]
        if clashes:
            errors["synonyms"] = f"这些词已属于其他能力：{'、'.join(clashes)}。"
        if errors:
            raise ValidationFailed("请修改标出的内容后再保存。", errors)
        values = {
            "key": key,
            "name": name,
            "name_en": name_en,
            "synonyms": words,
            "description": description.strip(),
            "parent": parent_id,
        }
        if capability_id is None:
            row = Capability.from_dict(values)  # Capability(**values), typed
            await row.save()
            await record(actor, "capability.create", "capability", row.id, after=values)
            return row.id
        before = (
            await Capability.select().where(Capability.id == capability_id).output(load_json=True).first()
        )
        if before is None:
            raise NotFound("能力不存在。")
        await Capability.update({getattr(Capability, k): v for k, v in values.items()}).where(
            Capability.id == capability_id
        )
        await record(
            actor,
            "capability.update",
            "capability",
            capability_id,
            before={k: before[k] for k in values},
            after=values,
        )
        return capability_id
