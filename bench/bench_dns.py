"""Benchmark of the DNS probe against a synthetic local world (Unbound + Knot on loopback).

    python bench/bench_dns.py --names 10000 [--names 100000]

For each size: stage 1 (A/AAAA/CNAME) with Unbound's cache cold, then warm, then the
full probe (all record types), then a warm stage-1 pass under tracemalloc.  Prints a
table and writes bench/results/dns-<n>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import platform
import resource
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from domainwatch.probes.dns import DNSProbe, ResolverConfig
from domainwatch.scan import long_lived_heap
from domainwatch.testnet import LocalInternet, synthetic_scenario

RESULTS = Path(__file__).resolve().parent / "results"
STAGE1 = ("A", "AAAA")
ALL_TYPES = ("A", "AAAA", "NS", "MX", "TXT", "SOA")
# synthetic kind -> the status the probe must report
EXPECTED_STATUS = {
    "address": "resolves",
    "cname": "resolves",
    "cname-chain": "resolves",
    "dangling": "cname_dangling",
    "absent": "nxdomain",
}


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def process_cpu(pid: int | None) -> float | None:
    """User+system CPU seconds of another process (Unbound), from /proc."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def unbound_pid(net: LocalInternet) -> int | None:
    try:
        return int((net.workdir / "unbound.pid").read_text().strip())
    except (OSError, ValueError):
        return None


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def run_pass(
    label: str,
    names: list[str],
    cfg: ResolverConfig,
    expected: dict[str, str],
    resolver_pid: int | None,
    trace: bool = False,
) -> dict[str, Any]:
    statuses: collections.Counter[str] = collections.Counter()
    wrong: list[str] = []
    mismatches = 0
    if trace:
        tracemalloc.start()
    cpu0 = time.process_time()
    ub0 = process_cpu(resolver_pid)
    # the garbage collector as a scan sets it
    with long_lived_heap():
        async with DNSProbe(cfg) as probe:
            started = time.perf_counter()
            async for obs in probe.probe_many(names):
                statuses[obs.status] += 1
                want = EXPECTED_STATUS.get(expected.get(obs.name, ""))
                if want is not None and obs.status != want:
                    mismatches += 1
                    if len(wrong) < 20:
                        wrong.append(f"{obs.name}: {obs.status} (expected {want}) "
                                     f"{obs.failures()}")
            elapsed = time.perf_counter() - started
            stats = probe.stats
    cpu = time.process_time() - cpu0
    ub1 = process_cpu(resolver_pid)
    result: dict[str, Any] = {
        "pass": label,
        "names": len(names),
        "seconds": round(elapsed, 3),
        "names_per_s": round(len(names) / elapsed, 1),
        "queries": stats["queries"],
        "queries_per_s": round(stats["sent"] / elapsed, 1),
        "timeouts": stats["timeouts"],
        "retries": stats["retries"],
        "tcp_fallbacks": stats["tcp_fallbacks"],
        "client_cpu_pct": round(100 * cpu / elapsed, 1),
        "unbound_cpu_pct": None
        if ub0 is None or ub1 is None
        else round(100 * (ub1 - ub0) / elapsed, 1),
        "statuses": dict(sorted(statuses.items())),
        "mismatches": mismatches,
        "mismatch_examples": wrong,
        "peak_rss_mib": round(rss_mib(), 1),
    }
    if trace:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        result["tracemalloc_peak_mib"] = round(peak / 2**20, 1)
    return result


async def bench_world(n: int, args: argparse.Namespace) -> dict[str, Any]:
    t0 = time.perf_counter()
    scenario = synthetic_scenario(n)
    names = list(scenario.names)
    expected = dict(scenario.expected)
    with LocalInternet(scenario) as net:
        startup = time.perf_counter() - t0
        pid = unbound_pid(net)

        def cfg(types: tuple[str, ...]) -> ResolverConfig:
            return ResolverConfig(
                resolvers=[net.resolver_address],
                timeout=args.timeout,
                retries=args.retries,
                concurrency=args.concurrency,
                record_types=types,
            )

        rss_before = rss_mib()
        passes = [
            await run_pass("stage1 cold", names, cfg(STAGE1), expected, pid),
            await run_pass("stage1 warm", names, cfg(STAGE1), expected, pid),
            await run_pass("full probe", names, cfg(ALL_TYPES), expected, pid),
            await run_pass("stage1 warm+tracemalloc", names, cfg(STAGE1), expected, pid, True),
        ]
    return {
        "n_names": n,
        "world": scenario.description,
        "world_startup_s": round(startup, 1),
        "rss_before_probe_mib": round(rss_before, 1),
        "machine": {
            "nproc": os.cpu_count(),
            "cpu": cpu_model(),
            "python": platform.python_version(),
        },
        "config": {
            "concurrency": args.concurrency,
            "timeout": args.timeout,
            "retries": args.retries,
        },
        "passes": passes,
    }


def print_table(report: dict[str, Any]) -> None:
    print(
        f"\n{report['n_names']} names  ({report['world']}; world up in "
        f"{report['world_startup_s']}s; {report['machine']['nproc']} CPUs, "
        f"{report['machine']['cpu']})"
    )
    header = (
        f"{'pass':26} {'names/s':>9} {'queries/s':>10} {'secs':>7} {'timeouts':>8} "
        f"{'tcp':>4} {'cpu%':>6} {'unbound%':>8} {'RSS MiB':>8} {'mismatch':>8}"
    )
    print(header)
    print("-" * len(header))
    for p in report["passes"]:
        unbound = "-" if p["unbound_cpu_pct"] is None else f"{p['unbound_cpu_pct']:.0f}"
        print(
            f"{p['pass']:26} {p['names_per_s']:>9.0f} {p['queries_per_s']:>10.0f} "
            f"{p['seconds']:>7.2f} {p['timeouts']:>8} {p['tcp_fallbacks']:>4} "
            f"{p['client_cpu_pct']:>6.0f} {unbound:>8} {p['peak_rss_mib']:>8.0f} "
            f"{p['mismatches']:>8}"
        )
    traced = report["passes"][-1].get("tracemalloc_peak_mib")
    print(f"tracemalloc peak during a warm stage-1 pass: {traced} MiB")
    for p in report["passes"]:
        for line in p["mismatch_examples"][:3]:
            print(f"  mismatch ({p['pass']}): {line}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, action="append", help="world size (repeatable)")
    parser.add_argument("--concurrency", type=int, default=500)
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--retries", type=int, default=2)
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    for n in args.names or [10_000]:
        report = asyncio.run(bench_world(n, args))
        print_table(report)
        out = RESULTS / f"dns-{n}.json"
        out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
