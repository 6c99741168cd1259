"""The web chat over HTTP: the page, the cookie identity, the JSON API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.web import COOKIE, WebChat
from tests.conftest import PHAM

PAID = "Tiền trợ cấp tháng 11/2026 của Bà Nguyễn Thị Phàm: 500.000\xa0₫"
BORN = PHAM.date_of_birth.strftime("%d/%m/%Y")  # 15/03/1940


class WebUser:
    """One browser: its own cookie jar, talking to ``POST /api/chat``."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.replies: list[dict] = []

    async def send(self, body: dict) -> list[dict]:
        resp = await self.client.post("/api/chat", json=body)
        assert resp.status == 200, await resp.text()
        self.replies = (await resp.json())["replies"]
        return self.replies

    async def tap(self, option: str) -> list[dict]:
        return await self.send({"option": option})

    async def say(self, text: str) -> list[dict]:
        return await self.send({"text": text})

    @property
    def text(self) -> str:
        return "\n".join(r["text"] for r in self.replies)

    @property
    def labels(self) -> list[str]:
        for r in reversed(self.replies):
            if r["options"]:
                return [o["label"] for o in r["options"]]
        return []

    def cookie(self) -> str | None:
        cookies = self.client.session.cookie_jar.filter_cookies(self.client.make_url("/"))
        morsel = cookies.get(COOKIE)
        return morsel.value if morsel else None


def make_app(chat: WebChat) -> web.Application:
    app = web.Application()
    app.add_routes(chat.routes())
    return app


@pytest.fixture
async def server(dispatcher, seeded) -> AsyncIterator[TestServer]:
    async with TestServer(make_app(WebChat(dispatcher))) as srv:
        yield srv


@pytest.fixture
async def new_user(server: TestServer) -> AsyncIterator[Callable[[], Awaitable[WebUser]]]:
    """Opens a new browser (a fresh cookie jar) on the test server."""
    clients: list[TestClient] = []

    async def open_browser() -> WebUser:
        client = TestClient(server)
        await client.start_server()
        clients.append(client)
        return WebUser(client)

    yield open_browser
    for client in clients:
        await client.close()


async def test_page_is_served_with_its_script_and_style(new_user):
    user = await new_user()
    resp = await user.client.get("/")
    assert resp.status == 200
    assert resp.content_type == "text/html"
    assert resp.headers["Cache-Control"] == "no-store"
    html = await resp.text()
    assert '<html lang="vi">' in html
    assert '<input id="text"' in html
    assert ">Gửi</button>" in html
    for asset, kind in [("/static/chat.js", "javascript"), ("/static/chat.css", "text/css")]:
        assert f'"{asset}"' in html
        resp = await user.client.get(asset)
        assert resp.status == 200, asset
        assert kind in resp.content_type, (asset, resp.content_type)


async def test_first_post_sets_a_private_cookie_once(new_user):
    user = await new_user()
    resp = await user.client.post("/api/chat", json={"command": "start"})
    assert resp.status == 200
    data = await resp.json()
    assert "Xin chào" in data["replies"][0]["text"]
    morsel = resp.cookies[COOKIE]
    assert len(morsel.value) >= 16
    assert morsel["httponly"] is True
    assert morsel["samesite"] == "Strict"
    assert morsel["path"] == "/"
    assert int(morsel["max-age"]) > 0
    assert not morsel["secure"]  # served over plain http on the commune's LAN
    assert user.cookie() == morsel.value

    # The next message comes with the cookie: same person, no new cookie.
    resp = await user.client.post("/api/chat", json={"option": "menu:status"})
    assert resp.status == 200
    assert COOKIE not in resp.cookies
    assert user.cookie() == morsel.value


async def test_secure_cookie_when_asked(dispatcher, seeded):
    async with TestClient(TestServer(make_app(WebChat(dispatcher, secure_cookie=True)))) as client:
        resp = await client.post("/api/chat", json={"command": "start"})
        assert resp.status == 200
        morsel = resp.cookies[COOKIE]
        assert morsel["secure"] is True and morsel["httponly"] is True


async def test_two_browsers_are_two_people(new_user):
    pham = await new_user()
    other = await new_user()
    await pham.tap("menu:status")
    await pham.tap("who:self")
    await pham.say(PHAM.national_id)
    await pham.say(BORN)
    assert "Đã xác minh: Bà Nguyễn Thị Phàm" in pham.text

    # The other browser is not linked to anyone: it is asked whom it asks for.
    await other.tap("menu:status")
    assert "hỏi cho ai" in other.text
    assert "Cho bản thân tôi" in other.labels
    assert PAID not in other.text
    assert other.cookie() != pham.cookie()

    # The first browser is still linked: one tap answers.
    await pham.tap("menu:status")
    assert PAID in pham.text


async def test_status_check_by_taps(new_user):
    user = await new_user()
    await user.send({"option": "menu:status"})
    assert "hỏi cho ai" in user.text
    await user.send({"option": "who:self"})
    assert "12 số" in user.text
    await user.send({"text": "001140001234"})
    assert "ngày sinh" in user.text
    replies = await user.send({"text": "15/03/1940"})
    assert any(PAID in r["text"] for r in replies), user.text
    assert "Agribank ****6789" in user.text
    # Every reply has the shape the page renders.
    for r in replies:
        assert set(r) == {"text", "keyboard", "options"}
        assert r["keyboard"] in ("inline", "menu")
        for o in r["options"]:
            assert set(o) == {"id", "label"} and o["id"] and o["label"]


BAD_REQUESTS = [
    # The body is the right date of birth each time: if any of these were
    # handled, PHAM would be linked.
    pytest.param(
        {"data": f'{{"text": "{BORN}"}}'.encode(), "headers": {"Content-Type": "text/plain"}},
        415,
        id="json-as-text-plain",
    ),
    pytest.param({"data": {"text": BORN}}, 415, id="form-post"),
    pytest.param(
        {"data": f'{{"text": "{BORN}"'.encode(), "headers": {"Content-Type": "application/json"}},
        400,
        id="invalid-json",
    ),
    pytest.param({"json": [BORN]}, 400, id="json-list"),
    pytest.param({"json": BORN}, 400, id="json-string"),
    pytest.param({"json": {"text": 5}}, 400, id="text-is-a-number"),
    pytest.param({"json": {"text": 0}}, 400, id="text-is-zero"),
    pytest.param({"json": {"text": False}}, 400, id="text-is-false"),
    pytest.param({"json": {"option": []}}, 400, id="option-is-a-list"),
    pytest.param({"json": {"command": 1}}, 400, id="command-is-a-number"),
]


@pytest.mark.parametrize(("request_kw", "status"), BAD_REQUESTS)
async def test_bad_requests_change_nothing(new_user, dispatcher, monkeypatch, request_kw, status):
    user = await new_user()
    await user.tap("menu:status")
    await user.tap("who:self")
    await user.say(PHAM.national_id)
    assert "ngày sinh" in user.text
    cookie = user.cookie()
    stranger = await new_user()

    handled: list[object] = []
    handle = dispatcher.handle

    async def spy(incoming):
        handled.append(incoming)
        return await handle(incoming)

    monkeypatch.setattr(dispatcher, "handle", spy)

    for browser in (user, stranger):
        resp = await browser.client.post("/api/chat", **request_kw)
        assert resp.status == status
        assert resp.content_type == "application/json"
        assert "error" in await resp.json()
        assert COOKIE not in resp.cookies
    assert handled == []
    assert user.cookie() == cookie
    assert stranger.cookie() is None

    # The conversation is where it was: still waiting for the date of birth.
    await user.say(BORN)
    assert "Đã xác minh: Bà Nguyễn Thị Phàm" in user.text
    assert PAID in user.text


async def test_slash_start_typed_as_text_is_the_command(new_user):
    typed = await new_user()
    await typed.tap("menu:status")
    assert "hỏi cho ai" in typed.text
    await typed.say("/start")
    assert typed.text.startswith("Xin chào Ông/Bà! Tôi là trợ lý trợ cấp xã hội của xã.")
    assert "💰 Kiểm tra tiền trợ cấp" in typed.labels
    assert typed.replies[-1]["keyboard"] == "menu"

    sent = await new_user()
    await sent.send({"command": "start"})
    assert typed.replies == sent.replies

    # Case does not matter, and the conversation was reset to the menu.
    await typed.tap("menu:status")
    await typed.say("/START")
    assert typed.replies == sent.replies


async def test_proactive_messages_reach_the_browser_through_its_inbox(new_user, db, tmp_path):
    """A payment imported while the page is open: the delivery worker puts the
    message in that browser's inbox, the page fetches it once, with buttons."""
    from bot.channels.web import WebInbox
    from bot.delivery import DeliveryConfig, DeliveryWorker
    from handlers.i18n import Catalogs
    from handlers.importing.service import run_import

    user = await new_user()
    other = await new_user()
    await user.send({"command": "start"})
    await other.send({"command": "start"})
    await user.tap("menu:status")
    await user.tap("who:child")
    await user.say(PHAM.national_id)
    await user.say(BORN)
    assert PAID in user.text
    empty = await user.client.get("/api/inbox")
    assert empty.status == 200 and (await empty.json()) == {"replies": []}

    path = tmp_path / "chi.csv"
    path.write_text(
        f"Số CCCD;Kỳ;Số tiền;Trạng thái;Ngày chi\n{PHAM.national_id};12/2026;500000;đã chi;10/12/2026\n",
        encoding="utf-8",
    )
    catalogs = Catalogs()
    summary = await run_import(db, path, "payments", translator=catalogs.get("vi"))
    assert summary.notified == 1
    worker = DeliveryWorker(db, {"web": WebInbox(db)}, DeliveryConfig(quiet=None))
    assert await worker.run_once() == 1

    resp = await user.client.get("/api/inbox")
    assert resp.headers["Cache-Control"] == "no-store"
    (reply,) = (await resp.json())["replies"]
    assert reply["text"].startswith(
        "Tin báo tiền trợ cấp: Tiền trợ cấp tháng 12/2026 của Bà Nguyễn Thị Phàm: 500.000\xa0₫"
    )
    assert [o["id"] for o in reply["options"]][1] == "notify:off"
    # Fetched once; another browser never sees it; no cookie, nothing.
    assert (await (await user.client.get("/api/inbox")).json()) == {"replies": []}
    assert (await (await other.client.get("/api/inbox")).json()) == {"replies": []}
    # Its button works in the chat.
    await user.tap("notify:off")
    assert user.text.startswith("Đã tắt. Tôi sẽ không nhắn tin báo tiền trợ cấp nữa.")


async def test_inbox_without_a_cookie_is_empty(server):
    async with TestClient(server) as client:
        resp = await client.get("/api/inbox")
        assert resp.status == 200
        assert await resp.json() == {"replies": []}


async def test_forget_me_also_removes_messages_waiting_in_the_inbox(new_user, db):
    from datetime import UTC, datetime

    from bot.channels.web import WebInbox
    from handlers.types import Reply

    user = await new_user()
    await user.send({"command": "start"})
    cookie = user.cookie()
    assert cookie
    await WebInbox(db).deliver(cookie, Reply("Tin báo tiền trợ cấp: đã chi."))
    async with db.transaction() as tx:
        me, _ = await tx.users.get_or_create("web", cookie, "vi")
        await tx.outbox.enqueue(
            key="t:1", user_id=me.id, kind="payment", text="Tin chưa gửi", now=datetime.now(UTC)
        )
    await user.tap("menu:people")
    await user.tap("people:forget")
    await user.tap("forget:yes")
    assert await WebInbox(db).take(cookie) == []
    async with db.transaction() as tx:
        assert await tx.outbox.counts() == {}


async def test_an_officer_sends_a_list_from_the_page(new_user, db):
    from datetime import timedelta

    import aiohttp

    from handlers.officer import new_invite_code
    from tests.conftest import NOW

    code = new_invite_code()
    async with db.transaction() as tx:
        await tx.officers.create_invite(
            code, commune_code="99001", name="Trần Văn Bình", now=NOW,
            expires_at=NOW + timedelta(days=7),
        )  # fmt: skip
    officer = await new_user()
    await officer.say(code)

    async def upload(name: str, data: bytes) -> list[dict]:
        form = aiohttp.FormData()
        form.add_field("file", data, filename=name, content_type="text/csv")
        resp = await officer.client.post("/api/upload", data=form)
        assert resp.status == 200, await resp.text()
        officer.replies = (await resp.json())["replies"]
        return officer.replies

    payments = (
        "Số CCCD;Kỳ;Số tiền;Trạng thái;Ngày chi\n"
        "079045006789;11/2026;1.000.000;đã chi;21/11/2026\n"
        "001140009999;11/2026;500.000;đã chi;21/11/2026\n"
    )
    await upload("chi-tra.csv", payments.encode())
    assert "Đã nhận chi-tra.csv" in officer.text and "Chưa nhập gì cả" in officer.text
    (report,) = [a for r in officer.replies for a in r.get("attachments", [])]
    assert report["filename"] == "chi-tra.report.csv"
    await upload("chi-tra.csv", "\n".join(payments.splitlines()[:2]).encode())
    assert "Đã nhập xong." in officer.text
    # Not a file upload at all: refused without touching anything.
    resp = await officer.client.post("/api/upload", json={"text": "x"})
    assert resp.status == 415
    # A citizen's file is not imported.
    citizen = await new_user()
    form = aiohttp.FormData()
    form.add_field("file", payments.encode(), filename="x.csv")
    resp = await citizen.client.post("/api/upload", data=form)
    assert "Chỉ cán bộ xã mới gửi được danh sách" in (await resp.json())["replies"][0]["text"]


def test_the_browsers_address_behind_a_proxy():
    from bot.channels.web import client_address

    local = ("127.0.0.1", "::1")
    # nginx on the same machine appends the address it saw.
    assert client_address("127.0.0.1", "203.0.113.9", local) == "203.0.113.9"
    # A browser may send its own made-up header first: the proxy's entry is the last.
    assert client_address("127.0.0.1", "10.0.0.1, 203.0.113.9", local) == "203.0.113.9"
    # From anyone but a trusted proxy the header is ignored.
    assert client_address("198.51.100.7", "203.0.113.9", local) == "198.51.100.7"
    # A proxy on another machine, trusted by network; its own hop is skipped.
    assert client_address("10.1.2.3", "203.0.113.9, 10.1.2.4", ("10.1.0.0/16",)) == "203.0.113.9"
    assert client_address("127.0.0.1", None, local) == "127.0.0.1"
    assert client_address("127.0.0.1", "not-an-address", local) == "not-an-address"


async def test_failed_checks_behind_nginx_count_per_browser_address(dispatcher, seeded):
    """Behind nginx every request comes from 127.0.0.1: one guesser with fresh
    cookies is paused, and people elsewhere can still check."""
    from tests.conftest import TU

    async with TestClient(TestServer(make_app(WebChat(dispatcher)))) as client:

        async def post(body: dict, address: str) -> str:
            resp = await client.post("/api/chat", json=body, headers={"X-Forwarded-For": address})
            assert resp.status == 200
            return "\n".join(r["text"] for r in (await resp.json())["replies"])

        guesser = "198.51.100.7"
        for n in range(4):
            client.session.cookie_jar.clear()  # a fresh identity each time
            await post({"option": "menu:status"}, guesser)
            await post({"option": "who:self"}, guesser)
            for day in range(1, 6):
                await post({"text": TU.national_id if n % 2 else PHAM.national_id}, guesser)
                await post({"text": f"{day:02d}/01/{1945 if n % 2 else 1940}"}, guesser)
        client.session.cookie_jar.clear()
        assert "tạm dừng" in await post({"option": "menu:status"}, guesser)
        client.session.cookie_jar.clear()
        assert "hỏi cho ai" in await post({"option": "menu:status"}, "203.0.113.9")


async def test_a_typed_number_answers_the_message_the_bot_pushed_last(new_user, db, tmp_path):
    """A payment message with its choices arrives in the page's inbox; "2"
    typed then picks its second choice, not the second item of the menu the
    page showed before; and after the answer, numbers follow the answer."""
    from bot.channels.web import WebInbox
    from bot.delivery import DeliveryConfig, DeliveryWorker
    from handlers.i18n import Catalogs
    from handlers.importing.service import run_import

    user = await new_user()
    await user.send({"command": "start"})
    await user.tap("lang:en")
    await user.tap("menu:status")
    await user.tap("who:child")
    await user.say(PHAM.national_id)
    await user.say(BORN)
    assert "500,000" in user.text
    await user.tap("nav:menu")
    assert user.labels[1] != "🔕 Turn off payment messages"  # the menu is on screen
    path = tmp_path / "chi.csv"
    path.write_text(
        f"Số CCCD;Kỳ;Số tiền;Trạng thái;Ngày chi\n{PHAM.national_id};12/2026;500000;đã chi;10/12/2026\n",
        encoding="utf-8",
    )
    catalogs = Catalogs()
    await run_import(db, path, "payments", translator=catalogs.get("vi"), catalogs=catalogs)
    worker = DeliveryWorker(db, {"web": WebInbox(db)}, DeliveryConfig(quiet=None))
    assert await worker.run_once() == 1
    (pushed,) = (await (await user.client.get("/api/inbox")).json())["replies"]
    assert [o["label"] for o in pushed["options"]] == [
        "💰 Check my allowance",
        "🔕 Turn off payment messages",
    ]
    await user.say("2")
    assert user.text.startswith("Done. I will not send you payment messages any more.")
    # The answer's own choices count from now on.
    await user.say("/notify")
    assert user.text.startswith("Payment messages are off.")
    await user.say("1")
    assert user.text.startswith("Done. I will send you a message when a payment is made")
