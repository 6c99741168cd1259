"""Wiring: builds the database, catalogs, dispatcher and channels once and
passes them in explicitly. No module-level state."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from aiohttp import web

from bot.channels.base import Sender
from bot.channels.media import MediaStore
from bot.channels.sms import GatewayConfig, SmsChannel
from bot.channels.web import WebChat, WebInbox
from bot.channels.zalo import ZaloChannel
from bot.config import ConfigError, Settings
from bot.delivery import ChannelLimits, DeliveryConfig, DeliveryWorker, Limiter
from bot.metrics import CONTENT_TYPE, Metrics
from bot.progress import ProgressReporter
from bot.scheduler import Scheduler, default_jobs
from handlers.citizen import route
from handlers.core import Dispatcher, Limits
from handlers.i18n import Catalogs
from handlers.quiet import parse_quiet_hours
from storage import Database, Vault

log = logging.getLogger(__name__)

HEALTH_TIMEOUT = 2.0  # seconds the health check waits for the database


@dataclass
class App:
    settings: Settings
    db: Database
    catalogs: Catalogs
    dispatcher: Dispatcher
    web_app: web.Application
    telegram: object | None = None
    zalo: ZaloChannel | None = None
    sms: SmsChannel | None = None
    media: MediaStore | None = None
    scheduler: Scheduler | None = None
    _runner: web.AppRunner | None = field(default=None, repr=False)
    bound_port: int | None = None
    workers: list[DeliveryWorker] = field(default_factory=list)
    metrics: Metrics = field(default_factory=Metrics)
    progress: ProgressReporter | None = None

    async def start(self) -> None:
        """Migrate, then start the web server and every configured channel."""
        await self.db.upgrade()
        s = self.settings
        telegram_webhook = self.telegram is not None and s.telegram_mode == "webhook"
        # Zalo needs the web server for its webhook and for pictures sent by URL.
        # SMS needs it for incoming messages.
        if s.web_enabled or telegram_webhook or self.zalo is not None or self.sms is not None:
            self._runner = web.AppRunner(self.web_app, access_log=None)
            await self._runner.setup()
            site = web.TCPSite(self._runner, s.web_host, s.web_port)
            try:
                await site.start()
            except OSError as err:
                await self._runner.cleanup()
                await self.db.dispose()
                raise ConfigError(
                    f"cannot listen on {s.web_host}:{s.web_port} ({err.strerror}); "
                    "is another copy running? Choose another port with BOT_WEB_PORT"
                ) from None
            server = getattr(site, "_server", None)
            sockets = getattr(server, "sockets", None) or []
            self.bound_port = sockets[0].getsockname()[1] if sockets else s.web_port
            if s.web_enabled:
                log.info("web chat on http://%s:%s/", s.web_host, self.bound_port)
        if self.telegram is not None:
            try:
                await self.telegram.start()  # type: ignore[attr-defined]
            except Exception:
                # One broken channel never stops the others.
                log.exception("telegram could not start; the other channels go on")
        if self.zalo is not None:
            if self.zalo.public_url is None:
                host = "127.0.0.1" if s.web_host in ("0.0.0.0", "::", "") else s.web_host
                self.zalo.public_url = f"http://{host}:{self.bound_port}"
                log.warning(
                    "BOT_PUBLIC_URL is not set: pictures for Zalo are linked at %s, "
                    "which Zalo cannot reach from the internet",
                    self.zalo.public_url,
                )
            try:
                await self.zalo.start()
            except Exception:
                log.exception("zalo could not start; the other channels go on")
        if self.sms is not None:
            await self.sms.start()
        for worker in self.workers:
            worker.start()
        if self.progress is not None:
            self.progress.start()
        if self.scheduler is not None:
            self.scheduler.start()

    def channel_states(self) -> dict[str, str]:
        states: dict[str, str] = {}
        if self.telegram is not None:
            states["telegram"] = self.telegram.state  # type: ignore[attr-defined]
        if self.zalo is not None:
            states["zalo"] = self.zalo.state
        if self.settings.web_enabled:
            states["web"] = "running" if self._runner is not None else "stopped"
        if self.sms is not None:
            states["sms"] = self.sms.state
        return states

    async def _outbox_depth(self) -> int | None:
        if not await self.db.ping(HEALTH_TIMEOUT):
            return None
        try:
            async with asyncio.timeout(HEALTH_TIMEOUT), self.db.transaction() as tx:
                return await tx.outbox.pending()
        except Exception:
            return None

    async def healthz(self, request: web.Request) -> web.Response:
        """Database reachable, each channel's state, the outbox depth; 503
        when the database cannot be reached."""
        depth = await self._outbox_depth()
        channels = self.channel_states()
        body = {
            "ok": depth is not None,
            "database": "ok" if depth is not None else "unreachable",
            "channels": channels,
            "outbox_pending": depth,
        }
        return web.json_response(body, status=200 if depth is not None else 503)

    async def metrics_view(self, request: web.Request) -> web.Response:
        data = self.metrics.render(await self._outbox_depth())
        resp = web.Response(body=data)
        resp.headers["Content-Type"] = CONTENT_TYPE
        return resp

    async def stop(self) -> None:
        if self.scheduler is not None:
            await self.scheduler.stop()
        if self.progress is not None:
            await self.progress.stop()
        for worker in self.workers:
            await worker.stop()
        if self.zalo is not None:
            with contextlib.suppress(Exception):
                await self.zalo.stop()
        if self.sms is not None:
            with contextlib.suppress(Exception):
                await self.sms.stop()
        if self.telegram is not None:
            with contextlib.suppress(Exception):
                await self.telegram.stop()  # type: ignore[attr-defined]
        if self._runner is not None:
            await self._runner.cleanup()
        await self.db.dispose()


def webhook_secret(settings: Settings) -> str:
    """TELEGRAM_WEBHOOK_SECRET, or one derived from BOT_SECRET_KEY."""
    if settings.telegram_webhook_secret:
        return settings.telegram_webhook_secret
    return hmac.new(settings.secret_key.encode(), b"telegram-webhook", hashlib.sha256).hexdigest()


def zalo_webhook_secret(settings: Settings) -> str:
    """ZALO_WEBHOOK_SECRET, or one derived from BOT_SECRET_KEY."""
    if settings.zalo_webhook_secret:
        return settings.zalo_webhook_secret
    return hmac.new(settings.secret_key.encode(), b"zalo-webhook", hashlib.sha256).hexdigest()


def public_url(settings: Settings) -> str | None:
    """BOT_PUBLIC_URL, or the origin of a configured webhook address."""
    if settings.public_url:
        return settings.public_url.rstrip("/")
    for hook in (settings.zalo_webhook_url, settings.telegram_webhook_url):
        if hook:
            parts = urlsplit(hook)
            if parts.scheme and parts.netloc:
                return f"{parts.scheme}://{parts.netloc}"
    return None


def build_app(settings: Settings, *, clock: Callable[[], datetime] | None = None) -> App:
    db = Database(settings.database_url, Vault(settings.secret_key))
    catalogs = Catalogs(default=settings.default_locale)
    metrics = Metrics()
    dispatcher = Dispatcher(
        db,
        catalogs,
        route,
        clock=clock,
        observe=metrics.handled,
        limits=handler_limits(settings),
        quiet=parse_quiet_hours(settings.quiet_hours),
    )
    web_app = web.Application(client_max_size=2 * 1024 * 1024)
    if settings.web_enabled:
        web_app.add_routes(
            WebChat(
                dispatcher,
                secure_cookie=settings.web_secure_cookie,
                trusted_proxies=settings.trusted_proxies,
            ).routes()
        )
    telegram = None
    if settings.telegram_token:
        from bot.channels.telegram import TelegramChannel

        telegram = TelegramChannel(
            dispatcher,
            catalogs,
            token=settings.telegram_token,
            base_url=settings.telegram_api_base_url,
            rate_limit=settings.telegram_rate_limit,
            webhook=settings.telegram_mode == "webhook",
            webhook_url=settings.telegram_webhook_url,
            webhook_secret=webhook_secret(settings),
            concurrency=settings.telegram_concurrency,
            delivery_timeout=settings.delivery_timeout,
        )
        web_app.add_routes(telegram.routes())
    media = MediaStore(ttl=settings.media_ttl)
    web_app.add_routes(media.routes())
    zalo = None
    if settings.zalo_token:
        zalo = ZaloChannel(
            dispatcher,
            media,
            token=settings.zalo_token,
            base_url=settings.zalo_api_base_url,
            public_url=public_url(settings),
            rate_limit=settings.zalo_rate_limit,
            webhook=settings.zalo_mode == "webhook",
            webhook_url=settings.zalo_webhook_url,
            webhook_secret=zalo_webhook_secret(settings),
        )
        web_app.add_routes(zalo.routes())
    sms = sms_channel(settings, dispatcher)
    if sms is not None:
        web_app.add_routes(sms.routes())
    senders: dict[str, Sender] = {}
    if telegram is not None:
        senders["telegram"] = telegram  # type: ignore[assignment]
    if zalo is not None:
        senders["zalo"] = zalo
    if sms is not None:
        senders["sms"] = sms
    if settings.web_enabled:
        senders["web"] = WebInbox(db, clock)
    workers = (
        build_workers(settings, db, senders, clock=clock, on_result=metrics.send_result)
        if settings.delivery_enabled
        else []
    )
    # Officers follow their broadcasts going out (one message, edited in place).
    progress = (
        ProgressReporter(
            db, catalogs, senders, quiet=parse_quiet_hours(settings.quiet_hours), clock=clock
        )
        if settings.delivery_enabled
        else None
    )
    scheduler = None
    if settings.scheduler_enabled:
        scheduler = Scheduler(
            db,
            catalogs,
            default_jobs(settings, dispatcher.limits),
            clock=clock,
            tick=settings.scheduler_tick,
        )
    app = App(
        settings,
        db,
        catalogs,
        dispatcher,
        web_app,
        telegram,
        zalo=zalo,
        sms=sms,
        media=media,
        scheduler=scheduler,
        workers=workers,
        metrics=metrics,
        progress=progress,
    )
    web_app.add_routes([web.get("/healthz", app.healthz), web.get("/metrics", app.metrics_view)])
    return app


def handler_limits(settings: Settings) -> Limits:
    return Limits(
        sms_answers_per_day=settings.sms_answers_per_day, sms_unicode=settings.sms_unicode
    )


def sms_channel(settings: Settings, dispatcher: Dispatcher) -> SmsChannel | None:
    """The SMS channel when SMS_SEND_URL is set."""
    if not settings.sms_send_url:
        return None
    return SmsChannel(
        dispatcher,
        GatewayConfig(
            send_url=settings.sms_send_url,
            method=settings.sms_method,
            auth_header=settings.sms_auth_header,
            to_param=settings.sms_to_param,
            text_param=settings.sms_text_param,
            json=settings.sms_json,
            unicode=settings.sms_unicode,
            inbound_secret=settings.sms_inbound_secret,
            from_param=settings.sms_from_param,
            inbound_text_param=settings.sms_inbound_text_param,
            timeout=settings.delivery_timeout,
        ),
    )


def delivery_config(settings: Settings) -> DeliveryConfig:
    return DeliveryConfig(
        limits={
            "telegram": ChannelLimits(
                settings.telegram_delivery_rate, settings.telegram_delivery_chat_interval
            )
        },
        default_limits=ChannelLimits(settings.delivery_rate, settings.delivery_chat_interval),
        max_attempts=settings.delivery_max_attempts,
        lease=settings.delivery_lease,
        batch=settings.delivery_batch,
        quiet=parse_quiet_hours(settings.quiet_hours),
    )


def build_workers(
    settings: Settings,
    db: Database,
    senders: dict[str, Sender],
    *,
    clock: Callable[[], datetime] | None = None,
    on_result: Callable[[str, str], None] | None = None,
) -> list[DeliveryWorker]:
    """``BOT_DELIVERY_WORKERS`` worker tasks sharing one limiter per channel."""
    config = delivery_config(settings)
    limiters: dict[str, Limiter] = {}
    return [
        DeliveryWorker(db, senders, config, clock=clock, limiters=limiters, on_result=on_result)
        for _ in range(settings.delivery_workers)
    ]


async def serve(settings: Settings, banner: str | None = None) -> None:
    """Run until SIGINT/SIGTERM."""
    app = build_app(settings)
    await app.start()
    if banner:
        print(banner.format(port=app.bound_port), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await app.stop()


async def deliver_only(settings: Settings) -> None:
    """``python -m bot deliver``: only the delivery worker (no web server, no
    polling), until SIGINT/SIGTERM -- e.g. more workers on one PostgreSQL."""
    db = Database(settings.database_url, Vault(settings.secret_key))
    await db.upgrade()
    senders: dict[str, Sender] = {}
    telegram = None
    if settings.telegram_token:
        from bot.channels.telegram import TelegramChannel

        catalogs = Catalogs(default=settings.default_locale)
        telegram = TelegramChannel(
            Dispatcher(db, catalogs, route),
            catalogs,
            token=settings.telegram_token,
            base_url=settings.telegram_api_base_url,
            rate_limit=0,
            delivery_timeout=settings.delivery_timeout,
        )
        senders["telegram"] = telegram
    if settings.web_enabled:
        senders["web"] = WebInbox(db)
    sms = sms_channel(
        settings,
        Dispatcher(
            db,
            Catalogs(default=settings.default_locale),
            route,
            limits=handler_limits(settings),
        ),
    )
    if sms is not None:
        await sms.start()
        senders["sms"] = sms
    workers = build_workers(settings, db, senders)
    for worker in workers:
        worker.start()
    log.info("delivery: %d worker(s) for %s", len(workers), ", ".join(senders) or "no channel")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for worker in workers:
            await worker.stop()
        if telegram is not None:
            await telegram.stop()
        if sms is not None:
            await sms.stop()
        await db.dispose()
