"""Running the installed CLI the way a user or cron does, for the end-to-end tests."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from importlib.resources import files
from pathlib import Path
from typing import Any

from domainwatch.checks.stored import judge_stored_site_pages, judge_stored_web
from domainwatch.config import load_config
from domainwatch.rules import rule_ids
from domainwatch.settings import WebStage
from domainwatch.store import Store

DEMO_REGISTER = Path(str(files("domainwatch.testnet") / "worlds" / "demo-register.csv"))
DEMO_ENTRIES = len(DEMO_REGISTER.read_text(encoding="utf-8").strip().splitlines()) - 1
# The DNS side only: the web and certificate stage has tests of its own (test_web_cli.py,
# and the demo world's web cases in test_scan_cli.py).
FAST = ("--timeout", "1", "--retries", "1", "--no-web")


def dw(db: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "domainwatch", "--db", str(db), *args],
                          capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def findings(db: Path, *args: str) -> list[dict[str, Any]]:
    result = dw(db, "findings", "--format", "json", *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)




def judged_again(db: Path, config: Path | None = None
                 ) -> tuple[list[list[Any]], list[list[Any]]]:
    """Every entry's web, certificate and site-page findings as the scan recorded them
    (open), and as the same checks judge them again from the stored observations and page
    bodies: ``[name, rule, subject, severity, summary, evidence]`` each, sorted alike."""
    stage = load_config(config).web or WebStage()
    rules = {*rule_ids(stage="web"), *rule_ids(stage="tls")} - {"hijacked.dns_changed"}
    recorded = [[f["name"], f["rule"], f["subject"], f["severity"], f["summary"],
                 {key: value for key, value in f["evidence"].items() if key != "first_capture"}]
                for f in findings(db) if f["rule"] in rules]
    again = []
    with Store(db) as store:
        for entry in store.entries():
            dns = store.observations(entry["name"], "dns", limit=1)
            web = judge_stored_web(store, entry, dns[0]["data"], stage) if dns else None
            pages = judge_stored_site_pages(store, entry, stage)
            drafts = [*(web[0].findings if web else []), *(pages[0].findings if pages else [])]
            again += [[entry["name"], d.rule, d.subject, d.severity, d.summary,
                       json.loads(json.dumps(d.evidence))] for d in drafts]
    return sorted(recorded, key=_finding_key), sorted(again, key=_finding_key)


def _finding_key(finding: list[Any]) -> tuple[str, ...]:
    return tuple(finding[:5])


def kill_once_names_are_recorded(db: Path, *args: str, within: float = 20) -> int:
    """Start ``domainwatch --db DB ARGS…``, SIGKILL it as soon as it has recorded a name in
    its run, and return how many it had recorded. Fails if it finished first."""
    process = subprocess.Popen([sys.executable, "-m", "domainwatch", "--db", str(db), *args],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               stdin=subprocess.DEVNULL)
    done = 0
    deadline = time.monotonic() + within
    while time.monotonic() < deadline and process.poll() is None and not done:
        time.sleep(0.1)
        try:
            conn = sqlite3.connect(db, timeout=1)
            done = conn.execute("SELECT count(*) FROM run_names").fetchone()[0]
            conn.close()
        except sqlite3.OperationalError:
            continue
    assert process.poll() is None, "it finished before it could be interrupted"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    return int(done)
