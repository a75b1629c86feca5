"""A WHOIS (port 43) server for tests and the demo, on a loopback address.

Answers come from a mapping domain → behaviour, in the registries' own formats
(CNNIC for .cn, .中国 and — its real format unknown — .政务; Verisign for .com/.net;
PIR for .org; the ICANN layout with each registry's own "no such domain" line for the
other gTLDs and ccTLDs of the registry table; TCI's for .ru; see
``tests/data/whois/README.md`` for where the formats come from)::

    {"jqtz.com.cn": {"status": "registered", "registrant": "酒泉市投资促进局"},
     "gone.gov.cn": {"status": "unregistered"},
     "slow.gov.cn": {"status": "hang"},
     "soon.gov.cn": {"status": "expiring", "days": 20}}

Behaviours: ``registered``, ``unregistered``, ``reserved``, ``rate_limited``, ``hang``
(accept, never answer), ``empty`` (close at once), ``expiring`` (registered, expiring
``days`` from now), ``raw`` (send ``text`` as it is). Fields for registered answers:
``registrant``, ``registrar``, ``email``, ``name_servers``, ``created``, ``expires``
(aware datetimes or ISO-8601 strings), ``format`` (one of :data:`FORMATS`).
``rate_limited_first: N`` answers the first N queries for the domain with the
registry's rate-limit text. Names not in the mapping get ``default`` (unregistered).

:class:`ReferralServer` stands in for IANA's WHOIS server: asked for a TLD, it answers in
IANA's format with a ``refer:`` line naming that TLD's server, or without one.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time
import zlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from domainwatch.names import InvalidName, display_name, normalize_name
from domainwatch.probes.whois import default_registries

BEIJING = timezone(timedelta(hours=8))
BEHAVIOURS = frozenset({"registered", "unregistered", "reserved", "rate_limited", "hang",
                        "empty", "expiring", "raw"})
# The first line of each ICANN-layout registry's "no such domain" answer.
_ICANN_NOT_FOUND = {
    "icann": "No Data Found",
    "identity-digital": "Domain not found.",
    "godaddy": "No Data Found",
    "google": "Domain not found.",
    "centralnic": "The queried object does not exist: DOMAIN NOT FOUND",
    "zdns": "The queried object does not exist: {domain}",
    "vip": "This domain name has not been registered.",
}
FORMATS = frozenset({"cnnic", "verisign", "pir", "tci", *_ICANN_NOT_FOUND})

_VERISIGN_NOTICE = """\
For more information on Whois status codes, please visit https://icann.org/epp

NOTICE: The expiration date displayed in this record is the date the
registrar's sponsorship of the domain name registration in the registry is
currently set to expire. This date does not necessarily reflect the expiration
date of the domain name registrant's agreement with the sponsoring
registrar.  Users may consult the sponsoring registrar's Whois database to
view the registrar's reported date of expiration for this registration.

TERMS OF USE: You are not authorized to access or query our Whois
database through the use of electronic processes that are high-volume and
automated except as reasonably necessary to register domain names or
modify existing registrations; the Data in VeriSign Global Registry
Services' ("VeriSign") Whois database is provided by VeriSign for
information purposes only, and to assist persons in obtaining information
about or related to a domain name registration record. VeriSign does not
guarantee its accuracy.

The Registry database contains ONLY .COM, .NET, .EDU domains and
Registrars.
"""

_PIR_TERMS = (
    "Terms of Use: Access to Public Interest Registry WHOIS information is provided to "
    "assist persons in determining the contents of a domain name registration record in "
    "the Public Interest Registry registry database. By submitting this query, you agree "
    "to abide by this policy.\n"
)

_RATE_LIMITED = {
    "cnnic": "Queried interval is too short.\r\n",
    "verisign": "WHOIS LIMIT EXCEEDED\r\n",
    "pir": "WHOIS LIMIT EXCEEDED - SEE WWW.PIR.ORG/WHOIS FOR DETAILS\r\n",
    "tci": "You have exceeded allowed connection rate.\r\n",
    "godaddy": "Number of allowed queries exceeded.\r\n",
}


def _moment(value: object, default: datetime) -> datetime:
    if value is None:
        return default
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    moment = datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _cnnic_time(moment: datetime) -> str:
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def registered_answer(domain: str, spec: Mapping[str, Any], answer_format: str,
                      now: datetime | None = None) -> str:
    """A registered answer for ``domain`` (IDNA) in ``answer_format``."""
    now = now or datetime.now(UTC)
    created = _moment(spec.get("created"), datetime(2012, 5, 3, 2, 11, 12, tzinfo=UTC))
    if spec.get("status") == "expiring":
        expires = now + timedelta(days=float(spec.get("days", 30)))
    else:
        expires = _moment(spec.get("expires"), now + timedelta(days=400))
    servers = list(spec.get("name_servers") or ["dns1.hichina.com", "dns2.hichina.com"])
    stamp = created.astimezone(BEIJING).strftime("%Y%m%d")
    serial = zlib.crc32(domain.encode())
    if answer_format == "cnnic":
        lines = [
            f"Domain Name: {display_name(domain)}",
            f"ROID: {stamp}s10001s{serial % 10**8:08d}-cn",
            "Domain Status: ok",
            f"Registrant: {spec.get('registrant', '酒泉市人民政府办公室')}",
            f"Registrant Contact Email: {spec.get('email', 'webmaster@jiuquan.gov.cn')}",
            f"Sponsoring Registrar: {spec.get('registrar', '阿里云计算有限公司（万网）')}",
            *(f"Name Server: {server}" for server in servers),
            f"Registration Time: {_cnnic_time(created)}",
            f"Expiration Time: {_cnnic_time(expires)}",
            "DNSSEC: unsigned",
        ]
        return "\r\n".join(lines) + "\r\n"
    if answer_format == "verisign":
        registrar = spec.get("registrar", "Alibaba Cloud Computing (Beijing) Co., Ltd.")
        lines = [
            f"   Domain Name: {domain.upper()}",
            f"   Registry Domain ID: {serial}_DOMAIN_COM-VRSN",
            "   Registrar WHOIS Server: grs-whois.hichina.com",
            "   Registrar URL: http://www.net.cn",
            f"   Updated Date: {_iso(created)}",
            f"   Creation Date: {_iso(created)}",
            f"   Registry Expiry Date: {_iso(expires)}",
            f"   Registrar: {registrar}",
            "   Registrar IANA ID: 420",
            "   Registrar Abuse Contact Email: DomainAbuse@service.aliyun.com",
            "   Registrar Abuse Contact Phone: +86.95187",
            "   Domain Status: ok https://icann.org/epp#ok",
            *(f"   Name Server: {server.upper()}" for server in servers),
            "   DNSSEC: unsigned",
            "   URL of the ICANN Whois Inaccuracy Complaint Form: https://www.icann.org/wicf/",
            f">>> Last update of whois database: {_iso(now)} <<<",
            "",
        ]
        return "\r\n".join(lines) + "\r\n" + _VERISIGN_NOTICE.replace("\n", "\r\n")
    if answer_format == "pir":
        lines = [
            f"Domain Name: {domain.upper()}",
            f"Registry Domain ID: D4022000000{serial % 10**8:08d}-LROR",
            "Registrar WHOIS Server: whois.godaddy.com",
            "Registrar URL: http://www.whois.godaddy.com",
            f"Updated Date: {_iso(created)}",
            f"Creation Date: {_iso(created)}",
            f"Registry Expiry Date: {_iso(expires)}",
            "Registrar Registration Expiration Date:",
            f"Registrar: {spec.get('registrar', 'GoDaddy.com, LLC')}",
            "Registrar IANA ID: 146",
            "Domain Status: clientTransferProhibited "
            "https://icann.org/epp#clientTransferProhibited",
            f"Registrant Organization: {spec.get('registrant', 'Jiuquan Foundation')}",
            "Registrant Country: CN",
            *(f"Name Server: {server.upper()}" for server in servers),
            "DNSSEC: unsigned",
            f">>> Last update of WHOIS database: {_iso(now)} <<<",
            "",
        ]
        return "\r\n".join(lines) + "\r\n" + _PIR_TERMS
    if answer_format == "tci":
        lines = [
            "% TCI Whois Service. Terms of use:",
            "% https://tcinet.ru/documents/whois_ru_rf.pdf (in Russian)",
            "",
            f"domain:        {domain.upper()}",
            *(f"nserver:       {server}." for server in servers),
            "state:         REGISTERED, DELEGATED, VERIFIED",
            f"org:           {spec.get('registrant', 'Jiuquan Trading LLC')}",
            f"registrar:     {spec.get('registrar', 'RU-CENTER-RU')}",
            f"created:       {_iso(created)}",
            f"paid-till:     {_iso(expires)}",
            "source:        TCI",
            "",
            f"Last updated on {_iso(now)}",
        ]
        return "\r\n".join(lines) + "\r\n"
    if answer_format in _ICANN_NOT_FOUND:
        lines = [
            f"Domain Name: {domain}",
            f"Registry Domain ID: D{serial}-{answer_format.upper()}",
            f"Updated Date: {_iso(created)}",
            f"Creation Date: {_iso(created)}",
            f"Registry Expiry Date: {_iso(expires)}",
            f"Registrar: {spec.get('registrar', 'Alibaba Cloud Computing Ltd. d/b/a HiChina')}",
            "Registrar IANA ID: 1599",
            "Domain Status: ok https://icann.org/epp#ok",
            f"Registrant Organization: {spec.get('registrant', 'Jiuquan Trading Co.')}",
            *(f"Name Server: {server}" for server in servers),
            "DNSSEC: unsigned",
            f">>> Last update of WHOIS database: {_iso(now)} <<<",
        ]
        return "\r\n".join(lines) + "\r\n"
    raise ValueError(f"unknown answer format {answer_format!r}")


def unregistered_answer(domain: str, answer_format: str, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    if answer_format == "cnnic":
        return "No matching record.\r\n"
    if answer_format == "verisign":
        return (f'No match for "{domain.upper()}".\r\n'
                f">>> Last update of whois database: {_iso(now)} <<<\r\n\r\n"
                + _VERISIGN_NOTICE.replace("\n", "\r\n"))
    if answer_format == "pir":
        return (f"Domain not found.\r\n>>> Last update of WHOIS database: {_iso(now)} <<<\r\n"
                "\r\n" + _PIR_TERMS)
    if answer_format == "tci":
        return ("% TCI Whois Service. Terms of use:\r\n%\r\n\r\n"
                "No entries found for the selected source(s).\r\n\r\n"
                f"Last updated on {_iso(now)}\r\n")
    if answer_format in _ICANN_NOT_FOUND:
        return (_ICANN_NOT_FOUND[answer_format].format(domain=domain) + "\r\n"
                f">>> Last update of WHOIS database: {_iso(now)} <<<\r\n")
    raise ValueError(f"unknown answer format {answer_format!r}")


def reserved_answer(answer_format: str) -> str:
    if answer_format == "cnnic":
        return "the domain you want to register is reserved.\r\n"
    raise ValueError(f"no reserved answer is known for the {answer_format} format")


class WhoisServer:
    """Answers WHOIS queries on ``host:port`` (port 0: any free port) from ``answers``.

    ``queries`` records ``(time.monotonic(), query)`` for every query received.
    """

    def __init__(self, answers: Mapping[str, Mapping[str, Any]], host: str = "127.0.0.1",
                 port: int = 0, *, default: str = "unregistered") -> None:
        if not host.startswith("127."):
            raise ValueError(f"the test WHOIS server binds loopback (127.x) only, not {host}")
        self.answers: dict[str, dict[str, Any]] = {}
        for name, spec in answers.items():
            behaviour = spec.get("status")
            if behaviour not in BEHAVIOURS:
                raise ValueError(f"{name}: unknown behaviour {behaviour!r} "
                                 f"(one of {', '.join(sorted(BEHAVIOURS))})")
            if spec.get("format") not in (None, *FORMATS):
                raise ValueError(f"{name}: unknown format {spec.get('format')!r}")
            self.answers[normalize_name(name)] = dict(spec)
        if default not in BEHAVIOURS - {"raw", "expiring"}:
            raise ValueError(f"bad default behaviour {default!r}")
        self.default = default
        self.host = host
        self.port = port
        self.queries: list[tuple[float, str]] = []
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._connections: set[socket.socket] = set()

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    def query_times(self, domain: str | None = None) -> list[float]:
        with self._lock:
            return [t for t, q in self.queries if domain is None or q == domain]

    def start(self) -> WhoisServer:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((self.host, self.port))
            listener.listen(64)
        except OSError:
            listener.close()
            raise
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._stop.clear()
        thread = threading.Thread(target=self._accept_loop, name=f"whois-{self.port}",
                                  daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def __enter__(self) -> WhoisServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stop.is_set():
            readable, _, _ = select.select([self._listener], [], [], 0.05)
            if not readable:
                continue
            try:
                connection, _ = self._listener.accept()
            except OSError:
                continue
            with self._lock:
                self._connections.add(connection)
            thread = threading.Thread(target=self._serve, args=(connection,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, connection: socket.socket) -> None:
        try:
            connection.settimeout(5.0)
            request = b""
            while b"\n" not in request and len(request) < 1024:
                chunk = connection.recv(1024)
                if not chunk:
                    break
                request += chunk
            text = request.split(b"\n", 1)[0].decode("utf-8", "replace").strip()
            answer = self._answer(text)
            if answer is None:
                self._stop.wait()
            elif answer:
                connection.sendall(answer.encode("utf-8"))
        except OSError:
            pass
        finally:
            with self._lock:
                self._connections.discard(connection)
            connection.close()

    def _answer(self, text: str) -> str | None:
        """The answer to send; "" closes at once, None holds the connection open."""
        try:
            domain = normalize_name(text)
        except InvalidName:
            domain = text.lower()
        with self._lock:
            self.queries.append((time.monotonic(), domain))
            count = self._counts[domain] = self._counts.get(domain, 0) + 1
        spec = self.answers.get(domain, {"status": self.default})
        registry = default_registries().for_domain(domain)
        answer_format = spec.get("format") or (registry.answer_format if registry else "cnnic")
        if count <= int(spec.get("rate_limited_first", 0)):
            return _RATE_LIMITED.get(answer_format, _RATE_LIMITED["verisign"])
        behaviour = spec["status"]
        if behaviour in ("registered", "expiring"):
            return registered_answer(domain, spec, answer_format)
        if behaviour == "unregistered":
            return unregistered_answer(domain, answer_format)
        if behaviour == "reserved":
            return reserved_answer(answer_format)
        if behaviour == "rate_limited":
            return _RATE_LIMITED.get(answer_format, _RATE_LIMITED["verisign"])
        if behaviour == "hang":
            return None
        if behaviour == "empty":
            return ""
        return str(spec.get("text", ""))


def iana_answer(tld: str, server: str | None) -> str:
    """IANA's answer for ``tld`` (IDNA): a ``refer:`` and ``whois:`` line naming ``server``,
    or neither when ``server`` is None."""
    lines = ["% IANA WHOIS server", "% for more information on IANA, visit http://www.iana.org",
             "% This query returned 1 object", ""]
    if server is not None:
        lines += [f"refer:        {server}", ""]
    lines += [f"domain:       {tld.upper()}", "", "organisation: Test Registry Operator",
              "address:      Jiuquan", "address:      China", ""]
    if server is not None:
        lines += [f"whois:        {server}", ""]
    lines += ["status:       ACTIVE", "", "created:      1997-09-16", "source:       IANA", ""]
    return "\n".join(lines)


class ReferralServer(WhoisServer):
    """An IANA-like WHOIS server: ``referrals`` maps a TLD to the WHOIS server it refers
    to (a loopback address; None: the TLD has no WHOIS server). Other TLDs: "0 objects"."""

    def __init__(self, referrals: Mapping[str, str | None], host: str = "127.0.0.1",
                 port: int = 0) -> None:
        super().__init__({}, host, port)
        self.referrals = {normalize_name(tld): server for tld, server in referrals.items()}

    def _answer(self, text: str) -> str | None:
        try:
            tld = normalize_name(text)
        except InvalidName:
            tld = text.lower()
        with self._lock:
            self.queries.append((time.monotonic(), tld))
        if tld not in self.referrals:
            return ("% IANA WHOIS server\n% for more information on IANA, visit "
                    "http://www.iana.org\n%\n% This query returned 0 objects.\n")
        return iana_answer(tld, self.referrals[tld])
