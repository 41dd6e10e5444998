"""Highlights without trusting the text: Meilisearch marks matches with two private-use
characters (``PRE``/``POST``, never present in indexed text: ``clean`` removes them from every
document), the whole text is HTML-escaped, and only then are the markers turned into our own
``<mark>`` tags. Adjacent marks (一网|通办 are two tokens) are merged into one.
"""

from __future__ import annotations

from markupsafe import Markup, escape

PRE = "\ue000"
POST = "\ue001"
CROP_MARKER = "…"


def clean(text: str | None) -> str:
    """Text as stored in a document: without the marker characters."""
    if not text:
        return ""
    return text.replace(PRE, "").replace(POST, "")


def to_html(formatted: str | None) -> Markup:
    """Meilisearch's formatted value -> safe HTML with ``<mark>`` around the matches."""
    if not formatted:
        return Markup("")
    merged = formatted.replace(POST + PRE, "")
    html = str(escape(merged))
    return Markup(html.replace(PRE, "<mark>").replace(POST, "</mark>"))


def has_match(formatted: str | None) -> bool:
    return bool(formatted and PRE in formatted)


def search_params() -> dict:
    return {"highlightPreTag": PRE, "highlightPostTag": POST, "cropMarker": CROP_MARKER}
