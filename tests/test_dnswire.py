"""Unit tests of the hand-written DNS wire codec (no network)."""

from __future__ import annotations

import random
import struct

import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rrset
import pytest

from domainwatch.probes import dnswire as w


def _response(qname: str = "www.Example.com", qtype: str = "A", edns: bool = True) -> bytes:
    query = dns.message.make_query(qname, qtype, use_edns=edns)
    response = dns.message.make_response(query)
    response.answer.append(
        dns.rrset.from_text("www.example.com.", 300, "IN", "CNAME", "edge.cdn.example.net.")
    )
    response.answer.append(
        dns.rrset.from_text("edge.cdn.example.net.", 60, "IN", "A", "10.0.0.2", "10.0.0.1")
    )
    response.authority.append(
        dns.rrset.from_text(
            "cdn.example.net.",
            30,
            "IN",
            "SOA",
            "ns1.cdn.example.net. hostmaster.example.net. 7 2 3 4 5",
        )
    )
    response.additional.append(
        dns.rrset.from_text("ns1.cdn.example.net.", 60, "IN", "A", "10.9.9.9")
    )
    return response.to_wire()


def test_encode_name() -> None:
    assert w.encode_name("WWW.Example.COM.") == b"\x03www\x07example\x03com\x00"
    assert w.encode_name(".") == b"\x00"
    for bad in ("a..b", "x" * 64 + ".cn", ".".join(["abcdefg"] * 40), "酒泉.政务"):
        with pytest.raises(w.WireError):
            w.encode_name(bad)


def test_encode_query_parses_with_dnspython() -> None:
    packet = w.encode_query(0xBEEF, w.encode_name("jiuquan.gov.cn"), w.QTYPES["MX"])
    message = dns.message.from_wire(packet)
    assert message.id == 0xBEEF
    assert message.flags & dns.flags.RD
    assert message.question[0].name == dns.name.from_text("jiuquan.gov.cn")
    assert message.question[0].rdtype == 15
    assert message.edns == 0 and message.payload == 1232

    plain = dns.message.from_wire(w.encode_query(1, b"\x00", 2, edns_payload=None))
    assert plain.edns == -1


def test_decode_compressed_response_matches_dnspython() -> None:
    wire = _response()
    message = w.decode_message(wire)
    reference = dns.message.from_wire(wire)
    assert message.id == reference.id
    assert message.rcode == 0
    assert message.edns_payload == reference.payload
    assert message.question == (b"\x03www\x07example\x03com\x00", 1, 1)
    assert sorted((rr.name, rr.rtype, rr.ttl, rr.data) for rr in message.answer) == [
        ("edge.cdn.example.net", 1, 60, "10.0.0.1"),
        ("edge.cdn.example.net", 1, 60, "10.0.0.2"),
        ("www.example.com", 5, 300, "edge.cdn.example.net"),
    ]
    (soa,) = message.authority
    assert soa.name == "cdn.example.net"
    assert soa.data == ("ns1.cdn.example.net", "hostmaster.example.net", 7, 2, 3, 4, 5)


def test_decode_known_question_shortcut_agrees() -> None:
    wire = _response("www.example.com")
    known = (w.encode_name("www.example.com"), 1, "www.example.com")
    fast = w.decode_message(wire, known)
    slow = w.decode_message(wire)
    assert fast.question == slow.question
    assert fast.answer == slow.answer
    assert fast.authority == slow.authority


def test_decode_rdata_types() -> None:
    query = dns.message.make_query("jiuquan.gov.cn", "TXT")
    response = dns.message.make_response(query)
    response.answer.append(
        dns.rrset.from_text("jiuquan.gov.cn.", 60, "IN", "TXT", '"v=spf1" " -all"')
    )
    response.answer.append(
        dns.rrset.from_text("jiuquan.gov.cn.", 60, "IN", "MX", "10 mail.jiuquan.gov.cn.")
    )
    response.answer.append(dns.rrset.from_text("jiuquan.gov.cn.", 60, "IN", "AAAA", "2001:db8::10"))
    response.answer.append(dns.rrset.from_text("jiuquan.gov.cn.", 60, "IN", "NS", "ns1.gov.cn."))
    response.answer.append(
        dns.rrset.from_text("jiuquan.gov.cn.", 60, "IN", "CAA", '0 issue "ca.cn"')
    )
    message = w.decode_message(response.to_wire())
    by_type = {rr.rtype: rr.data for rr in message.answer}
    assert by_type[16] == (b"v=spf1", b" -all")
    assert by_type[15] == (10, "mail.jiuquan.gov.cn")
    assert by_type[28] == "2001:db8::10"
    assert by_type[2] == "ns1.gov.cn"
    assert isinstance(by_type[257], bytes)  # unknown types keep raw rdata


def test_extended_rcode_from_opt() -> None:
    query = dns.message.make_query("x.cn", "A")
    response = dns.message.make_response(query)
    response.set_rcode(dns.rcode.BADVERS)
    assert w.decode_message(response.to_wire()).rcode == 16


def test_odd_labels_are_escaped() -> None:
    wire = struct.pack("!HHHHHH", 1, 0x8180, 1, 0, 0, 0) + b"\x03a.b\x03x y\x00\x00\x01\x00\x01"
    message = w.decode_message(wire)
    assert message.question is not None
    name, _ = w.decode_name(wire, 12)
    assert name == "a\\.b.x\\032y"


def _header(qd: int = 0, an: int = 0) -> bytes:
    return struct.pack("!HHHHHH", 7, 0x8180, qd, an, 0, 0)


def test_pointer_to_itself_is_rejected() -> None:
    wire = _header(qd=1) + b"\xc0\x0c\x00\x01\x00\x01"
    with pytest.raises(w.WireError, match="backwards"):
        w.decode_message(wire)


def test_pointer_loop_between_two_names_is_rejected() -> None:
    # question "a" + pointer to the answer's owner; the answer owner points back: a loop
    question = b"\x01a\xc0\x12\x00\x01\x00\x01"  # offset 12..; pointer to offset 18
    owner = b"\x01b\xc0\x0e"  # offset 18: "b" then pointer to offset 14 (inside question)
    wire = (
        _header(qd=1, an=1)
        + question
        + owner
        + struct.pack("!HHIH", 1, 1, 60, 4)
        + b"\x01\x02\x03\x04"
    )
    with pytest.raises(w.WireError):
        w.decode_message(wire)


def test_forward_pointer_is_rejected() -> None:
    wire = _header(qd=1) + b"\xc0\x20\x00\x01\x00\x01" + b"\x00" * 30
    with pytest.raises(w.WireError):
        w.decode_message(wire)


def test_overlong_compressed_name_is_rejected() -> None:
    # each label points back to the previous one: a name of 300 octets, no loop
    body = bytearray(b"\x01a\x00")
    offsets = [12]
    for _ in range(150):
        start = 12 + len(body)
        body += b"\x01a" + struct.pack("!H", 0xC000 | offsets[-1])
        offsets.append(start)
    wire = struct.pack("!HHHHHH", 1, 0x8180, 0, 0, 0, 0) + bytes(body)
    with pytest.raises(w.WireError, match="255"):
        w.decode_name(wire, offsets[-1])


def test_every_truncation_is_a_clean_error() -> None:
    wire = _response()
    for cut in range(len(wire)):
        try:
            w.decode_message(wire[:cut])
        except w.WireError:
            continue
        # a prefix can still parse when it ends on a record boundary (counts say more)
        raise AssertionError(f"truncated packet of {cut} bytes decoded without error")


def test_random_corruption_never_crashes() -> None:
    wire = bytearray(_response())
    rng = random.Random(1234)
    for _ in range(3000):
        mutated = bytearray(wire)
        for _ in range(rng.randint(1, 6)):
            mutated[rng.randrange(len(mutated))] = rng.randrange(256)
        try:
            message = w.decode_message(bytes(mutated))
            message.authority  # noqa: B018 - decoded lazily; must not raise either
        except w.WireError:
            pass


def test_truncated_flag_keeps_partial_records() -> None:
    wire = bytearray(_response())
    wire[2] |= 0x02  # TC
    cut = bytes(wire[:60])
    message = w.decode_message(cut)
    assert message.truncated
    assert message.question is not None


def test_read_question() -> None:
    _qid, flags, question = w.read_question(_response("WWW.example.COM"))
    assert flags & w.FLAG_QR
    assert question == (b"\x03www\x07example\x03com\x00", 1, 1)
    with pytest.raises(w.WireError):
        w.read_question(b"\x00" * 11)
