"""The OCDS API: paged releases with a since cursor, records, the bulk package; bad input is a
400 with a Chinese message."""

from __future__ import annotations

import datetime as dt

from marketplace.core import clock
from marketplace.scenarios.tables import Scenario, ScenarioAmendment
from tests.evaluation.helpers import NOW
from tests.opendata.ocds_schema import package_errors
from tests.opendata.test_ocds import PREFIX, _open_scenario


async def test_a_follower_pages_through_the_releases_and_then_sees_only_new_ones(db, client):
    clock.set_now(NOW)
    first = await _open_scenario(title="场景一")
    second = await _open_scenario(("ocr", "文字识别"), title="场景二", opened_at=NOW - dt.timedelta(days=2))
    page = (await client.get("/api/v1/ocds/releases", params={"limit": 1})).json()
    assert package_errors({k: v for k, v in page.items() if k not in ("next_since", "has_more")}) == []
    assert [r["ocid"] for r in page["releases"]] == [f"{PREFIX}{first}"] and page["has_more"]
    page2 = (await client.get("/api/v1/ocds/releases", params={"since": page["next_since"]})).json()
    assert [r["ocid"] for r in page2["releases"]] == [f"{PREFIX}{second}"] and not page2["has_more"]
    cursor = page2["next_since"]
    empty = (await client.get("/api/v1/ocds/releases", params={"since": cursor})).json()
    assert empty["releases"] == [] and empty["next_since"] == cursor

    # A published change: the follower gets exactly that amendment release.
    clock.set_now(NOW + dt.timedelta(hours=1))
    await Scenario.update({Scenario.title: "场景一（修订）"}).where(Scenario.id == first)
    await ScenarioAmendment.insert(
        ScenarioAmendment(
            scenario=first,
            reason="标题更正。",
            changes={"fields": ["title"], "labels": ["标题"]},
            created_at=clock.now(),
        )
    )
    new = (await client.get("/api/v1/ocds/releases", params={"since": cursor})).json()
    assert [(r["ocid"], r["tag"]) for r in new["releases"]] == [(f"{PREFIX}{first}", ["tenderAmendment"])]
    assert new["releases"][0]["tender"]["amendments"][0]["description"] == "标题"


async def test_records_and_the_package_download(db, client):
    clock.set_now(NOW)
    scenario = await _open_scenario()
    record = (await client.get(f"/api/v1/ocds/records/{PREFIX}{scenario}")).json()
    assert record["ocid"] == f"{PREFIX}{scenario}" and record["compiledRelease"]["tag"] == ["compiled"]
    for missing in (f"{PREFIX}999999", f"{PREFIX}abc", "ocds-other-1"):
        response = await client.get(f"/api/v1/ocds/records/{missing}")
        assert response.status_code == 404 and "ocid" in response.json()["detail"]
    download = await client.get("/api/v1/ocds/package.json")
    assert download.status_code == 200
    assert "attachment" in download.headers["content-disposition"]
    assert package_errors(download.json()) == [] and len(download.json()["releases"]) == 1


async def test_bad_paging_parameters_are_refused_in_chinese(db, client):
    for params, field in (
        ({"since": "not-a-cursor"}, "since"),
        ({"limit": "0"}, "limit"),
        ({"limit": "x"}, "limit"),
    ):
        response = await client.get("/api/v1/ocds/releases", params=params)
        assert response.status_code == 400
        assert field in response.json()["errors"] and "参数" in response.json()["detail"]
