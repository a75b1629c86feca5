"""What was found: ``findings``, ``ack``, ``accept`` (a baseline), ``show`` (everything about
a name) and ``report`` (the audit report)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from domainwatch import rules
from domainwatch.api import Domainwatch, NameDetails
from domainwatch.cli.common import by_option, format_option, pass_api, short, terminal_width
from domainwatch.names import display_name
from domainwatch.output import render_csv, render_json, render_table, terminal_safe
from domainwatch.store import FINDING_STATUSES, SEVERITIES

CATEGORIES = rules.categories()
FINDING_COLUMNS = ("id", "name", "rule", "category", "severity", "status", "first_seen",
                   "last_seen", "summary", "evidence")


class _RuleId(click.ParamType):
    """A rule id of the catalogue (:mod:`domainwatch.rules`); a typo names the close ones."""

    name = "rule"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> str:
        if value in CATEGORIES:
            self.fail(f"{value!r} is a category, not a rule id: use --category {value}", param,
                      ctx)
        try:
            return rules.get(str(value)).id
        except rules.UnknownRule:
            self.fail(f"{value!r} is not a rule id; {rules.did_you_mean(str(value))}", param,
                      ctx)


@click.command()
@click.option("--status", type=click.Choice((*FINDING_STATUSES, "all")), default="open",
              show_default=True, help="Finding status.")
@click.option("--category", type=click.Choice(CATEGORIES), help="Only this category.")
@click.option("--rule", type=_RuleId(), help="Only this rule id, e.g. dangling.cname.")
@click.option("--severity", type=click.Choice(SEVERITIES), help="Only this severity.")
@format_option("table", "json", "csv")
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
        print_findings_table(rows)


def print_findings_table(rows: list[dict[str, Any]]) -> None:
    if not rows:
        click.echo("no findings")
        return
    click.echo(render_table(
        ("id", "severity", "rule", "name", "status", "since", "summary"),
        [[r["id"], r["severity"], r["rule"], r["display_name"], r["status"],
          r["first_seen"][:10], r["summary"]] for r in rows], fit_width=terminal_width()))
    click.echo(f"{len(rows)} findings")


@click.command()
@click.argument("finding_id", metavar="ID", type=int)
@click.option("--note", required=True, help="Why it is accepted for now (kept in the history).")
@by_option
@pass_api
def ack(api: Domainwatch, finding_id: int, note: str, by: str) -> None:
    """Acknowledge finding ID: it stays listed under --status acknowledged until resolved."""
    finding = api.acknowledge(finding_id, note, by=by)
    click.echo(f"finding {finding_id} acknowledged ({finding.rule} on "
               f"{finding.display_name})")


@click.command()
@click.argument("name")
@by_option
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


@click.command()
@click.argument("name")
@format_option("text", "json")
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
            value = short(entry[key])
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
            text = ", ".join(f"{k} {short(v['from'])} → {short(v['to'])}"
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


@click.command()
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

