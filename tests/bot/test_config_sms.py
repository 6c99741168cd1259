"""SMS settings: read from the environment and checked."""

from __future__ import annotations

import pytest

from bot.app import build_app
from bot.config import ConfigError, load_settings
from tests.conftest import TEST_SECRET

SMS_VARS = (
    "SMS_SEND_URL",
    "SMS_METHOD",
    "SMS_AUTH_HEADER",
    "SMS_TO_PARAM",
    "SMS_TEXT_PARAM",
    "SMS_JSON",
    "SMS_UNICODE",
    "SMS_INBOUND_SECRET",
    "SMS_FROM_PARAM",
    "SMS_INBOUND_TEXT_PARAM",
    "SMS_ANSWERS_PER_DAY",
)


@pytest.fixture
def env(monkeypatch):
    for name in SMS_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BOT_SECRET_KEY", TEST_SECRET)
    return monkeypatch


def test_off_by_default(env):
    s = load_settings(env_file=None)
    assert s.sms_send_url is None and s.sms_method == "POST" and s.sms_json
    assert not s.sms_unicode and (s.sms_to_param, s.sms_text_param) == ("to", "text")
    assert s.sms_answers_per_day == 10
    assert build_app(s).sms is None


def test_every_setting_is_read(env):
    env.setenv("SMS_SEND_URL", "http://192.168.1.20:8080/send")
    env.setenv("SMS_METHOD", "get")
    env.setenv("SMS_AUTH_HEADER", "X-Api-Key: abc")
    env.setenv("SMS_TO_PARAM", "phone")
    env.setenv("SMS_TEXT_PARAM", "message")
    env.setenv("SMS_JSON", "false")
    env.setenv("SMS_UNICODE", "true")
    env.setenv("SMS_INBOUND_SECRET", "s" * 20)
    env.setenv("SMS_FROM_PARAM", "sender")
    env.setenv("SMS_INBOUND_TEXT_PARAM", "body")
    env.setenv("SMS_ANSWERS_PER_DAY", "4")
    s = load_settings(env_file=None)
    assert s.sms_answers_per_day == 4
    app = build_app(s)
    assert app.sms is not None
    c = app.sms.config
    assert (c.send_url, c.method, c.auth_header) == (
        "http://192.168.1.20:8080/send",
        "GET",
        "X-Api-Key: abc",
    )
    assert (c.to_param, c.text_param, c.json, c.unicode) == ("phone", "message", False, True)
    assert (c.from_param, c.inbound_text_param) == ("sender", "body")
    # The conversation knows the daily limit and how SMS are written.
    for dispatcher in (app.dispatcher, app.sms.dispatcher):
        assert dispatcher.limits.sms_unicode and dispatcher.limits.sms_answers_per_day == 4


def test_a_send_url_needs_an_inbound_secret_and_a_known_method(env):
    env.setenv("SMS_SEND_URL", "http://127.0.0.1:9/send")
    with pytest.raises(ConfigError, match="SMS_INBOUND_SECRET"):
        load_settings(env_file=None)
    env.setenv("SMS_INBOUND_SECRET", "s" * 20)
    env.setenv("SMS_METHOD", "PUT")
    with pytest.raises(ConfigError, match="SMS_METHOD"):
        load_settings(env_file=None)
    env.setenv("SMS_METHOD", "POST")
    env.setenv("SMS_ANSWERS_PER_DAY", "0")
    with pytest.raises(ConfigError, match="SMS_ANSWERS_PER_DAY"):
        load_settings(env_file=None)


def test_trusted_proxies_must_be_addresses_or_networks(env):
    env.setenv("BOT_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/24")
    assert load_settings(env_file=None).trusted_proxies == ("127.0.0.1", "10.0.0.0/24")
    for bad in ("nginx", "10.0.0.0/33"):
        env.setenv("BOT_TRUSTED_PROXIES", f"127.0.0.1,{bad}")
        with pytest.raises(ConfigError, match="BOT_TRUSTED_PROXIES"):
            load_settings(env_file=None)
