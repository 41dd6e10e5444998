"""The baseline of ``make bench-load``: the smallest Litestar page worth comparing with.

One route renders a Jinja template (a small HTML page with a 20-item list) through Litestar's
own Jinja engine, served by uvicorn with the same settings as ``marketplace serve``. No
database, no middleware: what the framework and the server cost for a templated page.
Run: ``uvicorn --app-dir bench/minimal app:app``.
"""

from __future__ import annotations

from pathlib import Path

from litestar import Litestar, get
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig

ITEMS = [
    {"id": i, "title": f"场景 {i}：一网通办事项智能预审", "department": "园区大数据管理局"}
    for i in range(1, 21)
]


@get("/", name="minimal")
async def minimal() -> Template:
    return Template("list.html", context={"items": ITEMS})


app = Litestar(
    route_handlers=[minimal],
    template_config=TemplateConfig(directory=Path(__file__).parent, engine=JinjaTemplateEngine),
)
