"""WHOIS for any TLD: the registry texts of the common gTLDs and ccTLDs, IANA's referral
for a TLD the table does not know (against loopback servers on port 43), the referral
cache in memory and in the database, and answers in formats nobody knows."""

from __future__ import annotations

import asyncio
import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import DEMO_REGISTER, FAST, dw, findings

from domainwatch.probes.whois import (
    IANA_KEY,
    MemoryReferralCache,
    Referral,
    WhoisClient,
    WhoisRecord,
    classify,
    classify_answer,
    default_registries,
    parse_referral,
    parse_registered,
    parse_whois_server,
)
from domainwatch.store import Store
from domainwatch.testnet.whois_server import ReferralServer, WhoisServer

SAMPLES = Path(__file__).parent / "data" / "whois"


def sample(name: str) -> str:
    return (SAMPLES / name).read_text(encoding="utf-8")


def classify_text(domain: str, text: str) -> str:
    table = default_registries()
    status, _ = classify(domain, text, table.for_domain(domain), table.common_rate_limited)
    return status


# --- the registry texts -------------------------------------------------------------------

GONE = "likexian-no-money-registe"


@pytest.mark.parametrize(("domain", "name", "expected"), [
    # Identity Digital platform (.io, .sh, .me, .info): the Afilias and the Donuts text
    (f"{GONE}.io", "identity-digital-unregistered-2021.txt", "unregistered"),
    (f"{GONE}.io", "identity-digital-unregistered.txt", "unregistered"),
    (f"{GONE}.sh", "identity-digital-unregistered-2021.txt", "unregistered"),
    (f"{GONE}.me", "identity-digital-unregistered.txt", "unregistered"),
    (f"{GONE}.info", "identity-digital-unregistered-2021.txt", "unregistered"),
    # GoDaddy Registry back end (.co, .biz, .cloud)
    (f"{GONE}.co", "godaddy-unregistered.txt", "unregistered"),
    (f"{GONE}.biz", "godaddy-unregistered.txt", "unregistered"),
    (f"{GONE}.cloud", "godaddy-unregistered.txt", "unregistered"),
    (f"{GONE}.co", "godaddy-rate-limited.txt", "rate_limited"),
    ("google.cloud", "icann-registered-google.cloud.txt", "registered"),
    # Google Registry (.app, .dev)
    (f"{GONE}.app", "google-unregistered.txt", "unregistered"),
    (f"{GONE}.dev", "google-unregistered.txt", "unregistered"),
    ("google.page", "google-registered-google.page.txt", "registered"),
    # CentralNic (.xyz): its disclaimer's "is rate limited" is not a rate-limit answer
    (f"{GONE}.xyz", "centralnic-unregistered.txt", "unregistered"),
    ("google.xyz", "centralnic-registered-google.xyz.txt", "registered"),
    # ZDNS (.top) and .ws name the asked domain
    (f"{GONE}.top", "zdns-unregistered.top.txt", "unregistered"),
    ("business.top", "zdns-registered-business.top.txt", "registered"),
    (f"{GONE}.ws", "ws-unregistered.txt", "unregistered"),
    ("x.vip", "vip-unregistered.txt", "unregistered"),
    # TCI (.ru, .рф)
    (f"{GONE}.ru", "tci-unregistered.txt", "unregistered"),
    ("xn--80ak6aa92e.xn--p1ai", "tci-unregistered.txt", "unregistered"),
    ("yandex.ru", "tci-registered-yandex.ru.txt", "registered"),
    ("yandex.ru", "tci-rate-limited.txt", "rate_limited"),
    ("yandex.ru", "common-rate-limited.txt", "rate_limited"),
])
def test_registry_texts(domain: str, name: str, expected: str) -> None:
    text = sample(name)
    assert classify_text(domain, text) == expected
    assert classify_text(domain, text.replace("\n", "\r\n")) == expected


@pytest.mark.parametrize(("domain", "name"), [
    ("other.top", "zdns-unregistered.top.txt"),     # names another domain
    ("other.ws", "ws-unregistered.txt"),
    ("jiuquan.io", "godaddy-unregistered.txt"),     # another registry's text
    ("jiuquan.ru", "identity-digital-unregistered.txt"),
    ("jiuquan.app", "cnnic-unregistered.txt"),
    ("jiuquan.io", "tci-registered-yandex.ru.txt"),
    ("google.xyz", "icann-registered-google.cloud.txt"),  # a record for another domain
])
def test_a_text_the_registry_does_not_send_is_never_unregistered(domain: str,
                                                                 name: str) -> None:
    status, reason, _ = classify_answer(domain, sample(name),
                                        default_registries().for_domain(domain))
    assert (status, reason) == ("error", "unknown_format")


def test_registered_answers_are_parsed() -> None:
    table = default_registries()
    cloud = parse_registered("google.cloud", sample("icann-registered-google.cloud.txt"),
                             table.for_domain("google.cloud"))  # type: ignore[arg-type]
    assert cloud == {"registrar": "MarkMonitor, Inc.", "registrant": "Google LLC",
                     "name_servers": ["ns1.google.com", "ns2.google.com", "ns3.google.com",
                                      "ns4.google.com"],
                     "created": "2016-01-27T01:19:35Z", "expires": "2023-01-27T01:19:35Z"}
    xyz = parse_registered("google.xyz", sample("centralnic-registered-google.xyz.txt"),
                           table.for_domain("google.xyz"))  # type: ignore[arg-type]
    assert xyz["expires"] == "2022-11-26T23:59:59Z"
    assert xyz["name_servers"] == ["ns1.google.com", "ns2.google.com"]
    ru = parse_registered("yandex.ru", sample("tci-registered-yandex.ru.txt"),
                          table.for_domain("yandex.ru"))  # type: ignore[arg-type]
    assert ru == {"registrar": "RU-CENTER-RU", "registrant": "YANDEX, LLC.",
                  "name_servers": ["ns1.yandex.ru", "ns2.yandex.ru", "ns9.z5h64q92x9.net"],
                  "created": "1997-09-23T09:45:07Z", "expires": "2018-09-30T21:00:00Z"}


def test_every_table_registry_has_a_server_and_sources() -> None:
    table = default_registries()
    for tld in ("com", "net", "org", "cn", "io", "co", "me", "app", "dev", "cloud", "ru",
                "xn--p1ai", "sh", "xyz", "top", "vip", "xn--fiqs8s", "xn--zfr164b", "ws",
                "info", "biz"):
        registry = table.for_domain(f"jiuquan.{tld}")
        assert registry is not None and registry.server[0], tld


# --- the generic shapes (a server found through IANA) -------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("% Terms of use\n\nNOT FOUND\n", "unregistered"),
    ("No Data Found\n>>> Last update of WHOIS database: 2024-01-01T00:00:00Z <<<\n",
     "unregistered"),
    ('No match for "JIUQUAN.HELP".\n', "unregistered"),
    ("The queried object does not exist: jiuquan.help\n", "unregistered"),
    ('No match for "OTHER.HELP".\n', "error"),
    ("Domain Name: jiuquan.help\nRegistry Domain ID: 1-X\nCreation Date: 2020-01-01T00:00:00Z\n",
     "registered"),
    ("Welcome to our registry.\nNOT FOUND\n", "error"),  # not the first line
    ("Available\n", "error"),
    ("jiuquan.help is free\n", "error"),
    ("Status: AVAILABLE\n", "error"),
    ("WHOIS LIMIT EXCEEDED\n", "rate_limited"),
    ("Number of allowed queries exceeded.\n", "rate_limited"),
])
def test_generic_shapes(text: str, expected: str) -> None:
    table = default_registries()
    assert table.for_domain("jiuquan.help") is None
    status, reason, _ = classify_answer("jiuquan.help", text, None, table.common_rate_limited,
                                        generic=table.generic)
    assert status == expected
    if status == "error":
        assert reason == "unknown_format"


# --- IANA's answer ------------------------------------------------------------------------


def test_parse_referral() -> None:
    assert parse_referral(sample("iana-io.txt")) == "whois.nic.io"
    assert parse_referral(sample("iana-no-whois.txt")) is None
    assert parse_referral(sample("iana-no-such-tld.txt")) is None
    assert parse_referral("whois:        whois.nic.xn--p1ai\n") == "whois.nic.xn--p1ai"
    assert parse_referral("refer: 127.0.0.9\nwhois: other.example\n") == "127.0.0.9"
    assert parse_referral("refer: bad host;rm\n") is None


def test_iana_is_a_server_setting() -> None:
    assert parse_whois_server("iana=127.0.0.1:4343") == (IANA_KEY, ("127.0.0.1", 4343))
    client = WhoisClient({"iana": ("127.0.0.1", 4343), "cn": ("127.0.0.2", 43)})
    assert client.iana == ("127.0.0.1", 4343)
    assert client.servers == {"cn": ("127.0.0.2", 43)}
    assert WhoisClient().iana == ("whois.iana.org", 43)


# --- referral end to end, on loopback -----------------------------------------------------


def loopback() -> str:
    """A loopback address no other test uses, for servers on port 43."""
    return f"127.{random.randint(100, 250)}.{random.randint(0, 255)}.{random.randint(2, 250)}"


class Referred:
    """An IANA-like server and the registry servers it refers to, each on port 43 of its
    own loopback address (a referral names a host, and WHOIS is port 43)."""

    def __init__(self, registries: dict[str, dict[str, dict[str, Any]]],
                 no_whois: tuple[str, ...] = ()) -> None:
        self.hosts = {tld: loopback() for tld in registries}
        self.registries = {tld: WhoisServer(answers, host=self.hosts[tld], port=43)
                           for tld, answers in registries.items()}
        self.iana = ReferralServer({**self.hosts, **dict.fromkeys(no_whois)}, host=loopback())

    def __enter__(self) -> Referred:
        self.iana.start()
        for server in self.registries.values():
            server.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.iana.stop()
        for server in self.registries.values():
            server.stop()

    @property
    def iana_setting(self) -> str:
        host, port = self.iana.address
        return f"iana={host}:{port}"

    def client(self, **options: Any) -> WhoisClient:
        settings: dict[str, Any] = {"timeout": 1.0, "retries": 2, "min_interval": 0.0,
                                    "backoff": 0.01}
        settings.update(options)
        return WhoisClient({IANA_KEY: self.iana.address}, **settings)


@pytest.fixture
def referred() -> Iterator[Referred]:
    with Referred({
        # unknown to the table: answered in the generic shapes, or not
        "help": {"gone.help": {"status": "unregistered", "format": "godaddy"},
                 "jqtz.help": {"status": "registered", "format": "icann",
                               "registrant": "Jiuquan Trading Co."},
                 "odd.help": {"status": "raw", "text": "Status: AVAILABLE\n"},
                 "busy.help": {"status": "rate_limited", "format": "godaddy"}},
        "xn--fiqz9s": {},
    }, no_whois=("np",)) as world:
        yield world


def lookups(client: WhoisClient, *names: str) -> dict[str, WhoisRecord]:
    async def main() -> list[WhoisRecord]:
        return list(await asyncio.gather(*(client.lookup(name) for name in names)))

    return dict(zip(names, asyncio.run(main()), strict=True))


@pytest.mark.world
def test_a_tld_the_table_does_not_know_is_asked_through_iana(referred: Referred) -> None:
    client = referred.client()
    records = lookups(client, "www.jqtz.help", "gone.help", "odd.help", "busy.help",
                      "x.com.np", "jiuquan.nosuchtld")
    help_server = referred.registries["help"]
    assert records["www.jqtz.help"].status == "registered"
    assert records["www.jqtz.help"].registrant == "Jiuquan Trading Co."
    assert records["www.jqtz.help"].server == f"{referred.hosts['help']}:43"
    assert records["gone.help"].status == "unregistered"
    assert records["gone.help"].detail == "No Data Found"
    odd = records["odd.help"]
    assert (odd.status, odd.reason) == ("error", "unknown_format")
    assert "Status: AVAILABLE" in odd.detail
    assert records["busy.help"].status == "rate_limited"
    no_server = records["x.com.np"]
    assert (no_server.status, no_server.reason) == ("error", "no_server")
    assert "IANA lists no WHOIS server for .np" in no_server.detail
    assert records["jiuquan.nosuchtld"].reason == "no_server"
    # IANA was asked once per TLD, the registry once per domain, and only the rate limit
    # was asked again
    assert sorted(q for _, q in referred.iana.queries) == ["help", "nosuchtld", "np"]
    asked = [q for _, q in help_server.queries]
    assert asked.count("odd.help") == 1
    assert asked.count("busy.help") == 3
    assert client.referrals_asked == 3


@pytest.mark.world
def test_referral_is_cached(referred: Referred) -> None:
    cache = MemoryReferralCache()
    lookups(referred.client(referrals=cache), "gone.help", "x.com.np")
    assert cache.get_referral("help") == Referral(
        "help", referred.hosts["help"], cache.get_referral("help").asked)  # type: ignore[union-attr]
    assert cache.get_referral("np") is not None
    assert cache.get_referral("np").server is None  # type: ignore[union-attr]
    before = len(referred.iana.queries)
    second = lookups(referred.client(referrals=cache), "jqtz.help", "y.com.np")
    assert len(referred.iana.queries) == before, "the second client asks IANA no more"
    assert second["jqtz.help"].status == "registered"
    assert second["y.com.np"].reason == "no_server"


def test_referral_lifetime() -> None:
    now = [2_000_000_000.0]
    cache = MemoryReferralCache(clock=lambda: now[0])
    cache.put_referral(Referral("io", "whois.nic.io", "2033-05-18T03:33:20+00:00"))
    cache.put_referral(Referral("np", None, "2033-05-18T03:33:20+00:00"))
    now[0] += 8 * 86400
    assert cache.get_referral("io") is not None
    assert cache.get_referral("np") is None, "'no server' is asked again after a week"
    now[0] += 30 * 86400
    assert cache.get_referral("io") is None


@pytest.mark.world
def test_an_unreachable_iana_is_an_error_not_retried() -> None:
    with ReferralServer({}, host=loopback()) as server:
        address = server.address
    client = WhoisClient({IANA_KEY: address}, timeout=0.5, retries=2, backoff=0.01)
    records = lookups(client, "a.help", "b.help")
    assert {r.status for r in records.values()} == {"error"}
    assert {r.reason for r in records.values()} == {"referral_failed"}
    assert client.referrals_asked == 1


@pytest.mark.world
def test_an_unknown_format_from_a_table_registry_is_not_retried() -> None:
    answers = {"odd.io": {"status": "raw", "text": "Welcome! odd.io is available\n"},
               "busy.io": {"status": "rate_limited"}}
    with WhoisServer(answers) as server:
        client = WhoisClient({"io": server.address}, timeout=1.0, retries=2,
                             min_interval=0.0, backoff=0.01)
        records = lookups(client, "odd.io", "busy.io")
        asked = [q for _, q in server.queries]
    assert (records["odd.io"].status, records["odd.io"].reason) == ("error", "unknown_format")
    assert asked.count("odd.io") == 1
    assert records["busy.io"].status == "rate_limited" and asked.count("busy.io") == 3


@pytest.mark.world
@pytest.mark.parametrize("tld", ["io", "sh", "me", "info", "co", "biz", "cloud", "app", "dev",
                                 "xyz", "top", "vip", "ws", "ru", "xn--p1ai"])
def test_the_test_server_speaks_each_registry(tld: str) -> None:
    answers = {f"gone.{tld}": {"status": "unregistered"},
               f"jqtz.{tld}": {"status": "registered", "registrar": "HiChina"}}
    with WhoisServer(answers) as server:
        client = WhoisClient({tld: server.address}, timeout=1.0, retries=0, min_interval=0.0)
        records = lookups(client, f"gone.{tld}", f"jqtz.{tld}")
    assert records[f"gone.{tld}"].status == "unregistered"
    assert records[f"jqtz.{tld}"].status == "registered"
    assert records[f"jqtz.{tld}"].registrar == "HiChina"


# --- the database -------------------------------------------------------------------------


def test_referrals_are_stored(tmp_path: Path) -> None:
    with Store(tmp_path / "dw.db") as store:
        assert store.whois_referral("io") is None
        store.save_whois_referral("io", "whois.nic.io", "2024-01-01T00:00:00Z")
        store.save_whois_referral("np", None, "2024-01-01T00:00:00Z")
    with Store(tmp_path / "dw.db") as store:
        assert store.whois_referral("io") == {"tld": "io", "server": "whois.nic.io",
                                              "asked": "2024-01-01T00:00:00Z"}
        assert store.whois_referral("np") == {"tld": "np", "server": None,
                                              "asked": "2024-01-01T00:00:00Z"}


@pytest.mark.world
def test_a_scan_keeps_the_referral_for_the_next_run(tmp_path: Path,
                                                    local_internet: Any) -> None:
    db = tmp_path / "dw.db"
    register = tmp_path / "register.csv"
    register.write_text(DEMO_REGISTER.read_text(encoding="utf-8").rstrip("\n")
                        + "\nwww.legacy-bureau.help,酒泉市旧局,,active,,,,,\n",
                        encoding="utf-8")
    assert dw(db, "register", "import", str(register)).returncode == 0
    with Referred({"help": {"legacy-bureau.help": {"status": "unregistered",
                                                   "format": "godaddy"}}}) as world:
        # the world's WHOIS server for the table's TLDs the demo world uses, IANA's
        # referral for the rest
        servers = [f"{tld}={local_internet.whois}" for tld in ("cn", "com", "net", "政务")]
        config = tmp_path / "dw.toml"
        config.write_text(
            "[whois]\nmin_interval = 0.0\ntimeout = 1.0\nretries = 0\n"
            f"servers = {[*servers, world.iana_setting]!r}\n".replace("'", '"'),
            encoding="utf-8")

        def scan() -> Any:
            return dw(db, "--config", str(config), "scan", "--resolver",
                      local_internet.resolver, *FAST)

        first = scan()
        assert first.returncode == 0, first.stderr
        conn = sqlite3.connect(db)
        assert conn.execute("SELECT tld, server FROM whois_referrals").fetchall() == [
            ("help", world.hosts["help"])]
        conn.execute("UPDATE observations SET last_seen = '2000-01-01T00:00:00Z' "
                     "WHERE probe = 'whois'")
        conn.commit()
        conn.close()
        second = scan()
        assert second.returncode == 0, second.stderr
        assert [q for _, q in world.iana.queries] == ["help"], "IANA asked once in two runs"
        assert [q for _, q in world.registries["help"].queries] == [
            "legacy-bureau.help", "legacy-bureau.help"]
    lapsed = [f for f in findings(db) if f["rule"] == "unregistered.domain"
              and f["subject"] == "legacy-bureau.help"]
    assert [f["name"] for f in lapsed] == ["www.legacy-bureau.help"]
