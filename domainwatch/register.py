"""The register: reading allocation lists, validating every row, and planning an import.

A file is checked whole before anything is written: one bad row rejects the file, and every
error is reported with its row number, so an administrator fixes them all in one pass.

Host-name cells (``name``, ``parent``, ``nameservers``, ``hosts``) hold domain names: an IP
address, a public suffix (``gov.cn``, ``cn``) or a single label is an error. A URL, as the
national reporting system exports them (``http://www.jiuquan.gov.cn/``), is read as its host,
with a warning naming the row.
"""

from __future__ import annotations

import csv
import io
import ipaddress
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from domainwatch.names import (
    InvalidName,
    display_name,
    is_public_suffix,
    normalize_name,
    registrable_domain,
    site_code_problem,
)
from domainwatch.store import Store

STATES = ("active", "offline", "deregistered")
PRIORITIES = ("normal", "high")
COLUMNS = ("name", "owner", "parent", "state", "site_code", "contact", "networks",
           "nameservers", "note", "priority", "hosts")
LIST_COLUMNS = ("networks", "nameservers", "hosts")
FORMATS = ("csv", "json", "zone", "ct")
_SEPARATORS = re.compile(r"[\s;,]+")
# A URL, or a host with a port or a path: [scheme://]host[:port][/path?query#fragment].
_URL = re.compile(r"(?:(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://)?"
                  r"(?P<host>\[[^\]]*\]|[^/?#:@\s\[\]]+)(?::(?P<port>\d+))?(?P<rest>[/?#].*)?",
                  re.DOTALL)


class RegisterError(Exception):
    """A register file that cannot be imported; ``errors`` lists every problem found."""

    def __init__(self, source: str, errors: list[RowError]) -> None:
        self.source = source
        self.errors = errors
        super().__init__(f"{source}: {len(errors)} error(s)")


@dataclass(frozen=True)
class RowError:
    row: int | None
    message: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.message}" if self.row is not None else self.message


@dataclass(frozen=True)
class RowWarning:
    """Something an import read other than as written (a URL read as its host); the row is
    imported all the same."""

    row: int | None
    message: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.message}" if self.row is not None else self.message


@dataclass
class RawRow:
    """One row as read from a file, with the row number a user sees in their editor.

    ``problem`` says why a row could not even be read as fields (too many cells, not an
    object); it is reported together with the other rows' errors.
    """

    row: int
    values: dict[str, str]
    problem: str | None = None


def read_rows(path: Path, file_format: str | None = None) -> list[RawRow]:
    """Read a register file (CSV or JSON, chosen by ``file_format`` or the extension)."""
    source = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise RegisterError(source, [RowError(None, "file not found")]) from None
    except OSError as error:
        raise RegisterError(source, [RowError(None, f"cannot read: {error.strerror}")]) from None
    file_format = file_format or ("json" if path.suffix.lower() == ".json" else "csv")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise RegisterError(source, [RowError(None, f"not UTF-8 (byte {error.start}); save the "
                                              "file as UTF-8")]) from None
    if file_format == "json":
        return _json_rows(source, text)
    return _csv_rows(source, text)


def _csv_rows(source: str, text: str) -> list[RawRow]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise RegisterError(source, [RowError(None, "the file is empty")]) from None
    except csv.Error as error:
        raise RegisterError(source, [RowError(1, f"unreadable CSV: {error}")]) from None
    columns = [column.strip().lower() for column in header]
    _check_columns(source, columns, header_row=1)
    rows: list[RawRow] = []
    try:
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > len(columns):
                rows.append(RawRow(line, {}, f"{len(cells)} cells, but the header has "
                                             f"{len(columns)} columns"))
                continue
            rows.append(RawRow(line, {column: cell.strip()
                                      for column, cell in zip(columns, cells, strict=False)}))
    except csv.Error as error:
        rows.append(RawRow(reader.line_num, {}, f"unreadable CSV: {error}"))
    return rows


def _json_rows(source: str, text: str) -> list[RawRow]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise RegisterError(source, [RowError(None, f"not valid JSON: {error}")]) from None
    if isinstance(document, dict) and isinstance(document.get("entries"), list):
        document = document["entries"]
    if not isinstance(document, list):
        raise RegisterError(source, [RowError(None, "expected a JSON array of entries, or an "
                                                    "object with an 'entries' array")])
    rows: list[RawRow] = []
    for number, item in enumerate(document, start=1):
        if not isinstance(item, dict):
            rows.append(RawRow(number, {}, "is not a JSON object"))
            continue
        unknown = sorted(set(item) - set(COLUMNS))
        if unknown:
            rows.append(RawRow(number, {}, f"unknown field(s): {', '.join(unknown)}"))
            continue
        values: dict[str, str] = {}
        wrong = [key for key, value in item.items()
                 if not (value is None or (key in LIST_COLUMNS and isinstance(value, list))
                         or (isinstance(value, str | int) and not isinstance(value, bool)))]
        if wrong:
            rows.append(RawRow(number, {}, f"field(s) {', '.join(wrong)} must be strings"))
            continue
        for key, value in item.items():
            if isinstance(value, list):
                values[key] = " ".join(str(v) for v in value)
            elif value is not None:
                values[key] = str(value).strip()
        rows.append(RawRow(number, values))
    return rows


def _check_columns(source: str, columns: list[str], header_row: int) -> None:
    errors: list[RowError] = []
    unknown = [c for c in columns if c not in COLUMNS]
    if unknown:
        errors.append(RowError(header_row, f"unknown column(s): {', '.join(unknown)} (known: "
                                           f"{', '.join(COLUMNS)})"))
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    if duplicated:
        errors.append(RowError(header_row, f"column(s) given twice: {', '.join(duplicated)}"))
    if "name" not in columns:
        errors.append(RowError(header_row, "no 'name' column"))
    if errors:
        raise RegisterError(source, errors)


@dataclass
class ImportPlan:
    """What an import would do; entries are full rows, ready for the store. ``warnings``
    say which cells were read other than as written, by row."""

    added: list[dict[str, Any]] = field(default_factory=list)
    changed: list[tuple[dict[str, Any], dict[str, tuple[Any, Any]]]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    warnings: list[RowWarning] = field(default_factory=list)


def blank_entry(name: str) -> dict[str, Any]:
    return {"name": name, "owner": "", "parent": None, "state": "active", "site_code": "",
            "contact": "", "networks": [], "nameservers": [], "note": "", "priority": "normal",
            "hosts": []}


def plan_import(source: str, rows: list[RawRow],
                existing: dict[str, dict[str, Any]]) -> ImportPlan:
    """Validate every row against the file and the current register; plan the import.

    Raises :class:`RegisterError` listing every problem when any row is bad. An empty cell
    leaves the stored value as it is; a column that is absent likewise.
    """
    errors: list[RowError] = []
    warnings: list[RowWarning] = []
    parsed: list[tuple[RawRow, dict[str, Any]]] = []
    first_row: dict[str, int] = {}
    for raw in rows:
        if raw.problem is not None:
            errors.append(RowError(raw.row, raw.problem))
            continue
        values, row_errors, row_warnings = _parse_row(raw)
        errors += row_errors
        warnings += row_warnings
        name = values.get("name")
        if name is None:
            continue
        if name in first_row:
            errors.append(RowError(raw.row, f"{name} is listed twice (first on row "
                                            f"{first_row[name]})"))
            continue
        first_row[name] = raw.row
        parsed.append((raw, values))
    known = set(existing) | set(first_row)
    for raw, values in parsed:
        parent = values.get("parent")
        if parent is None:
            continue
        if parent == values["name"]:
            errors.append(RowError(raw.row, f"{values['name']} names itself as its parent"))
        elif parent not in known:
            errors.append(RowError(raw.row, f"parent {parent} is neither in the register nor "
                                            "in this file"))
    if errors:
        errors.sort(key=lambda e: (e.row or 0))
        raise RegisterError(source, errors)
    plan = ImportPlan(warnings=warnings)
    for _raw, values in parsed:
        name = values["name"]
        current = existing.get(name)
        merged = dict(current) if current else blank_entry(name)
        merged.update(values)
        if current is None:
            plan.added.append(merged)
            continue
        diff = {key: (current[key], merged[key]) for key in COLUMNS if current[key] != merged[key]}
        if diff:
            plan.changed.append((merged, diff))
        else:
            plan.unchanged.append(name)
    return plan


def _parse_row(raw: RawRow) -> tuple[dict[str, Any], list[RowError], list[RowWarning]]:
    """Typed, normalised values of the non-empty cells of one row, its errors and warnings."""
    errors: list[RowError] = []
    warnings: list[RowWarning] = []
    values: dict[str, Any] = {}
    cells = {key: value for key, value in raw.values.items() if value != ""}

    def fail(message: str) -> None:
        errors.append(RowError(raw.row, message))

    def read_host(text: str, what: str) -> str | None:
        try:
            name, was_url = host_name(text)
        except InvalidName as error:
            fail(f"{what} {text!r}: {error}")
            return None
        if was_url:
            warnings.append(RowWarning(raw.row, f"{what} {text!r} is a URL; read as its host "
                                                f"{display_name(name)}"))
        return name

    if "name" not in cells:
        fail("name is empty")
    for key in ("name", "parent"):
        if key in cells:
            name = read_host(cells[key], key)
            if name is not None:
                values[key] = name
    for key, allowed in (("state", STATES), ("priority", PRIORITIES)):
        if key in cells:
            if cells[key].lower() in allowed:
                values[key] = cells[key].lower()
            else:
                fail(f"{key} {cells[key]!r} is not one of {', '.join(allowed)}")
    if "site_code" in cells:
        problem = site_code_problem(cells["site_code"])
        if problem:
            fail(problem)
        else:
            values["site_code"] = cells["site_code"]
    for key in ("owner", "contact", "note"):
        if key in cells:
            values[key] = cells[key]
    if "networks" in cells:
        networks: list[str] = []
        for item in _SEPARATORS.split(cells["networks"]):
            if not item:
                continue
            try:
                networks.append(str(ipaddress.ip_network(item, strict=False)))
            except ValueError:
                fail(f"network {item!r} is not a CIDR block or address")
        values["networks"] = sorted(set(networks))
    for key, what in (("nameservers", "name server"), ("hosts", "host")):
        if key in cells:
            hosts: list[str] = []
            for item in _SEPARATORS.split(cells[key]):
                if not item:
                    continue
                host = read_host(item, what)
                if host is not None:
                    hosts.append(host)
            values[key] = sorted(set(hosts))
    return values, errors, warnings


def host_name(text: str) -> tuple[str, bool]:
    """A host-name cell as a stored name, and whether the cell was a URL (or a host with a
    port or path), read as its host. Raises :class:`InvalidName` for an IP address, a
    public suffix, a single label, a URL of another scheme than http(s), or a malformed
    name."""
    host = text.strip()
    url = _URL.fullmatch(host)
    is_url = url is not None and bool(url["scheme"] or url["port"] or url["rest"])
    if url is not None and is_url:
        if url["scheme"] and url["scheme"].lower() not in ("http", "https"):
            raise InvalidName(f"only http and https URLs are read as their host, not "
                              f"{url['scheme']}://")
        host = url["host"]
    try:
        ipaddress.ip_address(host.removeprefix("[").removesuffix("]"))
    except ValueError:
        pass
    else:
        raise InvalidName("an IP address, not a domain name (addresses go in networks)")
    name = normalize_name(host)
    if is_public_suffix(name):
        raise InvalidName(f"{display_name(name)} is a public suffix: no one holds it as a "
                          "domain of their own")
    if "." not in name:
        raise InvalidName(f"{display_name(name)} is a single label, not a fully qualified "
                          "domain name")
    return name, is_url


def apply_plan(store: Store, plan: ImportPlan, *, by: str, reason: str) -> None:
    """Write an import plan in one transaction: all of it, or nothing."""
    with store.transaction():
        write_plan(store, plan, by=by, reason=reason)


def write_plan(store: Store, plan: ImportPlan, *, by: str, reason: str) -> None:
    """Write an import plan inside the caller's transaction."""
    for entry in plan.added:
        store.save_entry(entry, by=by, reason=reason, action="added",
                         changes={k: entry[k] for k in COLUMNS if entry[k] not in ("", [])})
    for entry, diff in plan.changed:
        store.save_entry(entry, by=by, reason=reason, action="changed",
                         changes={k: {"from": old, "to": new} for k, (old, new) in diff.items()})


#: Record types that make a zone name a host someone could visit (worth a register entry).
HOST_TYPES = frozenset({"A", "AAAA", "CNAME"})


def plan_accept(names: list[str], existing: dict[str, dict[str, Any]],
                note: str) -> ImportPlan:
    """Register entries for discovered names: active, under the portal of their government
    domain when the register has it (owner inherited from it), with ``note`` saying where
    they came from."""
    plan = ImportPlan()
    for name in names:
        if name in existing:
            continue
        entry = blank_entry(name)
        domain = registrable_domain(name)
        portal = existing.get(f"www.{domain}") if domain else None
        if portal is not None and portal["name"] != name:
            entry["parent"] = portal["name"]
            entry["owner"] = portal["owner"]
        entry["note"] = note
        plan.added.append(entry)
    return plan


def entry_as_text(entry: dict[str, Any]) -> dict[str, str]:
    """An entry with list fields joined, as a CSV row or a table shows it."""
    return {key: (" ".join(entry[key]) if key in LIST_COLUMNS else (entry[key] or ""))
            for key in COLUMNS}
