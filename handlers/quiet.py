"""Quiet hours: at night (Vietnam time) proactive messages to anyone but
officers wait for the morning. The delivery worker holds them back; an
officer who sends a broadcast at night is told when it will go out."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from handlers.core import DEFAULT_QUIET, VN_TZ, QuietHours

__all__ = ["DEFAULT_QUIET", "QuietHours", "parse_quiet_hours", "quiet_until"]


def parse_quiet_hours(value: str | None) -> QuietHours | None:
    """ "21:00-07:00" -> (21:00, 07:00); "", "off" or "none" -> None."""
    if value is None or value.strip().lower() in ("", "off", "none", "0"):
        return None
    try:
        start, end = (part.strip() for part in value.split("-"))
        parsed = (time.fromisoformat(start), time.fromisoformat(end))
    except ValueError:
        raise ValueError(f"quiet hours must look like 21:00-07:00, not {value!r}") from None
    return parsed


def quiet_until(now: datetime, quiet: QuietHours | None) -> datetime | None:
    """When quiet hours (Vietnam time) end, if ``now`` is inside them."""
    if quiet is None:
        return None
    start, end = quiet
    local = now.astimezone(VN_TZ)
    t = local.time()
    inside = (start <= t or t < end) if start > end else (start <= t < end)
    if not inside:
        return None
    morning = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if morning <= local:
        morning += timedelta(days=1)
    return morning.astimezone(UTC)
