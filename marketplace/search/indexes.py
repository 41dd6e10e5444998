"""The three indexes and their settings, applied idempotently (only what differs is sent).

Chinese segmentation, measured on Meilisearch 1.21 (see BENCHMARKS.md, "Search"): its segmenter
splits 一网通办 as 一网通|办, 12345热线 as 1|2|3|4|5|热线 and 网格化 as 网格|化, so by default 通办
finds nothing in 一网通办 and 12345 finds nothing at all. Putting the whole programme words in
the ``dictionary`` keeps them whole but then 通办, 孪生, 统管 or 热线 alone find nothing either
(a dictionary word is one token). So the dictionary holds the programme words' *parts*
(``DICTIONARY``): 一网通办 becomes 一网|通办, 数字孪生 数字|孪生, 12345热线 12345|热线. A search for
通办 or 孪生 then matches the part, and a search for the whole word matches both parts next to
each other; with ``matchingStrategy: all`` (every query word must match) and the proximity rule
the whole word ranks first and a page about 一网统管 is not returned for 一网通办. Highlights come
out as adjacent parts (<mark>一网</mark><mark>通办</mark>), which ``highlight`` merges.

Synonyms come from the capability taxonomy (name, English name and synonyms of one capability
are all equivalent: 语音识别 / ASR / 智能语音), plus ``PROGRAMME_SYNONYMS``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from marketplace.search.client import SearchEngine, SearchUnavailable

# Words of the park's programmes, split into the parts a user may search for on their own.
PROGRAMME_WORDS: dict[str, tuple[str, ...]] = {
    "一网通办": ("一网", "通办"),
    "一网统管": ("一网", "统管"),
    "一网提优": ("一网", "提优"),
    "一网协同": ("一网", "协同"),
    "数字孪生": ("数字", "孪生"),
    "城市大脑": ("城市", "大脑"),
    "免申即享": ("免申", "即享"),
    "12345热线": ("12345", "热线"),
    "网格化": ("网格", "化"),
    "跨省通办": ("跨省", "通办"),
    "秒批秒办": ("秒批", "秒办"),
    "一件事": ("一件事",),
    "一码通": ("一码通",),
    "物联感知": ("物联", "感知"),
    "苏周到": ("苏周到",),
    "寒山闻钟": ("寒山闻钟",),
}
DICTIONARY = sorted({part for parts in PROGRAMME_WORDS.values() for part in parts if len(part) > 1})


def phrase_query(q: str) -> str:
    """The query with each programme word typed whole (一网通办, 12345热线 ...) searched as a phrase,
    so its parts must stand side by side: 一网通办 does not match a page with 一网统管 and 跨省通办.
    Text already holding quotes is left as the user wrote it."""
    if '"' in q:
        return q
    words = [f'"{w}"' if len(PROGRAMME_WORDS.get(w, ())) > 1 else w for w in q.split()]
    return " ".join(words)


PROGRAMME_SYNONYMS: dict[str, list[str]] = {
    "数字孪生": ["digital twin"],
    "digital twin": ["数字孪生"],
    "城市大脑": ["city brain"],
    "city brain": ["城市大脑"],
    "12345": ["政务热线"],
    "政务热线": ["12345"],
}

SCENARIO_SETTINGS = {
    "searchableAttributes": [
        "title",
        "capability_names",
        "summary",
        "tags",
        "description",
        "expected_outcome",
        "target_users",
        "data_offered",
        "resources_offered",
        "department_name",
        "domain",
        "key",
        "pinyin",  # pinyin forms of the title's and capabilities' words (documents, vocabulary)
    ],
    "filterableAttributes": [
        "domain",
        "department_id",
        "status",
        "capability_ids",
        "proposal_deadline_us",
        "opened_at_us",
    ],
    "sortableAttributes": ["opened_at_us", "proposal_deadline_us", "id"],
    # "sort" first: a chosen sort (newest, deadline) orders the matches; relevance sends none.
    "rankingRules": ["sort", "words", "typo", "proximity", "attribute", "exactness", "opened_at_us:desc"],
    "faceting": {"maxValuesPerFacet": 500, "sortFacetValuesBy": {"*": "count"}},
    "pagination": {"maxTotalHits": 1_000_000},
}
COMPANY_SETTINGS = {
    "searchableAttributes": [
        "name",
        "capability_names",
        "description",
        "tags",
        "project_titles",
        "location",
        "key",
        "pinyin",
    ],
    "filterableAttributes": ["size", "capability_ids"],
    "sortableAttributes": ["size", "name", "id"],
    "rankingRules": ["sort", "words", "typo", "proximity", "attribute", "exactness", "size:asc"],
    "faceting": {"maxValuesPerFacet": 500, "sortFacetValuesBy": {"*": "count"}},
    "pagination": {"maxTotalHits": 1_000_000},
}
PROPOSAL_SETTINGS = {
    "searchableAttributes": [
        "number",
        "scenario_title",
        "company_names",
        "summary",
        "understanding",
        "approach",
        "team",
        "pilot_plan",
    ],
    "filterableAttributes": [
        "department_id",
        "scenario_id",
        "company_ids",
        "status",
        "visible_from_us",
        "id",  # to leave out the proposals an evaluator declared a conflict on
    ],
    "sortableAttributes": ["submitted_at_us", "id"],
    "rankingRules": ["sort", "words", "typo", "proximity", "attribute", "exactness", "submitted_at_us:desc"],
    "faceting": {"maxValuesPerFacet": 100, "sortFacetValuesBy": {"*": "count"}},
    "pagination": {"maxTotalHits": 1_000_000},
}
BASE_SETTINGS = {
    "dictionary": DICTIONARY,
    # Proximity by attribute, not by word distance: Meilisearch spent about half of its indexing
    # time extracting word-pair proximities of the Chinese text (19 of 44 s for 100,000
    # scenarios), and the reindex target is 60 s. Where adjacency matters most (the programme
    # words split into parts above) ``phrase_query`` asks for the parts side by side instead.
    "proximityPrecision": "byAttribute",
    # Typo tolerance is for Latin words (Chinese words are too short); never for numbers
    # (12345 must not find 12346).
    "typoTolerance": {
        "enabled": True,
        "disableOnNumbers": True,
        "minWordSizeForTypos": {"oneTypo": 5, "twoTypos": 9},
    },
}
KIND_SETTINGS = {"scenario": SCENARIO_SETTINGS, "company": COMPANY_SETTINGS, "proposal": PROPOSAL_SETTINGS}
KINDS = tuple(KIND_SETTINGS)


def _norm(word: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", word).casefold().split())


def build_synonyms(capabilities: list[dict]) -> dict[str, list[str]]:
    """Multi-way synonyms: every word of a capability (name, English name, synonyms) maps to the
    others. ``capabilities`` are rows with ``name``, ``name_en`` and ``synonyms``."""
    groups: list[list[str]] = []
    for row in capabilities:
        words: list[str] = []
        for word in [row.get("name"), row.get("name_en"), *(row.get("synonyms") or [])]:
            norm = _norm(word or "")
            if norm and norm not in words:
                words.append(norm)
        if len(words) > 1:
            groups.append(words)
    synonyms: dict[str, list[str]] = {}
    for words in groups:
        for word in words:
            merged = synonyms.setdefault(word, [])
            merged.extend(w for w in words if w != word and w not in merged)
    for word, others in PROGRAMME_SYNONYMS.items():
        merged = synonyms.setdefault(_norm(word), [])
        merged.extend(_norm(w) for w in others if _norm(w) not in merged)
    return {word: sorted(others) for word, others in sorted(synonyms.items())}


async def load_synonyms() -> dict[str, list[str]]:
    from marketplace.taxonomy.tables import Capability

    rows = await Capability.select(Capability.name, Capability.name_en, Capability.synonyms).output(
        load_json=True
    )
    return build_synonyms(rows)


def settings_for(kind: str, synonyms: dict[str, list[str]]) -> dict:
    return {**BASE_SETTINGS, **KIND_SETTINGS[kind], "synonyms": synonyms}


ORDERED_SETTINGS = ("rankingRules", "searchableAttributes")


def _same(wanted, current, ordered: bool = False) -> bool:
    """Does the server's value already say what we want? Nested dicts compare only our keys;
    lists compare as sets unless ``ordered``; synonyms lists as sets too."""
    if isinstance(wanted, dict):
        return isinstance(current, dict) and all(
            k in current and _same(v, current[k]) for k, v in wanted.items()
        )
    if isinstance(wanted, list):
        if not isinstance(current, list):
            return False
        if ordered:
            return current == wanted
        return sorted(map(repr, wanted)) == sorted(map(repr, current))
    return wanted == current


def settings_diff(wanted: dict, current: dict) -> dict:
    """The part of ``wanted`` that the server does not have yet."""
    diff = {
        key: value
        for key, value in wanted.items()
        if not _same(value, current.get(key), ordered=key in ORDERED_SETTINGS)
    }
    if "synonyms" in wanted and set(wanted["synonyms"]) != set(current.get("synonyms") or {}):
        diff["synonyms"] = wanted["synonyms"]  # a word dropped from the taxonomy
    return diff


@dataclass
class EnsureReport:
    created: list[str]
    updated: dict[str, list[str]]


async def ensure_index(engine: SearchEngine, uid: str, settings: dict) -> tuple[bool, list[str]]:
    """Create ``uid`` if missing and bring its settings up to date. Returns (created, changed keys).

    Idempotent: an index already configured gets no settings task at all.
    """
    client = engine.index_client
    created = False
    try:
        current = await engine.call(client.index(uid).get_settings)
    except SearchUnavailable as exc:
        from marketplace.search.client import is_not_found

        if not is_not_found(exc):
            raise
        task = await engine.call(client.create_index, uid, {"primaryKey": "id"})
        await engine.wait_for_task(task.task_uid)
        created = True
        current = {}
    diff = settings_diff(settings, current)
    if diff:
        task = await engine.call(client.index(uid).update_settings, diff)
        await engine.wait_for_task(task.task_uid)
    return created, sorted(diff)


async def ensure_indexes(engine: SearchEngine, kinds: tuple[str, ...] = KINDS) -> EnsureReport:
    """Every index exists with current settings (synonyms read from the taxonomy now)."""
    synonyms = await load_synonyms()
    report = EnsureReport(created=[], updated={})
    for kind in kinds:
        created, changed = await ensure_index(engine, engine.uid(kind), settings_for(kind, synonyms))
        if created:
            report.created.append(kind)
        if changed:
            report.updated[kind] = changed
    return report
