"""Bank-account registration over the web chat's HTTP API, in English typed
without diacritics; the officer's VietQR image arrives as an attachment."""

from __future__ import annotations

import base64

from tests.channels.test_web import BORN, new_user, server  # noqa: F401
from tests.conftest import PHAM
from tests.handlers.test_officer import _invite


async def test_register_in_english_and_the_officer_gets_the_qr_image(new_user, db):  # noqa: F811
    officer = await new_user()
    await officer.say(await _invite(db))
    await officer.tap("lang:en")
    citizen = await new_user()
    await citizen.tap("lang:en")
    await citizen.tap("menu:status")
    await citizen.tap("who:self")
    await citizen.say(PHAM.national_id)
    await citizen.say(BORN)
    await citizen.say("i want to register a bank account")
    assert "There are two ways" in citizen.text
    await citizen.say("register here")
    await citizen.say("ngan hang ngoai thuong")
    assert "account number at Vietcombank" in citizen.text
    await citizen.say("1234 5678 90")
    await citizen.say("yes it is right")
    await citizen.say("nguyen thi pham")
    await citizen.say("i agree")
    assert "Account number: ****7890" in citizen.text
    await citizen.say("send")
    assert citizen.text.startswith("Sent.")

    await officer.say("bank account requests")
    assert "waiting for review: 1" in officer.text
    request = officer.replies[-1]["options"][0]["id"]
    await officer.tap(request)
    assert "Account number: 1234567890" in officer.text
    await officer.say("approve")
    assert officer.text.startswith("Approved.") and "from 12/2026" in officer.text
    await officer.say("vietqr code of the account")
    (image,) = officer.replies[-1]["attachments"]
    assert image["kind"] == "image" and image["url"].startswith("data:image/png;base64,")
    assert base64.b64decode(image["url"].split(",", 1)[1]).startswith(b"\x89PNG")
