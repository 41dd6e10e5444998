"""What the phone layout needs from the markup (issue 16): a menu button that folds both menus, a
filters button that says how many filters are active, and wide tables that scroll inside a
labelled region the keyboard can reach. The browser side (sizes on a 390 px screen, the button
at work, axe-core) is in tests/e2e/test_mobile_layout.py and tests/e2e/test_a11y_every_page.py."""

from __future__ import annotations

import re
from pathlib import Path

from tests.pages.html import parse

TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates"


async def test_the_header_has_one_menu_button_for_both_menus(client, demo_db):
    doc = parse((await client.get("/")).text)
    button = doc.find("button", "menu-toggle")
    assert button is not None and button.text() == "菜单"
    # Rendered hidden and closed: site.js shows it; without JavaScript the menus stay open.
    assert "hidden" in button.attrs and button.attrs["aria-expanded"] == "false"
    menu = doc.find(id=button.attrs["aria-controls"])
    assert menu is not None
    assert {nav.attrs["aria-label"] for nav in menu.find_all("nav")} == {"主导航", "账号"}


async def test_the_filters_button_counts_the_active_filters(client, demo_db):
    def button(html: str):
        found = parse(html).find("button", "filters-toggle")
        assert found is not None
        return found

    def label(element) -> str:
        return element.text().replace(" ", "")

    assert label(button((await client.get("/scenarios")).text)) == "筛选条件"
    two = button((await client.get("/scenarios?status=open&deadline=30d&sort=deadline&q=数据")).text)
    assert label(two) == "筛选条件（已选2项）"  # the sort order and the search words are no filters
    assert two.attrs["aria-expanded"] == "false"
    assert label(button((await client.get("/companies?size=sme")).text)) == "筛选条件（已选1项）"


async def test_a_refused_filter_opens_the_filters(client, demo_db):
    response = await client.get("/companies?size=giant")
    assert response.status_code == 400
    assert parse(response.text).find("button", "filters-toggle").attrs["aria-expanded"] == "true"


def test_every_wide_table_scrolls_inside_a_labelled_focusable_region():
    """Data tables (staff, admin, member, reports) sit in a ``table-wrap`` region: role=region,
    tabindex=0 and a label, so a keyboard user can scroll one that is wider than the screen."""
    problems = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, 1):
            where = f"{path.relative_to(TEMPLATES)}:{number}"
            if 'class="table-wrap"' in line and not all(
                re.search(pattern, line)
                for pattern in (r'role="region"', r'tabindex="0"', r'aria-label="[^"]+"')
            ):
                problems.append(f"{where}: table-wrap without role, tabindex and label")
            if re.search(r'<table class="(data-table|report-table)', line):
                before = [earlier for earlier in lines[: number - 1] if earlier.strip()]
                if not before or 'class="table-wrap"' not in before[-1]:
                    problems.append(f"{where}: table outside a table-wrap region")
    assert problems == []
