"""The command line: a thin click skin over domainwatch.api — options in, printed results out."""

from __future__ import annotations

import dataclasses
import os
import re
import shlex
import shutil
import sqlite3
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from domainwatch import __version__
from domainwatch.api import (
    AlreadyInRegister,
    DiscoveryResult,
    Domainwatch,
    DomainwatchError,
    ImportResult,
    InvalidOption,
    NameDetails,
    default_user,
    row_warnings,
)
from domainwatch.config import Config, ConfigError, load_config
from domainwatch.discovery import DiscoveryError, TransferFailed
from domainwatch.names import InvalidName, display_name
from domainwatch.output import (
    Progress,
    render_csv,
    render_json,
    render_table,
    terminal_safe,
)
from domainwatch.register import (
    COLUMNS,
    FORMATS,
    PRIORITIES,
    STATES,
    RegisterError,
    RowWarning,
    entry_as_text,
)
from domainwatch.rules import categories, close_matches, is_rule, rule_ids
from domainwatch.store import FINDING_STATUSES, SEVERITIES, RunInProgress, StoreError

if TYPE_CHECKING:
    from domainwatch.scan import ScanSummary

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_INPUT = 3
EXIT_DATABASE = 4
EXIT_RESOLVER = 5
EXIT_TRANSFER = 6
EXIT_BUSY = 7

NAMING_PROBLEMS_SHOWN = 20
CATEGORIES = categories()
FINDING_COLUMNS = ("id", "name", "rule", "category", "severity", "status", "first_seen",
                   "last_seen", "summary", "evidence")


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"domainwatch: {terminal_safe(message, limit=None)}", err=True)
    sys.exit(code)


class _Group(click.Group):
    """Turns the errors a user can meet into one clear line and a documented exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        from domainwatch.probes.dns import ResolverUnreachable
        from domainwatch.scan import ScanError

        try:
            return super().invoke(ctx)
        except RegisterError as error:
            click.echo(f"domainwatch: {error.source}: {len(error.errors)} error(s), nothing "
                       "imported:", err=True)
            for row_error in error.errors:
                click.echo(f"  {terminal_safe(row_error, limit=None)}", err=True)
            sys.exit(EXIT_INPUT)
        except (DomainwatchError, ConfigError, ScanError, InvalidName) as error:
            _fail(str(error), EXIT_INPUT)
        except TransferFailed as error:
            _fail(str(error), EXIT_TRANSFER)
        except DiscoveryError as error:
            _fail(str(error), EXIT_INPUT)
        except RunInProgress as error:
            _fail(str(error), EXIT_BUSY)
        except StoreError as error:
            _fail(str(error), EXIT_DATABASE)
        except sqlite3.OperationalError as error:
            _fail(f"database error: {error}", EXIT_DATABASE)
        except ResolverUnreachable as error:
            _fail(str(error), EXIT_RESOLVER)
        except KeyboardInterrupt:
            _fail("interrupted; the next scan resumes where this one stopped", 130)


pass_api = click.make_pass_decorator(Domainwatch)

#: The command-line options of the API's keyword arguments, for its InvalidOption errors.
OPTION_NAMES = {"resolvers": "--resolver", "whois_servers": "--whois-server",
                "server": "--server", "origin": "--origin", "accept": "--accept",
                "state": "--state", "priority": "--priority"}


@contextmanager
def _options() -> Iterator[None]:
    """The API's complaints about its arguments, as click's about the options."""
    try:
        yield
    except InvalidOption as error:
        message = error.worded(OPTION_NAMES)
        if error.parameter is None:
            raise click.UsageError(message) from None
        raise click.BadParameter(message, param_hint=OPTION_NAMES.get(
            error.parameter, error.parameter)) from None


def _by_option(function: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--by", default=default_user, show_default="your login name",
                        help="Who makes the change, for the history.")(function)


def _format_option(*choices: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option("--format", "output_format", type=click.Choice(choices),
                        default=choices[0], show_default=True, help="Output format.")


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path),
              envvar="DOMAINWATCH_DB", default="domainwatch.db", show_default=True,
              help="The database file (env DOMAINWATCH_DB).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              envvar="DOMAINWATCH_CONFIG",
              help="Configuration file, TOML (env DOMAINWATCH_CONFIG).")
@click.version_option(__version__, prog_name="domainwatch")
@click.pass_context
def cli(ctx: click.Context, db_path: Path, config_path: Path | None) -> None:
    """Domain and DNS hygiene monitor for government domains under gov.cn.

    Keeps the register of domain allocations, resolves every name, and flags names that are
    unused, dangling, unregistered or hijacked.
    """
    api = Domainwatch(db_path, load_config(config_path))
    ctx.obj = api
    ctx.call_on_close(api.close)


# -- register ---------------------------------------------------------------------------------


@cli.group()
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
@_by_option
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
        with _options():
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
            fields = ", ".join(f"{key}: {_short(old)} → {_short(new)}"
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
@_by_option
@pass_api
def register_sync(api: Domainwatch, zone: str, server: str, timeout: float, no_tsig: bool,
                  accept: bool, dry_run: bool, by: str) -> None:
    """Transfer ZONE (AXFR) and compare it with the register.

    Signs the request with the TSIG key of the configuration file's [tsig] section when there
    is one (--no-tsig: don't). The transfer is read whole before anything is written: a
    refused or broken transfer changes nothing. Names the zone no longer contains stay on
    record as gone.
    """
    with _options():
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
@_by_option
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
        _fail("; ".join(e.message for e in error.errors), EXIT_INPUT)
    except AlreadyInRegister as error:
        _print_warnings(error.warnings)
        _fail(str(error), EXIT_INPUT)
    _print_warnings(added.warnings)
    entry = added.entry
    click.echo(f"added {display_name(entry['name'])} ({entry['state']})")
    for problem in added.naming_problems:
        click.echo(f"  naming problem: {terminal_safe(problem, limit=None)}")


def _print_warnings(warnings: list[RowWarning]) -> None:
    for warning in warnings:
        click.echo(f"warning: {terminal_safe(str(warning), limit=None)}", err=True)


@register.command("diff")
@_format_option("table", "json")
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
                              fit_width=_terminal_width()))
    echo(f"\nin both: {len(report['matched'])}")


def _short(value: object) -> str:
    if isinstance(value, list):
        return " ".join(value) or "-"
    return str(value) if value not in (None, "") else "-"


@register.command("list")
@click.option("--state", "state_filter", type=click.Choice(STATES), help="Only this state.")
@_format_option("table", "json", "csv")
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
@_by_option
@pass_api
def register_set(api: Domainwatch, name: str, new_state: str | None, priority: str | None,
                 note: str, by: str) -> None:
    """Change the state or priority of the entry NAME (kept in its history)."""
    with _options():
        result = api.set_entry(name, state=new_state, priority=priority, note=note, by=by)
    if not result.changes:
        click.echo(f"{display_name(result.name)} is already so; nothing changed")
        return
    click.echo(f"{display_name(result.name)}: " + ", ".join(
        f"{key} {change['from']} → {change['to']}" for key, change in result.changes.items()))


# -- scan -------------------------------------------------------------------------------------


def _resolver_options(function: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed((
        click.option("--resolver", "resolvers", multiple=True, metavar="IP[:PORT]",
                     help="Recursive resolver to ask (repeatable; default: the configuration "
                          "file's, else the system's)."),
        click.option("--timeout", type=click.FloatRange(min=0, min_open=True),
                     help="Seconds to wait for each DNS answer (default 2)."),
        click.option("--retries", type=click.IntRange(min=0),
                     help="Retries after a timeout (default 2)."),
        click.option("--concurrency", type=click.IntRange(min=1),
                     help="DNS queries in flight at once (default 500)."),
    )):
        function = option(function)
    return function


def _whois_options(function: Callable[..., Any]) -> Callable[..., Any]:
    function = click.option(
        "--whois/--no-whois", "whois_flag", default=None,
        help="Check registration (WHOIS) of the domains names depend on (default: as the "
             "configuration file's [whois] says; off without it).")(function)
    return click.option(
        "--whois-server", "whois_servers", multiple=True, metavar="[TLD=]HOST[:PORT]",
        help="WHOIS server for one suffix or for all (repeatable); implies --whois.")(function)


def _web_options(function: Callable[..., Any]) -> Callable[..., Any]:
    function = click.option(
        "--web/--no-web", "web_flag", default=None,
        help="Fetch the sites over HTTP and HTTPS and judge pages and certificates (default: "
             "on, unless the configuration's [web] says enabled = false).")(function)
    return click.option(
        "--ca-file", "ca_files", multiple=True,
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="PEM file of CA certificates to trust besides the system's (domestic CAs); "
             "repeatable.")(function)


@cli.command()
@click.argument("names", nargs=-1)
@_resolver_options
@_whois_options
@_web_options
@pass_api
def scan(api: Domainwatch, names: tuple[str, ...], resolvers: tuple[str, ...],
         timeout: float | None, retries: int | None, concurrency: int | None,
         whois_servers: tuple[str, ...], whois_flag: bool | None,
         ca_files: tuple[Path, ...], web_flag: bool | None) -> None:
    """Resolve register names, fetch their sites, and update findings (all names when none
    are given).

    A timeout or SERVFAIL is never taken for "does not exist": such names are asked again,
    then reported as unresolved, and their findings are left as they were. A site that does
    not answer is reported with the reason (refused, timeout, TLS failure).
    """
    progress = Progress()
    try:
        with _options():
            summary = api.scan(names or None, resolvers=resolvers, timeout=timeout, retries=retries,
                               concurrency=concurrency, whois=whois_flag,
                               whois_servers=whois_servers, web=web_flag, ca_files=ca_files,
                               progress=progress)
    finally:
        progress.close()
    _print_scan_summary(summary)


def _print_scan_summary(summary: ScanSummary) -> None:
    changes = summary.changes
    resumed = (f" (resumed run {summary.run_id} after {summary.resumed_after} names)"
               if summary.resumed_after else "")
    click.echo(f"run {summary.run_id}: scanned {summary.names_scanned} of "
               f"{summary.names_total} names in {summary.seconds:.1f}s{resumed}; "
               f"{summary.observations_changed} fingerprints new or changed")
    click.echo(f"findings: {len(changes.opened)} opened, {len(changes.reopened)} reopened, "
               f"{len(changes.escalated)} escalated, {len(changes.resolved)} resolved")
    if summary.stages:
        click.echo("time: " + ", ".join(
            f"{stage} {spent.seconds:.1f}s (CPU {spent.cpu_seconds:.1f}s)"
            for stage, spent in summary.stages.items()))
        click.echo("peak memory of the scanning process: " + ", ".join(
            f"after {stage} {spent.peak_mib:.0f} MiB" for stage, spent in summary.stages.items()))
    if summary.web_checked or summary.web_unanswered:
        processes = (f" ({summary.web_processes} worker processes)"
                     if summary.web_processes > 1 else "")
        click.echo(f"web: {summary.web_checked} sites answered, {summary.web_unanswered} did "
                   f"not{processes}")
    if summary.pages_crawled or summary.link_hosts_checked:
        cut = (f" ({summary.crawls_incomplete} sites cut short by the run's page budget: "
               "[links] run_pages)" if summary.crawls_incomplete else "")
        later = (f", {summary.crawls_deferred} sites left for later runs (the links of their "
                 "last crawl checked)" if summary.crawls_deferred else "")
        click.echo(f"links: {summary.pages_crawled} pages read{cut}{later}, "
                   f"{summary.link_hosts_checked} linked hosts checked")
    if summary.whois_checked or summary.whois_unknown or summary.whois_held:
        held = (f", {len(summary.whois_held)} not asked (cloud services' own domains, "
                "delegated)" if summary.whois_held else "")
        click.echo(f"registration (WHOIS): {summary.whois_checked} domains checked{held}"
                   + (f"; {len(summary.whois_unknown)} could not be (not judged, asked again "
                      "next scan):" if summary.whois_unknown else ""))
        for domain, why in sorted(summary.whois_unknown.items()):
            click.echo(f"  {display_name(domain)}: {terminal_safe(why)}")
    if summary.unresolved:
        click.echo(f"{len(summary.unresolved)} name(s) unresolved (DNS failure, not judged; "
                   "asked again next scan):")
        for name, failures in sorted(summary.unresolved.items()):
            kinds = set(failures.values())
            if len(kinds) == 1:
                reasons = f"{kinds.pop()} on every query ({', '.join(sorted(failures))})"
            else:
                reasons = ", ".join(f"{qtype} {status}"
                                    for qtype, status in sorted(failures.items()))
            click.echo(f"  {display_name(name)}: {reasons}")


# -- the nightly job --------------------------------------------------------------------------


@cli.command("run")
@_resolver_options
@_whois_options
@_web_options
@click.option("--all", "everything", is_flag=True,
              help="Scan every name now, due or not.")
@click.option("-v", "--verbose", is_flag=True,
              help="Say what was done even when nothing is new.")
@pass_api
def run_command(api: Domainwatch, resolvers: tuple[str, ...], timeout: float | None,
                retries: int | None, concurrency: int | None, whois_servers: tuple[str, ...],
                whois_flag: bool | None, ca_files: tuple[Path, ...], web_flag: bool | None,
                everything: bool, verbose: bool) -> None:
    """The nightly job: scan what is due, evaluate, alert, exit by the worst new severity.

    Quiet unless something is new, so that cron's own mail is worth reading. Exit codes: 0
    nothing new; 10 info, 11 low, 12 medium, 13 high, 14 critical (the worst newly opened,
    reopened or escalated finding); 8 an alert channel failed (its alerts are sent next
    time); 7 another run holds the database; 5 no resolver answered.
    """
    progress = Progress(label="run")
    try:
        with _options():
            result = api.run(everything=everything, resolvers=resolvers, timeout=timeout,
                             retries=retries, concurrency=concurrency, whois=whois_flag,
                             whois_servers=whois_servers, web=web_flag, ca_files=ca_files,
                             progress=progress if verbose else None)
    finally:
        progress.close()
    if verbose:
        if result.scanned is None:
            click.echo("nothing due")
        else:
            _print_scan_summary(result.scanned)
    for title, items in (("new", result.new), ("resolved", result.resolved)):
        if items:
            click.echo(f"{len(items)} {title}:")
            for item in items:
                click.echo(terminal_safe(
                    f"  {item.transition:<9} {item.severity:<8} {item.rule:<32} "
                    f"{item.display_name}  {item.summary}", limit=300))
    if verbose and not result.new and not result.resolved:
        click.echo("nothing new")
    for delivery in result.deliveries:
        if delivery.error:
            click.echo(f"domainwatch: alert not delivered, kept for the next run: "
                       f"{terminal_safe(delivery.error, limit=None)}", err=True)
        elif verbose:
            click.echo(f"sent {delivery.items} alert(s) to {delivery.target}")
    sys.exit(result.exit_code)


@cli.command()
@click.option("--at", "at_time", default="02:17", show_default=True, metavar="HH:MM",
              help="When the nightly run starts (local time).")
@click.option("--mailto", default="root", show_default=True,
              help="Who gets cron's mail (the run's output: only what is new).")
@pass_api
def cron(api: Domainwatch, at_time: str, mailto: str) -> None:
    """Print a crontab line and a systemd timer for this configuration."""
    match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", at_time)
    if not match:
        raise click.BadParameter("expected HH:MM, e.g. 02:17", param_hint="--at")
    hour, minute = int(match.group(1)), int(match.group(2))
    program = shutil.which("domainwatch") or str(Path(sys.executable).with_name("domainwatch"))
    command = [program, "--db", str(api.path.resolve())]
    if api.config.source:
        command += ["--config", str(Path(api.config.source).resolve())]
    command.append("run")
    line = " ".join(shlex.quote(part) for part in command)
    click.echo(f"""# crontab -e  (cron mails what the run prints: only what is new)
MAILTO={mailto}
{minute} {hour} * * * {line}

# or systemd: /etc/systemd/system/domainwatch.service
[Unit]
Description=domainwatch nightly run
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
ExecStart={line}
# exit codes 10-14 mean new findings (by severity), 8 an alert channel failed
SuccessExitStatus=8 10 11 12 13 14

# /etc/systemd/system/domainwatch.timer
[Unit]
Description=domainwatch nightly run

[Timer]
OnCalendar=*-*-* {hour:02d}:{minute:02d}:00
RandomizedDelaySec=10min
Persistent=true

[Install]
WantedBy=timers.target

# then: systemctl daemon-reload && systemctl enable --now domainwatch.timer""")


@cli.command()
@click.option("--format", "output_format", type=click.Choice(("html", "md", "csv", "json")),
              default="html", show_default=True, help="Report format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to this file (default: standard output).")
@pass_api
def report(api: Domainwatch, output_format: str, output: Path | None) -> None:
    """Audit report: summary, annex tables per city and owning unit, the deregistration
    follow-up list, open findings with evidence, trends over runs.

    The HTML report is one self-contained file that opens from an e-mail attachment.
    """
    text = api.report(output_format, output)
    if output is None:
        click.echo(text, nl=False)
        return
    click.echo(f"wrote {output} ({output_format}, {len(text.encode()):,} bytes)")


@cli.command()
@click.argument("domains", nargs=-1, required=True)
@click.option("--whois-server", "servers", multiple=True, metavar="[TLD=]HOST[:PORT]",
              help="The WHOIS server to ask, for one suffix (cn=whois.cnnic.cn) or for all "
                   "(repeatable; default: each registry's own).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=10.0,
              show_default=True, help="Seconds to wait for an answer.")
@_format_option("table", "json")
@pass_api
def whois(api: Domainwatch, domains: tuple[str, ...], servers: tuple[str, ...], timeout: float,
          output_format: str) -> None:
    """Ask the registries whether each DOMAIN's registrable domain is registered.

    Prints registered, unregistered, reserved, rate_limited or error with the registrar,
    registrant, name servers and expiry. Only a registry's own "no such domain" answer counts
    as unregistered; a rate-limit answer, a timeout or an unknown text never does. Exit code 0
    when every answer was conclusive, 5 when some could not be had.
    """
    with _options():
        records = api.whois(domains, servers=servers, timeout=timeout)
    if output_format == "json":
        click.echo(render_json([dataclasses.asdict(record) for record in records]))
    else:
        click.echo(render_table(
            ("domain", "status", "registrar", "registrant", "expires", "name servers",
             "detail"),
            [[display_name(r.domain), r.status, r.registrar or "", r.registrant or "",
              (r.expires or "")[:10], " ".join(r.name_servers), r.detail] for r in records],
            fit_width=_terminal_width()))
    if any(r.status in ("rate_limited", "error") for r in records):
        sys.exit(EXIT_RESOLVER)


# -- findings ---------------------------------------------------------------------------------


class _RuleId(click.ParamType):
    """A rule id of the catalogue (:mod:`domainwatch.rules`); a typo names the close ones."""

    name = "rule"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> str:
        if is_rule(value):
            return str(value)
        if value in CATEGORIES:
            self.fail(f"{value!r} is a category, not a rule id: use --category {value}", param,
                      ctx)
        close = [match for match in close_matches(str(value)) if is_rule(match)]
        hint = (f"did you mean {', '.join(close)}?" if close
                else f"the rules are {', '.join(rule_ids())}")
        self.fail(f"{value!r} is not a rule id; {hint}", param, ctx)


@cli.command()
@click.option("--status", type=click.Choice((*FINDING_STATUSES, "all")), default="open",
              show_default=True, help="Finding status.")
@click.option("--category", type=click.Choice(CATEGORIES), help="Only this category.")
@click.option("--rule", type=_RuleId(), help="Only this rule id, e.g. dangling.cname.")
@click.option("--severity", type=click.Choice(SEVERITIES), help="Only this severity.")
@_format_option("table", "json", "csv")
@pass_api
def findings(api: Domainwatch, status: str, category: str | None, rule: str | None,
             severity: str | None, output_format: str) -> None:
    """List findings."""
    rows = [finding.as_dict() for finding in api.findings(
        status=status, category=category, rule=rule, severity=severity)]
    if output_format == "json":
        click.echo(render_json(rows))
    elif output_format == "csv":
        click.echo(render_csv(FINDING_COLUMNS,
                              [[row[k] if k != "evidence" else render_json(row[k])
                                for k in FINDING_COLUMNS] for row in rows]), nl=False)
    else:
        _print_findings_table(rows)


def _terminal_width() -> int | None:
    """The terminal's width when standard output is one; tables then fit on screen."""
    if not sys.stdout.isatty():
        return None
    return shutil.get_terminal_size().columns


def _print_findings_table(rows: list[dict[str, Any]]) -> None:
    if not rows:
        click.echo("no findings")
        return
    click.echo(render_table(
        ("id", "severity", "rule", "name", "status", "since", "summary"),
        [[r["id"], r["severity"], r["rule"], r["display_name"], r["status"],
          r["first_seen"][:10], r["summary"]] for r in rows], fit_width=_terminal_width()))
    click.echo(f"{len(rows)} findings")


@cli.command()
@click.argument("finding_id", metavar="ID", type=int)
@click.option("--note", required=True, help="Why it is accepted for now (kept in the history).")
@_by_option
@pass_api
def ack(api: Domainwatch, finding_id: int, note: str, by: str) -> None:
    """Acknowledge finding ID: it stays listed under --status acknowledged until resolved."""
    finding = api.acknowledge(finding_id, note, by=by)
    click.echo(f"finding {finding_id} acknowledged ({finding.rule} on "
               f"{finding.display_name})")


# -- accept -----------------------------------------------------------------------------------


@cli.command()
@click.argument("name")
@_by_option
@pass_api
def accept(api: Domainwatch, name: str, by: str) -> None:
    """Adopt NAME's current fingerprint as its baseline.

    The DNS answers, the page (title, text), the certificate (key, issuer) and the WHOIS
    record of the domain NAME depends on, as the last scan saw them. Until then a name's
    first clean observation serves as a provisional baseline. The findings that compare
    with the baseline (content, DNS, certificate or owner changed) resolve at once.
    """
    result = api.accept(name, by=by)
    click.echo(f"baseline of {display_name(result.name)} adopted:")
    for probe, what in result.adopted.items():
        click.echo(terminal_safe(f"  {probe:<24}{what}", limit=None))
    if result.resolved:
        click.echo(f"{len(result.resolved)} finding(s) resolved: "
                   + ", ".join(f"#{number}" for number in result.resolved))


# -- show -------------------------------------------------------------------------------------


@cli.command()
@click.argument("name")
@_format_option("text", "json")
@pass_api
def show(api: Domainwatch, name: str, output_format: str) -> None:
    """Everything about NAME: register entry and history, where it was discovered, DNS
    fingerprint, findings. NAME may also be a discovered name that is not in the register."""
    details = api.show(name)
    if output_format == "json":
        click.echo(render_json(details.as_dict()))
        return
    _print_show(details)
    _print_web(details.web, details.baselines)
    _print_links(details.links, details.linked_from)
    _print_findings(details.findings)


def _print_show(details: NameDetails) -> None:
    """The entry, where the name was discovered, its history and its DNS."""
    echo = click.echo
    name, entry, history, discovered = (details.name, details.entry, details.history,
                                        details.discovered)
    dns, last_scan = details.dns, details.last_scan
    echo(display_name(name) + (f"  ({name})" if display_name(name) != name else ""))
    if entry is None:
        echo("  not in the register")
    else:
        for label, key in (("owner", "owner"), ("parent", "parent"), ("state", "state"),
                           ("site code", "site_code"), ("contact", "contact"),
                           ("networks", "networks"), ("nameservers", "nameservers"),
                           ("own hosts", "hosts"),
                           ("note", "note")):
            value = _short(entry[key])
            if key == "parent" and entry[key]:
                value = display_name(entry[key])
            echo(f"  {label:<12}{terminal_safe(value)}")
    if discovered:
        echo("\ndiscovered")
        for row in discovered:
            what = " ".join(row["detail"].get("types", [])) or (
                f"certificate {row['detail'].get('not_before')} – "
                f"{row['detail'].get('not_after')}, {row['detail'].get('issuer')}")
            state = "" if row["present"] else "  (no longer listed)"
            echo(terminal_safe(f"  {row['kind']} {display_name(row['label'])}: {what}; "
                               f"seen {row['first_seen']} – {row['last_seen']}{state}",
                               limit=None))
    echo("\nhistory")
    for item in history:
        changes = item["changes"]
        if item["action"] == "changed":
            text = ", ".join(f"{k} {_short(v['from'])} → {_short(v['to'])}"
                             for k, v in changes.items())
        else:
            text = item["action"]
        reason = f"  ({item['reason']})" if item["reason"] else ""
        echo(terminal_safe(f"  {item['at']}  {item['by']}  {text}{reason}", limit=None))
    echo("\nDNS")
    if last_scan:
        echo(f"  last scanned  {last_scan['at']} (run {last_scan['run_id']}): "
             f"{last_scan['outcome']}")
    if not dns:
        echo("  no observation yet")
    else:
        current = dns[0]
        data = current["data"]
        echo(f"  fingerprint   unchanged since {current['first_seen']} "
             f"(confirmed {current['last_seen']})")
        echo(f"  status        {data['status']}")
        rows = [("CNAME", " → ".join(display_name(t) for t in data.get("cname_chain", []))),
                ("A", " ".join(data.get("a", []))), ("AAAA", " ".join(data.get("aaaa", []))),
                ("NS", " ".join(display_name(ns) for ns in data.get("ns", []))
                 + (f"  (of {display_name(data['ns_owner'])})"
                    if data.get("ns_owner") not in (None, name) else "")),
                ("MX", "; ".join(data.get("mx", []))), ("TXT", " ".join(data.get("txt", []))),
                ("zone", display_name(data.get("zone") or ""))]
        for label, value in rows:
            if value:
                echo(f"  {label:<14}{terminal_safe(value)}")
        if len(dns) > 1:
            echo("  earlier fingerprints")
            for older in dns[1:]:
                echo(f"    {older['first_seen']} – {older['last_seen']}  "
                     f"{older['data']['status']}  "
                     f"{terminal_safe(' '.join(older['data'].get('a', [])))}")


def _print_web(web: list[dict[str, Any]], baselines: dict[str, dict[str, Any]]) -> None:
    echo = click.echo
    echo("\nweb")
    if not web:
        echo("  no observation yet")
    else:
        current = web[0]
        data = current["data"]
        echo(f"  fingerprint   unchanged since {current['first_seen']} "
             f"(confirmed {current['last_seen']})")
        for scheme, visit in data.get("visits", {}).items():
            hops = visit.get("hops", [])
            steps = []
            for hop in hops:
                answer = str(hop.get("status") or hop.get("error") or "no answer")
                kind = "" if hop.get("kind") == "start" else f"{hop.get('kind')} → "
                steps.append(f"{kind}{hop.get('url')} {answer}")
            echo(terminal_safe(f"  {scheme:<14}{'; '.join(steps) or 'not asked'}",
                               limit=None))
        rows = [("final URL", data.get("final_url") or ""),
                ("title", data.get("title") or ""),
                ("server", data.get("server") or ""),
                ("size", f"{data['size']} bytes, {data.get('encoding')}"
                 + (" (cut at the cap)" if data.get("truncated") else "")
                 if data.get("size") is not None else ""),
                ("text", f"{data.get('text_length', 0)} characters, hash "
                 f"{(data.get('text_hash') or '')[:16]}"),
                ("signals", ", ".join(data.get("signals") or [])),
                ("placeholder", data.get("placeholder") or ""),
                ("hidden", f"{len(data['hidden'])} hidden block(s)" if data.get("hidden")
                 else ""),
                ("links out", f"{len(data.get('links', []))} other host(s) on this page")]
        for label, value in rows:
            if value:
                echo(terminal_safe(f"  {label:<14}{value}", limit=None))
        hops = data.get("visits", {}).get("https", {}).get("hops", [])
        sha = hops[0].get("certificate") if hops else None
        certificate = data.get("certificates", {}).get(sha) if sha else None
        if certificate:
            problems = ", ".join(certificate.get("problems", [])) or "valid"
            echo(terminal_safe(
                f"  certificate   {certificate['subject_cn']} by {certificate['issuer_cn']}, "
                f"{certificate['not_before'][:10]} – {certificate['not_after'][:10]}, "
                f"{certificate['key']}, {certificate['tls_version']}: {problems}", limit=None))
            echo(f"  key (SPKI)    {certificate['spki_sha256']}")
    echo("\nbaseline")
    if not baselines:
        echo("  none yet (the first clean scan sets one; 'accept NAME' adopts the current)")
    for probe, baseline in baselines.items():
        data = baseline["data"]
        what = {"dns": lambda d: " ".join(d.get("a", []) + d.get("aaaa", [])),
                "web": lambda d: f"{d.get('final_url')} {d.get('title')!r}",
                "tls": lambda d: f"key {str(d.get('spki_sha256'))[:16]}…, "
                                 f"{d.get('issuer_cn') or d.get('issuer')}",
                "whois": lambda d: str(d.get("registrant") or "")}[probe](data)
        echo(terminal_safe(f"  {probe:<6}{baseline['how']:<11}{baseline['adopted_at']}  "
                           f"{baseline['adopted_by']}  {what}", limit=None))


def _print_links(links: list[dict[str, Any]], linked_from: list[dict[str, Any]]) -> None:
    """The last crawl of the site, and the sites whose pages link here."""
    echo = click.echo
    if links:
        data = links[0]["data"]
        pages = data.get("pages", [])
        why = {"site budget": "stopped at the site's page budget",
               "run budget": "cut short by the run's page budget: not every page was read"}
        echo(f"\nlinks (crawled {links[0]['last_seen']})")
        echo(terminal_safe(f"  {len(pages)} page(s) read from {data.get('start')}"
                           + (f", {why.get(data['stopped'], data['stopped'])}"
                              if data.get("stopped") else ""), limit=None))
        for host, references in data.get("references", {}).items():
            first = references[0]
            text = f" “{first['text']}”" if first.get("text") else ""
            more = f" (+{len(references) - 1})" if len(references) > 1 else ""
            echo(terminal_safe(f"  → {display_name(host):<32} {first['element']}{text} on "
                               f"{first['page']}{more}", limit=None))
    if linked_from:
        echo("\nlinked from")
        for row in linked_from:
            for reference in row["references"]:
                text = f" “{reference['text']}”" if reference.get("text") else ""
                echo(terminal_safe(f"  ← {display_name(row['name'])}: {reference['element']}"
                                   f"{text} on {reference['page']}", limit=None))


def _print_findings(found: list[dict[str, Any]]) -> None:
    echo = click.echo
    echo("\nfindings")
    if not found:
        echo("  none")
    for finding in found:
        echo(terminal_safe(f"  #{finding['id']} {finding['severity']:<8} {finding['rule']:<32}"
                           f"{finding['status']:<13} since {finding['first_seen']}", limit=None))
        echo(f"     {terminal_safe(finding['summary'], limit=None)}")
        capture = finding["evidence"].get("first_capture") or finding["evidence"].get("capture")
        if capture:
            for line in _capture_lines(capture):
                echo(terminal_safe(f"     {line}", limit=200))


def _capture_lines(capture: dict[str, Any]) -> list[str]:
    """The evidence a hijack finding keeps, in a few lines (``show --format json`` has all)."""
    lines = [f"evidence captured {capture.get('at')} from {' '.join(capture.get('addresses', []))}"]
    request, response = capture.get("request"), capture.get("response")
    if request and response:
        lines.append(f"GET {request['url']} at {request['address']} → {response['status']}, "
                     f"{response['size']} bytes, title {response.get('title')!r}")
        body = " ".join(str(response.get("body_start", "")).split())
        if body:
            lines.append(f"body: {body[:150]}")
    for scheme, hops in capture.get("redirects", {}).items():
        if len(hops) > 1:
            lines.append(f"{scheme} redirects: " + " → ".join(hop["url"] for hop in hops))
    certificate = capture.get("certificate")
    if certificate:
        lines.append(f"certificate {certificate['sha256'][:16]}… issued by {certificate['issuer']}")
    return lines


# -- demo -------------------------------------------------------------------------------------


@cli.command()
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
        _print_scan_summary(summary)
        click.echo("")
        _print_findings_table([finding.as_dict() for finding in api.findings(status="open")])
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
                        f"{finding.summary}", limit=_terminal_width() or None))
                    shown = True
            if not shown:
                click.echo("   no finding opened or resolved")


def main() -> None:
    if os.environ.get("DOMAINWATCH_DEBUG"):
        cli(prog_name="domainwatch")
        return
    try:
        cli(prog_name="domainwatch")
    except Exception as error:
        _fail(f"internal error: {type(error).__name__}: {error} (set DOMAINWATCH_DEBUG=1 for "
              "the traceback, and please report it)", EXIT_INTERNAL)
