"""The DM simulator in headless Chromium (Debian's), driven by Playwright: chat, see answers, tap buttons."""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from devstack.stack_process import LocalStackProcess
from tests.conftest import ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# `make screenshot` sets this to refresh the README's picture.
SCREENSHOT = os.environ.get("SIMULATOR_SCREENSHOT")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: `make test` installs it (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def open_simulator(browser: Browser, stack: LocalStackProcess, width: int, height: int) -> Page:
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(f"{stack.base}/")
    expect(page.locator("#bot-name")).to_have_text("Support Bot")
    return page


def test_chat_answers_and_buttons(browser: Browser, stack: LocalStackProcess) -> None:
    page = open_simulator(browser, stack, 1100, 760)
    page.fill("#user-name", "Robin")
    page.press("#user-name", "Enter")
    page.fill("#text", "Hi there!")
    page.click("#send")
    bot = page.locator(".msg.bot .bubble")
    expect(bot.first).to_contain_text("Hi Robin!", timeout=15_000)
    expect(page.locator("#options button")).to_have_count(4)
    page.get_by_role("button", name="How does it work?").click()
    expect(bot.nth(1)).to_contain_text("X calls a webhook", timeout=15_000)
    expect(page.locator(".msg.user .bubble").nth(1)).to_have_text("How does it work?")
    expect(page.locator("#daily")).to_have_text("2 / 1000")
    expect(page.locator("#per-message")).to_have_text("1 / 5")
    expect(page.locator("#x-calls")).to_contain_text("events/new.json")
    expect(page.locator("#webhook-calls")).to_contain_text("POST /webhook")
    if SCREENSHOT:
        page.screenshot(path=str(ROOT / SCREENSHOT))
    page.close()


def test_readable_on_a_phone(browser: Browser, stack: LocalStackProcess) -> None:
    page = open_simulator(browser, stack, 390, 844)
    page.fill("#text", "what are the limits")
    page.press("#text", "Enter")
    expect(page.locator(".msg.bot .bubble").last).to_contain_text("1,000 DMs a day", timeout=15_000)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.close()


def test_writing_to_the_second_account_through_the_x_activity_api(browser: Browser, stack: LocalStackProcess) -> None:
    page = open_simulator(browser, stack, 1000, 800)
    page.fill("#user-name", "Casey")
    page.press("#user-name", "Enter")
    page.select_option("#account", label="@salesbot")
    page.select_option("#surface", "activity_api")
    expect(page.locator("#bot-name")).to_have_text("Salesbot")
    page.fill("#text", "hello")
    page.click("#send")
    expect(page.locator(".msg.bot .bubble").last).to_contain_text("You are writing to @salesbot", timeout=15_000)
    expect(page.locator("#daily")).to_have_text("1 / 1000")
