"""Where a page's time goes: queries per request and a cProfile of N requests, in process.

Not a test and not a benchmark (``make bench-load`` is): a tool to find the next thing to fix.
It builds the app as ``marketplace serve`` does (lifespan, database pool, search engine), sends
requests through ``httpx.ASGITransport`` one at a time, counts the SQL statements each request
runs and prints the functions that took the most time. Uses the environment's database
(``DATABASE_URL``/``MARKETPLACE_VAR_DIR``); it only reads. Usage:
    .venv/bin/python bench/profile_pages.py [--requests 200] [--sort cumulative] [--login EMAIL] URL...
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


async def main(args: argparse.Namespace) -> None:
    import logging

    import httpx
    from piccolo.engine import engine_finder

    logging.getLogger("httpx").setLevel(logging.WARNING)

    from marketplace.app import create_app

    app = create_app()
    engine = engine_finder()
    statements: Counter[str] = Counter()
    original = engine.run_querystring

    async def counting(querystring, in_pool: bool = False):  # type: ignore[no-untyped-def]
        statements[str(querystring)[:160]] += 1
        return await original(querystring, in_pool=in_pool)

    try:
        engine.run_querystring = counting  # type: ignore[method-assign]
    except AttributeError:  # PostgresEngine has __slots__: no statement counts there
        print("(statements are counted on SQLite only)")
    async with app.lifespan():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            if args.login:
                await login(client, args.login)
            for url in args.urls:
                for _ in range(5):  # warm-up: templates compiled, caches filled
                    (await client.get(url)).raise_for_status()
                statements.clear()
                profiler = cProfile.Profile()
                started = time.perf_counter()
                profiler.enable()
                for _ in range(args.requests):
                    await client.get(url)
                profiler.disable()
                elapsed = time.perf_counter() - started
                total = sum(statements.values())
                print(
                    f"\n=== {url}: {elapsed / args.requests * 1000:.2f} ms a request, "
                    f"{total / args.requests:.1f} SQL statements a request"
                )
                for sql, n in statements.most_common(args.statements):
                    print(f"  {n / args.requests:5.1f}x  {sql}")
                pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)


async def login(client, email: str) -> None:  # type: ignore[no-untyped-def]
    """Sign in through the login form, as a browser would (CSRF cookie and token)."""
    import re

    from marketplace.settings import get_settings

    password = (get_settings().var_dir / "demo_password").read_text().strip()
    page = await client.get("/login")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert token, "no CSRF token on /login"
    response = await client.post(
        "/login", data={"email": email, "password": password, "_csrf_token": token.group(1)}
    )
    assert response.status_code in (200, 302, 303), response.status_code


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("urls", nargs="+")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--statements", type=int, default=15)
    parser.add_argument("--login", default=None, help="sign in as this demo account first")
    asyncio.run(main(parser.parse_args()))
