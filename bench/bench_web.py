"""Benchmark the web and certificate stage: HTTP + HTTPS + certificate + page checks.

Builds a synthetic local test internet of N names with a web site for every name that
resolves (nginx, HTTP and HTTPS, certificates from the world's CA, 20–40 KB Chinese portal
pages), imports a register of them and times, through the real CLI:

1. a DNS-only scan (``--no-web``, cold resolver cache);
2. the same again (warm: the DNS part of every later scan);
3. a whole scan with the web stage (``--ca-file`` the world's CA): every site fetched over
   HTTP and HTTPS, the certificate judged, the page read and checked, the crawler and
   search-referer fetches made, observations and baselines written;
4. that whole scan once more (the nightly case: nothing changed);
5. a whole scan with the crawl of every site for its links on top (``[links]``: up to
   ``--crawl-pages`` pages in all, no spacing between requests to one host, so that it
   measures what the scanning process can read, not the politeness delay), and the checks
   of the hosts they link to.

(3) and (4) run with ``[links] enabled = false``: the web stage's rate is the sites fetched
divided by (3) minus (2); the crawl's, the pages read divided by (5) minus (4). Loopback
only; every server is stopped at the end.

    python bench/bench_web.py --names 10000
"""

from __future__ import annotations

import argparse
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from bench_scan import count, machine, timed_cli, write_register

from domainwatch.probes.http import LOOPBACK_ONLY_VARIABLE
from domainwatch.testnet import LocalInternet, synthetic_scenario

RESULTS = Path(__file__).parent / "results"


def bench(n: int, crawl_pages: int) -> dict[str, Any]:
    # The synthetic world's AAAA records are documentation addresses: connect to none.
    os.environ[LOOPBACK_ONLY_VARIABLE] = "1"
    scenario = synthetic_scenario(n, web=True)
    names = list(scenario.names)
    with tempfile.TemporaryDirectory(prefix="dw-bench-web-") as tmp, \
            LocalInternet(scenario) as net:
        work = Path(tmp)
        register = work / "register.csv"
        write_register(names, register)
        db = work / "dw.db"
        timed_cli(db, "register", "import", str(register))
        dns = ("scan", "--resolver", net.resolver, "--timeout", "2", "--retries", "2")
        cold_s, _, _ = timed_cli(db, *dns, "--no-web")
        warm_s, _, _ = timed_cli(db, *dns, "--no-web")
        no_links = work / "no-links.toml"
        no_links.write_text("[links]\nenabled = false\n", encoding="utf-8")
        crawl = work / "crawl.toml"
        crawl.write_text(f"[links]\ninterval = 0\nsites = 128\nrun_pages = {crawl_pages}\n",
                         encoding="utf-8")
        web = ("--config", str(no_links), *dns, "--ca-file", str(net.ca_file))
        first_s, first_mib, first_out = timed_cli(db, *web)
        sites = count(db, "SELECT count(DISTINCT name) FROM observations WHERE probe = 'web'")
        answered = count(db, "SELECT count(*) FROM observations WHERE probe = 'web' AND "
                             "json_extract(data, '$.status') IS NOT NULL")
        second_s, second_mib, second_out = timed_cli(db, *web)
        links_s, links_mib, links_out = timed_cli(db, "--config", str(crawl), *dns,
                                                  "--ca-file", str(net.ca_file))
        found = re.search(r"links: (\d+) pages read.*?, (\d+) linked hosts checked",
                          links_out)
        if found is None:
            raise SystemExit(f"no links line in the scan's summary:\n{links_out}")
        pages, link_hosts = int(found.group(1)), int(found.group(2))
        web_findings = count(db, "SELECT count(*) FROM findings WHERE rule LIKE 'hijacked.%' "
                                 "OR rule LIKE 'tls.%' OR rule IN ('unused.no_web', "
                                 "'unused.placeholder', 'unused.stale')")
        size_mib = db.stat().st_size / 2**20
    stage_first = first_s - warm_s
    stage_second = second_s - warm_s
    return {
        "names": len(names),
        "sites": len(scenario.sites),
        "names_probed_on_the_web": sites,
        "pages_read": answered,
        "dns_scan_cold_seconds": round(cold_s, 2),
        "dns_scan_warm_seconds": round(warm_s, 2),
        "whole_scan_first_seconds": round(first_s, 2),
        "web_stage_first_seconds": round(stage_first, 2),
        "web_stage_first_names_per_second": round(sites / stage_first),
        "whole_scan_first_peak_rss_mib": round(first_mib),
        "whole_scan_second_seconds": round(second_s, 2),
        "web_stage_second_names_per_second": round(sites / stage_second),
        "whole_scan_second_peak_rss_mib": round(second_mib),
        "crawl_pages_read": pages,
        "crawl_linked_hosts_checked": link_hosts,
        "crawl_and_link_checks_seconds": round(links_s - second_s, 2),
        "crawl_pages_per_second": round(pages / (links_s - second_s)),
        "whole_scan_with_crawl_peak_rss_mib": round(links_mib),
        "web_findings": web_findings,
        "database_mib": round(size_mib, 1),
        "first_scan_stages": _stages(first_out),
        "second_scan_stages": _stages(second_out),
        "scan_with_crawl_stages": _stages(links_out),
        "first_scan_summary": first_out.strip().splitlines()[:4],
    }


def _stages(output: str) -> dict[str, dict[str, float]]:
    """The scan summary's ``time:`` line: wall and CPU seconds per stage."""
    found = re.search(r"^time: (.*)$", output, re.MULTILINE)
    if found is None:
        return {}
    return {stage: {"seconds": float(wall), "cpu_seconds": float(cpu)} for stage, wall, cpu in
            re.findall(r"([a-z ]+) ([\d.]+)s \(CPU ([\d.]+)s\)(?:, |$)", found.group(1))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, action="append", help="world size (repeatable)")
    parser.add_argument("--crawl-pages", type=int, default=30_000,
                        help="the crawl's page budget for the run (default 30000)")
    options = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    for n in options.names or [10_000]:
        result = {"machine": machine(), **bench(n, options.crawl_pages)}
        (RESULTS / f"web-{n}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
        print(f"\nweb stage, {result['names']} names ({result['machine']['cpu']}, "
              f"{result['machine']['cores']} cores)")
        for key, value in result.items():
            if key not in ("machine", "first_scan_summary") and not key.endswith("_stages"):
                print(f"  {key:<36}{value}")
        for line in result["first_scan_summary"]:
            print(f"  {line}")
        for key in ("first_scan_stages", "second_scan_stages", "scan_with_crawl_stages"):
            print(f"  {key}: " + ", ".join(f"{stage} {spent['seconds']}s (CPU "
                                           f"{spent['cpu_seconds']}s)"
                                           for stage, spent in result[key].items()))


if __name__ == "__main__":
    main()
