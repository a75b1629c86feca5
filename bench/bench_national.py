"""Benchmark the nightly job at national scale: 100k names, three runs, planted cases.

Builds the national world (``domainwatch.testnet.national``: ~60% live web sites, CNAMEs
into a cloud, hosts without a web server, absent names, legacy domains checked over WHOIS,
and some 1,600 planted cases), imports its register and times three ``domainwatch run
--all`` through the real CLI, each with the web stage, the crawl for links and the WHOIS
checks on:

1. the first run (cold resolver cache, empty database);
2. a second run over the unchanged world;
3. a third run after :func:`~domainwatch.testnet.national.change_world` changed 1% of it.

For each run it reports wall time, names per second, CPU time and peak memory of the
domainwatch processes, the time of each stage (from the run's summary), the rows it wrote
to each table and the database's size, in all and by table; and whether every planted
case was found, whether the unchanged run opened anything, and which findings the third run
opened that the change does not explain. Loopback only; every server is stopped at the end.

    python bench/bench_national.py --names 100000
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_scan import TreeMemory, machine

from domainwatch.probes.http import LOOPBACK_ONLY_VARIABLE
from domainwatch.testnet import LocalInternet
from domainwatch.testnet.national import (
    NationalWorld,
    Planted,
    change_world,
    national_world,
    register_csv_rows,
)

RESULTS = Path(__file__).parent / "results"
RUN_EXIT_CODES = {0, 10, 11, 12, 13, 14}
TABLES = ("observations", "findings", "finding_events", "run_names", "baselines")


def run_cli(db: Path, *args: str, profile: Path | None = None) -> dict[str, Any]:
    """Run ``domainwatch`` as a child process: wall and CPU seconds, the peak RSS of its
    largest process and of all its processes together (sampled), its output. With
    ``profile``, the scanning process runs under cProfile, its statistics written there."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    profiler = ("-m", "cProfile", "-o", str(profile)) if profile is not None else ()
    with subprocess.Popen([sys.executable, *profiler, "-m", "domainwatch", "--db", str(db),
                           *args],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          stdin=subprocess.DEVNULL,
                          env={**os.environ, LOOPBACK_ONLY_VARIABLE: "1"}) as process:
        sampler = TreeMemory(process.pid)
        sampler.start()
        stdout, stderr = process.communicate()
        sampler.stop()
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode not in RUN_EXIT_CODES:
        raise SystemExit(f"domainwatch {' '.join(args)} exited {process.returncode}:\n"
                         f"{stderr[-3000:]}")
    return {
        "seconds": round(seconds, 1),
        "cpu_seconds": round(after.ru_utime + after.ru_stime - before.ru_utime
                             - before.ru_stime, 1),
        # Sampled: a child's ru_maxrss would count this process's memory (the world)
        # at the fork that started it.
        "peak_rss_mib": round(sampler.largest / 2**20),
        "peak_rss_all_processes_mib": round(sampler.peak / 2**20),
        "output": stdout,
    }


def table_rows(db: Path) -> dict[str, int]:
    conn = sqlite3.connect(db)
    try:
        return {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in TABLES}
    finally:
        conn.close()


def table_sizes(db: Path) -> dict[str, float]:
    """MiB of the database file each table takes, its indexes included (SQLite's
    ``dbstat``), the largest first."""
    conn = sqlite3.connect(db)
    try:
        owner = dict(conn.execute("SELECT name, tbl_name FROM sqlite_master"))
        sizes: dict[str, int] = {}
        for name, size in conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"):
            table = owner.get(name, name)
            sizes[table] = sizes.get(table, 0) + size
    finally:
        conn.close()
    return {table: round(size / 2**20, 1)
            for table, size in sorted(sizes.items(), key=lambda item: -item[1])}


def standing_findings(db: Path, statuses: tuple[str, ...] = ("open", "acknowledged",
                                                                 "pending")
                      ) -> set[tuple[str, str]]:
    """(name, rule) of the findings in ``statuses``: by default every one not resolved
    (``pending``: seen, waiting for the next run to confirm it, as ``[run] confirm`` asks
    of the unused.* rules)."""
    conn = sqlite3.connect(db)
    try:
        marks = ", ".join("?" for _ in statuses)
        return {(name, rule) for name, rule in conn.execute(
            f"SELECT name, rule FROM findings WHERE status IN ({marks})", statuses)}
    finally:
        conn.close()


def opened_in(db: Path, run_id: int) -> list[tuple[str, str]]:
    """(name, rule) of the findings a run opened or reopened."""
    conn = sqlite3.connect(db)
    try:
        return sorted(conn.execute(
            "SELECT f.name, f.rule FROM finding_events e JOIN findings f ON f.id = e.finding_id "
            "WHERE e.run_id = ? AND e.event IN ('opened', 'reopened')", (run_id,)))
    finally:
        conn.close()


def stages(output: str) -> dict[str, dict[str, float]]:
    """The run summary's ``time:`` and ``peak memory`` lines: wall and CPU seconds per
    stage, and the scanning process's peak memory by the end of it."""
    found = re.search(r"^time: (.*)$", output, re.MULTILINE)
    if found is None:
        return {}
    spent: dict[str, dict[str, float]] = {
        stage: {"seconds": float(wall), "cpu_seconds": float(cpu)} for stage, wall, cpu in
        re.findall(r"([a-z ()]+?) ([\d.]+)s \(CPU ([\d.]+)s\)(?:, |$)", found.group(1))}
    memory = re.search(r"^peak memory of the scanning process: (.*)$", output, re.MULTILINE)
    if memory is not None:
        for stage, mib in re.findall(r"after ([a-z ]+?) (\d+) MiB", memory.group(1)):
            spent.setdefault(stage, {})["peak_mib"] = float(mib)
    return spent


def _add_rates(spent: dict[str, dict[str, float]], output: str, names: int) -> None:
    """Each stage's throughput, in what it works on: names (DNS), zones (delegations),
    sites (web), pages (crawl), hosts (linked hosts), domains (WHOIS)."""
    counts: dict[str, tuple[int, str]] = {"dns": (names, "names")}
    web = re.search(r"^web: (\d+) sites answered, (\d+) did not", output, re.MULTILINE)
    if web is not None:
        counts["web"] = (int(web.group(1)) + int(web.group(2)), "names")
    links = re.search(r"^links: (\d+) pages read.*?(\d+) linked hosts checked", output,
                      re.MULTILINE)
    if links is not None:
        counts["crawl"] = (int(links.group(1)), "pages")
        counts["linked hosts"] = (int(links.group(2)), "hosts")
    whois = re.search(r"^registration \(WHOIS\): (\d+) domains checked", output, re.MULTILINE)
    if whois is not None:
        counts["whois"] = (int(whois.group(1)), "domains")
    for stage, (count, unit) in counts.items():
        if stage in spent and spent[stage].get("seconds"):
            spent[stage][f"{unit}_per_second"] = round(count / spent[stage]["seconds"])


def missed(planted: list[Planted], found: set[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"name": case.name, "rule": case.rule, "what": case.what}
            for case in planted if (case.name, case.rule) not in found]


def one_run(label: str, db: Path, args: tuple[str, ...], names: int) -> dict[str, Any]:
    rows_before = table_rows(db)
    print(f"{label}: running", flush=True)
    measured = run_cli(db, *args)
    rows_after = table_rows(db)
    output = measured.pop("output")
    summary = [line for line in output.splitlines()
               if re.match(r"(run \d+|findings|time|peak memory|web|links|registration)[: ]",
                           line)]
    spent = stages(output)
    _add_rates(spent, output, names)
    result = {
        **measured,
        "names_per_second": round(names / measured["seconds"]),
        "stages": spent,
        "rows_written": {table: rows_after[table] - rows_before[table] for table in TABLES},
        "database_mib": round(db.stat().st_size / 2**20, 1),
        "database_mib_by_table": table_sizes(db),
        "summary": summary,
    }
    print(f"{label}: {result['seconds']} s, {result['names_per_second']} names/s, "
          f"CPU {result['cpu_seconds']} s, peak {result['peak_rss_mib']} MiB (all processes "
          f"{result['peak_rss_all_processes_mib']} MiB)", flush=True)
    for line in summary:
        print(f"  {line}", flush=True)
    return result


# Where the scanning process's own time goes, by the module a function is in (cProfile's
# "tottime": time in the function itself, not in what it calls).
COMPONENTS = (
    ("DNS probe", ("probes/dns", "dnswire", "dnsclient")),
    ("web probe and crawl (scanning process)", ("probes/web", "probes/http", "probes/page",
                                                "probes/links", "probes/tls", "lxml", "ssl")),
    ("worker processes (receiving their results)", ("web_processes", "pickle", "connection")),
    ("WHOIS", ("probes/whois",)),
    ("checks", ("checks/", "placeholders.py", "lexicon.py", "host_lists.py", "baseline.py",
                "takeover.py", "names.py")),
    ("storage (SQLite, JSON)", ("store.py", "sqlite3", "json")),
    ("event loop and sockets", ("asyncio", "selectors", "socket", "<method 'poll'",
                                "<method 'recv", "<method 'send")),
)


def profile_breakdown(path: Path) -> dict[str, Any]:
    """The profile's time by component, and the functions that take the most."""
    import pstats

    stats = pstats.Stats(str(path))
    rows = []
    for (filename, line, function), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append((tottime, f"{filename}:{line}({function})"))
    total = sum(tottime for tottime, _ in rows) or 1.0
    components: dict[str, float] = {}
    for tottime, where in rows:
        component = next((label for label, marks in COMPONENTS
                          if any(mark in where for mark in marks)), "other")
        components[component] = components.get(component, 0.0) + tottime
    rows.sort(reverse=True)
    return {
        "total_seconds": round(total, 1),
        "components": {label: {"seconds": round(seconds, 1),
                               "share": round(seconds / total, 3)}
                       for label, seconds in sorted(components.items(),
                                                    key=lambda item: -item[1])},
        "top_functions": [{"seconds": round(tottime, 2), "function": where}
                          for tottime, where in rows[:30]],
    }


def bench(n: int, profile: bool) -> dict[str, Any]:
    started = time.perf_counter()
    world: NationalWorld = national_world(n)
    names = len(world.scenario.names)
    print(f"{world.scenario.description} ({time.perf_counter() - started:.0f} s to build)",
          flush=True)
    with tempfile.TemporaryDirectory(prefix="dw-bench-national-") as tmp:
        work = Path(tmp)
        register = work / "register.csv"
        with register.open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows(register_csv_rows(world))
        config = work / "national.toml"
        # The world's one WHOIS server stands in for every registry; real registries are
        # asked at most once a second each ([whois] min_interval's default).
        config.write_text("[whois]\nmin_interval = 0\n", encoding="utf-8")
        started = time.perf_counter()
        with LocalInternet(world.scenario) as net:
            print(f"local internet up in {time.perf_counter() - started:.0f} s", flush=True)
            db = work / "dw.db"
            imported = run_cli(db, "register", "import", str(register))
            args = ("--config", str(config), "run", "--all", "--verbose",
                    "--resolver", net.resolver, "--timeout", "2", "--retries", "2",
                    "--ca-file", str(net.ca_file), "--whois-server", net.whois)
            first = one_run("first run", db, args, names)
            standing = standing_findings(db)
            first["planted_missed"] = missed(world.planted, standing)
            first["planted_pending"] = len(
                {(case.name, case.rule) for case in world.planted}
                & standing_findings(db, ("pending",)))
            second = one_run("second run (unchanged world)", db, args, names)
            second["new_findings"] = sorted(standing_findings(db) - standing)
            # A link to a lapsed domain's name is also dead once that name's unused.no_dns
            # is confirmed (the unused rules wait for a second run).
            follows = {(case.name, "link.dead") for case in world.planted
                       if case.rule == "link.unregistered"}
            second["new_findings_unexplained"] = [
                list(item) for item in second["new_findings"] if item not in follows]
            second["confirmed"] = len(opened_in(db, 2))
            second["planted_missed"] = missed(world.planted, standing_findings(db, ("open",)))
            started = time.perf_counter()
            new_cases = change_world(world, net)
            changed_s = time.perf_counter() - started
            third = one_run("third run (1% changed)", db, args, names)
            expected = {(case.name, case.rule) for case in new_cases}
            opened = opened_in(db, 3)
            third["planted_missed"] = missed([*world.planted, *new_cases],
                                             standing_findings(db))
            third["opened"] = len(opened)
            third["opened_unexplained"] = [list(item) for item in opened
                                           if item not in expected]
            profiled = None
            if profile:
                print("fourth run (unchanged world, the scanning process under cProfile): "
                      "running", flush=True)
                stats = work / "run.prof"
                run_cli(db, *args, profile=stats)
                profiled = profile_breakdown(stats)
    first_rows = first["rows_written"]["observations"]
    return {
        "names": names,
        "web_sites": len(world.scenario.sites),
        "mix": dict(world.mix),
        "planted": len(world.planted),
        "planted_by_rule": _by_rule(world.planted),
        "changed_cases": len(new_cases),
        "change_applied_seconds": round(changed_s, 1),
        "register_import_seconds": imported["seconds"],
        "first_run": first,
        "second_run": second,
        "third_run": third,
        "profile_of_an_unchanged_run": profiled,
        "second_run_observation_rows_share": round(
            second["rows_written"]["observations"] / max(1, first_rows), 5),
    }


def _by_rule(planted: list[Planted]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for case in planted:
        counts[case.rule] = counts.get(case.rule, 0) + 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, default=100_000, help="world size")
    parser.add_argument("--profile", action="store_true",
                        help="a fourth run under cProfile: where the scanning process's time "
                             "goes")
    options = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    result = {"machine": machine(), **bench(options.names, options.profile)}
    path = RESULTS / f"national-{options.names}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(f"\nnational benchmark, {result['names']} names: {path}")
    for run in ("first_run", "second_run", "third_run"):
        figures = result[run]
        print(f"  {run}: {figures['seconds']} s ({figures['names_per_second']} names/s), CPU "
              f"{figures['cpu_seconds']} s, peak {figures['peak_rss_mib']} MiB (all "
              f"{figures['peak_rss_all_processes_mib']} MiB), database "
              f"{figures['database_mib']} MiB ({figures['database_mib_by_table']}), rows "
              f"{figures['rows_written']}, planted "
              f"missed {len(figures['planted_missed'])}")
    second = result["second_run"]
    print(f"  second run: {len(second['new_findings'])} finding(s) the first did not have "
          f"({len(second['new_findings_unexplained'])} not explained by a confirmation), "
          f"{second['confirmed']} confirmed; third run "
          f"opened {result['third_run']['opened']}, "
          f"{len(result['third_run']['opened_unexplained'])} not explained by the change")
    profiled = result["profile_of_an_unchanged_run"]
    if profiled:
        print(f"  scanning process under cProfile: {profiled['total_seconds']} s")
        for label, spent in profiled["components"].items():
            print(f"    {label:<46}{spent['seconds']:>8} s {spent['share']:>7.1%}")
        for row in profiled["top_functions"][:15]:
            print(f"    {row['seconds']:>8} s  {row['function']}")


if __name__ == "__main__":
    main()
