"""The web chat in a real headless Chromium, as a person on a phone uses it."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from playwright.async_api import Browser, Page, async_playwright, expect

from bot.channels.web import WebChat
from tests.conftest import PHAM

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PAID = "Tiền trợ cấp tháng 11/2026 của Bà Nguyễn Thị Phàm: 500.000\xa0₫"
STATUS_BUTTON = "💰 Kiểm tra tiền trợ cấp"
SELF_BUTTON = "Cho bản thân tôi"
PHONE = {"width": 360, "height": 740}


def find_chromium() -> str:
    """The Chromium to drive; on CI a missing one is a failure, not a skip."""
    if os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    found = shutil.which("chromium")
    if found:
        return found
    if "CI" in os.environ:
        pytest.fail(
            f"Chromium is missing ({CHROMIUM} and `chromium` on PATH): the CI image must "
            "install it (apt-get install chromium) for the browser tests.",
            pytrace=False,
        )
    pytest.skip(
        "Chromium is not installed; run `apt-get install chromium` to run the browser tests"
    )


@pytest.fixture
async def server_url(dispatcher, seeded) -> AsyncIterator[str]:
    app = web.Application()
    app.add_routes(WebChat(dispatcher).routes())
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}/"
    finally:
        await runner.cleanup()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    executable = find_chromium()
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            await b.close()


def bot_says(page: Page, text: str):
    return page.locator(".msg.bot").filter(has_text=text)


async def open_chat(page: Page, url: str) -> None:
    await page.goto(url)
    await expect(bot_says(page, "Xin chào")).to_be_visible()
    await expect(page.get_by_role("button", name=STATUS_BUTTON, exact=True)).to_be_visible()


async def test_status_check_by_tapping_and_typing(browser, server_url):
    page = await browser.new_page()
    await open_chat(page, server_url)
    box = page.get_by_role("textbox", name="Nhập tin nhắn")

    await page.get_by_role("button", name=STATUS_BUTTON, exact=True).click()
    await expect(bot_says(page, "hỏi cho ai")).to_be_visible()
    await page.get_by_role("button", name=SELF_BUTTON, exact=True).click()
    await expect(bot_says(page, "12 số")).to_be_visible()

    await box.fill(PHAM.national_id)
    await box.press("Enter")
    await expect(box).to_have_value("")
    await expect(page.locator(".msg.me").filter(has_text=PHAM.national_id)).to_be_visible()
    await expect(bot_says(page, "ngày sinh")).to_be_visible()

    await box.fill("15/03/1940")
    await page.get_by_role("button", name="Gửi", exact=True).click()
    await expect(page.locator(".msg.me").filter(has_text="15/03/1940")).to_be_visible()
    paid = bot_says(page, "Agribank ****6789")
    await expect(paid).to_be_visible()
    # Playwright's text matching folds every space together; check the real
    # characters, with the non-breaking space before ₫.
    shown = await paid.inner_text()
    assert PAID in shown
    assert "Agribank ****6789" in shown
    await expect(bot_says(page, "Đã xác minh: Bà Nguyễn Thị Phàm")).to_be_visible()
    await expect(bot_says(page, "Không gửi được")).to_have_count(0)

    # Linked now: one tap on the menu answers again.
    await page.get_by_role("button", name=STATUS_BUTTON, exact=True).click()
    await expect(paid).to_have_count(2)


async def test_readable_on_a_phone(browser, server_url, tmp_path):
    page = await browser.new_page(viewport=PHONE)
    await open_chat(page, server_url)
    await page.get_by_role("button", name=STATUS_BUTTON, exact=True).click()
    await expect(page.get_by_role("button", name=SELF_BUTTON, exact=True)).to_be_visible()

    message = bot_says(page, "hỏi cho ai")
    font_px = await message.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
    assert font_px >= 18, f"bot messages are {font_px}px on a phone"

    buttons = page.get_by_role("button")
    labels = await buttons.all_inner_texts()
    assert STATUS_BUTTON in labels and SELF_BUTTON in labels and "Gửi" in labels
    for button in await buttons.all():
        box = await button.bounding_box()
        assert box is not None
        label = await button.inner_text()
        assert box["height"] >= 44, f"button {label!r} is {box['height']}px tall"
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], label

    # Nothing wider than the screen: no sideways scrolling.
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]

    shot = tmp_path / "phone.png"
    await page.screenshot(path=str(shot), full_page=True)
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 1000


async def in_viewport(locator) -> bool:
    """Whether the element is wholly on the screen as it is now (no scrolling)."""
    box = await locator.bounding_box()
    assert box is not None
    return (
        box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= PHONE["width"]
        and box["y"] + box["height"] <= PHONE["height"]
    )


async def test_phone_keeps_the_input_in_sight_when_asked_for_the_id(browser, server_url, tmp_path):
    page = await browser.new_page(viewport=PHONE)
    await open_chat(page, server_url)
    box = page.get_by_role("textbox", name="Nhập tin nhắn")
    send = page.get_by_role("button", name="Gửi", exact=True)
    # Waiting for a tap, not for typing: no keyboard popping up.
    await expect(box).not_to_be_focused()

    # A few rounds so the conversation is longer than the screen.
    for asked in range(1, 3):
        await page.get_by_role("button", name=STATUS_BUTTON, exact=True).click()
        await expect(bot_says(page, "hỏi cho ai")).to_have_count(asked)
        await expect(box).not_to_be_focused()
        await page.locator(".options").last.get_by_role("button", name="🏠 Menu").click()
        await expect(bot_says(page, "Xin bấm một nút")).to_have_count(asked + 1)
    await page.get_by_role("button", name=STATUS_BUTTON, exact=True).click()
    await expect(bot_says(page, "hỏi cho ai")).to_have_count(3)
    choice = page.locator(".options").nth(2).get_by_role("button", name=SELF_BUTTON, exact=True)
    await choice.click()
    asked = bot_says(page, "12 số").last
    await expect(asked).to_be_visible()

    # The person answered: the choices offered before are greyed out and
    # inert, the ones of the question now asked are not; the menu stays usable.
    await expect(choice).to_be_disabled()
    answered = await page.locator(".options").evaluate_all(
        "boxes => boxes.map(box => [...box.querySelectorAll('button')].every(b => b.disabled))"
    )
    assert answered == [True, True, True, False]
    await expect(page.locator(".options").last.get_by_role("button").first).to_be_enabled()
    await expect(page.locator("#menu button:disabled")).to_have_count(0)
    greyed, active = [
        await b.evaluate("el => getComputedStyle(el).backgroundColor")
        for b in (
            page.locator(".options button:disabled:not(.chosen)").first,
            page.locator("#menu button").first,
        )
    ]
    assert greyed != active

    # Typing is next: the input has focus, and it, "Gửi" and the question are
    # all on the screen without scrolling the page.
    await expect(box).to_be_focused()
    assert await page.evaluate("window.scrollY") == 0
    assert await page.evaluate("document.documentElement.scrollHeight") <= PHONE["height"]
    assert await in_viewport(box), await box.bounding_box()
    assert await in_viewport(send), await send.bounding_box()
    assert await in_viewport(page.locator(".msg.bot").last)
    # The conversation did not fit: the log scrolled, the page did not.
    assert await page.evaluate("document.getElementById('log').scrollTop") > 0
    # Nothing of the log is hidden behind the input.
    log_box = await page.locator("#log").bounding_box()
    input_box = await box.bounding_box()
    assert log_box is not None and input_box is not None
    assert log_box["y"] + log_box["height"] <= input_box["y"]
    # One tap still reaches the status check, and it is large enough.
    status = page.get_by_role("button", name=STATUS_BUTTON, exact=True)
    assert await in_viewport(status)
    status_box = await status.bounding_box()
    assert status_box is not None and status_box["height"] >= 44

    shot = tmp_path / "phone-id-step.png"
    await page.screenshot(path=str(shot))
    if os.environ.get("BROWSER_SHOTS"):
        shutil.copy(shot, os.environ["BROWSER_SHOTS"])

    # Typing the ID: the new messages are shown, not hidden behind the input.
    await box.fill(PHAM.national_id)
    await box.press("Enter")
    date_question = bot_says(page, "ngày sinh")
    await expect(date_question).to_be_visible()
    assert await in_viewport(date_question)
    assert await in_viewport(box)
    await expect(box).to_be_focused()


def test_missing_chromium_skips_locally_and_fails_on_ci(monkeypatch):
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium"):
        find_chromium()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI image must install it"):
        find_chromium()


async def test_a_changing_message_is_replaced_in_place(browser, server_url, db):
    """A broadcast's progress reaches the officer's page once and is then
    replaced where it stands, with its button at the end; nothing piles up."""
    from bot.channels.web import COOKIE, WebInbox
    from handlers.types import Option, Reply

    page = await browser.new_page(viewport=PHONE)
    await open_chat(page, server_url)
    (cookie,) = [c for c in await page.context.cookies() if c["name"] == COOKIE]
    inbox = WebInbox(db)
    ref = await inbox.post(
        cookie["value"], Reply("📤 Thông báo số 1 đang được gửi: đã gửi 0 trên 3")
    )
    progress = bot_says(page, "Thông báo số 1")
    await expect(progress).to_have_text(
        "📤 Thông báo số 1 đang được gửi: đã gửi 0 trên 3", timeout=15_000
    )
    # Something else is said meanwhile: the progress stays where it was.
    await page.get_by_role("button", name=STATUS_BUTTON, exact=True).click()
    await expect(bot_says(page, "hỏi cho ai")).to_be_visible()
    await inbox.edit(
        cookie["value"], ref, Reply("📤 Thông báo số 1 đang được gửi: đã gửi 2 trên 3")
    )
    await expect(progress).to_have_text(
        "📤 Thông báo số 1 đang được gửi: đã gửi 2 trên 3", timeout=15_000
    )
    await inbox.edit(
        cookie["value"],
        ref,
        Reply(
            "✅ Thông báo số 1 đã gửi xong: đã gửi 3 trên 3",
            [Option("bc:report:1", "📊 Báo cáo gửi tin (Excel)")],
        ),
    )
    await expect(progress).to_have_text(
        "✅ Thông báo số 1 đã gửi xong: đã gửi 3 trên 3", timeout=15_000
    )
    await expect(progress).to_have_count(1)
    # Its button comes right after it, before the later question.
    order = await page.locator("#log > *").evaluate_all(
        "els => els.map(el => el.textContent.slice(0, 12))"
    )
    at = next(i for i, t in enumerate(order) if t.startswith("✅"))
    assert order[at + 1].startswith("📊 Báo cáo")
    assert any(t.startswith("Để xem") for t in order[at + 2 :]), order
    await expect(page.get_by_role("button", name="📊 Báo cáo gửi tin (Excel)")).to_have_count(1)
