"""The commands that probe, or judge what was probed: ``scan``, ``recheck``, ``run`` (the
nightly job), ``cron`` (its schedule) and ``whois`` (registries asked by hand)."""

from __future__ import annotations

import dataclasses
import re
import shlex
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from domainwatch.api import Domainwatch
from domainwatch.cli.common import (
    EXIT_RESOLVER,
    format_option,
    option_errors,
    pass_api,
    terminal_width,
)
from domainwatch.names import display_name
from domainwatch.output import Progress, render_json, render_table, terminal_safe

if TYPE_CHECKING:
    from domainwatch.scan import ScanSummary


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


@click.command()
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
        with option_errors():
            summary = api.scan(names or None, resolvers=resolvers, timeout=timeout, retries=retries,
                               concurrency=concurrency, whois=whois_flag,
                               whois_servers=whois_servers, web=web_flag, ca_files=ca_files,
                               progress=progress)
    finally:
        progress.close()
    print_scan_summary(summary)


@click.command()
@click.argument("names", nargs=-1)
@click.option("--whois/--no-whois", "whois_flag", default=None,
              help="Judge the registration rules too (default: as the configuration file's "
                   "[whois] says; off without it).")
@click.option("--web/--no-web", "web_flag", default=None,
              help="Judge the web and certificate rules too (default: on, unless the "
                   "configuration's [web] says enabled = false).")
@pass_api
def recheck(api: Domainwatch, names: tuple[str, ...], whois_flag: bool | None,
            web_flag: bool | None) -> None:
    """Judge the latest stored observations of NAMES again (all names when none are given),
    without asking any resolver, web site or registry: after the lexicon, the signatures,
    the cloud-service catalogue, a rule or the register changed. Prints what opened and
    resolved, and the names that could not be judged (never scanned, unresolved)."""
    with option_errors():
        summary = api.recheck(names or None, whois=whois_flag, web=web_flag)
    changes = summary.changes
    click.echo(f"rechecked {summary.names_rechecked} of {summary.names_total} names from "
               f"their stored observations in {summary.seconds:.1f}s")
    click.echo(f"findings: {len(changes.opened)} opened, {len(changes.reopened)} reopened, "
               f"{len(changes.escalated)} escalated, {len(changes.resolved)} resolved")
    if summary.not_rechecked:
        click.echo(f"{len(summary.not_rechecked)} name(s) not judged again (their findings as "
                   "they were):")
        for name, why in sorted(summary.not_rechecked.items()):
            click.echo(f"  {display_name(name)}: {why}")


def print_scan_summary(summary: ScanSummary) -> None:
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


@click.command("run")
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
        with option_errors():
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
            print_scan_summary(result.scanned)
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


@click.command()
@click.option("--at", "at_time", default="02:17", show_default=True, metavar="HH:MM",
              help="When the nightly run starts (local time).")
@click.option("--mailto", default="root", show_default=True,
              help="Who gets cron's mail (the run's output: only what is new).")
@pass_api
def cron(api: Domainwatch, at_time: str, mailto: str) -> None:
    """Print a crontab line and a systemd timer for this configuration.

    Secrets the configuration names by environment variable (password_env = "VAR", …) are
    not passed on by cron or systemd: both units read them from the file beside the
    configuration named like it with .env (dw.toml: dw.env). The variables are named, never
    their values.
    """
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
    cron_line, environment = line, ""
    variables = api.config.secret_variables()
    if variables and api.config.source:
        secrets_file = Path(api.config.source).resolve().with_suffix(".env")
        named = ", ".join(variables)
        cron_line = f"set -a && . {shlex.quote(str(secrets_file))} && exec {line}"
        click.echo(f"# The configuration reads secrets from the environment ({named}),\n"
                   "# which cron and systemd do not pass on: both units below read them from\n"
                   f"# {secrets_file} (NAME=value lines; let only the run's user read it).\n")
        environment = f"# {named}\nEnvironmentFile={secrets_file}\n"
    click.echo(f"""# crontab -e  (cron mails what the run prints: only what is new)
MAILTO={mailto}
{minute} {hour} * * * {cron_line}

# or systemd: /etc/systemd/system/domainwatch.service
[Unit]
Description=domainwatch nightly run
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
{environment}ExecStart={line}
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


@click.command()
@click.argument("domains", nargs=-1, required=True)
@click.option("--whois-server", "servers", multiple=True, metavar="[TLD=]HOST[:PORT]",
              help="The WHOIS server to ask, for one suffix (cn=whois.cnnic.cn) or for all "
                   "(repeatable; default: each registry's own).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=10.0,
              show_default=True, help="Seconds to wait for an answer.")
@format_option("table", "json")
@pass_api
def whois(api: Domainwatch, domains: tuple[str, ...], servers: tuple[str, ...], timeout: float,
          output_format: str) -> None:
    """Ask the registries whether each DOMAIN's registrable domain is registered.

    Prints registered, unregistered, reserved, rate_limited or error with the registrar,
    registrant, name servers and expiry. Only a registry's own "no such domain" answer counts
    as unregistered; a rate-limit answer, a timeout or an unknown text never does. Exit code 0
    when every answer was conclusive, 5 when some could not be had.
    """
    with option_errors():
        records = api.whois(domains, servers=servers, timeout=timeout)
    if output_format == "json":
        click.echo(render_json([dataclasses.asdict(record) for record in records]))
    else:
        click.echo(render_table(
            ("domain", "status", "registrar", "registrant", "expires", "name servers",
             "detail"),
            [[display_name(r.domain), r.status, r.registrar or "", r.registrant or "",
              (r.expires or "")[:10], " ".join(r.name_servers), r.detail] for r in records],
            fit_width=terminal_width()))
    if any(r.status in ("rate_limited", "error") for r in records):
        sys.exit(EXIT_RESOLVER)

