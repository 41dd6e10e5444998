"""Signing in through the login form, as the journeys do."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def demo_password(live_server) -> str:
    """The demo accounts' password, which ``seed-demo`` generated into the server's var dir."""
    return (live_server.var_dir / "demo_password").read_text().strip()


def sign_in(page: Page, email_address: str, password: str, *, expect_signed_in: bool = False) -> None:
    page.goto("/login")
    page.get_by_label("邮箱").fill(email_address)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    if expect_signed_in:
        expect(page.get_by_role("button", name="退出")).to_be_visible()
