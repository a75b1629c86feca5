"""``domainwatch demo``: the local test internet, scanned, and the Subei case told scan by
scan."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import click

from domainwatch.api import Domainwatch
from domainwatch.cli.common import terminal_width
from domainwatch.cli.findings import print_findings_table
from domainwatch.cli.scanning import print_scan_summary
from domainwatch.config import Config
from domainwatch.names import display_name
from domainwatch.output import Progress, terminal_safe


@click.command()
@click.option("--keep-db", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the demo database here (default: a new temporary file); the "
                   "Subei story's goes beside it as NAME-subei.db, made anew each time.")
def demo(keep_db: Path | None) -> None:
    """Start the local test internet, import the demo register, sync the zones that allow
    a transfer, scan, print findings; then tell the Subei case scan by scan in a world
    that changes between the scans.

    Everything runs on loopback (127.0.0.0/8): real Knot DNS servers for a small
    gov.cn hierarchy and a real Unbound resolver. Needs root (servers listen on port 53).
    """
    from importlib.resources import files

    from domainwatch.probes.http import LOOPBACK_ONLY_VARIABLE
    from domainwatch.testnet import LocalInternet, load_scenario

    # The demo world also holds documentation addresses (2001:db8::/32): connect to none.
    os.environ[LOOPBACK_ONLY_VARIABLE] = "1"
    worlds = files("domainwatch.testnet") / "worlds"
    scenario = load_scenario(Path(str(worlds / "demo.toml")))
    register_file = Path(str(worlds / "demo-register.csv"))
    db_path = keep_db or Path(tempfile.mkdtemp(prefix="domainwatch-demo-")) / "demo.db"
    click.echo(f"demo database: {db_path}")
    with LocalInternet(scenario) as net, Domainwatch(db_path, _demo_config()) as api:
        click.echo(f"local test internet up: resolver {net.resolver}")
        imported = api.import_register(register_file, by="demo", note="demo register")
        click.echo(f"imported the demo register: {len(imported.added)} entries")
        for zone in scenario.zones:
            if zone.transfer == "allow":
                synced = api.sync_zone(zone.origin, f"{net.server_address(zone.server)}:53",
                                       timeout=3.0, tsig=False, by="demo")
                snapshot = synced.snapshot
                click.echo(f"synced zone {display_name(snapshot.label)} ({snapshot.via}): "
                           f"{len(snapshot.names)} names")
        progress = Progress()
        try:
            summary = api.scan(progress=progress, **_demo_scan_options(net))
        finally:
            progress.close()
        print_scan_summary(summary)
        click.echo("")
        print_findings_table([finding.as_dict() for finding in api.findings(status="open")])
    # The story starts from nothing every time: its database is the demo's own, made anew.
    story_db = db_path.with_name(f"{db_path.stem}-subei.db")
    for stale in (story_db, *(story_db.with_name(story_db.name + end)
                              for end in ("-wal", "-shm"))):
        stale.unlink(missing_ok=True)
    _tell_the_subei_case(story_db)
    click.echo(f"\nexplore: domainwatch --db {db_path} findings --format json\n"
               f"         domainwatch --db {db_path} show www.jiuquan.gov.cn\n"
               f"         domainwatch --db {story_db} show www.subei.gov.cn")


def _demo_config(**whois: Any) -> Config:
    """The demo's settings: a quick world on loopback, its WHOIS server asked briskly."""
    from domainwatch.settings import WebStage, WhoisSettings

    web = WebStage()
    web.probe.timeout = 3.0
    return Config(whois=WhoisSettings(**{"timeout": 2.0, "retries": 1, "min_interval": 0.05,
                                         **whois}), web=web)


def _demo_scan_options(net: Any) -> dict[str, Any]:
    """The scan options that point a scan at the local test internet ``net``."""
    return {"resolvers": [net.resolver], "timeout": 1.0, "retries": 1,
            "whois_servers": [net.whois], "ca_files": [net.ca_file]}


def _tell_the_subei_case(db_path: Path) -> None:
    """The case domainwatch exists for, scan by scan: a world that changes between scans."""
    from domainwatch.testnet import LocalInternet, subei

    click.echo("\nThe Subei case, as it happened: one scan after each step "
               f"(database {db_path})")
    # every step is nights apart: WHOIS is asked afresh each time
    config = _demo_config(min_interval=0.0, reuse_answers=False)
    with LocalInternet(subei.scenario()) as net, Domainwatch(db_path, config) as api:
        api.import_register(subei.register_file(), by="demo", note="the Subei register")
        for number, chapter in enumerate(subei.CHAPTERS, start=1):
            chapter.change(net)
            for name, new_state, note in chapter.register:
                api.set_entry(name, state=new_state, note=note, by="demo")
            summary = api.scan(**_demo_scan_options(net))
            click.echo(f"\n{number}. {chapter.title}")
            for name, new_state, note in chapter.register:
                click.echo(f"   register: {display_name(name)} set {new_state} ({note})")
            changes = summary.changes
            moves = [("+", changes.opened + changes.reopened), ("-", changes.resolved)]
            shown = False
            for mark, ids in moves:
                for finding_id in ids:
                    finding = api.finding(finding_id)
                    click.echo(terminal_safe(
                        f"   {mark} {finding.severity:<8} {finding.rule:<30} "
                        f"{finding.summary}", limit=terminal_width() or None))
                    shown = True
            if not shown:
                click.echo("   no finding opened or resolved")

