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
import resource
import sqlite3
import subprocess
import sys
import tempfile
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
    """Wall seconds, peak RSS in MiB of the child, and its output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "domainwatch", "--db", str(db), *args],
                            capture_output=True, text=True, stdin=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"domainwatch {' '.join(args)} failed:\n{result.stderr}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) / 1024, result.stdout


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
        args = ("scan", "--resolver", net.resolver, "--timeout", "2", "--retries", "2")
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
