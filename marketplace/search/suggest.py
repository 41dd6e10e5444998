"""Suggestions and corrections of search text, from public data only.

``load_vocabulary(scope)`` reads the words of a search box from the database (never from
Meilisearch, so corrections still work when search is degraded): for ``scenarios`` the titles of
public scenarios, for ``companies`` the names of approved members who publish their profile; for
both the capability taxonomy (names, English names, synonyms), the concept dictionary of
``matching.concepts`` and the programme words. It is cached per process and rebuilt when a
cheap fingerprint of those tables changes.

``suggest_words`` answers the as-you-type list (``GET /api/v1/search/suggestions``);
``correct_query`` the "您是不是要找" line of the catalog and the directory. A suggestion that names
a scenario or a company is checked against the database once more before it is returned, so a
title that stopped being public is never shown, even from a cache built a moment earlier.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from marketplace.search.documents import _public_companies, _public_scenarios
from marketplace.search.vocabulary import (
    MAX_SUGGESTIONS,
    Correction,
    Suggestion,
    Term,
    Vocabulary,
    build,
    correct,
    dictionary_terms,
    suggest,
)

SCOPES = ("scenarios", "companies")
MAX_TITLES = 5000  # the newest public scenarios (or members) whose titles are suggested

_FINGERPRINT_SQL = """
SELECT
  (SELECT COUNT(*) FROM scenario WHERE public_status IS NOT NULL) AS public_scenarios,
  (SELECT MAX(id) FROM scenario) AS scenario_max,
  (SELECT MAX(updated_at) FROM scenario) AS scenario_updated,
  (SELECT COUNT(*) FROM company WHERE status = 'approved' AND publish_profile) AS public_companies,
  (SELECT MAX(id) FROM company) AS company_max,
  (SELECT MAX(updated_at) FROM company) AS company_updated,
  (SELECT COUNT(*) FROM capability) AS capabilities,
  (SELECT MAX(id) FROM capability) AS capability_max,
  (SELECT SUM(LENGTH(name) + LENGTH(name_en) + LENGTH(CAST(synonyms AS TEXT))) FROM capability) AS words
"""


@dataclass
class _Cached:
    fingerprint: tuple
    vocabulary: Vocabulary


_cache: dict[str, _Cached] = {}
_lock = asyncio.Lock()


async def _capability_terms() -> list[Term]:
    from marketplace.taxonomy.tables import Capability

    rows = await Capability.select(Capability.name, Capability.name_en, Capability.synonyms).output(
        load_json=True
    )
    terms = []
    for row in rows:
        for word in (row["name"], row["name_en"], *(row["synonyms"] or [])):
            if word:
                terms.append(Term(word, "capability"))
    return terms


async def _title_terms(scope: str) -> list[Term]:
    if scope == "scenarios":
        from marketplace.scenarios.tables import Scenario

        rows = (
            await Scenario.select(Scenario.id, Scenario.title)
            .where(_public_scenarios())
            .order_by(Scenario.opened_at, ascending=False)
            .order_by(Scenario.id, ascending=False)
            .limit(MAX_TITLES)
        )
        return [Term(r["title"], "scenario", r["id"]) for r in rows]
    from marketplace.companies.tables import Company

    rows = (
        await Company.select(Company.id, Company.name)
        .where(_public_companies())
        .order_by(Company.id, ascending=False)
        .limit(MAX_TITLES)
    )
    return [Term(r["name"], "company", r["id"]) for r in rows]


async def _fingerprint() -> tuple:
    from marketplace.taxonomy.tables import Capability

    rows = await Capability.raw(_FINGERPRINT_SQL)
    row = rows[0] if rows else {}
    return tuple((k, str(v)) for k, v in sorted(row.items()))


async def load_vocabulary(scope: str) -> Vocabulary:
    """The words of the ``scope`` search box (built again only when the data changed)."""
    fingerprint = await _fingerprint()
    cached = _cache.get(scope)
    if cached is not None and cached.fingerprint == fingerprint:
        return cached.vocabulary
    async with _lock:
        cached = _cache.get(scope)
        if cached is not None and cached.fingerprint == fingerprint:
            return cached.vocabulary
        terms = [*await _title_terms(scope), *await _capability_terms(), *dictionary_terms()]
        vocabulary = await asyncio.to_thread(build, terms)
        _cache[scope] = _Cached(fingerprint, vocabulary)
        return vocabulary


def clear_cache() -> None:
    _cache.clear()


async def _still_public(suggestions: list[Suggestion]) -> list[Suggestion]:
    """Drop suggestions naming a scenario or company that is not public any more."""
    scenario_ids = [s.ref for s in suggestions if s.kind == "scenario" and s.ref is not None]
    company_ids = [s.ref for s in suggestions if s.kind == "company" and s.ref is not None]
    public: set[tuple[str, int]] = set()
    if scenario_ids:
        from marketplace.scenarios.tables import Scenario

        rows = await Scenario.select(Scenario.id).where(Scenario.id.is_in(scenario_ids) & _public_scenarios())
        public |= {("scenario", r["id"]) for r in rows}
    if company_ids:
        from marketplace.companies.tables import Company

        rows = await Company.select(Company.id).where(Company.id.is_in(company_ids) & _public_companies())
        public |= {("company", r["id"]) for r in rows}
    return [s for s in suggestions if s.ref is None or (s.kind, s.ref) in public]


async def suggest_words(scope: str, q: str, limit: int = MAX_SUGGESTIONS) -> list[Suggestion]:
    """What to offer under the ``scope`` search box for the text typed so far."""
    if not q.strip():
        return []
    vocabulary = await load_vocabulary(scope)
    return await _still_public(suggest(vocabulary, q, limit))


async def correct_query(scope: str, q: str) -> Correction | None:
    """A query that sounds like ``q`` and names known words (None: nothing close enough)."""
    if not q.strip():
        return None
    return correct(await load_vocabulary(scope), q)
