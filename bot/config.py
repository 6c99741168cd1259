"""Settings from environment variables (a ``.env`` file in the working
directory is read too). The README lists every one."""

from __future__ import annotations

import ipaddress
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from dotenv import load_dotenv

log = logging.getLogger(__name__)

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/bot.db"
DEFAULT_TELEGRAM_API = "https://api.telegram.org/bot"
DEFAULT_ZALO_API = "https://bot-api.zaloplatforms.com/bot"


class ConfigError(Exception):
    """A setting is missing or wrong; the message says which and how to fix it."""


def _int(name: str, default: str) -> int:
    raw = os.environ.get(name, default)
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None


def _float(name: str, default: str) -> float:
    raw = os.environ.get(name, default)
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, not {raw!r}") from None


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str = ""
    default_locale: str = "vi"
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    web_enabled: bool = True
    telegram_token: str | None = None
    telegram_api_base_url: str = DEFAULT_TELEGRAM_API
    telegram_mode: str = "polling"  # polling | webhook
    telegram_webhook_url: str | None = None  # public https URL that reaches our web server
    telegram_webhook_secret: str | None = None
    telegram_rate_limit: float = 30.0  # messages a second overall; 0 turns the limiter off
    telegram_concurrency: int = 4  # updates of different people handled at once
    web_secure_cookie: bool = False  # set when the web chat is served over https
    # Reverse proxies whose X-Forwarded-For names the browser (addresses or networks).
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")
    # The address people's phones and messengers' servers reach the bot's web
    # server at (https://bot.example.vn); pictures and files sent by link use it.
    public_url: str | None = None
    media_ttl: float = 3600.0  # seconds a picture or file link keeps working
    zalo_token: str | None = None
    zalo_api_base_url: str = DEFAULT_ZALO_API
    zalo_mode: str = "polling"  # polling | webhook
    zalo_webhook_url: str | None = None  # public https URL that reaches /zalo/webhook
    zalo_webhook_secret: str | None = None
    zalo_rate_limit: float = 10.0  # messages a second overall; 0 turns the limiter off
    # SMS through an HTTP gateway (README: "SMS").
    sms_send_url: str | None = None
    sms_method: str = "POST"  # POST | GET
    sms_auth_header: str = ""  # "Authorization: Bearer ..."
    sms_to_param: str = "to"
    sms_text_param: str = "text"
    sms_json: bool = True
    sms_unicode: bool = False  # keep diacritics (70 characters a segment instead of 160)
    sms_inbound_secret: str = ""
    sms_from_param: str = "from"
    sms_inbound_text_param: str = "text"
    sms_answers_per_day: int = 10  # answers to one number a day, then silence
    log_level: str = "INFO"
    # The delivery worker (proactive messages from the outbox).
    delivery_enabled: bool = True
    telegram_delivery_rate: float = 30.0  # proactive messages a second overall (0: no limit)
    telegram_delivery_chat_interval: float = 1.0  # seconds between two to one chat
    delivery_rate: float = 20.0  # other channels (web chat, ...), a second overall
    delivery_chat_interval: float = 0.0  # other channels: seconds between two to one person
    delivery_max_attempts: int = 6
    delivery_timeout: float = 10.0  # seconds a send may take before it is retried
    delivery_workers: int = 1  # worker tasks in this process
    delivery_lease: float = 120.0  # seconds a worker holds claimed rows
    delivery_batch: int = 500  # rows a worker claims at once
    quiet_hours: str = "21:00-07:00"  # Vietnam time; "off" sends at any hour
    # The scheduler: reminders, officers' digests, housekeeping.
    scheduler_enabled: bool = True
    scheduler_tick: float = 60.0  # seconds between rounds
    payment_reminder_days: int = 2  # days before the commune's payment day
    reminder_hour: int = 8  # local time reminders are sent
    reminder_catchup_days: int = 3  # how late a missed reminder may still go out
    digest_weekday: int = 1  # 1 = Monday ... 7 = Sunday
    digest_hour: int = 7


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _secret_key(data_dir: Path) -> str:
    """BOT_SECRET_KEY, or a key generated once and kept in data/secret.key.

    Losing this key makes stored citizen IDs unreadable: back it up with the
    database (the README says how).
    """
    env = os.environ.get("BOT_SECRET_KEY")
    if env:
        return env
    path = data_dir / "secret.key"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(key + "\n")
    log.warning("BOT_SECRET_KEY is not set: generated one in %s (keep it with your backups)", path)
    return key


def load_settings(env_file: str | Path | None = ".env", **overrides: object) -> Settings:
    if env_file is not None and Path(env_file).exists():
        load_dotenv(env_file, override=False)
    e = os.environ.get
    data_dir = Path(e("BOT_DATA_DIR", "data"))
    values: dict[str, object] = {
        "database_url": e("BOT_DATABASE_URL") or f"sqlite+aiosqlite:///{data_dir}/bot.db",
        "default_locale": e("BOT_DEFAULT_LOCALE", "vi"),
        "web_host": e("BOT_WEB_HOST", "127.0.0.1"),
        "web_port": _int("BOT_WEB_PORT", "8080"),
        "web_enabled": _bool(e("BOT_WEB_ENABLED"), True),
        "telegram_token": e("TELEGRAM_BOT_TOKEN") or None,
        "telegram_api_base_url": e("TELEGRAM_API_BASE_URL", DEFAULT_TELEGRAM_API),
        "telegram_mode": e("TELEGRAM_MODE", "polling"),
        "telegram_webhook_url": e("TELEGRAM_WEBHOOK_URL") or None,
        "telegram_webhook_secret": e("TELEGRAM_WEBHOOK_SECRET") or None,
        "telegram_rate_limit": _float("TELEGRAM_RATE_LIMIT", "30"),
        "telegram_concurrency": _int("TELEGRAM_CONCURRENCY", "4"),
        "web_secure_cookie": _bool(e("BOT_WEB_SECURE_COOKIE"), False),
        "trusted_proxies": tuple(
            p.strip() for p in e("BOT_TRUSTED_PROXIES", "127.0.0.1,::1").split(",") if p.strip()
        ),
        "public_url": e("BOT_PUBLIC_URL") or None,
        "media_ttl": _float("BOT_MEDIA_TTL", "3600"),
        "zalo_token": e("ZALO_BOT_TOKEN") or None,
        "zalo_api_base_url": e("ZALO_API_BASE_URL", DEFAULT_ZALO_API),
        "zalo_mode": e("ZALO_MODE", "polling"),
        "zalo_webhook_url": e("ZALO_WEBHOOK_URL") or None,
        "zalo_webhook_secret": e("ZALO_WEBHOOK_SECRET") or None,
        "zalo_rate_limit": _float("ZALO_RATE_LIMIT", "10"),
        "sms_send_url": e("SMS_SEND_URL") or None,
        "sms_method": e("SMS_METHOD", "POST").upper(),
        "sms_auth_header": e("SMS_AUTH_HEADER", ""),
        "sms_to_param": e("SMS_TO_PARAM", "to"),
        "sms_text_param": e("SMS_TEXT_PARAM", "text"),
        "sms_json": _bool(e("SMS_JSON"), True),
        "sms_unicode": _bool(e("SMS_UNICODE"), False),
        "sms_inbound_secret": e("SMS_INBOUND_SECRET", ""),
        "sms_from_param": e("SMS_FROM_PARAM", "from"),
        "sms_inbound_text_param": e("SMS_INBOUND_TEXT_PARAM", "text"),
        "sms_answers_per_day": _int("SMS_ANSWERS_PER_DAY", "10"),
        "log_level": e("BOT_LOG_LEVEL", "INFO"),
        "delivery_enabled": _bool(e("BOT_DELIVERY_ENABLED"), True),
        "telegram_delivery_rate": _float("TELEGRAM_DELIVERY_RATE", "30"),
        "telegram_delivery_chat_interval": _float("TELEGRAM_DELIVERY_CHAT_INTERVAL", "1"),
        "delivery_rate": _float("BOT_DELIVERY_RATE", "20"),
        "delivery_chat_interval": _float("BOT_DELIVERY_CHAT_INTERVAL", "0"),
        "delivery_max_attempts": _int("BOT_DELIVERY_MAX_ATTEMPTS", "6"),
        "delivery_timeout": _float("BOT_DELIVERY_TIMEOUT", "10"),
        "delivery_workers": _int("BOT_DELIVERY_WORKERS", "1"),
        "delivery_lease": _float("BOT_DELIVERY_LEASE", "120"),
        "delivery_batch": _int("BOT_DELIVERY_BATCH", "500"),
        "quiet_hours": e("BOT_QUIET_HOURS", "21:00-07:00"),
        "scheduler_enabled": _bool(e("BOT_SCHEDULER_ENABLED"), True),
        "scheduler_tick": _float("BOT_SCHEDULER_TICK", "60"),
        "payment_reminder_days": _int("BOT_PAYMENT_REMINDER_DAYS", "2"),
        "reminder_hour": _int("BOT_REMINDER_HOUR", "8"),
        "reminder_catchup_days": _int("BOT_REMINDER_CATCHUP_DAYS", "3"),
        "digest_weekday": _int("BOT_DIGEST_WEEKDAY", "1"),
        "digest_hour": _int("BOT_DIGEST_HOUR", "7"),
    }
    values.update(overrides)
    if "secret_key" not in values:
        values["secret_key"] = _secret_key(data_dir)
    if len(str(values["secret_key"])) < 16:
        raise ConfigError("BOT_SECRET_KEY must be at least 16 characters")
    settings = Settings(**values)  # type: ignore[arg-type]
    from handlers.quiet import parse_quiet_hours

    try:
        parse_quiet_hours(settings.quiet_hours)
    except ValueError as err:
        raise ConfigError(f"BOT_QUIET_HOURS: {err}") from None
    if min(settings.delivery_max_attempts, settings.delivery_workers, settings.delivery_batch) < 1:
        raise ConfigError(
            "BOT_DELIVERY_MAX_ATTEMPTS, BOT_DELIVERY_WORKERS and BOT_DELIVERY_BATCH must be at least 1"
        )
    if not 1 <= settings.digest_weekday <= 7:
        raise ConfigError("BOT_DIGEST_WEEKDAY must be 1 (Monday) to 7 (Sunday)")
    for name, hour in (
        ("BOT_REMINDER_HOUR", settings.reminder_hour),
        ("BOT_DIGEST_HOUR", settings.digest_hour),
    ):
        if not 0 <= hour <= 23:
            raise ConfigError(f"{name} must be an hour from 0 to 23")
    if settings.reminder_catchup_days < 0 or settings.payment_reminder_days < 0:
        raise ConfigError(
            "BOT_REMINDER_CATCHUP_DAYS and BOT_PAYMENT_REMINDER_DAYS cannot be negative"
        )
    if settings.telegram_mode not in ("polling", "webhook"):
        raise SystemExit("TELEGRAM_MODE must be 'polling' or 'webhook'")
    if settings.telegram_mode == "webhook" and settings.telegram_token:
        if not settings.telegram_webhook_url:
            raise SystemExit(
                "TELEGRAM_MODE=webhook needs TELEGRAM_WEBHOOK_URL (the public https address)"
            )
    if settings.zalo_mode not in ("polling", "webhook"):
        raise SystemExit("ZALO_MODE must be 'polling' or 'webhook'")
    if settings.zalo_mode == "webhook" and settings.zalo_token and not settings.zalo_webhook_url:
        raise SystemExit("ZALO_MODE=webhook needs ZALO_WEBHOOK_URL (the public https address)")
    if settings.sms_method not in ("POST", "GET"):
        raise ConfigError("SMS_METHOD must be POST or GET")
    if settings.sms_answers_per_day < 1:
        raise ConfigError("SMS_ANSWERS_PER_DAY must be at least 1")
    if settings.sms_send_url and len(settings.sms_inbound_secret) < 16:
        raise ConfigError(
            "SMS_SEND_URL needs SMS_INBOUND_SECRET (at least 16 characters), which the "
            "gateway sends with each incoming SMS"
        )
    for proxy in settings.trusted_proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise ConfigError(
                f"BOT_TRUSTED_PROXIES: {proxy!r} is not an IP address or network "
                "(e.g. 127.0.0.1 or 10.0.0.0/24)"
            ) from None
    secret = settings.zalo_webhook_secret
    if secret is not None and not 8 <= len(secret) <= 256:
        raise SystemExit("ZALO_WEBHOOK_SECRET must be 8 to 256 characters")
    return settings
