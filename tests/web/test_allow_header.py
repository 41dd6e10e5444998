"""Issue 13 (Allow header): on a path served by several handlers, ``OPTIONS`` and a 405 both list
every method of the path (Litestar's own ``OPTIONS`` answer listed only one handler's methods,
litestar issue 4169), and they list the same ones."""

from __future__ import annotations

import pytest

from tests.accounts.helpers import bearer, make_user
from tests.factories import make_company

# (path, the methods it serves besides OPTIONS): GET and PATCH come from two handlers each.
PATHS = [
    ("/api/v1/proposals/1", {"GET", "PATCH"}),
    ("/api/v1/me/company/profile", {"GET", "PATCH"}),
    ("/api/v1/me/tokens/1", {"DELETE"}),
    ("/api/v1/scenarios/1", {"GET"}),
]


def _methods(response) -> set[str]:
    return {m.strip() for m in response.headers["allow"].split(",")}


@pytest.mark.parametrize(("path", "served"), PATHS)
async def test_options_and_405_list_every_method_of_the_path(db, client, path, served):
    company = await make_company(status="approved")
    auth = await bearer(await make_user("m@example.com", company=company, is_company_manager=True))

    options = await client.options(path, headers=auth)
    assert options.status_code == 204, options.text
    assert _methods(options) == served | {"OPTIONS"}

    unsupported = "PUT" if "PUT" not in served else "POST"
    refused = await client.request(unsupported, path, headers=auth)
    assert refused.status_code == 405, refused.text
    assert refused.headers["allow"] == options.headers["allow"]  # same methods, same order
    assert "不支持该请求方法" in refused.json()["detail"]
