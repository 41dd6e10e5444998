"""Password guessing: a burst of parallel guesses gets no more than ten evaluated, an unknown
e-mail costs what a known one costs, and hashing stays off the event loop."""

from __future__ import annotations

import asyncio
import threading

import pytest

from marketplace.accounts import passwords
from marketplace.accounts.services import MAX_FAILURES, LoginFailed, LoginLocked, authenticate
from marketplace.accounts.tables import User
from tests.accounts.helpers import PASSWORD, make_user


@pytest.fixture
def evaluated(monkeypatch):
    """Every password verification: (thread id) per call."""
    calls: list[int] = []
    real = passwords.verify_password

    def counting(stored_hash: str, password: str) -> bool:
        calls.append(threading.get_ident())
        return real(stored_hash, password)

    monkeypatch.setattr(passwords, "verify_password", counting)
    return calls


async def test_a_parallel_burst_gets_at_most_ten_guesses_evaluated(db, evaluated):
    """40 wrong guesses at once: ten are checked, the other thirty are refused unchecked, and the
    right password right after the burst is refused too (before, 36 were checked and a right
    guess at the end of the burst signed in)."""
    await make_user("a@example.com")
    results = await asyncio.gather(
        *[authenticate("a@example.com", f"wrong-{i}", "198.51.100.7") for i in range(40)],
        return_exceptions=True,
    )
    assert len(evaluated) == MAX_FAILURES
    assert sum(isinstance(r, LoginLocked) for r in results) == 40 - MAX_FAILURES + 1  # the tenth locks
    assert sum(isinstance(r, LoginFailed) for r in results) == MAX_FAILURES - 1
    with pytest.raises(LoginLocked):
        await authenticate("a@example.com", PASSWORD, "203.0.113.9")
    assert len(evaluated) == MAX_FAILURES


async def test_unknown_inactive_and_known_accounts_cost_one_verification_each(db, evaluated):
    await make_user("known@example.com")
    await make_user("off@example.com", active=False)
    invited = await make_user("invited@example.com")
    await User.update({User.password_hash: ""}).where(User.id == invited)  # no password set yet
    for email in ("nobody@example.com", "off@example.com", "invited@example.com", "known@example.com"):
        before = len(evaluated)
        with pytest.raises(LoginFailed):
            await authenticate(email, "wrong-password-1")
        assert len(evaluated) - before == 1, email
    before = len(evaluated)
    user_id = await authenticate("known@example.com", PASSWORD)
    assert len(evaluated) - before == 1
    assert user_id == (await User.select(User.id).where(User.email == "known@example.com").first())["id"]


async def test_hashing_runs_off_the_event_loop(db, evaluated):
    await make_user("a@example.com")
    await authenticate("a@example.com", PASSWORD)
    with pytest.raises(LoginFailed):
        await authenticate("nobody@example.com", PASSWORD)
    loop_thread = threading.get_ident()
    assert evaluated and loop_thread not in evaluated
