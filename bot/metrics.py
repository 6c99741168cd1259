"""Prometheus metrics of one running bot, in a registry of its own (never the
process-global one), served at ``/metrics``.

- ``allowance_bot_updates_total`` / ``allowance_bot_update_seconds``: messages
  handled and how long each took, by channel;
- ``allowance_bot_sends_total``: proactive sends by channel and result
  (sent, retry, failed, blocked, cancelled);
- ``allowance_bot_outbox_pending``: messages waiting to be sent, counted in
  the database when scraped.
"""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

# Most messages take a few milliseconds; a slow report or import, seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.updates = Counter(
            "allowance_bot_updates",
            "Incoming messages handled, by channel.",
            ["channel"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "allowance_bot_update_seconds",
            "Seconds to handle one incoming message, by channel.",
            ["channel"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.sends = Counter(
            "allowance_bot_sends",
            "Proactive sends by channel and result (sent, retry, failed, blocked, cancelled).",
            ["channel", "result"],
            registry=self.registry,
        )
        self.outbox = Gauge(
            "allowance_bot_outbox_pending",
            "Messages waiting in the outbox (counted when scraped).",
            registry=self.registry,
        )

    def handled(self, channel: str, seconds: float) -> None:
        self.updates.labels(channel).inc()
        self.latency.labels(channel).observe(seconds)

    def send_result(self, channel: str, result: str) -> None:
        self.sends.labels(channel, result).inc()

    def render(self, outbox_pending: int | None) -> bytes:
        if outbox_pending is not None:
            self.outbox.set(outbox_pending)
        return generate_latest(self.registry)
