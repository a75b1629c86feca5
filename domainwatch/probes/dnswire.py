"""Minimal DNS wire codec for the probe's fast path (RFC 1035, RFC 6891).

Only what a stub client needs: encoding one-question queries and decoding
responses into plain tuples.  Decoding is defensive: every read is bounds
checked, compression pointers must point strictly backwards (which also rules
out pointer loops), and any malformed input raises :class:`WireError`.
"""

from __future__ import annotations

import socket
import struct
from typing import NamedTuple

__all__ = [
    "CLASS_IN",
    "FLAG_AA",
    "FLAG_QR",
    "FLAG_RA",
    "FLAG_RD",
    "FLAG_TC",
    "QTYPES",
    "RCODE_NAMES",
    "RR",
    "TYPE_NAMES",
    "Message",
    "Question",
    "WireError",
    "decode_message",
    "decode_name",
    "encode_name",
    "encode_query",
    "name_to_text",
    "query_suffix",
    "read_question",
]

CLASS_IN = 1

TYPE_A = 1
TYPE_NS = 2
TYPE_CNAME = 5
TYPE_SOA = 6
TYPE_PTR = 12
TYPE_MX = 15
TYPE_TXT = 16
TYPE_AAAA = 28
TYPE_OPT = 41

QTYPES: dict[str, int] = {
    "A": TYPE_A,
    "NS": TYPE_NS,
    "CNAME": TYPE_CNAME,
    "SOA": TYPE_SOA,
    "PTR": TYPE_PTR,
    "MX": TYPE_MX,
    "TXT": TYPE_TXT,
    "AAAA": TYPE_AAAA,
}
TYPE_NAMES: dict[int, str] = {v: k for k, v in QTYPES.items()}

RCODE_NAMES: dict[int, str] = {
    0: "NOERROR",
    1: "FORMERR",
    2: "SERVFAIL",
    3: "NXDOMAIN",
    4: "NOTIMP",
    5: "REFUSED",
    16: "BADVERS",
}

FLAG_QR = 0x8000
FLAG_AA = 0x0400
FLAG_TC = 0x0200
FLAG_RD = 0x0100
FLAG_RA = 0x0080

MAX_NAME_WIRE = 255
MAX_LABEL = 63

_HEADER = struct.Struct("!HHHHHH")
_RR_FIXED = struct.Struct("!HHIH")
_QFIXED = struct.Struct("!HH")
_SOA_FIXED = struct.Struct("!IIIII")
_inet_ntop = socket.inet_ntop
_AF_INET = socket.AF_INET
_AF_INET6 = socket.AF_INET6
_new_tuple = tuple.__new__


class WireError(ValueError):
    """A packet or name that cannot be encoded or decoded."""


class Question(NamedTuple):
    name: bytes  # wire form, ASCII lower-cased
    qtype: int
    qclass: int


class RR(NamedTuple):
    name: str  # presentation form, lower-case, no trailing dot ("." for the root)
    rtype: int
    rclass: int
    ttl: int
    # A/AAAA: address text; CNAME/NS/PTR: name; MX: (preference, name);
    # TXT: tuple of the character-strings as bytes;
    # SOA: (mname, rname, serial, refresh, retry, expire, minimum);
    # anything else: the raw rdata bytes.
    data: object


class Message:
    """A decoded response.  The authority section is decoded on first use (the fast
    path rarely needs it); if it turns out to be malformed it reads as empty."""

    __slots__ = (
        "_authority",
        "_lazy",
        "answer",
        "edns_payload",
        "flags",
        "id",
        "question",
        "rcode",
    )

    def __init__(
        self,
        id: int,
        flags: int,
        rcode: int,
        question: Question | None,
        answer: list[RR] | None = None,
        authority: list[RR] | None = None,
        edns_payload: int | None = None,
    ) -> None:
        self.id = id
        self.flags = flags
        self.rcode = rcode  # including the extended bits from OPT, if present
        self.question = question
        self.answer: list[RR] = [] if answer is None else answer
        self._authority = authority
        self._lazy: tuple[bytes, int, int, dict[int, tuple[str, int]]] | None = None
        self.edns_payload = edns_payload

    @property
    def authority(self) -> list[RR]:
        if self._authority is None:
            self._authority = []
            if self._lazy is not None:
                buf, offset, count, cache = self._lazy
                self._lazy = None
                records: list[RR] = []
                try:
                    _read_section(buf, offset, count, records, cache)
                except WireError:
                    records = []
                self._authority = records
        return self._authority

    @property
    def truncated(self) -> bool:
        return bool(self.flags & FLAG_TC)

    def __repr__(self) -> str:
        return (
            f"Message(id={self.id}, flags=0x{self.flags:04x}, rcode={self.rcode}, "
            f"question={self.question}, answer={self.answer}, authority={self.authority}, "
            f"edns_payload={self.edns_payload})"
        )


def encode_name(name: str) -> bytes:
    """Encode an ASCII (already IDNA-encoded) name to uncompressed wire form, lower-cased."""
    text = name.strip()
    if text in ("", "."):
        return b"\x00"
    if text.endswith("."):
        text = text[:-1]
    try:
        raw = text.lower().encode("ascii")
    except UnicodeEncodeError as exc:
        raise WireError(f"name is not ASCII (IDNA-encode it first): {name!r}") from exc
    out = bytearray()
    for label in raw.split(b"."):
        if not label:
            raise WireError(f"empty label in name {name!r}")
        if len(label) > MAX_LABEL:
            raise WireError(f"label longer than {MAX_LABEL} octets in name {name!r}")
        out.append(len(label))
        out += label
    out.append(0)
    if len(out) > MAX_NAME_WIRE:
        raise WireError(f"name longer than {MAX_NAME_WIRE} octets: {name!r}")
    return bytes(out)


def encode_query(
    qid: int,
    qname_wire: bytes,
    qtype: int,
    *,
    edns_payload: int | None = 1232,
    rd: bool = True,
) -> bytes:
    """A one-question query; with an OPT record advertising ``edns_payload`` unless None."""
    flags = FLAG_RD if rd else 0
    arcount = 0 if edns_payload is None else 1
    header = _HEADER.pack(qid, flags, 1, 0, 0, arcount)
    return header + qname_wire + query_suffix(qtype, edns_payload=edns_payload)


def query_suffix(qtype: int, *, edns_payload: int | None = 1232) -> bytes:
    """What follows the name in a query: its type and class, then an OPT record
    advertising ``edns_payload`` unless None."""
    suffix = _QFIXED.pack(qtype, CLASS_IN)
    if edns_payload is not None:
        # root owner, TYPE=OPT, CLASS=payload size, TTL=ext-rcode/version/flags, RDLEN=0
        suffix += b"\x00" + _RR_FIXED.pack(TYPE_OPT, edns_payload, 0, 0)
    return suffix


def _read_name_wire(buf: bytes, offset: int) -> tuple[list[bytes], int]:
    """Labels of the (possibly compressed) name at ``offset`` and the offset just after it."""
    labels: list[bytes] = []
    end = -1
    limit = offset  # pointers must go strictly backwards from here on
    total = 1
    size = len(buf)
    while True:
        if offset >= size:
            raise WireError("name runs past the end of the packet")
        length = buf[offset]
        if length == 0:
            if end < 0:
                end = offset + 1
            return labels, end
        if length >= 0xC0:
            if offset + 1 >= size:
                raise WireError("truncated compression pointer")
            target = ((length & 0x3F) << 8) | buf[offset + 1]
            if end < 0:
                end = offset + 2
            if target >= limit:
                raise WireError("compression pointer does not point backwards (loop?)")
            limit = offset = target
            continue
        if length > MAX_LABEL:
            raise WireError(f"unsupported label type 0x{length & 0xC0:02x}")
        offset += 1
        stop = offset + length
        if stop > size:
            raise WireError("label runs past the end of the packet")
        total += length + 1
        if total > MAX_NAME_WIRE:
            raise WireError("name longer than 255 octets")
        labels.append(buf[offset:stop])
        offset = stop


# Octets that stand for themselves in presentation form; anything else is escaped.
_PLAIN = b"-_*/+=@#$%&!~^abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def _label_text(label: bytes) -> str:
    if not label.translate(None, _PLAIN):
        return label.decode("ascii").lower()
    parts = []
    for c in label.lower():
        if c in _PLAIN:
            parts.append(chr(c))
        elif 0x21 <= c <= 0x7E:
            parts.append("\\" + chr(c))
        else:
            parts.append(f"\\{c:03d}")
    return "".join(parts)


def name_to_text(labels: list[bytes]) -> str:
    """Presentation form, lower-case, without the trailing dot; the root is "."."""
    if not labels:
        return "."
    return ".".join(_label_text(label) for label in labels)


def decode_name(buf: bytes, offset: int) -> tuple[str, int]:
    return _name_at(buf, offset, {})


def _name_at(buf: bytes, offset: int, cache: dict[int, tuple[str, int]]) -> tuple[str, int]:
    """Like :func:`decode_name`; ``cache`` maps offsets of names (and name suffixes)
    already decoded from ``buf`` to (text, wire length), so that compression
    pointers to them cost one dict lookup."""
    first = buf[offset] if offset < len(buf) else 0
    if first >= 0xC0 and offset + 1 < len(buf):
        target = ((first & 0x3F) << 8) | buf[offset + 1]
        hit = cache.get(target)
        if hit is not None and target < offset:
            if hit[1] > MAX_NAME_WIRE:
                raise WireError("name longer than 255 octets")
            return hit[0], offset + 2
    texts: list[str] = []
    starts: list[int] = []
    sizes: list[int] = []
    end = -1
    limit = offset
    size = len(buf)
    suffix, suffix_len = ".", 1
    while True:
        if offset >= size:
            raise WireError("name runs past the end of the packet")
        length = buf[offset]
        if length == 0:
            if end < 0:
                end = offset + 1
            break
        if length >= 0xC0:
            if offset + 1 >= size:
                raise WireError("truncated compression pointer")
            target = ((length & 0x3F) << 8) | buf[offset + 1]
            if end < 0:
                end = offset + 2
            if target >= limit:
                raise WireError("compression pointer does not point backwards (loop?)")
            limit = offset = target
            hit = cache.get(target)
            if hit is not None:
                suffix, suffix_len = hit
                break
            continue
        if length > MAX_LABEL:
            raise WireError(f"unsupported label type 0x{length & 0xC0:02x}")
        stop = offset + 1 + length
        if stop > size:
            raise WireError("label runs past the end of the packet")
        label = buf[offset + 1 : stop]
        texts.append(
            label.decode("ascii").lower()
            if not label.translate(None, _PLAIN)
            else _label_text(label)
        )
        starts.append(offset)
        sizes.append(length + 1)
        offset = stop
    text, wire_len = suffix, suffix_len
    for i in range(len(texts) - 1, -1, -1):
        wire_len += sizes[i]
        text = texts[i] if text == "." else texts[i] + "." + text
        cache[starts[i]] = (text, wire_len)
    if wire_len > MAX_NAME_WIRE:
        raise WireError("name longer than 255 octets")
    return text, end


def read_question(buf: bytes) -> tuple[int, int, Question | None]:
    """Cheap header + question read used to match a datagram to its query.

    Returns (id, flags, question); the question is None if the packet has none.
    """
    if len(buf) < 12:
        raise WireError("packet shorter than a DNS header")
    qid, flags, qdcount = struct.unpack_from("!HHH", buf, 0)
    if qdcount == 0:
        return qid, flags, None
    labels, offset = _read_name_wire(buf, 12)
    if offset + 4 > len(buf):
        raise WireError("truncated question")
    qtype, qclass = _QFIXED.unpack_from(buf, offset)
    wire = b"".join(bytes((len(label),)) + label for label in labels) + b"\x00"
    return qid, flags, Question(wire.lower(), qtype, qclass)


def _decode_rdata(
    buf: bytes, rtype: int, start: int, end: int, cache: dict[int, tuple[str, int]]
) -> object:
    rdlen = end - start
    if rtype == TYPE_A:
        if rdlen != 4:
            raise WireError("A rdata is not 4 octets")
        return socket.inet_ntop(socket.AF_INET, buf[start:end])
    if rtype == TYPE_AAAA:
        if rdlen != 16:
            raise WireError("AAAA rdata is not 16 octets")
        return socket.inet_ntop(socket.AF_INET6, buf[start:end])
    if rtype in (TYPE_CNAME, TYPE_NS, TYPE_PTR):
        target, stop = _name_at(buf, start, cache)
        if stop != end:
            raise WireError("name rdata length mismatch")
        return target
    if rtype == TYPE_MX:
        if rdlen < 3:
            raise WireError("MX rdata too short")
        pref = (buf[start] << 8) | buf[start + 1]
        exchange, stop = _name_at(buf, start + 2, cache)
        if stop != end:
            raise WireError("MX rdata length mismatch")
        return pref, exchange
    if rtype == TYPE_TXT:
        strings = []
        pos = start
        while pos < end:
            n = buf[pos]
            pos += 1
            if pos + n > end:
                raise WireError("TXT character-string runs past its rdata")
            strings.append(buf[pos : pos + n])
            pos += n
        return tuple(strings)
    if rtype == TYPE_SOA:
        mname, pos = _name_at(buf, start, cache)
        rname, pos = _name_at(buf, pos, cache)
        if pos + 20 != end:
            raise WireError("SOA rdata length mismatch")
        return (mname, rname, *_SOA_FIXED.unpack_from(buf, pos))
    return buf[start:end]


def _skip_name(buf: bytes, offset: int) -> int:
    size = len(buf)
    while True:
        if offset >= size:
            raise WireError("name runs past the end of the packet")
        length = buf[offset]
        if length == 0:
            return offset + 1
        if length >= 0xC0:
            return offset + 2
        if length > MAX_LABEL:
            raise WireError(f"unsupported label type 0x{length & 0xC0:02x}")
        offset += length + 1


def _read_section(
    buf: bytes,
    offset: int,
    count: int,
    out: list[RR] | None,
    cache: dict[int, tuple[str, int]],
) -> tuple[int, tuple[int, int] | None]:
    """Parse ``count`` RRs, appending them to ``out`` (None: skip them).  Returns the new
    offset and, if an OPT record was seen, its (payload size, TTL field)."""
    opt: tuple[int, int] | None = None
    size = len(buf)
    unpack_fixed = _RR_FIXED.unpack_from
    for _ in range(count):
        if out is None:
            owner = ""
            offset = _skip_name(buf, offset)
        else:
            # Owners are nearly always a pointer to a name decoded already (the question).
            hit = None
            if offset + 1 < size and buf[offset] >= 0xC0:
                target = ((buf[offset] & 0x3F) << 8) | buf[offset + 1]
                if target < offset:
                    hit = cache.get(target)
            if hit is not None and hit[1] <= MAX_NAME_WIRE:
                owner = hit[0]
                offset += 2
            else:
                owner, offset = _name_at(buf, offset, cache)
        if offset + 10 > size:
            raise WireError("truncated resource record")
        rtype, rclass, ttl, rdlen = unpack_fixed(buf, offset)
        start = offset + 10
        end = start + rdlen
        if end > size:
            raise WireError("rdata runs past the end of the packet")
        offset = end
        if rtype == TYPE_OPT:
            opt = (rclass, ttl)
            continue
        if out is None:
            continue
        # A and AAAA inline: they are most of what the probe reads.
        if rtype == TYPE_A and rdlen == 4:
            data: object = _inet_ntop(_AF_INET, buf[start:end])
        elif rtype == TYPE_AAAA and rdlen == 16:
            data = _inet_ntop(_AF_INET6, buf[start:end])
        else:
            data = _decode_rdata(buf, rtype, start, end, cache)
        # tuple.__new__ spares the Python-level RR.__new__ (a third of the decoding time).
        out.append(_new_tuple(RR, (owner, rtype, rclass, ttl, data)))
    return offset, opt


def _skip_section(buf: bytes, offset: int, count: int) -> tuple[int, tuple[int, int] | None]:
    """Step over ``count`` RRs, checking only that they fit; returns the new offset and
    the (payload size, TTL field) of an OPT record among them, if any."""
    opt: tuple[int, int] | None = None
    size = len(buf)
    for _ in range(count):
        if offset < size and buf[offset] == 0:  # the root: the owner of an OPT record
            offset += 1
        else:
            offset = _skip_name(buf, offset)
        if offset + 10 > size:
            raise WireError("truncated resource record")
        rtype, rclass, ttl, rdlen = _RR_FIXED.unpack_from(buf, offset)
        offset += 10 + rdlen
        if offset > size:
            raise WireError("rdata runs past the end of the packet")
        if rtype == TYPE_OPT:
            opt = (rclass, ttl)
    return offset, opt


def decode_message(buf: bytes, known_question: tuple[bytes, int, str] | None = None) -> Message:
    """Decode a response: header, question, answer, authority (records of unknown type
    keep raw rdata) and the OPT record of the additional section.

    ``known_question`` is (name in wire form, qtype, name text) when the caller has
    already checked that the packet's question is exactly that, uncompressed, at
    offset 12, class IN."""
    if len(buf) < 12:
        raise WireError("packet shorter than a DNS header")
    qid, flags, qdcount, ancount, nscount, arcount = _HEADER.unpack_from(buf, 0)
    if qdcount > 1:
        raise WireError(f"{qdcount} questions in a response")
    offset = 12
    question = None
    cache: dict[int, tuple[str, int]] = {}
    if qdcount and known_question is not None:
        wire, qtype, text = known_question
        end = 12 + len(wire)
        cache[12] = (text, len(wire))
        offset = end + 4
        question = Question(wire, qtype, CLASS_IN)
    elif qdcount:
        _, end = _name_at(buf, 12, cache)
        if end + 4 > len(buf):
            raise WireError("truncated question")
        hit = cache.get(12)
        if hit is not None and hit[1] == end - 12:
            wire = buf[12:end].lower()
        else:
            labels, _ = _read_name_wire(buf, 12)
            wire = b"".join(bytes((len(label),)) + label for label in labels).lower() + b"\x00"
        qtype, qclass = _QFIXED.unpack_from(buf, end)
        offset = end + 4
        question = Question(wire, qtype, qclass)
    msg = Message(qid, flags, flags & 0x000F, question)
    if flags & FLAG_TC:
        # A truncated response may end anywhere; keep whatever whole records there are.
        authority: list[RR] = []
        try:
            offset, _ = _read_section(buf, offset, ancount, msg.answer, cache)
            _read_section(buf, offset, nscount, authority, cache)
        except WireError:
            pass
        msg._authority = authority
        return msg
    offset, _ = _read_section(buf, offset, ancount, msg.answer, cache)
    if nscount:
        msg._lazy = (buf, offset, nscount, cache)
        offset, _ = _skip_section(buf, offset, nscount)
    if arcount:
        offset, opt = _skip_section(buf, offset, arcount)
        if opt is not None:
            msg.edns_payload = opt[0]
            msg.rcode |= (opt[1] >> 24) << 4
    return msg
