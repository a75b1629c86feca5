"""Output: tables for people, CSV and JSON for programs, all safe against hostile text.

Everything shown may come from a scanned site or a WHOIS answer. On a terminal, control
and bidi characters are replaced (no escape sequences reach it); in CSV, a cell that a
spreadsheet would read as a formula is neutralised; in JSON they are escaped, so the
document still parses back to the same values (:mod:`domainwatch.safety`).
"""

from __future__ import annotations

import csv
import io
import json
import sys
import time
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

from domainwatch.safety import csv_safe, json_safe, terminal_safe


def display_width(text: str) -> int:
    """Columns ``text`` takes on a terminal (Chinese characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _cut(text: str, width: int) -> str:
    if display_width(text) <= width:
        return text
    kept = ""
    for char in text:
        if display_width(kept + char) > width - 1:
            break
        kept += char
    return kept + "…"


def _pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))


def render_table(headers: Sequence[str], rows: Iterable[Sequence[object]],
                 fit_width: int | None = None) -> str:
    """A plain aligned table; cells are made terminal-safe.

    With ``fit_width``, the last column is cut so that lines fit in that many columns.
    """
    cells = [[terminal_safe("" if cell is None else cell) for cell in row] for row in rows]
    widths = [display_width(h) for h in headers]
    for row in cells:
        for index, cell in enumerate(row):
            widths[index] = max(widths[index], display_width(cell))
    if fit_width is not None:
        room = max(fit_width - sum(widths[:-1]) - 2 * (len(widths) - 1), 20)
        if widths[-1] > room:
            widths[-1] = room
            for row in cells:
                row[-1] = _cut(row[-1], room)
    lines = ["  ".join(_pad(h, w) for h, w in zip(headers, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(_pad(c, w) for c, w in zip(row, widths, strict=True)).rstrip()
              for row in cells]
    return "\n".join(lines)


def render_csv(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([csv_safe(cell) for cell in row])
    return buffer.getvalue()


def render_json(value: Any) -> str:
    """``value`` as indented JSON, Chinese as it is and unsafe characters escaped."""
    return json_safe(json.dumps(value, ensure_ascii=False, indent=2, sort_keys=False))


class Progress:
    """Names done, rate and time left on one terminal line; silent when not a terminal."""

    def __init__(self, stream: TextIO = sys.stderr, label: str = "scan") -> None:
        self.stream = stream
        self.label = label
        self.enabled = stream.isatty()
        self.started = time.monotonic()
        self.last_drawn = 0.0
        self.first_done: int | None = None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if self.first_done is None:
            self.first_done = done - 1
        if now - self.last_drawn < 0.2 and done < total:
            return
        self.last_drawn = now
        elapsed = max(now - self.started, 1e-6)
        rate = (done - self.first_done) / elapsed
        left = (total - done) / rate if rate > 0 else 0
        line = (f"{self.label}: {done}/{total} names  {rate:,.0f}/s  "
                f"about {_duration(left)} left")
        self.stream.write("\r" + line.ljust(70))
        self.stream.flush()

    def restart(self, label: str) -> None:
        """Count a new stage of the same job from zero (``scan`` → ``web``)."""
        self.label = label
        self.started = time.monotonic()
        self.first_done = None
        self.last_drawn = 0.0

    def close(self) -> None:
        if self.enabled and self.last_drawn:
            self.stream.write("\r" + " " * 70 + "\r")
            self.stream.flush()


def _duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"
