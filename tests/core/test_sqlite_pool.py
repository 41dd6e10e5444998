"""The SQLite engine's pool of kept connections (``core.sqlite_pool``).

Each test uses its own ``PooledSQLiteEngine`` on its own file, whatever database the suite runs
on, so these run (and mean the same) in the SQLite and the PostgreSQL runs alike.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from piccolo.columns import Integer, Varchar
from piccolo.table import Table

from marketplace.core.sqlite_pool import PooledSQLiteEngine


@pytest.fixture
async def engine(tmp_path: Path):
    engine = PooledSQLiteEngine(path=str(tmp_path / "pool.sqlite"), timeout=30)
    opened: list[int] = []
    open_connection = engine.open_connection

    async def counting_open():  # how many connections the engine really opens
        opened.append(1)
        return await open_connection()

    engine.open_connection = counting_open  # type: ignore[method-assign]
    engine.opened = opened  # type: ignore[attr-defined]
    yield engine
    await engine.close_connection_pool()


def table_on(engine: PooledSQLiteEngine) -> type[Table]:
    class Note(Table, db=engine, tablename="note"):
        text = Varchar()
        n = Integer()

    return Note


async def test_queries_reuse_a_few_kept_connections(engine):
    Note = table_on(engine)
    await Note.create_table()
    await engine.start_connection_pool(size=3)
    for i in range(30):
        await Note.insert(Note(text=f"note {i}", n=i))
        assert await Note.count() == i + 1
    assert len(engine.opened) == 1  # one request at a time: one connection, opened once

    counts = await asyncio.gather(*(Note.count() for _ in range(40)))
    assert counts == [30] * 40
    assert len(engine.opened) <= 3  # never more than the pool's size, even under 40 at once


async def test_a_failed_transaction_stores_nothing_and_its_connection_is_clean_again(engine):
    Note = table_on(engine)
    await Note.create_table()
    await engine.start_connection_pool(size=1)  # one connection: the next query gets the same one

    with pytest.raises(RuntimeError):
        async with engine.transaction():
            await Note.insert(Note(text="lost", n=1))
            raise RuntimeError("the use case failed")
    assert await Note.count() == 0

    async with engine.transaction():  # a nested savepoint rolls back alone
        await Note.insert(Note(text="kept", n=1))
        with pytest.raises(RuntimeError):
            async with engine.transaction() as inner:
                savepoint = await inner.savepoint()
                await Note.insert(Note(text="undone", n=2))
                await savepoint.rollback_to()
                raise RuntimeError("inner")
    assert await Note.select(Note.text).output(as_list=True) == ["kept"]
    assert len(engine.opened) == 1


async def test_a_commit_on_one_connection_is_seen_at_once_on_the_others(engine):
    Note = table_on(engine)
    await Note.create_table()
    await engine.start_connection_pool(size=4)
    await asyncio.gather(*(Note.count() for _ in range(8)))  # open several connections

    async def write_then_read(i: int) -> int:
        async with engine.transaction():
            await Note.insert(Note(text=f"w{i}", n=i))
        return await Note.count().where(Note.n == i)

    assert await asyncio.gather(*(write_then_read(i) for i in range(12))) == [1] * 12
    assert await Note.count() == 12


def _sqlite_threads() -> set[threading.Thread]:
    """Threads serving an aiosqlite connection (counted alone: other threads, such as an event
    loop's executor, come and go with the machine's load)."""
    return {
        thread
        for thread in threading.enumerate()
        if getattr(getattr(thread, "_target", None), "__module__", "") == "aiosqlite.core"
    }


async def test_closing_the_pool_ends_its_threads_and_queries_still_work(engine):
    Note = table_on(engine)
    await Note.create_table()
    before = _sqlite_threads()
    await engine.start_connection_pool(size=4)
    await asyncio.gather(*(Note.count() for _ in range(8)))
    pooled = _sqlite_threads() - before
    assert pooled  # kept connections: their threads stay
    await engine.close_connection_pool()
    for thread in pooled:  # a closed connection's thread ends on its own, a moment later
        thread.join(timeout=10)
    assert not any(thread.is_alive() for thread in pooled)
    assert await Note.count() == 0  # a connection of its own again, as Piccolo does


def test_another_event_loop_never_borrows_the_pools_connections(engine):
    Note = table_on(engine)

    async def on_this_loop() -> None:
        await Note.create_table()
        await engine.start_connection_pool(size=2)
        await Note.count()

    async def on_another_loop() -> int:
        return await Note.count()

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(on_this_loop())
        kept = len(engine.opened)
        assert asyncio.run(on_another_loop()) == 0
        assert len(engine.opened) == kept  # the other loop opened its own, outside the pool
        loop.run_until_complete(engine.close_connection_pool())
    finally:
        loop.close()
