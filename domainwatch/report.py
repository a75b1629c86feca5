"""Audit reports: the register, its findings and the deregistration follow-up, for people.

:func:`build_report` reads the database into one plain data structure; the renderers turn it
into a self-contained HTML file, Markdown, CSV or JSON. The sections follow the annex tables
of the provincial notice: a summary, sites / checked / with problems / compliance rate per
government domain and per owning unit, the deregistration follow-up list, the open findings
with their evidence, and open findings over the last runs.

Everything that came from a scanned site, a WHOIS answer or the register's free text is
hostile: :func:`build_report` strips control and bidi characters and caps its length once, and
each renderer escapes for its format (HTML through :func:`~domainwatch.safety.html_safe` and
Jinja's autoescape, CSV through :func:`~domainwatch.safety.csv_safe`, Markdown with backslash
escapes).
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from domainwatch import __version__, clock
from domainwatch.names import display_name, registrable_domain
from domainwatch.output import render_csv as csv_table
from domainwatch.output import render_json as json_text
from domainwatch.safety import html_safe, terminal_safe
from domainwatch.store import SEVERITIES, SEVERITY_RANK, Store, finding_record

REPORT_FORMATS = ("html", "md", "csv", "json")
STATES = ("active", "offline", "deregistered")
INACTIVE_STATES = ("offline", "deregistered")
STANDING = ("open", "acknowledged")
FOLLOWUP_RULE = "unused.offline_still_resolving"
#: The trend shows at most this many of the latest complete runs.
TREND_RUNS = 60
CHECKED_WITHIN = timedelta(days=7)

SUMMARY_LIMIT = 300
OWNER_LIMIT = 120
NOTE_LIMIT = 300
EVIDENCE_KEYS = 8
EVIDENCE_LIMIT = 160
LIST_LIMIT = 20

NO_OWNER = "(no owning unit recorded)"
NO_DOMAIN = "(no government domain)"
#: Evidence shown first when present; the rest follow in key order, up to EVIDENCE_KEYS.
EVIDENCE_ORDER = ("state", "status", "addresses", "cname_chain", "target", "chain_end",
                  "parent", "parent_domain", "expected", "zone", "source", "statuses")


def _text(value: object, limit: int) -> str:
    return "" if value is None else terminal_safe(value, limit)


def _evidence(evidence: dict[str, Any]) -> dict[str, str]:
    """The evidence worth showing, each value as bounded text."""
    keys = [k for k in EVIDENCE_ORDER if k in evidence]
    keys += sorted(k for k in evidence if k not in keys and k != "name")
    shown: dict[str, str] = {}
    for key in keys:
        value = evidence[key]
        if value in (None, "", [], {}):
            continue
        if isinstance(value, list):
            text = ", ".join(str(item) for item in value[:LIST_LIMIT])
            if len(value) > LIST_LIMIT:
                text += f", … ({len(value)} in all)"
        elif isinstance(value, dict):
            text = " ".join(f"{k}={v}" for k, v in value.items())
        else:
            text = str(value)
        shown[_text(key, 40)] = _text(text, EVIDENCE_LIMIT)
        if len(shown) == EVIDENCE_KEYS:
            break
    return shown


def _rate(checked: int, with_problems: int) -> float | None:
    """1 − with problems / checked, as a percentage; None when nothing was checked."""
    if checked == 0:
        return None
    return round(max(0.0, 100.0 * (1 - with_problems / checked)), 1)


def _state_to(change: Any) -> str | None:
    if isinstance(change, dict):
        return change.get("to")
    return change if isinstance(change, str) else None


def _inactive_since(history: list[dict[str, Any]], created: str) -> str:
    """When the entry last left ``active``: the start of its current offline/deregistered
    period, so that a later offline → deregistered change does not restart the clock."""
    since: str | None = None
    for row in history:
        target = _state_to(row["changes"].get("state"))
        if target is None:
            continue
        since = (since or row["at"]) if target in INACTIVE_STATES else None
    return since or created


def _finding_record(finding: dict[str, Any], entries: dict[str, dict[str, Any]],
                    city_of: dict[str, str], portal_owner: dict[str, str]) -> dict[str, Any]:
    """The finding's record (:func:`~domainwatch.store.finding_record`) for an audit: its
    texts cut to size, with the owning unit and city that answer for it."""
    record = finding_record(finding)
    name = record["name"]
    entry = entries.get(name)
    domain = city_of.get(name) or registrable_domain(name) or NO_DOMAIN
    if entry is not None:
        owner = _text(entry["owner"], OWNER_LIMIT) or NO_OWNER
    else:
        owner = portal_owner.get(domain) or NO_OWNER
    return {
        "id": record["id"], "name": name, "display_name": _text(record["display_name"], 300),
        "in_register": entry is not None, "owner": owner, "city": domain,
        "rule": record["rule"], "category": record["category"],
        "severity": record["severity"], "status": record["status"],
        "subject": _text(display_name(record["subject"]), 300),
        "first_seen": record["first_seen"], "last_seen": record["last_seen"],
        "summary": _text(record["summary"], SUMMARY_LIMIT),
        "ack_note": _text(record["ack_note"], NOTE_LIMIT),
        "ack_by": _text(finding["ack_by"], OWNER_LIMIT),
        "evidence": _evidence(record["evidence"]),
    }


def _run_record(run: dict[str, Any] | None) -> dict[str, Any] | None:
    if run is None:
        return None
    return {key: run[key] for key in
            ("id", "started", "finished", "status", "names_total", "names_done")}


def build_report(store: Store, now: datetime | None = None) -> dict[str, Any]:
    """The whole report as plain data (what ``render_json`` prints and the others render)."""
    moment = clock.to_utc(now or clock.now())
    entries = {entry["name"]: entry for entry in store.entries()}
    city_of = {name: registrable_domain(name) or NO_DOMAIN for name in entries}
    portal_owner = {domain: _text(entries[f"www.{domain}"]["owner"], OWNER_LIMIT)
                    for domain in set(city_of.values()) if f"www.{domain}" in entries}

    last_run = store.runs(1)
    complete = store.complete_runs(1)
    # Nightly runs scan only what is due, so "checked" means scanned recently, by any run.
    checked = store.names_scanned_since(clock.iso(moment - CHECKED_WITHIN))

    standing = [f for f in store.findings(status="all") if f["status"] in STANDING]
    findings = [_finding_record(f, entries, city_of, portal_owner) for f in standing]
    problem_names = {f["name"] for f in findings if f["in_register"]}

    summary = {
        "entries_total": len(entries),
        "checked_within_days": CHECKED_WITHIN.days,
        "entries_by_state": {state: sum(e["state"] == state for e in entries.values())
                             for state in STATES},
        "last_run": _run_record(last_run[0] if last_run else None),
        "last_complete_run": _run_record(complete[0] if complete else None),
        "open_findings_total": len(findings),
        "open_findings_by_severity": {s: sum(f["severity"] == s for f in findings)
                                      for s in SEVERITIES},
        "open_findings_by_category": dict(sorted(Counter(
            f["category"] for f in findings).items())),
        "acknowledged_findings": sum(f["status"] == "acknowledged" for f in findings),
        "entries_with_problems": len(problem_names),
    }
    followup = _followup(store, entries, city_of, findings, moment)
    summary["followup_entries"] = len(followup)
    return {
        "title": "域名使用情况审计报告 Domain audit report",
        "generated_at": clock.iso(moment),
        "generator": f"domainwatch {__version__}",
        "summary": summary,
        "annex": _annex(entries, city_of, portal_owner, checked, problem_names),
        "followup": followup,
        "findings": _group_findings(findings),
        "trend": _trend(store),
    }


def _annex(entries: dict[str, dict[str, Any]], city_of: dict[str, str],
           portal_owner: dict[str, str], checked: set[str],
           problem_names: set[str]) -> dict[str, Any]:
    def row(names: list[str]) -> dict[str, Any]:
        scanned = sum(name in checked for name in names)
        problems = sum(name in problem_names for name in names)
        return {"sites": len(names), "checked": scanned, "with_problems": problems,
                "compliance_rate": _rate(scanned, problems)}

    by_city: dict[str, list[str]] = {}
    by_owner: dict[str, list[str]] = {}
    for name, entry in entries.items():
        by_city.setdefault(city_of[name], []).append(name)
        by_owner.setdefault(_text(entry["owner"], OWNER_LIMIT) or NO_OWNER, []).append(name)
    cities = [{"domain": domain,
               "display_domain": display_name(domain),
               "label": portal_owner.get(domain, ""),
               **row(names)} for domain, names in sorted(by_city.items())]
    owners = []
    for owner, names in by_owner.items():
        domains = Counter(city_of[name] for name in names)
        owners.append({"owner": owner,
                       "cities": [display_name(d) for d, _ in domains.most_common()],
                       **row(names)})
    owners.sort(key=lambda o: (o["cities"][0], o["owner"]))
    return {"cities": cities, "owners": owners, "total": row(list(entries))}


def _followup(store: Store, entries: dict[str, dict[str, Any]], city_of: dict[str, str],
              findings: list[dict[str, Any]], moment: datetime) -> list[dict[str, Any]]:
    by_name: dict[str, list[dict[str, Any]]] = {}
    for finding in findings:
        by_name.setdefault(finding["name"], []).append(finding)
    linkers, checked = _linkers(store, entries)
    rows = []
    for name, entry in entries.items():
        if entry["state"] not in INACTIVE_STATES:
            continue
        latest = store.observations(name, "dns", 1)
        dns = latest[0]["data"] if latest else {}
        chain = list(dns.get("cname_chain") or [])
        status = dns.get("status", "")
        resolves = status == "resolves" or status.startswith("cname_") or bool(chain)
        standing = by_name.get(name, [])
        if not resolves and not any(f["rule"] == FOLLOWUP_RULE for f in standing):
            continue
        since = _inactive_since(store.entry_history(name), entry["created"])
        addresses = list(dns.get("a") or []) + list(dns.get("aaaa") or [])
        rows.append({
            "name": name, "display_name": display_name(name),
            "owner": _text(entry["owner"], OWNER_LIMIT) or NO_OWNER,
            "city": city_of[name], "state": entry["state"],
            "priority": entry.get("priority", "normal"),
            "site_code": _text(entry["site_code"], 40),
            "since": since, "days_overdue": max(0, (moment - clock.parse(since)).days),
            "dns_status": status or "not scanned",
            "observed_at": latest[0]["last_seen"] if latest else None,
            "addresses": [_text(a, 60) for a in addresses[:LIST_LIMIT]],
            "cname_chain": [_text(display_name(c), 260) for c in chain[:LIST_LIMIT]],
            "linked_from": [_text(display_name(n), 260) for n in linkers.get(name, [])],
            "linked_from_checked": checked,
            "note": _text(entry["note"], NOTE_LIMIT),
            "findings": [{key: f[key] for key in ("id", "rule", "severity", "status",
                                                  "summary", "first_seen")}
                         for f in standing],
        })
    rows.sort(key=lambda r: (r["priority"] != "high", -r["days_overdue"], r["name"]))
    return rows


def _linkers(store: Store, entries: dict[str, dict[str, Any]]
             ) -> tuple[dict[str, list[str]], bool]:
    """Which active entries' sites, as last crawled, link to each host, and whether any
    active entry's site has been read at all."""
    linkers: dict[str, list[str]] = {}
    index = store.links_index()
    checked = False
    for name, entry in sorted(entries.items()):
        if entry["state"] != "active" or name not in index:
            continue
        checked = True
        for host in index[name]["references"]:
            linkers.setdefault(host, []).append(name)
    return linkers, checked


def _group_findings(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_owner: dict[str, list[dict[str, Any]]] = {}
    for finding in findings:
        by_owner.setdefault(finding["owner"], []).append(finding)
    groups = []
    for owner, items in by_owner.items():
        severities = [{"severity": severity,
                       "findings": sorted((f for f in items if f["severity"] == severity),
                                          key=lambda f: (f["name"], f["rule"], f["subject"]))}
                      for severity in SEVERITIES]
        groups.append({"owner": owner, "count": len(items),
                       "severities": [s for s in severities if s["findings"]]})
    groups.sort(key=lambda g: (SEVERITY_RANK[g["severities"][0]["severity"]], -g["count"],
                               g["owner"]))
    return groups


def _trend(store: Store) -> dict[str, Any]:
    """Findings open (or acknowledged) at the end of each of the latest complete runs,
    replayed from the finding events."""
    runs = list(reversed(store.complete_runs(TREND_RUNS)))
    category = store.finding_categories()
    timeline: dict[int, list[tuple[str, str]]] = {finding_id: [] for finding_id in category}
    for event in store.all_finding_events():
        timeline.setdefault(event["finding_id"], []).append((event["at"], event["event"]))
    for finding_id, resolved_at in store.resolution_times().items():
        events = timeline[finding_id]
        # Databases from before the event log have no 'resolved' events.
        if resolved_at and not any(kind == "resolved" for _, kind in events):
            events.append((resolved_at, "resolved"))
    categories = sorted(set(category.values()))
    points = []
    for run in runs:
        counts = dict.fromkeys(categories, 0)
        for finding_id, events in timeline.items():
            is_open = False
            for at, kind in events:
                if at > run["at"]:
                    break
                if kind in ("opened", "reopened"):
                    is_open = True
                elif kind == "resolved":
                    is_open = False
            if is_open and finding_id in category:
                counts[category[finding_id]] += 1
        points.append({"run_id": run["id"], "at": run["at"], "counts": counts,
                       "total": sum(counts.values())})
    used = [c for c in categories if any(p["counts"][c] for p in points)]
    for point in points:
        point["counts"] = {c: point["counts"][c] for c in used}
    return {"categories": used, "points": points}


# -- rendering --------------------------------------------------------------------------------

CATEGORY_COLOURS = {"unused": "#d9822b", "dangling": "#c23030", "register": "#2b6cb0",
                    "unregistered": "#8e44ad", "hijacked": "#7b1f1f", "link": "#2f855a",
                    "tls": "#5a6f80"}
FALLBACK_COLOURS = ("#b7791f", "#319795", "#805ad5", "#718096")


def _colour(category: str, index: int) -> str:
    return CATEGORY_COLOURS.get(category, FALLBACK_COLOURS[index % len(FALLBACK_COLOURS)])


def _trend_chart(trend: dict[str, Any]) -> dict[str, Any]:
    """Stacked bars, one per run, as coordinates for the SVG template."""
    points = trend["points"]
    width, height, left, top, bottom = 900, 280, 48, 16, 40
    plot_w, plot_h = width - left - 12, height - top - bottom
    peak = max([p["total"] for p in points] + [1])
    step = max(1, -(-peak // 5))
    ticks = list(range(0, step * 5 + 1, step)) if peak > 5 else list(range(0, peak + 1))
    top_value = ticks[-1] or 1
    slot = plot_w / max(len(points), 1)
    bar_w = max(2.0, min(48.0, slot * 0.7))
    label_every = max(1, -(-len(points) // 12))
    bars = []
    for index, point in enumerate(points):
        x = left + slot * index + (slot - bar_w) / 2
        y = top + plot_h
        segments = []
        for c_index, cat in enumerate(trend["categories"]):
            count = point["counts"].get(cat, 0)
            if not count:
                continue
            h = plot_h * count / top_value
            y -= h
            segments.append({"y": round(y, 1), "h": round(h, 1), "colour": _colour(cat, c_index),
                             "title": f"{cat}: {count}"})
        bars.append({"x": round(x, 1), "w": round(bar_w, 1), "cx": round(x + bar_w / 2, 1),
                     "segments": segments, "total": point["total"],
                     "total_y": round(y - 4, 1), "label": point["at"][:10],
                     "show_label": index % label_every == 0 or index == len(points) - 1,
                     "title": f"run {point['run_id']}, {point['at']}: {point['total']} open"})
    return {"width": width, "height": height, "left": left, "top": top,
            "plot_w": plot_w, "plot_h": plot_h, "bars": bars,
            "ticks": [{"value": t, "y": round(top + plot_h - plot_h * t / top_value, 1)}
                      for t in ticks],
            "legend": [{"category": cat, "colour": _colour(cat, i), "x": left + 150 * i}
                       for i, cat in enumerate(trend["categories"])],
            "show_totals": len(points) <= 30}


def _compliance_chart(cities: list[dict[str, Any]]) -> dict[str, Any]:
    """Horizontal bars of each government domain's compliance rate."""
    row_h, label_w, bar_w = 26, 360, 420
    rows = []
    for index, city in enumerate(cities):
        rate = city["compliance_rate"]
        label = city["display_domain"] + (f" {city['label']}" if city["label"] else "")
        rows.append({"y": 8 + row_h * index, "label": terminal_safe(label, 40),
                     "w": round(bar_w * (rate or 0) / 100, 1),
                     "text": "—" if rate is None else f"{rate:.1f}%",
                     "colour": "#9aa5b1" if rate is None else
                     "#2f855a" if rate >= 90 else "#d9822b" if rate >= 60 else "#c23030"})
    return {"width": label_w + bar_w + 80, "height": 16 + row_h * len(cities),
            "label_w": label_w, "bar_w": bar_w, "rows": rows}


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("domainwatch", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True,
                      finalize=lambda value: html_safe(value) if isinstance(value, str) else value)
    env.filters["rate"] = lambda rate: "—" if rate is None else f"{rate:.1f}%"
    env.filters["day"] = lambda text: (text or "")[:10]
    env.filters["when"] = lambda text: (text or "").replace("T", " ").replace("Z", " UTC")
    return env


def render_html(report: dict[str, Any]) -> str:
    """One self-contained HTML file: inline CSS and SVG, no script, no external resource."""
    template = _environment().get_template("report.html.j2")
    return template.render(r=report, states=STATES, severities=SEVERITIES,
                           trend_chart=_trend_chart(report["trend"]),
                           compliance_chart=_compliance_chart(report["annex"]["cities"]),
                           colour=_colour)


_MARKDOWN_ACTIVE = re.compile(r"([\\`*_\[\]<>|~&])")


def md(value: object) -> str:
    """Text for a Markdown table cell: no control characters, every active character escaped."""
    return _MARKDOWN_ACTIVE.sub(r"\\\1", terminal_safe("" if value is None else value, None))


def _md_table(headers: list[str], rows: list[list[object]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(md(cell) for cell in row) + " |" for row in rows]
    return [*lines, ""]


def _rate_text(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.1f}%"


def _run_text(run: dict[str, Any] | None) -> str:
    if run is None:
        return "no scan yet"
    return (f"run {run['id']} ({run['status']}): {run['names_done']} of {run['names_total']} "
            f"names, started {run['started']}, finished {run['finished'] or '—'}")


def render_markdown(report: dict[str, Any]) -> str:
    s = report["summary"]
    out = [f"# {md(report['title'])}", "",
           f"Generated {md(report['generated_at'])} by {md(report['generator'])}.", "",
           "## 1. 概况 Summary", ""]
    out += _md_table(["Item", "Value"], [
        ["Register entries", s["entries_total"]],
        *[[f"— {state}", s["entries_by_state"][state]] for state in STATES],
        ["Last run", _run_text(s["last_run"])],
        ["Last complete run", _run_text(s["last_complete_run"])],
        ["Open findings (incl. acknowledged)", s["open_findings_total"]],
        *[[f"— severity {sev}", n] for sev, n in s["open_findings_by_severity"].items() if n],
        *[[f"— category {cat}", n] for cat, n in s["open_findings_by_category"].items()],
        ["— of which acknowledged", s["acknowledged_findings"]],
        ["Entries with problems", s["entries_with_problems"]],
        ["Entries awaiting deregistration", s["followup_entries"]],
    ])
    annex = report["annex"]
    headers = ["Sites", "Checked", "With problems", "Compliance rate"]

    def numbers(row: dict[str, Any]) -> list[object]:
        return [row["sites"], row["checked"], row["with_problems"],
                _rate_text(row["compliance_rate"])]

    out += ["## 2. 检查情况 Sites by government and owning unit", "",
            "Compliance rate = 1 − with problems / checked. Checked: scanned in the last "
            f"{s['checked_within_days']} days; with problems: an open or acknowledged "
            "finding.", "",
            "### By government domain", ""]
    out += _md_table(["Government domain", "Portal owner", *headers],
                     [[c["display_domain"], c["label"], *numbers(c)] for c in annex["cities"]]
                     + [["Total", "", *numbers(annex["total"])]])
    out += ["### By owning unit", ""]
    out += _md_table(["Owning unit", "Government domain", *headers],
                     [[o["owner"], ", ".join(o["cities"]), *numbers(o)]
                      for o in annex["owners"]])
    out += ["## 3. 注销跟进 Deregistration follow-up", "",
            "Offline or deregistered entries that still resolve, and the live sites whose "
            "pages still link to them (from each active entry's last scanned page).", ""]
    if report["followup"]:
        out += _md_table(
            ["Name", "Owning unit", "State", "Since", "Days overdue", "Resolves to",
             "Linked from", "Open findings"],
            [[f["display_name"], f["owner"], f["state"], f["since"][:10], f["days_overdue"],
              _resolves_to(f), _linked_from(f),
              "; ".join(f"#{x['id']} {x['rule']} ({x['status']})" for x in f["findings"])]
             for f in report["followup"]])
    else:
        out += ["None.", ""]
    out += ["## 4. 问题清单 Open findings with evidence", ""]
    if not report["findings"]:
        out += ["None.", ""]
    for group in report["findings"]:
        out += [f"### {md(group['owner'])} ({group['count']})", ""]
        for severity in group["severities"]:
            out += [f"**{md(severity['severity'])}**", ""]
            out += _md_table(
                ["#", "Rule", "Name", "Summary", "Since", "Status", "Ack note", "Evidence"],
                [[f["id"], f["rule"], f["display_name"], f["summary"], f["first_seen"][:10],
                  f["status"], f["ack_note"], _evidence_text(f["evidence"])]
                 for f in severity["findings"]])
    out += ["## 5. 趋势 Open findings over the last complete runs", ""]
    trend = report["trend"]
    if trend["points"]:
        out += _md_table(["Run", "Finished", *trend["categories"], "Total"],
                         [[p["run_id"], p["at"], *(p["counts"][c] for c in trend["categories"]),
                           p["total"]] for p in trend["points"]])
    else:
        out += ["No complete run yet.", ""]
    return "\n".join(out)


def _resolves_to(row: dict[str, Any]) -> str:
    parts = []
    if row["cname_chain"]:
        parts.append("CNAME " + " → ".join(row["cname_chain"]))
    if row["addresses"]:
        parts.append(", ".join(row["addresses"]))
    return "; ".join(parts) or row["dns_status"]


def _linked_from(row: dict[str, Any]) -> str:
    if not row["linked_from_checked"]:
        return "not checked yet"
    return ", ".join(row["linked_from"]) or "none found"


def _evidence_text(evidence: dict[str, str]) -> str:
    return "; ".join(f"{key}: {value}" for key, value in evidence.items())


CSV_COLUMNS = ("section", "finding_id", "name", "owner", "government_domain", "state", "rule",
               "category", "severity", "status", "since", "days_overdue", "resolves_to",
               "linked_from", "summary", "ack_note", "evidence", "note")


def render_csv(report: dict[str, Any]) -> str:
    """One table: a ``followup`` row per entry awaiting deregistration (its open findings'
    summaries in ``summary``, the register's note in ``note``), then a ``finding`` row per
    open or acknowledged finding. Every cell is neutralised against formulas."""
    rows: list[list[object]] = []
    for f in report["followup"]:
        rows.append(["followup", "", f["display_name"], f["owner"], display_name(f["city"]),
                     f["state"], FOLLOWUP_RULE, "unused", "", "", f["since"],
                     f["days_overdue"], _resolves_to(f), _linked_from(f),
                     "; ".join(f"#{x['id']} {x['summary']}" for x in f["findings"]),
                     "", "", f["note"]])
    for group in report["findings"]:
        for severity in group["severities"]:
            for f in severity["findings"]:
                rows.append(["finding", f["id"], f["display_name"], f["owner"],
                             display_name(f["city"]), "", f["rule"], f["category"],
                             f["severity"], f["status"], f["first_seen"], "", "", "",
                             f["summary"], f["ack_note"], _evidence_text(f["evidence"]), ""])
    return csv_table(CSV_COLUMNS, rows)


def render_json(report: dict[str, Any]) -> str:
    return json_text(report) + "\n"


RENDERERS = {"html": render_html, "md": render_markdown, "csv": render_csv,
             "json": render_json}


def render(report: dict[str, Any], output_format: str) -> str:
    """The report in ``output_format``, one of :data:`REPORT_FORMATS`."""
    return RENDERERS[output_format](report)
