"""One HTTP/1.1 exchange with one address: the transport under the web probe.

:func:`fetch` connects to an IP address domainwatch resolved itself (never through the
system's resolver), sends one ``GET`` with the name as Host (and SNI), reads the status,
the headers and at most ``max_bytes`` of the body, and closes. It follows no redirects:
the web probe does, hop by hop. Network trouble never raises: the answer's ``error`` says
what went wrong and ``phase`` where (``connect``, ``tls``, ``request``, ``response``).

HTTPS is read with a permissive client: no certificate verification (the certificate is
judged afterwards, by :mod:`domainwatch.probes.tls`, from the chain kept here), and the old
protocol versions and ciphers that some government servers still speak (TLS 1.0, RSA key
exchange, servers without secure renegotiation). A legacy server must look weak, not dead.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import os
import re
import ssl
from dataclasses import dataclass, field

DEFAULT_MAX_BYTES = 262_144
#: Set (to anything) by the test internet's users: no connection to any other address.
LOOPBACK_ONLY_VARIABLE = "DOMAINWATCH_LOOPBACK_ONLY"
MAX_HEADER_BYTES = 65_536
# ssl.OP_LEGACY_SERVER_CONNECT arrived in Python 3.12; OpenSSL's value is 0x4.
_LEGACY_SERVER_CONNECT = getattr(ssl, "OP_LEGACY_SERVER_CONNECT", 0x4)
_CHARSET = re.compile(rb"""charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
# The WHATWG encoding labels Chinese sites use, mapped to Python's codecs. gb2312 and gbk
# pages are decoded as GB18030, their superset, as browsers do.
_ENCODINGS = {
    "utf-8": "utf-8", "utf8": "utf-8", "unicode-1-1-utf-8": "utf-8",
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb18030": "gb18030",
    "chinese": "gb18030", "csgb2312": "gb18030", "iso-ir-58": "gb18030", "cp936": "gb18030",
    "big5": "big5hkscs", "big5-hkscs": "big5hkscs", "cn-big5": "big5hkscs",
    "x-x-big5": "big5hkscs",
    "iso-8859-1": "cp1252", "latin1": "cp1252", "us-ascii": "cp1252", "ascii": "cp1252",
    "windows-1252": "cp1252",
    "utf-16": "utf-16", "utf-16le": "utf-16-le", "utf-16be": "utf-16-be",
    "shift_jis": "shift_jis", "euc-jp": "euc_jp", "euc-kr": "euc_kr",
}
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


@dataclass
class TlsSession:
    """The TLS side of an HTTPS exchange: protocol version, cipher, and the certificates
    the server sent (DER, leaf first), unverified."""

    version: str
    cipher: str
    chain: list[bytes] = field(default_factory=list)


@dataclass
class HttpAnswer:
    """What one address answered for one page. ``error`` is set when there is no whole
    answer (``timeout``, ``refused``, ``reset``, ``unreachable``, ``tls: ...``,
    ``bad response: ...``) and ``phase`` says where it happened; ``status`` and ``body``
    then hold whatever had arrived. ``body`` is ``raw`` decoded (see :func:`decode_body`)."""

    url: str
    address: str
    status: int | None
    headers: dict[str, str]
    body: str
    error: str | None
    truncated: bool = False
    raw: bytes = b""
    encoding: str = "utf-8"
    tls: TlsSession | None = None
    phase: str | None = None


def decode_body(data: bytes, content_type: str = "") -> tuple[str, str]:
    """Decode a page the way browsers do for Chinese sites; return (text, codec).

    A byte-order mark first, then a ``<meta charset>`` in the first 4 KB, then the
    Content-Type header's charset, then UTF-8 if the bytes are valid UTF-8, and GB18030
    (a superset of GBK and GB2312) otherwise. Undecodable bytes become U+FFFD.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(codec, errors="replace"), codec
    candidates = []
    meta = _META_CHARSET.search(data[:4096])
    if meta:
        candidates.append(meta.group(1))
    header = _CHARSET.search(content_type.encode("latin-1", errors="replace"))
    if header:
        candidates.append(header.group(1))
    for label in candidates:
        codec = _ENCODINGS.get(label.decode("ascii", errors="replace").strip().lower())
        if codec is not None:
            return data.decode(codec, errors="replace"), codec
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(data) - 3 and exc.reason == "unexpected end of data":
            # A cap cut a UTF-8 character in two: the page is UTF-8 all the same.
            return data.decode("utf-8", errors="replace"), "utf-8"
    return data.decode("gb18030", errors="replace"), "gb18030"


@functools.lru_cache(maxsize=1)
def client_context() -> ssl.SSLContext:
    """The permissive TLS client context, shared by every HTTPS fetch."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    context.options |= _LEGACY_SERVER_CONNECT
    context.set_alpn_protocols(["http/1.1"])
    return context


def host_name(name: str) -> str:
    """The ASCII (IDNA) form of ``name`` for Host and SNI."""
    text = name.strip().rstrip(".")
    if text.isascii():
        return text.lower()
    from domainwatch.names import normalize_name  # Unicode names only

    return normalize_name(text)


def url_of(scheme: str, host: str, port: int, path: str) -> str:
    default = 443 if scheme == "https" else 80
    return f"{scheme}://{host}{'' if port == default else f':{port}'}{path}"


async def fetch(name: str, address: str, *, scheme: str = "http", port: int | None = None,
                path: str = "/", timeout: float = 5.0, max_bytes: int = DEFAULT_MAX_BYTES,
                user_agent: str = "domainwatch",
                headers: dict[str, str] | None = None) -> HttpAnswer:
    """GET ``path`` from ``address`` with ``name`` as Host (and SNI for https).

    One HTTP/1.1 request, ``Connection: close``, no redirects followed, the body cut at
    ``max_bytes`` (``truncated`` set). ``headers`` are sent besides Host, User-Agent,
    Accept and Connection (a Referer, say). ``address`` must be an IP address
    (``ValueError`` otherwise); ``timeout`` bounds the whole exchange.
    """
    if scheme not in ("http", "https"):
        raise ValueError(f"scheme must be http or https, not {scheme!r}")
    if not path.startswith("/"):
        raise ValueError(f"path must start with '/': {path!r}")
    # An IP address only: the system's resolver must never choose where we connect.
    ip = ipaddress.ip_address(address)
    address = str(ip)
    host = host_name(name)
    port = port or (443 if scheme == "https" else 80)
    answer = HttpAnswer(url=url_of(scheme, host, port, path), address=address, status=None,
                        headers={}, body="", error=None, phase="connect")
    if not ip.is_loopback and os.environ.get(LOOPBACK_ONLY_VARIABLE):
        answer.error = f"not connected: {LOOPBACK_ONLY_VARIABLE} allows loopback only"
        return answer
    raw = bytearray()
    try:
        async with asyncio.timeout(timeout):
            await _exchange(answer, raw, host, scheme, port, path, max_bytes, user_agent,
                            headers or {})
        answer.phase = None
    except TimeoutError:
        answer.error = "timeout"
    except ConnectionRefusedError:
        answer.error = "refused"
    except (ConnectionResetError, BrokenPipeError):
        answer.error = "reset"
    except ssl.SSLError as exc:
        answer.error = f"tls: {exc.reason or exc}"
        answer.phase = "tls"
    except _BadResponse as exc:
        answer.error = f"bad response: {exc}"
    except OSError as exc:
        unreachable = exc.errno is not None and exc.errno in (101, 113)
        answer.error = "unreachable" if unreachable else \
            f"{type(exc).__name__}: {exc.strerror or exc}"
    answer.raw = bytes(raw)
    answer.body, answer.encoding = decode_body(answer.raw,
                                               answer.headers.get("content-type", ""))
    return answer


class _BadResponse(Exception):
    pass


async def _exchange(answer: HttpAnswer, raw: bytearray, host: str, scheme: str, port: int,
                    path: str, max_bytes: int, user_agent: str,
                    extra: dict[str, str]) -> None:
    context = client_context() if scheme == "https" else None
    reader, writer = await asyncio.open_connection(
        answer.address, port, ssl=context, server_hostname=host if context else None,
        limit=MAX_HEADER_BYTES,
    )
    try:
        if context is not None:
            answer.tls = _session(writer)
        answer.phase = "request"
        host_header = host if port == (443 if scheme == "https" else 80) else f"{host}:{port}"
        lines = [f"GET {path} HTTP/1.1", f"Host: {host_header}", f"User-Agent: {user_agent}",
                 "Accept: text/html,application/xhtml+xml,*/*;q=0.8",
                 "Accept-Language: zh-CN,zh;q=0.9,en;q=0.5",
                 "Accept-Encoding: identity", "Connection: close",
                 *(f"{key}: {value}" for key, value in extra.items())]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("ascii", errors="replace"))
        await writer.drain()
        answer.phase = "response"
        await _read_head(reader, answer)
        await _read_body(reader, answer, raw, max_bytes)
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(writer.wait_closed(), 1.0)


def _session(writer: asyncio.StreamWriter) -> TlsSession:
    ssl_object = writer.get_extra_info("ssl_object")
    cipher = writer.get_extra_info("cipher") or ("", "", 0)
    session = TlsSession(version=ssl_object.version() or "", cipher=cipher[0] or "")
    chain: list[bytes] = []
    # Python 3.13 has SSLObject.get_unverified_chain(); 3.11 and 3.12 only the C object's.
    getter = getattr(ssl_object, "get_unverified_chain", None) or getattr(
        getattr(ssl_object, "_sslobj", None), "get_unverified_chain", None)
    if getter is not None:
        for certificate in getter() or []:
            chain.append(certificate if isinstance(certificate, bytes)
                         else certificate.public_bytes(ssl._ssl.ENCODING_DER))  # type: ignore[attr-defined]
    if not chain:
        leaf = ssl_object.getpeercert(binary_form=True)
        if leaf:
            chain.append(leaf)
    session.chain = chain
    return session


async def _read_head(reader: asyncio.StreamReader, answer: HttpAnswer) -> None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        raise _BadResponse("connection closed before the end of the headers") from exc
    except asyncio.LimitOverrunError as exc:
        raise _BadResponse(f"headers longer than {MAX_HEADER_BYTES} bytes") from exc
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise _BadResponse(f"not an HTTP status line: {lines[0][:80]!r}")
    answer.status = int(parts[1])
    for line in lines[1:]:
        if ":" not in line:
            continue
        key, value = line.split(":", 1)
        key = key.strip().lower()
        value = value.strip()
        answer.headers[key] = f"{answer.headers[key]}, {value}" if key in answer.headers \
            else value


async def _read_body(reader: asyncio.StreamReader, answer: HttpAnswer, raw: bytearray,
                     max_bytes: int) -> None:
    if answer.status is not None and (100 <= answer.status < 200 or answer.status in (204,
                                                                                      304)):
        return
    if "chunked" in answer.headers.get("transfer-encoding", "").lower():
        await _read_chunked(reader, answer, raw, max_bytes)
        return
    length_text = answer.headers.get("content-length", "").split(",")[0].strip()
    length = int(length_text) if length_text.isdigit() else None
    while True:
        want = max_bytes - len(raw) + 1
        if length is not None:
            want = min(want, length - len(raw))
        if want <= 0:
            break
        try:
            chunk = await reader.read(min(want, 65_536))
        except ssl.SSLError:
            if raw:  # a server that closes without close_notify: keep what came
                break
            raise
        if not chunk:
            break
        raw += chunk
    if len(raw) > max_bytes:
        del raw[max_bytes:]
        answer.truncated = True
    elif length is not None and len(raw) < length:
        raise _BadResponse(f"body ended after {len(raw)} of {length} bytes")


async def _read_chunked(reader: asyncio.StreamReader, answer: HttpAnswer, raw: bytearray,
                        max_bytes: int) -> None:
    while True:
        line = await reader.readline()
        if not line:
            raise _BadResponse("chunked body ended without its last chunk")
        size_text = line.split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError as exc:
            raise _BadResponse(f"bad chunk size {size_text[:20]!r}") from exc
        if size == 0:
            return
        room = max_bytes - len(raw)
        if size > room:
            raw += await reader.readexactly(room) if room > 0 else b""
            answer.truncated = True
            return
        try:
            raw += await reader.readexactly(size)
            await reader.readexactly(2)
        except asyncio.IncompleteReadError as exc:
            raw += exc.partial
            raise _BadResponse("chunked body broke off") from exc
