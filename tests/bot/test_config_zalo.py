"""Zalo settings: read from the environment, checked, and documented defaults."""

from __future__ import annotations

import pytest

from bot.app import public_url, zalo_webhook_secret
from bot.config import DEFAULT_ZALO_API, ConfigError, load_settings
from tests.conftest import TEST_SECRET

ZALO_VARS = (
    "ZALO_BOT_TOKEN",
    "ZALO_API_BASE_URL",
    "ZALO_MODE",
    "ZALO_WEBHOOK_URL",
    "ZALO_WEBHOOK_SECRET",
    "ZALO_RATE_LIMIT",
    "BOT_PUBLIC_URL",
    "BOT_MEDIA_TTL",
    "TELEGRAM_WEBHOOK_URL",
)


@pytest.fixture
def env(monkeypatch):
    for name in ZALO_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BOT_SECRET_KEY", TEST_SECRET)
    return monkeypatch


def test_defaults(env):
    s = load_settings(env_file=None)
    assert s.zalo_token is None
    assert s.zalo_api_base_url == DEFAULT_ZALO_API == "https://bot-api.zaloplatforms.com/bot"
    assert s.zalo_mode == "polling" and s.zalo_rate_limit == 10.0
    assert public_url(s) is None
    assert len(zalo_webhook_secret(s)) == 64


def test_webhook_settings_and_public_address(env):
    env.setenv("ZALO_BOT_TOKEN", "123:abc")
    env.setenv("ZALO_MODE", "webhook")
    env.setenv("ZALO_WEBHOOK_URL", "https://bot.example.vn/zalo/webhook")
    env.setenv("ZALO_WEBHOOK_SECRET", "s3cret-token")
    env.setenv("ZALO_RATE_LIMIT", "5")
    s = load_settings(env_file=None)
    assert (s.zalo_token, s.zalo_mode, s.zalo_rate_limit) == ("123:abc", "webhook", 5.0)
    assert zalo_webhook_secret(s) == "s3cret-token"
    assert public_url(s) == "https://bot.example.vn"
    env.setenv("BOT_PUBLIC_URL", "https://media.example.vn/")
    assert public_url(load_settings(env_file=None)) == "https://media.example.vn"


@pytest.mark.parametrize(
    ("name", "value", "error"),
    [
        ("ZALO_MODE", "push", SystemExit),
        ("ZALO_WEBHOOK_SECRET", "short", SystemExit),
        ("ZALO_RATE_LIMIT", "fast", ConfigError),
    ],
)
def test_bad_values_are_refused(env, name, value, error):
    env.setenv("ZALO_BOT_TOKEN", "123:abc")
    env.setenv(name, value)
    with pytest.raises(error):
        load_settings(env_file=None)


def test_webhook_mode_needs_its_address(env):
    env.setenv("ZALO_BOT_TOKEN", "123:abc")
    env.setenv("ZALO_MODE", "webhook")
    with pytest.raises(SystemExit, match="ZALO_WEBHOOK_URL"):
        load_settings(env_file=None)
