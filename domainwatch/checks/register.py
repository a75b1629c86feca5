"""Checks on the register itself: the naming rules of 国办函〔2018〕55号."""

from __future__ import annotations

from typing import Any

from domainwatch.checks import CheckResult
from domainwatch.names import naming_problems
from domainwatch.store import FindingDraft

RULES = ("register.naming",)


def check_register_entry(entry: dict[str, Any]) -> CheckResult:
    result = CheckResult(evaluated=set(RULES))
    for problem in naming_problems(entry["name"], entry["parent"]):
        result.findings.append(FindingDraft(
            rule="register.naming", severity=problem.severity, summary=problem.summary,
            evidence={"problem": problem.code, **problem.evidence}, subject=problem.code))
    return result
