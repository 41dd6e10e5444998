"""msgspec shapes of search results at the API edge."""

from __future__ import annotations

from typing import Any

import msgspec


class SearchInfo(msgspec.Struct, omit_defaults=True):
    """Where the results came from. ``engine``: meilisearch, or database (the fallback, or a
    listing without search text); ``degraded`` with a ``notice`` when search was wanted but
    Meilisearch could not answer. ``suggestions``: with few or no results, queries that sound
    like ``q`` and name known words ("您是不是要找", best first: 数字挛生 -> 数字孪生, shuzi
    luansheng -> 数字孪生). ``corrected_to``: set when ``q`` found nothing and the items are the
    results of this query, the clearly best correction, instead (``corrected_from`` is ``q``).
    The last three are left out when empty."""

    engine: str
    degraded: bool
    notice: str
    suggestions: list[str] = msgspec.field(default_factory=list)
    corrected_from: str = ""
    corrected_to: str = ""


class HighlightOut(msgspec.Struct):
    """HTML fragments: the text is escaped and only ``<mark>`` tags are added. ``snippet`` is a
    cropped passage of the description when the match is there rather than in title or summary."""

    id: int
    title: str
    summary: str
    snippet: str


def search_info(result) -> SearchInfo:
    return SearchInfo(
        engine=result.engine,
        degraded=result.degraded,
        notice=result.notice,
        suggestions=list(result.suggestions),
        corrected_from=result.corrected_from,
        corrected_to=result.query if result.corrected_from else "",
    )


def highlights_out(result) -> list[HighlightOut]:
    """Highlights in the order of the page's items."""
    out = []
    for item in result.page.items:
        item_id = item["id"] if isinstance(item, dict) else item.id
        h = result.highlights.get(item_id)
        if h is not None:
            out.append(
                HighlightOut(id=h.id, title=str(h.title), summary=str(h.summary), snippet=str(h.snippet))
            )
    return out


def result_page_fields(result: Any) -> dict[str, Any]:
    """A search result as the fields every paged list endpoint returns: the items, the paging,
    the facet counts, the highlights in item order, and where the results came from."""
    page = result.page
    return {
        "items": page.items,
        "total": page.total,
        "page": page.page,
        "page_size": page.page_size,
        "pages": page.pages,
        "facets": result.facets,
        "highlights": highlights_out(result),
        "search": search_info(result),
    }
