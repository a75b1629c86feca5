"""A DNS server whose zone transfers break off: the first AXFR message, then the connection closes.

UDP is read and never answered. Over TCP an AXFR query for one of its zones gets a
well-formed first message (right id and question, the SOA and about half of the zone's
RRsets) and then the server closes the connection without the closing SOA. Any other
TCP query is answered REFUSED.
"""

from __future__ import annotations

import contextlib
import socket
import struct

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.zone

from domainwatch.testnet.blackhole import Blackhole

_SEND_TIMEOUT = 2.0
_MAX_QUERY = 65535


class BrokenAxfrServer(Blackhole):
    """Serve broken AXFRs of `zones` (origin -> zone-file text with absolute names)."""

    def __init__(self, host: str, zones: dict[str, str], port: int = 53) -> None:
        super().__init__(host, port)
        self._first_messages = {
            dns.name.from_text(origin): _first_rrsets(origin, text)
            for origin, text in zones.items()
        }
        self._buffers: dict[socket.socket, bytes] = {}

    def _on_readable(self, conn: socket.socket) -> bool:
        try:
            data = conn.recv(_MAX_QUERY)
        except (BlockingIOError, InterruptedError):
            return True
        except OSError:
            return False
        if not data:
            return False
        buffer = self._buffers.get(conn, b"") + data
        while len(buffer) >= 2:
            (length,) = struct.unpack("!H", buffer[:2])
            if len(buffer) < 2 + length:
                break
            wire, buffer = buffer[2 : 2 + length], buffer[2 + length :]
            keep_open = self._answer(conn, wire)
            if not keep_open:
                return False
        self._buffers[conn] = buffer
        return True

    def _close(self, conn: socket.socket) -> None:
        self._buffers.pop(conn, None)
        with contextlib.suppress(OSError):
            conn.shutdown(socket.SHUT_RDWR)
        conn.close()

    def _answer(self, conn: socket.socket, wire: bytes) -> bool:
        """Reply to one query; False when the connection is to be closed."""
        try:
            query = dns.message.from_wire(wire, keyring=False)
        except dns.exception.DNSException:
            return False
        response = dns.message.Message(id=query.id)
        response.flags = dns.flags.QR | dns.flags.AA
        response.set_opcode(query.opcode())
        response.question = list(query.question)
        rrsets = None
        if query.opcode() == dns.opcode.QUERY and len(query.question) == 1:
            question = query.question[0]
            if question.rdtype == dns.rdatatype.AXFR and question.rdclass == dns.rdataclass.IN:
                rrsets = self._first_messages.get(question.name)
        if rrsets is None:
            response.set_rcode(dns.rcode.REFUSED)
        else:
            response.answer = list(rrsets)
        try:
            payload = response.to_wire()
            conn.settimeout(_SEND_TIMEOUT)
            conn.sendall(struct.pack("!H", len(payload)) + payload)
            conn.setblocking(False)
        except (OSError, dns.exception.DNSException):
            return False
        return rrsets is None


def _first_rrsets(origin: str, text: str) -> list[dns.rrset.RRset]:
    zone = dns.zone.from_text(text, origin=origin, relativize=False, check_origin=True)
    soa = zone.find_rrset(zone.origin, dns.rdatatype.SOA)
    others = [
        (name, rdataset)
        for name, rdataset in zone.iterate_rdatasets()
        if rdataset.rdtype != dns.rdatatype.SOA
    ]
    first = [
        dns.rrset.from_rdata_list(name, rdataset.ttl, list(rdataset))
        for name, rdataset in others[: (len(others) + 1) // 2]
    ]
    return [soa, *first]
