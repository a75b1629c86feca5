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
import zlib
from dataclasses import dataclass, field

from domainwatch.names import ascii_host

DEFAULT_MAX_BYTES = 262_144
#: Set (to anything) by the test internet's users: no connection to any other address.
LOOPBACK_ONLY_VARIABLE = "DOMAINWATCH_LOOPBACK_ONLY"
MAX_HEADER_BYTES = 65_536
# ssl.OP_LEGACY_SERVER_CONNECT arrived in Python 3.12; OpenSSL's value is 0x4.
_LEGACY_SERVER_CONNECT = getattr(ssl, "OP_LEGACY_SERVER_CONNECT", 0x4)
_CHARSET = re.compile(rb"""charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
# The Encoding Standard's labels of the encodings Chinese (and neighbouring) sites use, by the
# Python codec that decodes them. gb2312 and gbk pages are decoded as GB18030, their superset,
# as browsers do. A label not listed here is skipped like an unknown one.
_LABELS = {
    "utf-8": ("unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "utf-8", "utf8",
              "x-unicode20utf8"),
    "gb18030": ("chinese", "csgb2312", "csiso58gb231280", "gb2312", "gb_2312", "gb_2312-80",
                "gbk", "iso-ir-58", "x-gbk", "gb18030"),
    "big5hkscs": ("big5", "big5-hkscs", "cn-big5", "csbig5", "x-x-big5"),
    "cp1252": ("ansi_x3.4-1968", "ascii", "cp1252", "cp819", "csisolatin1", "ibm819",
               "iso-8859-1", "iso-ir-100", "iso8859-1", "iso88591", "iso_8859-1",
               "iso_8859-1:1987", "l1", "latin1", "us-ascii", "windows-1252", "x-cp1252"),
    "utf-16-le": ("csunicode", "iso-10646-ucs-2", "ucs-2", "unicode", "unicodefeff", "utf-16",
                  "utf-16le"),
    "utf-16-be": ("unicodefffe", "utf-16be"),
    "cp932": ("csshiftjis", "ms932", "ms_kanji", "shift-jis", "shift_jis", "sjis",
              "windows-31j", "x-sjis"),
    "euc_jp": ("cseucpkdfmtjapanese", "euc-jp", "x-euc-jp"),
    "cp949": ("cseuckr", "csksc56011987", "euc-kr", "iso-ir-149", "korean", "ks_c_5601-1987",
              "ks_c_5601-1989", "ksc5601", "ksc_5601", "windows-949"),
}
_ENCODINGS = {label: codec for codec, labels in _LABELS.items() for label in labels}
_UTF16 = ("utf-16-le", "utf-16-be")
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
#: The ``<meta>`` prescan reads the first PRESCAN_BYTES of a page, as the HTML standard
#: advises, and goes on (as Chromium does) while the page is still in its ``<head>``, up to
#: PRESCAN_HEAD_BYTES: see :func:`decode_body`.
PRESCAN_BYTES = 1024
PRESCAN_HEAD_BYTES = 4096
# The elements that keep the prescan in <head> (Chromium's list; html and head as start
# tags only).
_HEAD_ELEMENTS = frozenset({b"script", b"noscript", b"style", b"link", b"meta", b"object",
                            b"title", b"base"})
_HEAD_START_ONLY = frozenset({b"html", b"head"})
_SPACE_OR_SLASH = frozenset(b"\t\n\f\r /")
_CHARSET_WORD = re.compile(rb"[cC][hH][aA][rR][sS][eE][tT]")
# One step of the prescan: a comment (its "-->" may overlap the "<!--"), a start or end
# tag read to its ">" with its attributes as the standard's "get an attribute" reads them
# (so that a ">" inside a quoted value does not end it), or a "<!", "</" or "<?" to the
# next ">". Its possessive and atomic parts never backtrack into a tag.
_ATTRIBUTES = (rb"""(?>[\t\n\f\r /]*+(?:=[^=\t\n\f\r />]*+|[^=\t\n\f\r />]++)"""
               rb"""(?:[\t\n\f\r ]*+=[\t\n\f\r ]*+"""
               rb"""(?:"[^"]*+"|'[^']*+'|[^"'\t\n\f\r >][^\t\n\f\r >]*+)?)?)*+""")
_PRESCAN_STEP = re.compile(
    rb"<!(?=--).*?(?:-->|\Z)"
    rb"|<(/?)([A-Za-z][^\t\n\f\r />]*+)[^\t\n\f\r >]*+" + _ATTRIBUTES
    + rb"[\t\n\f\r /]*+(?:>|\Z)"
    rb"|<[!/?][^>]*+(?:>|\Z)", re.DOTALL)
_ATTRIBUTE_NAME = re.compile(rb"[\t\n\f\r /]*(=?[^=\t\n\f\r />]*)")
_ATTRIBUTE_VALUE = re.compile(
    rb"""[\t\n\f\r ]*=[\t\n\f\r ]*(?:"([^"]*)"|'([^']*)'|([^"'\t\n\f\r >][^\t\n\f\r >]*)?)""")
_CONTENT_CHARSET = re.compile(
    rb"""charset[\t\n\f\r ]*=[\t\n\f\r ]*(?:"([^"]*)"|'([^']*)'|(["'])|([^\t\n\f\r ;]*))""")
_XML_ENCODING = re.compile(
    rb"""<\?xml[^>]*?encoding[\x00-\x20]*=[\x00-\x20]*(?:"([^"\x00-\x20]*)"|'([^'\x00-\x20]*)')""")


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
    """Decode a page the way browsers do (the HTML standard's encoding sniffing); return
    (text, codec).

    The first of these that names an encoding decides: a byte-order mark; the charset of
    the Content-Type header; a ``<meta charset>`` or ``<meta http-equiv="Content-Type"
    content="...; charset=...">`` found by the standard's prescan (a UTF-16 label there
    means UTF-8); an XML declaration's encoding. A label the Encoding Standard does not
    know is skipped. The prescan reads the first 1,024 bytes, as the standard advises, and
    goes on, as Chromium (and so every major Chinese browser) does, while the page is still
    in its ``<head>``, up to 4 KB: hijackers put their spam title, keywords and description
    (often as long runs of character references) before the page's own ``<meta>``. Without
    any declaration the bytes decide: UTF-8 if they are valid UTF-8 (or a cap cut them
    inside a character), GB18030 (a superset of GBK and GB2312) otherwise. Undecodable
    bytes become U+FFFD.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(codec, errors="replace"), codec
    codec = _header_encoding(content_type) or _prescan(data) or _xml_encoding(data)
    if codec is not None:
        return data.decode(codec, errors="replace"), codec
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(data) - 3 and exc.reason == "unexpected end of data":
            # A cap cut a UTF-8 character in two: the page is UTF-8 all the same.
            return data.decode("utf-8", errors="replace"), "utf-8"
    return data.decode("gb18030", errors="replace"), "gb18030"


def _encoding(label: bytes) -> str | None:
    """The codec of an Encoding Standard label, or None for a label it does not know."""
    return _ENCODINGS.get(label.strip(b"\t\n\f\r ").decode("latin-1").lower())


def _header_encoding(content_type: str) -> str | None:
    # Several Content-Type headers arrive joined by commas; the last charset counts.
    labels = _CHARSET.findall(content_type.encode("latin-1", errors="replace"))
    return _encoding(labels[-1]) if labels else None


def _prescan(data: bytes) -> str | None:
    """The encoding a ``<meta>`` declares, found as the HTML standard's prescan finds it
    (comments skipped, attributes read as the standard reads them, the first usable
    ``<meta>`` deciding), in the first PRESCAN_BYTES, or while still in ``<head>`` up to
    PRESCAN_HEAD_BYTES."""
    window = data[:PRESCAN_HEAD_BYTES]
    if _CHARSET_WORD.search(window) is None:
        return None
    position = 0
    in_head = True
    while True:
        step = _PRESCAN_STEP.search(window, position)
        if step is None or (step.start() >= PRESCAN_BYTES and not in_head):
            return None
        position = step.end()
        name = step.group(2)
        if name is None:
            continue
        name = name.lower()
        closing = step.group(1) == b"/"
        in_head = in_head and (name in _HEAD_ELEMENTS
                               or (not closing and name in _HEAD_START_ONLY))
        after = step.start(2) + 4
        if (name == b"meta" and not closing and after < len(window)
                and window[after] in _SPACE_OR_SLASH
                # a <meta> that has no "charset" in it declares nothing
                and (window[after] == 0x2F
                     or _CHARSET_WORD.search(window, after, position) is not None)):
            codec, position = _meta_encoding(window, after + 1)
            if codec is not None:
                return codec
            position += 1


def _meta_encoding(window: bytes, position: int) -> tuple[str | None, int]:
    """The encoding the ``<meta>`` whose attributes start at ``position`` declares (None
    when it declares none the prescan accepts), and where the tag ends."""
    seen: set[bytes] = set()
    got_pragma = False
    need_pragma: bool | None = None
    codec: str | None = None
    failed = False  # a charset attribute with an unknown label: this <meta> declares nothing
    while True:
        name, value, position = _attribute(window, position)
        if name is None:
            break
        if name in seen:
            continue
        seen.add(name)
        if name == b"http-equiv":
            got_pragma = got_pragma or value == b"content-type"
        elif name == b"content" and codec is None and not failed:
            codec = _content_encoding(value)
            if codec is not None:
                need_pragma = True
        elif name == b"charset" and codec is None and not failed:
            codec = _encoding(value)
            failed = codec is None
            need_pragma = False
    if (position >= len(window) or codec is None or need_pragma is None
            or (need_pragma and not got_pragma)):
        return None, position
    return ("utf-8" if codec in _UTF16 else codec), position


def _attribute(window: bytes, position: int) -> tuple[bytes | None, bytes, int]:
    """The standard's "get an attribute": (name, value, position after it), both lower-case;
    name None at the tag's ``>`` or the end of the bytes."""
    name = _ATTRIBUTE_NAME.match(window, position)
    assert name is not None  # every part of the pattern may be empty
    if not name.group(1):
        return None, b"", name.end()
    value = _ATTRIBUTE_VALUE.match(window, name.end())
    if value is None:
        return name.group(1).lower(), b"", name.end()
    text = next((group for group in value.groups() if group is not None), b"")
    return name.group(1).lower(), text.lower(), value.end()


def _content_encoding(content: bytes) -> str | None:
    """The standard's "extracting a character encoding from a meta element"."""
    match = _CONTENT_CHARSET.search(content)
    if match is None or match.group(3) is not None:
        return None
    label = next(group for group in (match.group(1), match.group(2), match.group(4))
                 if group is not None)
    return _encoding(label)


def _xml_encoding(data: bytes) -> str | None:
    """The encoding an XML declaration at the very start names (a page of XHTML)."""
    if not data.startswith(b"<?xml"):
        return None
    match = _XML_ENCODING.match(data, 0, PRESCAN_BYTES)
    if match is None:
        return None
    codec = _encoding(match.group(1) if match.group(1) is not None else match.group(2))
    return "utf-8" if codec in _UTF16 else codec


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
    connection = HttpConnection(name, address, scheme=scheme, port=port, timeout=timeout,
                                max_bytes=max_bytes)
    try:
        return await connection.get(path, user_agent=user_agent, headers=headers,
                                    keep_alive=False)
    finally:
        await connection.close()


class HttpConnection:
    """Requests to one address for one host, over one connection kept open between them
    (HTTP/1.1 keep-alive) when the server allows it, and opened again when it does not.
    ``tls`` on every answer describes the connection it came over."""

    def __init__(self, name: str, address: str, *, scheme: str = "http",
                 port: int | None = None, timeout: float = 5.0,
                 max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        if scheme not in ("http", "https"):
            raise ValueError(f"scheme must be http or https, not {scheme!r}")
        # An IP address only: the system's resolver must never choose where we connect.
        self.ip = ipaddress.ip_address(address)
        self.address = str(self.ip)
        self.host = ascii_host(name)
        self.scheme = scheme
        self.port = port or (443 if scheme == "https" else 80)
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.requests = 0
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._tls: TlsSession | None = None

    async def get(self, path: str = "/", *, user_agent: str = "domainwatch",
                  headers: dict[str, str] | None = None, keep_alive: bool = True) -> HttpAnswer:
        """One GET; never raises for network trouble (the answer's ``error`` says)."""
        if not path.startswith("/"):
            raise ValueError(f"path must start with '/': {path!r}")
        answer = HttpAnswer(url=url_of(self.scheme, self.host, self.port, path),
                            address=self.address, status=None, headers={}, body="",
                            error=None, phase="connect")
        if not self.ip.is_loopback and os.environ.get(LOOPBACK_ONLY_VARIABLE):
            answer.error = f"not connected: {LOOPBACK_ONLY_VARIABLE} allows loopback only"
            return answer
        reused = self._writer is not None
        raw = bytearray()
        try:
            async with asyncio.timeout(self.timeout):
                try:
                    await self._exchange(answer, raw, path, user_agent, headers or {},
                                         keep_alive)
                except (ConnectionError, _BadResponse, ssl.SSLError):
                    if not reused or answer.status is not None:
                        raise
                    # The server closed the idle connection: ask again on a new one.
                    await self.close()
                    answer.phase, raw = "connect", bytearray()
                    await self._exchange(answer, raw, path, user_agent, headers or {},
                                         keep_alive)
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
        if answer.error is not None:
            await self.close()
        answer.raw = _decompressed(bytes(raw), answer, self.max_bytes)
        answer.body, answer.encoding = decode_body(answer.raw,
                                                   answer.headers.get("content-type", ""))
        return answer

    async def close(self) -> None:
        writer, self._reader, self._writer, self._tls = self._writer, None, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 1.0)

    async def _exchange(self, answer: HttpAnswer, raw: bytearray, path: str,
                        user_agent: str, extra: dict[str, str], keep_alive: bool) -> None:
        if self._writer is None:
            context = client_context() if self.scheme == "https" else None
            self._reader, self._writer = await asyncio.open_connection(
                self.address, self.port, ssl=context,
                server_hostname=self.host if context else None, limit=MAX_HEADER_BYTES)
            if context is not None:
                self._tls = _session(self._writer)
        assert self._reader is not None and self._writer is not None
        answer.tls = self._tls
        answer.phase = "request"
        default = 443 if self.scheme == "https" else 80
        host_header = self.host if self.port == default else f"{self.host}:{self.port}"
        lines = [f"GET {path} HTTP/1.1", f"Host: {host_header}", f"User-Agent: {user_agent}",
                 "Accept: text/html,application/xhtml+xml,*/*;q=0.8",
                 "Accept-Language: zh-CN,zh;q=0.9,en;q=0.5",
                 "Accept-Encoding: identity",
                 f"Connection: {'keep-alive' if keep_alive else 'close'}",
                 *(f"{key}: {value}" for key, value in extra.items())]
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("ascii",
                                                                    errors="replace"))
        await self._writer.drain()
        self.requests += 1
        answer.phase = "response"
        await _read_head(self._reader, answer)
        whole = await _read_body(self._reader, answer, raw, self.max_bytes)
        reusable = (keep_alive and whole
                    and "close" not in answer.headers.get("connection", "").lower())
        if not reusable:
            await self.close()


class _BadResponse(Exception):
    pass


def _decompressed(data: bytes, answer: HttpAnswer, max_bytes: int) -> bytes:
    """The body without its gzip or deflate coding, which some servers apply although
    asked for ``identity``; at most ``max_bytes``. A body that cannot be decompressed is
    kept as it came (and reads as noise rather than as a page)."""
    coding = answer.headers.get("content-encoding", "").strip().lower()
    if coding not in ("gzip", "x-gzip", "deflate") or not data:
        return data
    attempts = [zlib.MAX_WBITS | 16] if "gzip" in coding else [zlib.MAX_WBITS, -zlib.MAX_WBITS]
    for wbits in attempts:
        decompressor = zlib.decompressobj(wbits)
        try:
            plain = decompressor.decompress(data, max_bytes)
        except zlib.error:
            continue
        if decompressor.unconsumed_tail:
            answer.truncated = True
        return plain
    return data


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
                     max_bytes: int) -> bool:
    """Read the body (at most ``max_bytes``); True when it was read to its declared end,
    so that the connection can carry another request."""
    if answer.status is not None and (100 <= answer.status < 200 or answer.status in (204,
                                                                                      304)):
        return True
    if "chunked" in answer.headers.get("transfer-encoding", "").lower():
        return await _read_chunked(reader, answer, raw, max_bytes)
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
        return False
    if length is not None and len(raw) < length:
        raise _BadResponse(f"body ended after {len(raw)} of {length} bytes")
    return length is not None


async def _read_chunked(reader: asyncio.StreamReader, answer: HttpAnswer, raw: bytearray,
                        max_bytes: int) -> bool:
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
            while (await reader.readline()).strip():  # trailer fields, then the blank line
                pass
            return True
        room = max_bytes - len(raw)
        if size > room:
            raw += await reader.readexactly(room) if room > 0 else b""
            answer.truncated = True
            return False
        try:
            raw += await reader.readexactly(size)
            await reader.readexactly(2)
        except asyncio.IncompleteReadError as exc:
            raw += exc.partial
            raise _BadResponse("chunked body broke off") from exc
