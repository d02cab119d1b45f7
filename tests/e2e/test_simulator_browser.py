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


def as_user(page: Page, name: str) -> None:
    page.fill("#user-name", name)
    page.press("#user-name", "Enter")


def say(page: Page, text: str) -> None:
    page.fill("#text", text)
    page.click("#send")


def chat(browser: Browser, stack: LocalStackProcess, name: str, text: str, answer: str) -> Page:
    """A new page where name said text and the bot answered (its last bubble contains answer)."""
    page = open_simulator(browser, stack, 1000, 800)
    as_user(page, name)
    say(page, text)
    expect(page.locator(".msg.bot .bubble").last).to_contain_text(answer, timeout=15_000)
    return page


def test_no_dots_when_no_answer_will_come_but_a_line_that_says_why(browser: Browser, stack: LocalStackProcess) -> None:
    page = open_simulator(browser, stack, 1000, 800)
    as_user(page, "Quinn")
    say(page, "STOP")
    expect(page.locator(".msg.bot .bubble").last).to_contain_text("You will not get any more messages", timeout=15_000)
    say(page, "hello?")
    expect(page.locator(".system").last).to_have_text("not answered: you opted out (send START)", timeout=15_000)
    expect(page.locator(".typing")).to_have_count(0)
    page.close()


def test_the_stack_keeps_the_thread_for_a_reload_and_another_browser(
    browser: Browser, stack: LocalStackProcess
) -> None:
    page = chat(browser, stack, "Morgan", "what are the limits", "1,000 DMs a day")
    page.reload()
    expect(page.locator(".msg.user .bubble")).to_have_text(["what are the limits"], timeout=10_000)
    other = browser.new_context(viewport={"width": 800, "height": 700}).new_page()  # another browser, fresh storage
    other.goto(f"{stack.base}/")
    as_user(other, "Morgan")
    expect(other.locator(".msg.user .bubble")).to_have_text(["what are the limits"], timeout=10_000)
    expect(other.locator(".msg.bot .bubble").last).to_contain_text("1,000 DMs a day")
    other.click("#clear")
    expect(other.locator(".msg")).to_have_count(0)
    page.reload()
    expect(page.locator(".empty")).to_be_visible(timeout=10_000)
    other.close()
    page.close()


@pytest.mark.parametrize("width", [320, 560, 1000])
def test_the_side_panel_never_overflows(browser: Browser, stack: LocalStackProcess, width: int) -> None:
    page = open_simulator(browser, stack, width, 700)
    as_user(page, f"W{width}")
    say(page, "hello")
    expect(page.locator("#x-calls li").first).to_be_visible(timeout=15_000)
    page.evaluate(
        """() => { const li = document.querySelector('#x-calls li .path');
                   li.textContent = '/2/dm_conversations/with/' + '9'.repeat(60) + '/messages'; }"""
    )
    overflow = page.evaluate(
        "[...document.querySelectorAll('aside, aside .stat')].filter(e => e.scrollWidth > e.clientWidth + 1).length"
    )
    assert overflow == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.close()


def test_no_value_before_the_first_update_and_a_favicon(browser: Browser, stack: LocalStackProcess) -> None:
    page = browser.new_page(viewport={"width": 1000, "height": 700})
    page.route("**/simulator/state*", lambda route: route.abort())
    page.goto(f"{stack.base}/")
    expect(page.locator("#bot-name")).to_have_text("Support Bot")
    expect(page.locator("#daily")).to_have_text("\u2013")  # a dash: no number yet
    assert page.evaluate("getComputedStyle(document.querySelector('#daily-bar div')).width") == "0px"
    assert page.evaluate("document.querySelector('link[rel=icon]').href").startswith("data:image/svg+xml")
    page.close()


def test_a_person_replying_as_the_account_takes_over_the_conversation(
    browser: Browser, stack: LocalStackProcess
) -> None:
    page = chat(browser, stack, "Harper", "hello", "Hi Harper!")
    page.fill("#person-text", "Hi Harper, Sam here.")
    page.click("#person-send")
    expect(page.locator(".msg.person .bubble")).to_have_text("Hi Harper, Sam here.")
    page.wait_for_timeout(2_000)  # the echo goes through the queue and the responder
    say(page, "thanks Sam")
    expect(page.locator(".system").last).to_have_text("left to the person who took the conversation", timeout=15_000)
    expect(page.locator(".msg.bot:not(.person) .bubble")).to_have_count(1)
    page.close()


def test_an_encrypted_xchat_conversation_with_buttons(browser: Browser, stack: LocalStackProcess) -> None:
    page = open_simulator(browser, stack, 1100, 800)
    as_user(page, "Avery")
    page.select_option("#surface", "xchat")
    expect(page.locator("#e2e")).to_be_visible()
    expect(page.locator("#person-composer")).to_be_hidden()
    say(page, "hello")
    bot = page.locator(".msg.bot .bubble")
    expect(bot.first).to_contain_text("Hi there!", timeout=15_000)  # XChat's delivery names no user
    expect(bot.first).to_contain_text("1. What is this?")  # the buttons, also as a numbered list
    expect(page.locator(".msg.bot .meta").first).to_contain_text("decrypted by you")
    expect(page.locator("#options button")).to_have_count(4)
    page.get_by_role("button", name="How does it work?").click()  # a tapped option reaches the bot
    expect(bot.nth(1)).to_contain_text("X calls a webhook", timeout=15_000)
    expect(page.locator("#x-calls")).to_contain_text("xchat messages")
    page.close()


def test_a_buttons_title_typed_gets_its_entry_and_xchat_keeps_the_whole_thread(
    browser: Browser, stack: LocalStackProcess
) -> None:
    page = open_simulator(browser, stack, 1100, 800)
    as_user(page, "Rowan Thread")
    say(page, "Can I use my own bot?")
    bot = page.locator(".msg.bot .bubble")
    expect(bot.first).to_contain_text("This FAQ bot is the default", timeout=15_000)
    page.select_option("#surface", "xchat")  # the same person, now on XChat: the plain answer stays
    say(page, "what are the limits")
    expect(bot.nth(1)).to_contain_text("1,000 DMs a day", timeout=15_000)
    expect(bot.first).to_contain_text("This FAQ bot is the default")
    expect(page.locator(".msg.user .bubble")).to_have_count(2)
    page.close()
