"""Checks: pure functions from a register entry and its observations to findings.

Each family returns a :class:`CheckResult`: the rules it could evaluate, and the findings that
hold. A rule that could not be evaluated (the DNS answer was a failure, say) is left out of
``evaluated``, so that its open findings are neither resolved nor confirmed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from domainwatch.store import FindingDraft


@dataclass
class CheckResult:
    evaluated: set[str] = field(default_factory=set)
    findings: list[FindingDraft] = field(default_factory=list)

    def add(self, other: CheckResult) -> None:
        self.evaluated |= other.evaluated
        self.findings += other.findings
