"""Running the installed CLI the way a user or cron does, for the end-to-end tests."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.resources import files
from pathlib import Path
from typing import Any

DEMO_REGISTER = Path(str(files("domainwatch.testnet") / "worlds" / "demo-register.csv"))
DEMO_ENTRIES = len(DEMO_REGISTER.read_text(encoding="utf-8").strip().splitlines()) - 1
FAST = ("--timeout", "1", "--retries", "1")


def dw(db: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "domainwatch", "--db", str(db), *args],
                          capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def findings(db: Path, *args: str) -> list[dict[str, Any]]:
    result = dw(db, "findings", "--format", "json", *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


