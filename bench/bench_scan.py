"""Benchmark the whole scan (register → DNS probe → observations → checks → findings).

Builds a synthetic local test internet of N names, imports a register of them, and times
through the real CLI: a first scan (cold resolver cache), a second scan of the unchanged world,
and what each wrote to the database. Loopback only; every server is stopped at the end.

    python bench/bench_scan.py --names 10000 --names 100000
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from domainwatch.names import registrable_domain
from domainwatch.testnet import LocalInternet, synthetic_scenario

RESULTS = Path(__file__).parent / "results"


def write_register(names: list[str], path: Path) -> None:
    known = set(names)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "owner", "parent", "state"])
        for index, name in enumerate(names):
            portal = f"www.{registrable_domain(name)}"
            parent = portal if portal in known and portal != name else ""
            state = "offline" if index % 97 == 0 else "active"
            writer.writerow([name, f"unit {index}", parent, state])


def timed_cli(db: Path, *args: str) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MiB of the child's largest process (sampled), and its
    output."""
    started = time.perf_counter()
    with subprocess.Popen([sys.executable, "-m", "domainwatch", "--db", str(db), *args],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          stdin=subprocess.DEVNULL) as process:
        sampler = TreeMemory(process.pid)
        sampler.start()
        stdout, stderr = process.communicate()
        sampler.stop()
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"domainwatch {' '.join(args)} failed:\n{stderr}")
    return seconds, sampler.largest / 2**20, stdout


class TreeMemory(threading.Thread):
    """Samples the RSS of a process and its descendants every 0.2 s: the largest one's
    (``largest``) and their sum (``peak``), in bytes."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.largest = 0
        self._done = threading.Event()

    def run(self) -> None:
        page = os.sysconf("SC_PAGE_SIZE")
        while not self._done.wait(0.2):
            sizes = [_rss_pages(pid) * page for pid in self._tree()]
            self.peak = max(self.peak, sum(sizes))
            self.largest = max(self.largest, *sizes, 0)

    def stop(self) -> None:
        self._done.set()
        self.join()

    def _tree(self) -> list[int]:
        parents: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError, IndexError, ValueError):
                    parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                    parents.setdefault(parent, []).append(int(entry.name))
        found, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo += parents.get(pid, [])
        return found


def _rss_pages(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def count(db: Path, sql: str) -> int:
    conn = sqlite3.connect(db)
    value = conn.execute(sql).fetchone()[0]
    conn.close()
    return int(value)


def bench(n: int) -> dict[str, Any]:
    scenario = synthetic_scenario(n)
    names = list(scenario.names)
    with tempfile.TemporaryDirectory(prefix="dw-bench-") as tmp, LocalInternet(scenario) as net:
        work = Path(tmp)
        register = work / "register.csv"
        write_register(names, register)
        db = work / "dw.db"
        import_s, _, _ = timed_cli(db, "register", "import", str(register))
        # the DNS side; the web stage has bench_web.py and bench_national.py
        args = ("scan", "--resolver", net.resolver, "--timeout", "2", "--retries", "2",
                "--no-web")
        first_s, first_mib, first_out = timed_cli(db, *args)
        rows_first = count(db, "SELECT count(*) FROM observations")
        second_s, second_mib, second_out = timed_cli(db, *args)
        rows_second = count(db, "SELECT count(*) FROM observations") - rows_first
        findings = count(db, "SELECT count(*) FROM findings")
        size_mib = db.stat().st_size / 2**20
    return {
        "names": len(names),
        "import_seconds": round(import_s, 2),
        "first_scan_seconds": round(first_s, 2),
        "first_scan_names_per_second": round(len(names) / first_s),
        "first_scan_peak_rss_mib": round(first_mib),
        "second_scan_seconds": round(second_s, 2),
        "second_scan_names_per_second": round(len(names) / second_s),
        "second_scan_peak_rss_mib": round(second_mib),
        "observation_rows_first_scan": rows_first,
        "observation_rows_second_scan": rows_second,
        "findings": findings,
        "database_mib": round(size_mib, 1),
        "first_scan_summary": first_out.strip().splitlines()[:2],
        "second_scan_summary": second_out.strip().splitlines()[:2],
    }


def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"cpu": model, "cores": os.cpu_count(), "python": platform.python_version()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, action="append", help="world size (repeatable)")
    options = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    for n in options.names or [10_000]:
        result = {"machine": machine(), **bench(n)}
        (RESULTS / f"scan-{n}.json").write_text(json.dumps(result, indent=2))
        print(f"\nwhole scan, {result['names']} names ({result['machine']['cpu']}, "
              f"{result['machine']['cores']} cores)")
        for key, value in result.items():
            if key not in ("machine", "first_scan_summary", "second_scan_summary"):
                print(f"  {key:<32}{value}")


if __name__ == "__main__":
    main()
