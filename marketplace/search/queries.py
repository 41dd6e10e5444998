"""Searching: the public catalog, the member directory and (for staff) proposals.

Each function asks Meilisearch first and falls back to the database when it is not configured,
unreachable, slow (``MEILI_TIMEOUT``) or refuses the query: the caller always gets a result, with
``engine`` saying where it came from and ``notice`` the text to show when search is degraded.

Filters are the same validated filters the database catalog uses (``parse_scenario_filters``,
``parse_company_filters``), translated into Meilisearch filter expressions here. Facet counts
are disjunctive: the counts of one facet ignore that facet's own filter (one multi-search
request), so choosing a domain still shows how many results the other domains have.

Rights on proposals are enforced here, on the server, for every query, and agree with
``marketplace.proposals.policy``: staff see the proposals of their own department's
scenarios, admins those of every department, both never a draft and never a sealed scenario's
proposal before its deadline; anyone else gets nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

from marketplace.core import clock
from marketplace.core.metrics import SEARCH_FALLBACKS
from marketplace.core.pagination import Page
from marketplace.proposals.policy import StaffScope, staff_scope
from marketplace.proposals.status import STAFF_VISIBLE_STATUSES
from marketplace.search.client import SearchEngine, SearchUnavailable
from marketplace.search.highlight import has_match, search_params, to_html
from marketplace.search.indexes import phrase_query
from marketplace.search.suggest import correct_query

NOTICE_DEGRADED = (
    "搜索服务暂时不可用：以下结果来自数据库的简单文字匹配（不含同义词和相关度排序），筛选条件照常有效。"
)
NOTICE_DISABLED = "搜索服务未启用：以下结果来自数据库的简单文字匹配。"

SCENARIO_FACETS = {
    "domain": "domain",
    "department": "department_id",
    "capability": "capability_ids",
    "status": "status",
}
SCENARIO_SORTS = {
    "newest": ["opened_at_us:desc", "id:desc"],
    "deadline": ["proposal_deadline_us:asc", "id:asc"],
}
CROP = ["summary:60", "description:36", "expected_outcome:36"]


@dataclass
class Highlight:
    """Safe HTML (escaped text, our own ``<mark>`` tags) for one result."""

    id: int
    title: Markup
    summary: Markup
    snippet: Markup = field(default_factory=Markup)


@dataclass
class SearchResult:
    page: Page
    highlights: dict[int, Highlight] = field(default_factory=dict)
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    engine: str = "meilisearch"  # or "database"
    notice: str = ""  # set when search was wanted but the database answered instead
    query: str = ""
    # "您是不是要找": queries that sound like the one typed (few or no hits), best first
    suggestions: tuple[str, ...] = ()
    # the query typed, when it found nothing and these are the results of ``query`` instead
    corrected_from: str = ""

    @property
    def degraded(self) -> bool:
        return bool(self.notice)


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _dt(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _now_us() -> int:
    now = clock.now()
    delta = now - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _notice(engine: SearchEngine) -> str:
    return NOTICE_DEGRADED if engine.enabled else NOTICE_DISABLED


FEW_HITS = 2  # at most this many results: offer what the query may have meant


async def _with_correction(
    result: SearchResult, filters, scope: str, search: Callable[[Any], Awaitable[SearchResult]]
) -> SearchResult:
    """Typos of a pinyin keyboard are homophones (数字挛生), and pinyin or initials may be typed
    instead of characters (shuzi luansheng, szls): when the first page has few or no results,
    offer the known words the query sounds like; when it has none and one correction is clearly
    best, show that correction's results (``corrected_from`` says so). Works the same whether
    Meilisearch or the database answered."""
    if not filters.q or filters.page != 1 or result.page.total > FEW_HITS:
        return result
    correction = await correct_query(scope, filters.q)
    if correction is None:
        return result
    if result.page.total == 0 and correction.confident:
        corrected = await search(dataclasses.replace(filters, q=correction.best))
        if corrected.page.total:
            corrected.corrected_from = filters.q
            corrected.suggestions = correction.options[1:]
            return corrected
    result.suggestions = correction.options
    return result


# --------------------------------------------------------------------------------------------
# Plain highlighting for the database fallback


def plain_highlight(text: str, query: str) -> Markup:
    """Escape ``text`` and mark the literal occurrences of the query's words."""
    words = sorted({w for w in query.split() if w}, key=len, reverse=True)
    if not text or not words:
        return Markup(escape(text or ""))
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    out, last = [], 0
    for m in pattern.finditer(text):
        out.append(str(escape(text[last : m.start()])))
        out.append(f"<mark>{escape(m.group(0))}</mark>")
        last = m.end()
    out.append(str(escape(text[last:])))
    return Markup("".join(out))


def _plain_snippet(text: str, query: str, width: int = 60) -> Markup:
    words = [w for w in query.split() if w]
    lowered = (text or "").lower()
    positions = [lowered.find(w.lower()) for w in words if lowered.find(w.lower()) >= 0]
    if not positions:
        return Markup("")
    start = max(0, min(positions) - width // 3)
    piece = text[start : start + width]
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + width < len(text) else ""
    return Markup(escape(prefix)) + plain_highlight(piece, query) + Markup(escape(suffix))


# --------------------------------------------------------------------------------------------
# Scenarios


def scenario_filter_expressions(filters, *, skip: str | None = None) -> list[str]:
    """Meilisearch filter expressions for ``ScenarioFilters`` (``skip``: one facet's own filter)."""
    out: list[str] = []
    if filters.domain and skip != "domain":
        out.append(f"domain = {_quote(filters.domain)}")
    if filters.department and skip != "department":
        out.append(f"department_id = {int(filters.department)}")
    if filters.capability and skip != "capability":
        out.append(f"capability_ids = {int(filters.capability)}")
    if filters.status and skip != "status":
        out.append(f"status = {_quote(filters.status)}")
    if filters.deadline:
        from marketplace.scenarios.services import DEADLINE_WINDOWS

        now = _now_us()
        days = DEADLINE_WINDOWS[filters.deadline]
        if days is None:
            out.append(f"proposal_deadline_us < {now}")
        else:
            out.append(f"proposal_deadline_us {now} TO {now + days * 86_400 * 1_000_000}")
    return out


def scenario_queries(engine: SearchEngine, filters) -> list[dict]:
    """The multi-search body for one catalog request: the page itself, then one facet-only query
    per active facet filter (disjunctive counts)."""
    uid = engine.uid("scenario")
    q = phrase_query(filters.q)
    main = {
        "indexUid": uid,
        "q": q,
        "filter": scenario_filter_expressions(filters),
        "page": filters.page,
        "hitsPerPage": filters.page_size,
        "facets": list(SCENARIO_FACETS.values()),
        "matchingStrategy": "all",
        "attributesToRetrieve": [
            "id",
            "key",
            "title",
            "summary",
            "domain",
            "department",
            "status",
            "status_label",
            "proposal_deadline",
            "budget_min",
            "budget_max",
            "pilot_months",
            "opened_at",
            "capabilities",
        ],
    }
    if filters.sort in SCENARIO_SORTS:
        main["sort"] = SCENARIO_SORTS[filters.sort]
    if filters.q:
        main.update(search_params())
        main["attributesToHighlight"] = ["title", "summary", "description", "expected_outcome"]
        main["attributesToCrop"] = CROP
        main["cropLength"] = 36
    queries = [main]
    for name, attribute in SCENARIO_FACETS.items():
        if getattr(filters, name):
            queries.append(
                {
                    "indexUid": uid,
                    "q": q,
                    "matchingStrategy": "all",
                    "filter": scenario_filter_expressions(filters, skip=name),
                    "facets": [attribute],
                    "limit": 0,
                }
            )
    return queries


def _scenario_summary(doc: dict):
    from marketplace.scenarios.schemas import CapabilityRef, DepartmentRef, ScenarioSummary

    return ScenarioSummary(
        id=doc["id"],
        key=doc.get("key"),
        title=doc["title"],
        summary=doc.get("summary", ""),
        domain=doc["domain"],
        department=DepartmentRef(**doc["department"]),
        status=doc["status"],
        status_label=doc["status_label"],
        proposal_deadline=_dt(doc.get("proposal_deadline")),
        budget_min=doc.get("budget_min"),
        budget_max=doc.get("budget_max"),
        pilot_months=doc.get("pilot_months"),
        opened_at=_dt(doc.get("opened_at")),
        capabilities=[CapabilityRef(**c) for c in doc.get("capabilities") or []],
    )


def _scenario_highlight(hit: dict) -> Highlight:
    formatted = hit.get("_formatted") or {}
    snippet = Markup("")
    if not has_match(formatted.get("summary")):
        for attribute in ("description", "expected_outcome"):
            if has_match(formatted.get(attribute)):
                snippet = to_html(formatted[attribute])
                break
    return Highlight(
        id=hit["id"],
        title=to_html(formatted.get("title") or hit["title"]),
        summary=to_html(formatted.get("summary") or hit.get("summary", "")),
        snippet=snippet,
    )


async def search_scenarios(engine: SearchEngine, filters) -> SearchResult:
    """The public catalog page for ``filters`` (``ScenarioFilters``), from Meilisearch or, failing
    that, from the database (``list_public_scenarios``) with a notice; with few or no results,
    what the query may have meant (``_with_correction``)."""

    async def run(f) -> SearchResult:
        return await _search_scenarios(engine, f)

    return await _with_correction(await run(filters), filters, "scenarios", run)


async def _search_scenarios(engine: SearchEngine, filters) -> SearchResult:
    if engine.available:
        try:
            results = await engine.multi_search(scenario_queries(engine, filters))
        except SearchUnavailable:
            pass
        else:
            main = results[0]
            facets = dict(main.get("facetDistribution") or {})
            for extra in results[1:]:
                facets.update(extra.get("facetDistribution") or {})
            hits = main["hits"]
            page = Page(
                items=[_scenario_summary(h) for h in hits],
                total=main.get("totalHits", 0),
                page=filters.page,
                page_size=filters.page_size,
            )
            highlights = {h["id"]: _scenario_highlight(h) for h in hits} if filters.q else {}
            return SearchResult(page=page, highlights=highlights, facets=facets, query=filters.q)
    return await fallback_scenarios(engine, filters)


async def fallback_scenarios(engine: SearchEngine, filters) -> SearchResult:
    from marketplace.scenarios.services import list_public_scenarios

    SEARCH_FALLBACKS.labels("scenario").inc()
    page = await list_public_scenarios(filters)
    highlights = {}
    if filters.q:
        highlights = {
            s.id: Highlight(
                id=s.id,
                title=plain_highlight(s.title, filters.q),
                summary=plain_highlight(s.summary, filters.q),
            )
            for s in page.items
        }
    return SearchResult(
        page=page,
        highlights=highlights,
        engine="database",
        notice=_notice(engine) if (engine.enabled or filters.q) else "",
        query=filters.q,
    )


# --------------------------------------------------------------------------------------------
# Companies


def company_filter_expressions(filters) -> list[str]:
    out = []
    if filters.size:
        out.append(f"size = {_quote(filters.size)}")
    if filters.capability:
        out.append(f"capability_ids = {int(filters.capability)}")
    return out


def _company_summary(doc: dict):
    from marketplace.companies.schemas import CompanySummary
    from marketplace.scenarios.schemas import CapabilityRef

    return CompanySummary(
        id=doc["id"],
        key=doc.get("key"),
        name=doc["name"],
        size=doc["size"],
        size_label=doc["size_label"],
        description=doc.get("description", ""),
        location=doc.get("location", ""),
        capabilities=[CapabilityRef(**c) for c in doc.get("capabilities") or []],
    )


async def search_companies(engine: SearchEngine, filters) -> SearchResult:
    """The member directory. Without search text it is the database listing (large firms first,
    then by name); with text, Meilisearch's relevance (database text match as the fallback), and
    with few or no results what the query may have meant (``_with_correction``)."""

    async def run(f) -> SearchResult:
        return await _search_companies(engine, f)

    return await _with_correction(await run(filters), filters, "companies", run)


async def _search_companies(engine: SearchEngine, filters) -> SearchResult:
    from marketplace.companies.services import list_public_companies

    if filters.q and engine.available:
        query = {
            "indexUid": engine.uid("company"),
            "q": phrase_query(filters.q),
            "matchingStrategy": "all",
            "filter": company_filter_expressions(filters),
            "page": filters.page,
            "hitsPerPage": filters.page_size,
            "facets": ["size"],
            "attributesToHighlight": ["name", "description"],
            "attributesToCrop": ["description:60"],
            "attributesToRetrieve": [
                "id",
                "key",
                "name",
                "size",
                "size_label",
                "description",
                "location",
                "capabilities",
            ],
            **search_params(),
        }
        try:
            main = (await engine.multi_search([query]))[0]
        except SearchUnavailable:
            pass
        else:
            hits = main["hits"]
            page = Page(
                items=[_company_summary(h) for h in hits],
                total=main.get("totalHits", 0),
                page=filters.page,
                page_size=filters.page_size,
            )
            highlights = {
                h["id"]: Highlight(
                    id=h["id"],
                    title=to_html((h.get("_formatted") or {}).get("name") or h["name"]),
                    summary=to_html((h.get("_formatted") or {}).get("description") or ""),
                )
                for h in hits
            }
            return SearchResult(
                page=page,
                highlights=highlights,
                facets=dict(main.get("facetDistribution") or {}),
                query=filters.q,
            )
    page = await list_public_companies(filters)
    if not filters.q:
        return SearchResult(page=page, engine="database")
    SEARCH_FALLBACKS.labels("company").inc()
    highlights = {
        c.id: Highlight(
            id=c.id,
            title=plain_highlight(c.name, filters.q),
            summary=plain_highlight(c.description, filters.q),
        )
        for c in page.items
    }
    return SearchResult(
        page=page, highlights=highlights, engine="database", notice=_notice(engine), query=filters.q
    )


# --------------------------------------------------------------------------------------------
# Proposals (staff)

PROPOSAL_STATUSES_VISIBLE = STAFF_VISIBLE_STATUSES


@dataclass(frozen=True)
class ProposalFilters:
    q: str = ""
    status: str | None = None
    scenario: int | None = None
    page: int = 1
    page_size: int = 20


def proposal_rights_filter(scope: StaffScope | None) -> list[str] | None:
    """The Meilisearch filter applying the proposals policy's ``StaffScope``; None: nothing.

    Drafts are never indexed. ``visible_from_us`` (when a sealed scenario's proposals become
    visible; 0 for an unsealed one) is compared with the current time at each query, as the index
    cannot know "now"; the document builder keeps it in step with the scenario's deadline."""
    if scope is None:
        return None
    expressions = [f"visible_from_us <= {_now_us()}"]
    if scope.department_id is not None:
        expressions.append(f"department_id = {int(scope.department_id)}")
    if scope.excluded:
        expressions.append(f"id NOT IN [{', '.join(str(int(i)) for i in scope.excluded)}]")
    return expressions


async def search_proposals(engine: SearchEngine, user, filters: ProposalFilters) -> SearchResult:
    """Proposals the caller may see (``proposal_rights_filter``), matching ``filters``."""
    rights = proposal_rights_filter(await staff_scope(user))
    empty: Page[Any] = Page(items=[], total=0, page=filters.page, page_size=filters.page_size)
    if rights is None:
        return SearchResult(page=empty, query=filters.q)
    expressions = list(rights)
    if filters.status:
        expressions.append(f"status = {_quote(filters.status)}")
    if filters.scenario:
        expressions.append(f"scenario_id = {int(filters.scenario)}")
    if engine.available:
        query = {
            "indexUid": engine.uid("proposal"),
            "q": phrase_query(filters.q),
            "matchingStrategy": "all",
            "filter": expressions,
            "page": filters.page,
            "hitsPerPage": filters.page_size,
            "sort": ["submitted_at_us:desc"] if not filters.q else None,
            "facets": ["status"],
            "attributesToHighlight": ["summary", "scenario_title", "company_names"],
            "attributesToCrop": ["summary:40", "approach:30"],
            "attributesToRetrieve": [
                "id",
                "number",
                "status",
                "scenario_id",
                "scenario_title",
                "company_names",
                "summary",
                "submitted_at",
            ],
            **search_params(),
        }
        if query["sort"] is None:
            del query["sort"]
        try:
            main = (await engine.multi_search([query]))[0]
        except SearchUnavailable:
            pass
        else:
            hits = main["hits"]
            items = [
                {
                    k: h.get(k)
                    for k in (
                        "id",
                        "number",
                        "status",
                        "scenario_id",
                        "scenario_title",
                        "company_names",
                        "summary",
                        "submitted_at",
                    )
                }
                for h in hits
            ]
            highlights = {
                h["id"]: Highlight(
                    id=h["id"],
                    title=to_html((h.get("_formatted") or {}).get("scenario_title") or ""),
                    summary=to_html((h.get("_formatted") or {}).get("summary") or ""),
                    snippet=to_html((h.get("_formatted") or {}).get("approach") or ""),
                )
                for h in hits
            }
            page = Page(
                items=items, total=main.get("totalHits", 0), page=filters.page, page_size=filters.page_size
            )
            return SearchResult(
                page=page,
                highlights=highlights,
                facets=dict(main.get("facetDistribution") or {}),
                query=filters.q,
            )
    return await fallback_proposals(engine, user, filters)


async def fallback_proposals(engine: SearchEngine, user, filters: ProposalFilters) -> SearchResult:
    """The same rights and filters as a database query (plain text match)."""
    from marketplace.core.db import contains_text

    SEARCH_FALLBACKS.labels("proposal").inc()
    from marketplace.proposals.policy import proposal_visibility_condition
    from marketplace.proposals.tables import Proposal

    # Search is the staff side of the policy: members and anonymous callers find nothing here.
    where = proposal_visibility_condition(user) if await staff_scope(user) is not None else None
    if where is None:
        return SearchResult(
            page=Page(items=[], total=0, page=filters.page, page_size=filters.page_size),
            engine="database",
            query=filters.q,
        )
    if filters.status:
        where &= Proposal.status == filters.status
    if filters.scenario:
        where &= Proposal.scenario == filters.scenario
    if (
        filters.q
        and (text := contains_text((Proposal.summary, Proposal.approach, Proposal.understanding), filters.q))
        is not None
    ):
        where &= text
    total = await Proposal.count().where(where)
    rows = (
        await Proposal.select(
            Proposal.id,
            Proposal.number,
            Proposal.status,
            Proposal.scenario,
            Proposal.scenario.title,
            Proposal.company.name,
            Proposal.summary,
            Proposal.submitted_at,
        )
        .where(where)
        .order_by(Proposal.submitted_at, ascending=False)
        .order_by(Proposal.id, ascending=False)
        .limit(filters.page_size)
        .offset((filters.page - 1) * filters.page_size)
    )
    items = [
        {
            "id": r["id"],
            "number": r["number"],
            "status": r["status"],
            "scenario_id": r["scenario"],
            "scenario_title": r["scenario.title"],
            "company_names": [r["company.name"]],
            "summary": r["summary"],
            "submitted_at": r["submitted_at"].isoformat() if r["submitted_at"] else None,
        }
        for r in rows
    ]
    page = Page(items=items, total=total, page=filters.page, page_size=filters.page_size)
    return SearchResult(page=page, engine="database", notice=_notice(engine), query=filters.q)
