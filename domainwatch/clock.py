"""Clock: now in UTC, the one form every stored time takes, and reading it back.

Stored times are UTC to the second, ISO 8601 with ``Z``: ``2026-07-21T08:30:00Z`` (four-digit
year, ``T``, no fraction). The database compares them as strings (``first_seen >= ?``,
``not_after > ?``), so their shape must never change and every bound compared with them is
made by :func:`iso` too.
"""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """Now, in UTC (with its microseconds)."""
    return datetime.now(UTC)


def to_utc(moment: datetime) -> datetime:
    """``moment`` in UTC, to the second (a naive one is taken to be UTC already)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0)


def iso(moment: datetime) -> str:
    """The stored form of ``moment``: ``YYYY-MM-DDTHH:MM:SSZ`` in UTC, the fraction of a
    second dropped (a naive ``moment`` is taken to be UTC). ``OverflowError`` when the
    moment in UTC falls outside years 1 to 9999."""
    return to_utc(moment).isoformat().replace("+00:00", "Z")


def utcnow() -> str:
    """Now in the stored form."""
    return iso(now())


def parse(text: str) -> datetime:
    """A stored time (or any ISO 8601 time) as an aware datetime; one without a zone is UTC.
    ``ValueError`` when ``text`` is not ISO 8601."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
