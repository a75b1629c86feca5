"""``domainwatch register``: the register of domain allocations — import, sync a zone, add,
list, change, and compare with the zones and certificate logs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from domainwatch.api import (
    AlreadyInRegister,
    DiscoveryResult,
    Domainwatch,
    ImportResult,
    row_warnings,
)
from domainwatch.cli.common import (
    EXIT_INPUT,
    by_option,
    fail,
    format_option,
    option_errors,
    pass_api,
    short,
    terminal_width,
)
from domainwatch.names import display_name
from domainwatch.output import render_csv, render_json, render_table, terminal_safe
from domainwatch.register import (
    COLUMNS,
    FORMATS,
    PRIORITIES,
    STATES,
    RegisterError,
    RowWarning,
    entry_as_text,
)

NAMING_PROBLEMS_SHOWN = 20


@click.group()
def register() -> None:
    """The register of domain allocations: import, list, change state."""


@register.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "file_format", type=click.Choice(FORMATS),
              help="File format (default: by extension: .json JSON, .zone a zone file, "
                   "anything else CSV; a certificate-log export needs --format ct).")
@click.option("--origin", metavar="ZONE",
              help="Zone files: the zone, when the file has no $ORIGIN.")
@click.option("--accept", is_flag=True,
              help="Zone files and certificate logs: also add their names that are not in the "
                   "register to it (active, under their government's portal).")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--note", default="", help="Why, for the history (default: the file name).")
@by_option
@pass_api
def register_import(api: Domainwatch, file: Path, file_format: str | None, origin: str | None,
                    accept: bool, dry_run: bool, note: str, by: str) -> None:
    """Import register entries (CSV, JSON), or discover names (zone file, certificate log).

    CSV columns, by header name in any order: name, owner, parent, state, site_code, contact,
    networks, nameservers, hosts, note, priority. Only name is required. The whole file is
    checked first; if any row is bad, every error is listed by row number and nothing is
    imported. Entries already in the register are updated with the non-empty cells of their
    row.

    A zone file (--format zone, BIND syntax) or a crt.sh JSON export (--format ct) is not the
    register: its names are kept as discovered names, compared with the register by
    'register diff' and by the next scan (register.unlisted). --accept adds them.
    """
    try:
        with option_errors():
            result = api.import_register(file, format=file_format, origin=origin,
                                         accept=accept, dry_run=dry_run, by=by, note=note)
    except Exception as error:
        # the rows were read, the write failed (a locked database): still say what they
        # were read as, before the error
        _print_warnings(row_warnings(error))
        raise
    if isinstance(result, DiscoveryResult):
        _print_discovery(result)
    else:
        _print_import(result)


def _print_import(result: ImportResult) -> None:
    _print_warnings(result.warnings)
    if result.dry_run:
        for entry in result.added:
            click.echo(f"add      {terminal_safe(display_name(entry['name']))}")
        for entry, diff in result.changed:
            fields = ", ".join(f"{key}: {short(old)} → {short(new)}"
                               for key, (old, new) in diff.items())
            click.echo(f"change   {terminal_safe(display_name(entry['name']))}  "
                       f"{terminal_safe(fields)}")
        click.echo(f"dry run: {len(result.added)} to add, {len(result.changed)} to change, "
                   f"{len(result.unchanged)} unchanged; nothing written")
        return
    click.echo(f"imported {result.source.name}: {len(result.added)} added, "
               f"{len(result.changed)} changed, {len(result.unchanged)} unchanged")
    problems = result.naming_problems
    if problems:
        click.echo(f"{len(problems)} naming problem(s); the next scan records them as "
                   "register.naming findings:")
        for problem in problems[:NAMING_PROBLEMS_SHOWN]:
            click.echo(f"  {terminal_safe(problem, limit=None)}")
        if len(problems) > NAMING_PROBLEMS_SHOWN:
            click.echo(f"  … and {len(problems) - NAMING_PROBLEMS_SHOWN} more")


@register.command("sync")
@click.option("--axfr", "zone", required=True, metavar="ZONE", help="The zone to transfer.")
@click.option("--server", required=True, metavar="IP[:PORT]",
              help="The authoritative server to transfer it from (your own primary).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=10.0,
              show_default=True, help="Seconds to wait for each part of the transfer.")
@click.option("--no-tsig", is_flag=True,
              help="Ask unsigned even when the configuration file has a [tsig] key.")
@click.option("--accept", is_flag=True,
              help="Also add the zone's host names that are not in the register to it.")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@by_option
@pass_api
def register_sync(api: Domainwatch, zone: str, server: str, timeout: float, no_tsig: bool,
                  accept: bool, dry_run: bool, by: str) -> None:
    """Transfer ZONE (AXFR) and compare it with the register.

    Signs the request with the TSIG key of the configuration file's [tsig] section when there
    is one (--no-tsig: don't). The transfer is read whole before anything is written: a
    refused or broken transfer changes nothing. Names the zone no longer contains stay on
    record as gone.
    """
    with option_errors():
        result = api.sync_zone(zone, server, timeout=timeout, tsig=not no_tsig, accept=accept,
                               dry_run=dry_run, by=by)
    _print_discovery(result)


def _print_discovery(result: DiscoveryResult) -> None:
    snapshot, unlisted = result.snapshot, result.unlisted
    what = (f"zone {display_name(snapshot.label)}, serial {snapshot.serial}"
            if snapshot.kind == "zone" else "certificate log")
    wildcards = f", wildcards {' '.join(snapshot.wildcards)}" if snapshot.wildcards else ""
    click.echo(f"{what} ({snapshot.via}): {len(snapshot.names)} names{wildcards}")
    if result.changes is None:
        for entry in result.added:
            click.echo(f"add      {terminal_safe(display_name(entry['name']))}")
    else:
        changes = result.changes
        gone = f", {len(changes.removed)} gone" if snapshot.kind == "zone" else ""
        click.echo(f"  since the last import: {len(changes.added)} new{gone}")
        for name in changes.removed:
            click.echo(f"  gone from the zone: {display_name(name)}")
    shown = ", ".join(display_name(name) for name in unlisted[:NAMING_PROBLEMS_SHOWN])
    more = f" and {len(unlisted) - NAMING_PROBLEMS_SHOWN} more" \
        if len(unlisted) > NAMING_PROBLEMS_SHOWN else ""
    click.echo(f"  not in the register: {len(unlisted)}" + (f" ({shown}{more})" if shown else ""))
    if snapshot.skipped:
        click.echo(f"  skipped {len(snapshot.skipped)} owner name(s) that are not host names: "
                   f"{terminal_safe(' '.join(snapshot.skipped[:10]))}")
    if result.dry_run:
        click.echo(f"dry run: {len(result.added)} would be added to the register; "
                   "nothing written")
    elif result.accept:
        click.echo(f"  added to the register: {len(result.added)}")
    elif unlisted:
        click.echo("  reconcile with 'domainwatch register diff'; add with --accept or "
                   "'domainwatch register add'")


@register.command("add")
@click.argument("name")
@click.option("--owner", default="", help="Owning unit (主办单位).")
@click.option("--parent", default="", help="The parent entry's name.")
@click.option("--state", "entry_state", type=click.Choice(STATES), default="active",
              show_default=True, help="Lifecycle state.")
@click.option("--site-code", default="", help="网站标识码.")
@click.option("--contact", default="", help="Who answers for the site.")
@click.option("--networks", default="", help="CIDR blocks, separated by spaces.")
@click.option("--nameservers", default="", help="Name servers, separated by spaces.")
@click.option("--hosts", default="", help="Other host names the site owns (redirect "
              "targets that are not under gov.cn), separated by spaces.")
@click.option("--note", default="", help="Free text; also the reason in the history.")
@by_option
@pass_api
def register_add(api: Domainwatch, name: str, owner: str, parent: str, entry_state: str,
                 site_code: str, contact: str, networks: str, nameservers: str, hosts: str,
                 note: str,
                 by: str) -> None:
    """Add one entry NAME to the register (checked like an imported row)."""
    try:
        added = api.add_entry(name, owner=owner, parent=parent, state=entry_state,
                              site_code=site_code, contact=contact, networks=networks,
                              nameservers=nameservers, hosts=hosts, note=note, by=by)
    except RegisterError as error:
        fail("; ".join(e.message for e in error.errors), EXIT_INPUT)
    except AlreadyInRegister as error:
        _print_warnings(error.warnings)
        fail(str(error), EXIT_INPUT)
    _print_warnings(added.warnings)
    entry = added.entry
    click.echo(f"added {display_name(entry['name'])} ({entry['state']})")
    for problem in added.naming_problems:
        click.echo(f"  naming problem: {terminal_safe(problem, limit=None)}")


def _print_warnings(warnings: list[RowWarning]) -> None:
    for warning in warnings:
        click.echo(f"warning: {terminal_safe(str(warning), limit=None)}", err=True)


@register.command("diff")
@format_option("table", "json")
@pass_api
def register_diff_command(api: Domainwatch, output_format: str) -> None:
    """The register against the synced zones and certificate logs, both ways."""
    report = api.register_diff()
    if output_format == "json":
        click.echo(render_json(report))
        return
    _print_diff(report)


def _print_diff(report: dict[str, Any]) -> None:
    echo = click.echo
    if not report["zones"] and not report["certificate_logs"]:
        echo("no zone or certificate log yet: import one with 'register import --format "
             "zone|ct' or 'register sync --axfr'")
        return
    for zone in report["zones"]:
        wildcards = f", wildcards {' '.join(zone['wildcards'])}" if zone["wildcards"] else ""
        echo(f"zone {display_name(zone['zone'])}: serial {zone['serial']}, {zone['names']} "
             f"names, synced {zone['synced']} ({zone['via']}){wildcards}")
    for log in report["certificate_logs"]:
        echo(f"certificate log: {log['names']} names, imported {log['synced']} ({log['via']})")
    sections = (
        ("in a zone or certificate log, not in the register", report["unlisted"],
         ("name", "seen in", "records / certificate", "role", "dns"),
         lambda r: [display_name(r["name"]), ", ".join(r["seen_in"]),
                    " ".join(r["types"]) or (r["certificate"] or {}).get("not_before", ""),
                    r["role"] or "", r["dns"]]),
        ("in the register, not in its zone", report["not_in_zone"],
         ("name", "state", "owner", "zone", "dns"),
         lambda r: [display_name(r["name"]), r["state"], r["owner"], display_name(r["zone"]),
                    r["dns"]]),
        ("deregistered in the register, still in its zone", report["deregistered_in_zone"],
         ("name", "owner", "zone", "dns"),
         lambda r: [display_name(r["name"]), r["owner"], display_name(r["zone"]), r["dns"]]),
    )
    for title, rows, headers, cells in sections:
        echo(f"\n{title}: {len(rows)}")
        if rows:
            echo(render_table(headers, [cells(row) for row in rows],
                              fit_width=terminal_width()))
    echo(f"\nin both: {len(report['matched'])}")


@register.command("list")
@click.option("--state", "state_filter", type=click.Choice(STATES), help="Only this state.")
@format_option("table", "json", "csv")
@pass_api
def register_list(api: Domainwatch, state_filter: str | None, output_format: str) -> None:
    """List the register."""
    entries = api.entries(state_filter)
    if output_format == "json":
        click.echo(render_json([{k: e[k] for k in (*COLUMNS, "created", "updated")}
                                for e in entries]))
    elif output_format == "csv":
        click.echo(render_csv(COLUMNS, [[entry_as_text(e)[k] for k in COLUMNS] for e in entries]),
                   nl=False)
    else:
        rows = [[display_name(e["name"]), e["state"], e["owner"],
                 display_name(e["parent"]) if e["parent"] else "", e["site_code"]]
                for e in entries]
        click.echo(render_table(("name", "state", "owner", "parent", "site_code"), rows))
        click.echo(f"{len(entries)} entries")


@register.command("set")
@click.argument("name")
@click.option("--state", "new_state", type=click.Choice(STATES), help="The new lifecycle state.")
@click.option("--priority", type=click.Choice(PRIORITIES),
              help="high: the nightly run rechecks the entry more often.")
@click.option("--note", default="", help="Why, for the history.")
@by_option
@pass_api
def register_set(api: Domainwatch, name: str, new_state: str | None, priority: str | None,
                 note: str, by: str) -> None:
    """Change the state or priority of the entry NAME (kept in its history)."""
    with option_errors():
        result = api.set_entry(name, state=new_state, priority=priority, note=note, by=by)
    if not result.changes:
        click.echo(f"{display_name(result.name)} is already so; nothing changed")
        return
    click.echo(f"{display_name(result.name)}: " + ", ".join(
        f"{key} {change['from']} → {change['to']}" for key, change in result.changes.items()))

