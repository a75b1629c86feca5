"""WHOIS probe: classification of real-format answers, parsing, the port-43 client against
the loopback test server, and --whois-server values."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from whois.exceptions import PywhoisError
from whois.parser import WhoisEntry

from domainwatch.checks.registration import Dependency, check_registration, owner_baseline
from domainwatch.probes.whois import (
    MAX_ANSWER_BYTES,
    REGISTRIES_FILE,
    MemoryWhoisCache,
    WhoisClient,
    WhoisRecord,
    classify,
    classify_answer,
    default_registries,
    is_fresh,
    load_registries,
    parse_registered,
    parse_whois_server,
    query,
)
from domainwatch.testnet.whois_server import WhoisServer

SAMPLES = Path(__file__).parent / "data" / "whois"
T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def sample(name: str) -> str:
    return (SAMPLES / name).read_text(encoding="utf-8")


def classify_text(domain: str, text: str) -> str:
    table = default_registries()
    status, _ = classify(domain, text, table.for_domain(domain), table.common_rate_limited)
    return status


# --- classification -----------------------------------------------------------------------


@pytest.mark.parametrize(("domain", "name", "expected"), [
    ("google.cn", "cnnic-registered-google.cn.txt", "registered"),
    ("nothing-here.gov.cn", "cnnic-unregistered.txt", "unregistered"),
    ("beijing.cn", "cnnic-reserved.txt", "reserved"),
    ("beijing.cn", "cnnic-reserved-list.txt", "reserved"),
    ("beijing.cn", "cnnic-prohibited.txt", "reserved"),
    ("jiuquan.gov.cn", "cnnic-rate-limited.txt", "rate_limited"),
    ("jiuquan.gov.cn", "cnnic-too-fast.txt", "rate_limited"),
    ("google.com", "verisign-registered-google.com.txt", "registered"),
    ("likexian-have-no-money-to-register.com", "verisign-unregistered.txt", "unregistered"),
    ("h4cker.org", "pir-registered-h4cker.org.txt", "registered"),
    ("likexian-have-no-money-to-register.org", "pir-unregistered.txt", "unregistered"),
    ("h4cker.org", "pir-rate-limited.txt", "rate_limited"),
])
def test_real_format_samples(domain: str, name: str, expected: str) -> None:
    text = sample(name)
    assert classify_text(domain, text) == expected
    assert classify_text(domain, text.replace("\n", "\r\n")) == expected


@pytest.mark.parametrize(("domain", "text"), [
    ("jiuquan.gov.cn", ""),
    ("jiuquan.gov.cn", "  \r\n\r\n"),
    ("jiuquan.gov.cn", "%% internal error, please retry\n"),
    ("jiuquan.gov.cn", "<html><body>502 Bad Gateway</body></html>"),
    ("jiuquan.gov.cn", "No matching record.\x00\x1b[2J"),
    ("jiuquan.gov.cn", "\x1b[31mNo matching record.\x1b[0m\n"),
    ("jiuquan.gov.cn", "Error: No matching record. (backend unavailable)\n"),
    ("jiuquan.com", 'No match for "OTHER.COM".\n'),
    ("jiuquan.com", "No matching record.\n"),
    ("jiuquan.org", "No matching record.\n"),
    ("xn--bww729e.xn--zfr164b", "No matching record.\n"),
    ("jiuquan.gov.cn", "Domain Name: jiuquan.gov.cn\nROID: 1-cn\nNo matching record.\n"),
    ("jiuquan.gov.cn", "No matching record.\n" * 5000),
    ("jiuquan.com", "WHOIS LIMIT EXCEEDED\nNo match for \"JIUQUAN.COM\".\n"),
])
def test_failures_are_never_unregistered(domain: str, text: str) -> None:
    assert classify_text(domain, text) in ("error", "rate_limited")


def test_no_registry_is_error() -> None:
    assert classify("x.zz", "No matching record.\n", None) == (
        "error", "no registry texts known for this suffix")


def test_unicode_domain_in_answer() -> None:
    text = 'No match for "酒泉.中国".\n'
    assert classify_text("xn--bww729e.xn--fiqs8s", text) == "unregistered"
    assert classify_text("xn--bww729e.xn--fiqs8s", 'No match for "北京.中国".\n') == "error"


# --- parsing ------------------------------------------------------------------------------


def test_cnnic_parsed_in_utc_from_beijing_time() -> None:
    table = default_registries()
    fields = parse_registered("google.cn", sample("cnnic-registered-google.cn.txt"),
                              table.for_domain("google.cn"))  # type: ignore[arg-type]
    assert fields == {
        "registrar": "厦门易名科技股份有限公司",
        "registrant": "北京谷翔信息技术有限公司",
        "name_servers": ["ns1.google.com", "ns2.google.com", "ns3.google.com", "ns4.google.com"],
        "created": "2003-03-17T04:20:05Z",
        "expires": "2023-03-17T04:48:36Z",
    }


def test_beijing_time_across_midnight() -> None:
    text = ("Domain Name: jiuquan.gov.cn\nROID: 1-cn\nDomain Status: ok\n"
            "Registration Time: 2010-01-01 07:30:00\nExpiration Time: 2030-01-01 08:00:00\n")
    registry = default_registries().for_domain("jiuquan.gov.cn")
    assert registry is not None
    fields = parse_registered("jiuquan.gov.cn", text, registry)
    assert fields["created"] == "2009-12-31T23:30:00Z"
    assert fields["expires"] == "2030-01-01T00:00:00Z"


def test_verisign_and_pir_parsed() -> None:
    table = default_registries()
    com = parse_registered("google.com", sample("verisign-registered-google.com.txt"),
                           table.for_domain("google.com"))  # type: ignore[arg-type]
    assert com["registrar"] == "MarkMonitor Inc."
    assert com["registrant"] is None
    assert com["name_servers"] == ["ns1.google.com", "ns2.google.com", "ns3.google.com",
                                   "ns4.google.com"]
    assert (com["created"], com["expires"]) == ("1997-09-15T04:00:00Z", "2028-09-14T04:00:00Z")
    org = parse_registered("h4cker.org", sample("pir-registered-h4cker.org.txt"),
                           table.for_domain("h4cker.org"))  # type: ignore[arg-type]
    assert org["registrar"] == "Google LLC"
    assert org["registrant"] == "Contact Privacy Inc. Customer 1242605855"
    assert org["expires"] == "2028-05-04T03:43:52Z"


def test_hostile_registered_answer_is_bounded() -> None:
    text = ("Domain Name: jiuquan.gov.cn\nROID: 1-cn\nDomain Status: ok\n"
            f"Registrant: {'酒' * 5000}\u202e evil\n"
            "Sponsoring Registrar: a\tb\n"
            "Name Server: NS1.Example.NET.\nName Server: bad name;rm -rf\n"
            "Name Server: ../../etc/passwd\n"
            "Registration Time: not a date\nExpiration Time: 9999-99-99 99:99:99\n")
    registry = default_registries().for_domain("jiuquan.gov.cn")
    assert registry is not None
    assert classify("jiuquan.gov.cn", text, registry)[0] == "registered"
    fields = parse_registered("jiuquan.gov.cn", text, registry)
    assert len(fields["registrant"]) <= 256 and "\u202e" not in fields["registrant"]
    assert fields["registrar"] == "a b"
    assert fields["name_servers"] == ["ns1.example.net"]
    assert fields["created"] is None and fields["expires"] is None


# --- python-whois: only for registries the table does not know ----------------------------

#: What a different python-whois (another version, another parser) might make of an answer.
OTHER_READING: dict[str, Any] = {
    "registrar": "Other Registrar Ltd", "org": "Someone Else", "name": "Someone Else",
    "registrant_name": "Someone Else", "name_servers": ["ns1.parking-example.com"],
    "creation_date": datetime(2020, 1, 1, tzinfo=UTC),
    "expiration_date": datetime(2021, 1, 1, tzinfo=UTC)}
#: A registered answer from a registry the table has no entry for (.au, through IANA).
AU_DOMAIN, AU_SAMPLE = "google.com.au", "auda-registered-google.com.au.txt"
GOOGLE_NAME_SERVERS = ["ns1.google.com", "ns2.google.com", "ns3.google.com", "ns4.google.com"]


def replace_python_whois(monkeypatch: pytest.MonkeyPatch,
                         outcome: dict[str, Any] | Exception | None) -> list[str]:
    """python-whois reads every answer as ``outcome`` (raised when an exception, nothing
    when None), through its entry point and through any per-TLD parser used directly
    (they all run ``WhoisEntry.parse``); returns the domains it was asked to read."""
    asked: list[str] = []

    def load(domain: str, text: str) -> dict[str, Any] | None:
        asked.append(domain)
        if isinstance(outcome, Exception):
            raise outcome
        return None if outcome is None else dict(outcome)

    def parse(entry: WhoisEntry) -> None:
        asked.append(entry.domain)
        if isinstance(outcome, Exception):
            raise outcome
        entry.update(outcome or {})

    monkeypatch.setattr(WhoisEntry, "load", staticmethod(load))
    monkeypatch.setattr(WhoisEntry, "parse", parse)
    return asked


@pytest.mark.parametrize("outcome", [OTHER_READING, PywhoisError("parser changed"), None],
                         ids=["reads-differently", "raises", "reads-nothing"])
@pytest.mark.parametrize(("domain", "name", "registrar", "registrant"), [
    ("google.cn", "cnnic-registered-google.cn.txt", "厦门易名科技股份有限公司",
     "北京谷翔信息技术有限公司"),
    ("google.com", "verisign-registered-google.com.txt", "MarkMonitor Inc.", None),
    ("h4cker.org", "pir-registered-h4cker.org.txt", "Google LLC",
     "Contact Privacy Inc. Customer 1242605855"),
    ("google.cloud", "icann-registered-google.cloud.txt", "MarkMonitor, Inc.", "Google LLC"),
])
def test_a_table_registry_is_read_with_its_own_labels_only(
        monkeypatch: pytest.MonkeyPatch, domain: str, name: str, registrar: str,
        registrant: str | None, outcome: dict[str, Any] | Exception | None) -> None:
    registry = default_registries().for_domain(domain)
    assert registry is not None
    asked = replace_python_whois(monkeypatch, outcome)
    fields = parse_registered(domain, sample(name), registry)
    assert (fields["registrar"], fields["registrant"]) == (registrar, registrant)
    assert "ns1.parking-example.com" not in fields["name_servers"]
    assert fields["created"] != "2020-01-01T00:00:00Z"
    assert asked == [], "python-whois is not asked about a registry the table knows"


def test_an_unknown_registry_gets_what_the_generic_labels_miss_from_python_whois() -> None:
    table = default_registries()
    assert table.for_domain(AU_DOMAIN) is None and table.generic is not None
    text = sample(AU_SAMPLE)
    status, _, _ = classify_answer(AU_DOMAIN, text, None, generic=table.generic)
    assert status == "registered"
    # auDA names its registrar "Registrar Name" and its registrant "Registrant": python-whois's
    # WhoisAU reads them; the name servers are in the ICANN labels.
    assert parse_registered(AU_DOMAIN, text, table.generic) == {
        "registrar": "MarkMonitor Corporate Services Inc", "registrant": "Google LLC",
        "name_servers": GOOGLE_NAME_SERVERS, "created": None, "expires": None}


def test_the_generic_labels_come_before_python_whois(monkeypatch: pytest.MonkeyPatch) -> None:
    table = default_registries()
    assert table.generic is not None
    asked = replace_python_whois(monkeypatch, OTHER_READING)
    fields = parse_registered(AU_DOMAIN, sample(AU_SAMPLE), table.generic)
    assert fields["name_servers"] == GOOGLE_NAME_SERVERS
    assert (fields["registrar"], fields["registrant"]) == ("Other Registrar Ltd", "Someone Else")
    assert asked == [AU_DOMAIN]
    cloud = parse_registered("google.cloud", sample("icann-registered-google.cloud.txt"),
                             table.generic)
    assert (cloud["registrar"], cloud["registrant"]) == ("MarkMonitor, Inc.", "Google LLC")


@pytest.mark.parametrize("failure", [
    PywhoisError("unreadable"), ValueError("Unknown string format"),
    OverflowError("Python int too large to convert to C long"), IndexError("list index"),
    None,
], ids=["its-own-error", "date-value", "date-overflow", "line-split", "returns-nothing"])
def test_a_python_whois_failure_leaves_those_fields_unknown(
        monkeypatch: pytest.MonkeyPatch, failure: Exception | None) -> None:
    table = default_registries()
    assert table.generic is not None
    replace_python_whois(monkeypatch, failure)
    assert parse_registered(AU_DOMAIN, sample(AU_SAMPLE), table.generic) == {
        "registrar": None, "registrant": None, "name_servers": GOOGLE_NAME_SERVERS,
        "created": None, "expires": None}


def test_a_python_whois_failure_is_no_owner_change(monkeypatch: pytest.MonkeyPatch) -> None:
    generic = default_registries().generic
    assert generic is not None
    text = sample(AU_SAMPLE)
    first = {"status": "registered", **parse_registered(AU_DOMAIN, text, generic),
             "asked": "2026-01-05T02:00:00Z"}
    assert (first["registrar"], first["registrant"]) == (
        "MarkMonitor Corporate Services Inc", "Google LLC")
    replace_python_whois(monkeypatch, PywhoisError("unreadable"))
    unread = {"status": "registered", **parse_registered(AU_DOMAIN, text, generic)}
    assert unread["registrant"] is None and unread["registrar"] is None
    needs = [Dependency(AU_DOMAIN, "www.google.com.au", "CNAME target")]

    def owner_changes(record: dict[str, Any], before: dict[str, Any]) -> list[Any]:
        result = check_registration("www.jiuquan.gov.cn", needs, {AU_DOMAIN: record},
                                    {AU_DOMAIN: before})
        assert "unregistered.owner_changed" in result.evaluated
        return [finding.evidence["changed"] for finding in result.findings
                if finding.rule == "unregistered.owner_changed"]

    assert owner_changes(unread, first) == []
    assert owner_changes(first, {**unread, "asked": first["asked"]}) == []
    assert owner_changes({**first, "name_servers": []}, first) == []
    # A known owner that differs is still a change.
    assert owner_changes({**first, "registrant": "Someone Else"}, first) == [
        {"registrant": {"from": "Google LLC", "to": "Someone Else"}}]



# --- owner changes, on real answers -------------------------------------------------------

CNNIC_SAMPLE = "cnnic-registered-google.cn.txt"
VERISIGN_SAMPLE = "verisign-registered-google.com.txt"
GNAME_DOMAIN, GNAME_SAMPLE = "dm12388.com", "gname-registered-dm12388.com.txt"
MONTHS = [f"2026-{month:02d}-01T02:00:00Z" for month in range(1, 13)]


def answer(domain: str, text: str, asked: str) -> dict[str, Any]:
    """The record the probe makes of a registered answer ``text``."""
    table = default_registries()
    registry = table.for_domain(domain) or table.generic
    assert registry is not None
    status, _ = classify(domain, text, registry, table.common_rate_limited)
    fields = parse_registered(domain, text, registry) if status == "registered" else {}
    return {"domain": domain, "status": status, **fields, "asked": asked}


def history(*records: dict[str, Any]) -> list[dict[str, Any]]:
    """The store's observations of ``records`` (oldest first), each current until the next."""
    rows = []
    for number, record in enumerate(records):
        until = records[number + 1]["asked"] if number + 1 < len(records) else record["asked"]
        rows.append({"id": number + 1, "data": record, "first_seen": record["asked"],
                     "last_seen": until})
    return rows[::-1]


def owner_change(record: dict[str, Any], before: dict[str, Any] | None) -> dict[str, Any]:
    """What ``unregistered.owner_changed`` says of ``record`` against ``before``: the changed
    fields and since when ({} when it does not hold)."""
    domain = record["domain"]
    result = check_registration("www.jiuquan.gov.cn", [Dependency(domain, f"www.{domain}",
                                                                  "CNAME target")],
                                {domain: record}, {domain: before})
    assert "unregistered.owner_changed" in result.evaluated
    found = [finding.evidence for finding in result.findings
             if finding.rule == "unregistered.owner_changed"]
    return {"changed": found[0]["changed"], "since": found[0]["since"]} if found else {}


@pytest.mark.parametrize(("value", "withheld"), [
    ("REDACTED FOR PRIVACY", True), ("Redacted for privacy", True), ("  Not   Disclosed ", True),
    ("NOT DISCLOSED!", True), ("Data Protected", True), ("不公开", True), ("N/A", True),
    ("Redacted Solutions LLC", False), ("Google LLC", False), ("北京谷翔信息技术有限公司", False),
    # a privacy service's customer: it names one registration, and another is a change
    ("Contact Privacy Inc. Customer 1242605855", False),
])
def test_withheld_field_texts(value: str, withheld: bool) -> None:
    assert default_registries().withholds(value) is withheld


def test_a_redacting_registrar_hides_the_registrant_without_changing_it() -> None:
    redacted = sample(GNAME_SAMPLE)
    assert answer(GNAME_DOMAIN, redacted, MONTHS[0])["registrant"] == "Redacted for privacy"
    shown = redacted.replace("Registrant Organization: Redacted for privacy",
                             "Registrant Organization: 酒泉市投资促进局")
    # shown, then redacted (a registrar starting to redact): nothing changed
    first = answer(GNAME_DOMAIN, shown, MONTHS[0])
    later = answer(GNAME_DOMAIN, redacted, MONTHS[1])
    assert owner_change(later, owner_baseline(history(first, later))) == {}
    # redacted first: the registrant is compared with the first answer that shows it
    first = answer(GNAME_DOMAIN, redacted, MONTHS[0])
    known = answer(GNAME_DOMAIN, shown, MONTHS[1])
    other = answer(GNAME_DOMAIN, shown.replace("酒泉市投资促进局", "Someone Else Ltd"), MONTHS[2])
    assert owner_change(known, owner_baseline(history(first, known))) == {}
    assert owner_change(other, owner_baseline(history(first, known, other))) == {
        "changed": {"registrant": {"from": "酒泉市投资促进局", "to": "Someone Else Ltd"}},
        "since": MONTHS[1]}


def test_cnnic_registrant_withheld_or_changed() -> None:
    text = sample(CNNIC_SAMPLE)
    first = answer("google.cn", text, MONTHS[0])
    baseline = owner_baseline(history(first))
    withheld = answer("google.cn", text.replace("Registrant: 北京谷翔信息技术有限公司",
                                                "Registrant: 不公开"), MONTHS[1])
    assert withheld["registrant"] == "不公开"
    assert owner_change(withheld, baseline) == {}
    sold = answer("google.cn", text.replace("北京谷翔信息技术有限公司", "某某网络科技有限公司"),
                  MONTHS[1])
    assert owner_change(sold, baseline) == {"changed": {"registrant": {
        "from": "北京谷翔信息技术有限公司", "to": "某某网络科技有限公司"}}, "since": MONTHS[0]}


def test_a_domain_dropped_and_caught_again_is_an_owner_change() -> None:
    text = sample(CNNIC_SAMPLE)
    first = answer("google.cn", text, MONTHS[0])
    lapsed = answer("google.cn", sample("cnnic-unregistered.txt"), MONTHS[1])
    assert lapsed["status"] == "unregistered"
    caught = answer("google.cn", text.replace("Registration Time: 2003-03-17 12:20:05",
                                              "Registration Time: 2026-03-02 00:00:01")
                    .replace("厦门易名科技股份有限公司", "阿里云计算有限公司")
                    .replace("北京谷翔信息技术有限公司", "张三"), MONTHS[2])
    change = owner_change(caught, owner_baseline(history(first, lapsed, caught)))
    assert change["changed"] == {
        "registrar": {"from": "厦门易名科技股份有限公司", "to": "阿里云计算有限公司"},
        "registrant": {"from": "北京谷翔信息技术有限公司", "to": "张三"},
        "created": {"from": "2003-03-17T04:20:05Z", "to": "2026-03-01T16:00:01Z"}}
    assert change["since"] == MONTHS[0]


def test_verisign_shows_no_registrant_so_only_what_it_shows_is_compared() -> None:
    text = sample(VERISIGN_SAMPLE)
    first = answer("google.com", text, MONTHS[0])
    assert first["registrant"] is None and first["registrar"] == "MarkMonitor Inc."
    baseline = owner_baseline(history(first))
    assert owner_change(answer("google.com", text.replace("MarkMonitor Inc.", "MARKMONITOR INC."),
                               MONTHS[1]), baseline) == {}, "case is not an owner"
    moved = answer("google.com", text.replace("Registrar: MarkMonitor Inc.",
                                              "Registrar: GoDaddy.com, LLC"), MONTHS[1])
    assert owner_change(moved, baseline)["changed"] == {
        "registrar": {"from": "MarkMonitor Inc.", "to": "GoDaddy.com, LLC"}}


def test_a_field_the_first_answer_could_not_read_is_compared_once_known(
        monkeypatch: pytest.MonkeyPatch) -> None:
    generic = default_registries().generic
    assert generic is not None
    text = sample(AU_SAMPLE)
    read = {"domain": AU_DOMAIN, "status": "registered",
            **parse_registered(AU_DOMAIN, text, generic), "asked": MONTHS[1]}
    replace_python_whois(monkeypatch, PywhoisError("unreadable"))
    unread = {**read, **parse_registered(AU_DOMAIN, text, generic), "asked": MONTHS[0]}
    assert unread["registrant"] is None and read["registrant"] == "Google LLC"
    other = {**read, "registrant": "Someone Else", "asked": MONTHS[2]}
    assert owner_change(other, owner_baseline(history(unread, read, other))) == {
        "changed": {"registrant": {"from": "Google LLC", "to": "Someone Else"}},
        "since": MONTHS[1]}


def test_the_accepted_record_is_the_baseline() -> None:
    text = sample(CNNIC_SAMPLE)
    old = answer("google.cn", text, MONTHS[0])
    moved = answer("google.cn", text.replace("厦门易名科技股份有限公司", "阿里云计算有限公司")
                   .replace("Registrant: 北京谷翔信息技术有限公司", "Registrant: 不公开"),
                   MONTHS[1])
    accepted = {"data": moved, "adopted_at": MONTHS[2]}
    shown = answer("google.cn", text.replace("厦门易名科技股份有限公司", "阿里云计算有限公司"),
                   MONTHS[3])
    rows = history(old, moved, shown)
    baseline = owner_baseline(rows, accepted)
    assert baseline is not None
    assert (baseline["registrar"], baseline["registrant"]) == ("阿里云计算有限公司",
                                                               "北京谷翔信息技术有限公司")
    assert baseline["known_since"]["registrar"] == MONTHS[2]
    assert baseline["known_since"]["registrant"] == MONTHS[3], \
        "withheld when accepted: the first answer since that shows it"
    assert owner_change(shown, baseline) == {}
    assert owner_baseline(history(answer("google.cn", sample("cnnic-unregistered.txt"),
                                         MONTHS[0]))) is None

@pytest.mark.world
def test_an_unknown_registry_answer_through_the_client() -> None:
    answers = {AU_DOMAIN: {"status": "raw", "text": sample(AU_SAMPLE)}}
    with WhoisServer(answers) as server:
        client = WhoisClient({"au": server.address}, timeout=1.0, retries=0,
                             min_interval=0.0)
        record = run(client.lookup("www.google.com.au"))
    assert record.status == "registered"
    assert (record.registrar, record.registrant) == ("MarkMonitor Corporate Services Inc",
                                                     "Google LLC")
    assert record.name_servers == GOOGLE_NAME_SERVERS


def test_python_whois_belongs_to_the_generic_shapes_only(tmp_path: Path) -> None:
    table = default_registries()
    assert table.generic is not None and table.generic.python_whois
    assert not any(registry.python_whois for registry in table.registries)
    document = json.loads(REGISTRIES_FILE.read_text(encoding="utf-8"))
    path = tmp_path / "whois-registries.json"
    document["registries"][0]["python_whois"] = "WhoisCn"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(ValueError, match="generic only"):
        load_registries(path)
    del document["registries"][0]["python_whois"]
    document["generic"]["python_whois"] = "WhoisEntry"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(ValueError, match="true or false"):
        load_registries(path)


# --- the client against the test server ---------------------------------------------------

ANSWERS: dict[str, dict[str, Any]] = {
    "jqtz.com.cn": {"status": "registered", "registrant": "酒泉市投资促进局",
                    "name_servers": ["DNS2.hichina.com", "dns1.hichina.com"],
                    "created": "2012-05-03T02:11:12Z", "expires": "2027-05-03T02:11:12Z"},
    "jqtz.com": {"status": "registered", "registrar": "Example Registrar, Inc."},
    "jqtz.org": {"status": "registered", "registrant": "Jiuquan Foundation"},
    "gone.gov.cn": {"status": "unregistered"},
    "gone.com": {"status": "unregistered"},
    "gone.org": {"status": "unregistered"},
    "beijing.cn": {"status": "reserved"},
    "busy.gov.cn": {"status": "rate_limited"},
    "busy.org": {"status": "rate_limited"},
    "flaky.gov.cn": {"status": "registered", "rate_limited_first": 1},
    "slow.gov.cn": {"status": "hang"},
    "mute.gov.cn": {"status": "empty"},
    "soon.gov.cn": {"status": "expiring", "days": 20},
    "酒泉.中国": {"status": "registered"},
    "junk.gov.cn": {"status": "raw", "text": "\x00\x01garbage\x7f"},
    "huge.gov.cn": {"status": "raw", "text": "No matching record.\n" * 10000},
}


def client_for(server: WhoisServer, **options: Any) -> WhoisClient:
    settings: dict[str, Any] = {"timeout": 1.0, "retries": 0, "min_interval": 0.0,
                                "backoff": 0.01}
    settings.update(options)
    return WhoisClient({"": server.address}, **settings)


@pytest.mark.world
def test_query_sends_idna_and_reads_to_eof() -> None:
    with WhoisServer(ANSWERS) as server:
        text = run(query("酒泉.中国", server.address, 2.0))
        assert server.queries[-1][1] == "xn--bww729e.xn--fiqs8s"
    assert text.startswith("Domain Name: 酒泉.中国\r\n")
    assert text.endswith("DNSSEC: unsigned\r\n")


@pytest.mark.world
def test_lookup_statuses() -> None:
    async def main(server: WhoisServer) -> dict[str, WhoisRecord]:
        client = client_for(server)
        names = ["www.jqtz.com.cn", "jqtz.com", "jqtz.org", "gone.gov.cn", "gone.com",
                 "gone.org", "beijing.cn", "soon.gov.cn", "酒泉.中国", "junk.gov.cn",
                 "huge.gov.cn", "mute.gov.cn", "gov.cn", "no-tld.zz"]
        records = await asyncio.gather(*(client.lookup(name) for name in names))
        return dict(zip(names, records, strict=True))

    with WhoisServer(ANSWERS) as server:
        records = run(main(server))
        host, port = server.address
    statuses = {name: record.status for name, record in records.items()}
    assert statuses == {
        "www.jqtz.com.cn": "registered", "jqtz.com": "registered", "jqtz.org": "registered",
        "gone.gov.cn": "unregistered", "gone.com": "unregistered", "gone.org": "unregistered",
        "beijing.cn": "reserved", "soon.gov.cn": "registered", "酒泉.中国": "registered",
        "junk.gov.cn": "error", "huge.gov.cn": "error", "mute.gov.cn": "error",
        "gov.cn": "error", "no-tld.zz": "error",
    }
    jqtz = records["www.jqtz.com.cn"]
    assert jqtz.domain == "jqtz.com.cn" and jqtz.server == f"{host}:{port}"
    assert jqtz.registrant == "酒泉市投资促进局"
    assert jqtz.registrar == "阿里云计算有限公司（万网）"
    assert jqtz.name_servers == ["dns1.hichina.com", "dns2.hichina.com"]
    assert (jqtz.created, jqtz.expires) == ("2012-05-03T02:11:12Z", "2027-05-03T02:11:12Z")
    assert "Registration Time: 2012-05-03 10:11:12" in jqtz.raw
    assert records["jqtz.com"].registrar == "Example Registrar, Inc."
    assert records["jqtz.org"].registrant == "Jiuquan Foundation"
    assert records["酒泉.中国"].domain == "xn--bww729e.xn--fiqs8s"
    soon = records["soon.gov.cn"].expires
    assert soon is not None
    left = datetime.fromisoformat(soon) - datetime.now(UTC)
    assert timedelta(days=19) < left <= timedelta(days=20)
    assert records["huge.gov.cn"].detail == f"answer larger than {MAX_ANSWER_BYTES} bytes"
    assert len(records["huge.gov.cn"].raw) <= MAX_ANSWER_BYTES
    assert records["gone.gov.cn"].detail == "No matching record."
    assert records["mute.gov.cn"].detail == "empty answer"


@pytest.mark.world
def test_rate_limited_stays_rate_limited_after_retries() -> None:
    async def main(server: WhoisServer) -> list[WhoisRecord]:
        client = client_for(server, retries=2)
        return [await client.lookup("busy.gov.cn"), await client.lookup("busy.org"),
                await client.lookup("flaky.gov.cn")]

    with WhoisServer(ANSWERS) as server:
        busy_cn, busy_org, flaky = run(main(server))
        asked = [domain for _, domain in server.queries]
    assert (busy_cn.status, busy_org.status) == ("rate_limited", "rate_limited")
    assert "after 3 attempts" in busy_cn.detail
    assert "Queried interval is too short." in busy_cn.detail
    assert flaky.status == "registered"
    assert asked.count("busy.gov.cn") == 3 and asked.count("flaky.gov.cn") == 2


@pytest.mark.world
def test_hanging_server_is_an_error_within_the_timeout() -> None:
    async def main(server: WhoisServer) -> WhoisRecord:
        return await client_for(server, timeout=0.3, retries=1).lookup("slow.gov.cn")

    with WhoisServer(ANSWERS) as server:
        record = run(main(server))
        asked = [domain for _, domain in server.queries]
    assert record.status == "error"
    assert "no complete answer within 0.3s" in record.detail
    assert asked == ["slow.gov.cn"] * 2, "asked, asked again, given up"


@pytest.mark.world
def test_unreachable_server_is_an_error() -> None:
    with WhoisServer({}) as server:
        address = server.address
    record = run(WhoisClient({"cn": address}, timeout=0.5, retries=0).lookup("jiuquan.gov.cn"))
    assert record.status == "error"
    assert "ConnectionRefusedError" in record.detail or "OSError" in record.detail


@pytest.mark.world
def test_one_domain_asked_once_under_concurrency() -> None:
    async def main(server: WhoisServer) -> list[WhoisRecord]:
        client = client_for(server)
        first = await asyncio.gather(*(client.lookup("jqtz.com.cn") for _ in range(10)))
        return [*first, await client.lookup("WWW.JQTZ.COM.CN.")]

    with WhoisServer(ANSWERS) as server:
        records = run(main(server))
        assert [domain for _, domain in server.queries] == ["jqtz.com.cn"]
    assert {record.status for record in records} == {"registered"}


@pytest.mark.world
def test_per_server_spacing_and_parallel_servers() -> None:
    names = ["gone.gov.cn", "beijing.cn", "jqtz.com.cn", "soon.gov.cn"]

    async def main(first: WhoisServer, second: WhoisServer) -> None:
        client = WhoisClient({"cn": first.address, "com": second.address}, timeout=1.0,
                             retries=0, min_interval=0.2)
        await asyncio.gather(*(client.lookup(name) for name in names),
                             client.lookup("gone.com"), client.lookup("jqtz.com"))

    with WhoisServer(ANSWERS) as first, WhoisServer(ANSWERS, host="127.0.0.2") as second:
        run(main(first, second))
        times = first.query_times()
        other = second.query_times()
    assert len(times) == len(names) and len(other) == 2
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert min(gaps) >= 0.15
    assert other[0] < times[1], "the other server is not kept waiting behind the first's turns"


@pytest.mark.world
def test_cache_is_used_and_lifetime_based() -> None:
    now = [1_000_000.0]
    cache = MemoryWhoisCache(clock=lambda: now[0])

    async def main(server: WhoisServer) -> tuple[WhoisRecord, WhoisRecord]:
        first = await client_for(server, cache=cache).lookup("jqtz.com.cn")
        second = await client_for(server, cache=cache).lookup("jqtz.com.cn")
        return first, second

    with WhoisServer(ANSWERS) as server:
        first, second = run(main(server))
        assert len(server.queries) == 1
    assert second is first
    asked = datetime.fromisoformat(first.asked).timestamp()
    assert is_fresh(first, asked + 60) and not is_fresh(first, asked + 2 * 86400)
    assert WhoisRecord.from_dict(first.as_dict()) == first
    cache.put(WhoisRecord(domain="x.gov.cn", status="rate_limited", server="s:43"))
    assert cache.get("x.gov.cn") is None


def test_server_rejects_non_loopback_and_unknown_behaviours() -> None:
    with pytest.raises(ValueError, match="loopback"):
        WhoisServer({}, host="0.0.0.0")
    with pytest.raises(ValueError, match="unknown behaviour"):
        WhoisServer({"a.cn": {"status": "sleepy"}})


# --- --whois-server -----------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("127.0.0.1", ("", ("127.0.0.1", 43))),
    ("127.0.0.1:4343", ("", ("127.0.0.1", 4343))),
    ("cn=127.0.0.1:4343", ("cn", ("127.0.0.1", 4343))),
    (".CN=Whois.CNNIC.cn", ("cn", ("whois.cnnic.cn", 43))),
    ("中国=127.0.0.2:43", ("xn--fiqs8s", ("127.0.0.2", 43))),
    ("com=[::1]:4343", ("com", ("::1", 4343))),
    ("[::1]", ("", ("::1", 43))),
])
def test_parse_whois_server(text: str, expected: tuple[str, tuple[str, int]]) -> None:
    assert parse_whois_server(text) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("", "empty WHOIS server"),
    ("cn=", "empty host"),
    ("=127.0.0.1", "empty TLD"),
    ("127.0.0.1:", "empty port"),
    ("127.0.0.1:0", "not a number from 1 to 65535"),
    ("127.0.0.1:70000", "not a number from 1 to 65535"),
    ("127.0.0.1:abc", "not a number from 1 to 65535"),
    ("::1", r"\[ADDRESS\]:PORT"),
    ("[::1", "unclosed"),
    ("bad host name:43", "bad host"),
    ("c n=127.0.0.1", "bad TLD"),
])
def test_parse_whois_server_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_whois_server(text)


@pytest.mark.world
def test_the_whois_command_end_to_end() -> None:
    import subprocess
    import sys

    answers = {"jqtz.com.cn": {"status": "registered", "registrant": "酒泉市投资促进局"},
               "lapsed-bureau.cn": {"status": "unregistered"},
               "busy.cn": {"status": "rate_limited"}}
    with WhoisServer(answers) as server:
        host, port = server.address

        def whois(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [sys.executable, "-m", "domainwatch", "whois", "--whois-server",
                 f"{host}:{port}", "--timeout", "2", *args],
                capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)

        good = whois("www.jqtz.com.cn", "lapsed-bureau.cn", "--format", "json")
        assert good.returncode == 0, good.stderr
        records = {r["domain"]: r for r in json.loads(good.stdout)}
        assert records["jqtz.com.cn"]["status"] == "registered"
        assert records["jqtz.com.cn"]["registrant"] == "酒泉市投资促进局"
        assert records["lapsed-bureau.cn"]["status"] == "unregistered"
        busy = whois("busy.cn")
        assert busy.returncode == 5
        assert "rate_limited" in busy.stdout and "unregistered" not in busy.stdout
        suffix = whois("gov.cn")
        assert suffix.returncode == 3 and "public suffix" in suffix.stderr
