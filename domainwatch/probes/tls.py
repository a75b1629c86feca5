"""Certificates: what an HTTPS endpoint's leaf certificate says, and whether it holds.

:func:`read_certificate` summarises a DER leaf (fingerprints, names, issuer, validity).
:func:`judge_chain` checks a chain as the web probe received it, for one host name, against
a :class:`TrustStore` (the system's CA bundle, plus any CA files an administrator adds for
domestic CAs that the system store lacks): expired, not yet valid, not for this name,
self-signed, or not chaining to a trusted root. Each problem is reported on its own, so
that an expired certificate is not also called "untrusted".
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import ipaddress
import ssl
import warnings
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import ExtensionOID, NameOID
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from domainwatch import clock

SYSTEM_BUNDLES = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
                  "/etc/ssl/cert.pem")
PROBLEMS = ("expired", "not_yet_valid", "name_mismatch", "self_signed", "untrusted")
VERDICTS_KEPT = 4096


class TrustStoreError(ValueError):
    """A CA file that cannot be read or holds no certificate."""


@dataclass(frozen=True)
class Certificate:
    """A leaf certificate, summarised. Times are UTC ISO-8601."""

    sha256: str
    spki_sha256: str
    subject_cn: str
    sans: tuple[str, ...]
    issuer: str
    issuer_cn: str
    not_before: str
    not_after: str
    self_signed: bool
    key: str
    serial: str

    def as_dict(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "spki_sha256": self.spki_sha256,
                "subject_cn": self.subject_cn, "sans": list(self.sans),
                "issuer": self.issuer, "issuer_cn": self.issuer_cn,
                "not_before": self.not_before, "not_after": self.not_after,
                "self_signed": self.self_signed, "key": self.key, "serial": self.serial}


@dataclass
class Verdict:
    """What is wrong with a chain for one name (empty ``problems``: nothing)."""

    problems: list[str] = field(default_factory=list)
    detail: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"problems": list(self.problems), "detail": dict(self.detail)}


class TrustStore:
    """Trusted roots: the system bundle (unless ``system`` is false) plus ``ca_files``."""

    def __init__(self, ca_files: list[Path] | tuple[Path, ...] = (), *,
                 system: bool = True) -> None:
        self.ca_files = [Path(path) for path in ca_files]
        certificates: list[x509.Certificate] = []
        if system:
            bundle = system_bundle()
            if bundle is not None:
                certificates += _load_pem(bundle, strict=False)
        for path in self.ca_files:
            certificates += _load_pem(path, strict=True)
        self.certificates = certificates
        self.system = system
        self._store = Store(certificates) if certificates else None
        self._verdicts: OrderedDict[tuple[tuple[bytes, ...], str, str], str | None] = \
            OrderedDict()

    def verify_chain(self, chain: list[bytes], name: str, at: datetime) -> str | None:
        """:meth:`verify` for a chain as received, remembered per chain, name and day: a
        certificate that many names share (a wildcard, a CDN's) is verified once a day."""
        key = (tuple(chain), name, at.strftime("%Y-%m-%d"))
        if key in self._verdicts:
            self._verdicts.move_to_end(key)
            return self._verdicts[key]
        leaf = _parse(chain[0])
        intermediates = []
        for der in chain[1:]:
            with contextlib.suppress(ValueError):
                intermediates.append(_parse(der))
        why = self.verify(leaf, intermediates, name, at)
        self._verdicts[key] = why
        if len(self._verdicts) > VERDICTS_KEPT:
            self._verdicts.popitem(last=False)
        return why

    def verify(self, leaf: x509.Certificate, intermediates: list[x509.Certificate],
               name: str, at: datetime) -> str | None:
        """None when the chain leads to a trusted root for ``name`` at ``at``, else why."""
        if self._store is None:
            return "no trusted roots (the system CA bundle is missing and no --ca-file given)"
        builder = PolicyBuilder().store(self._store).time(at)
        try:
            subject: x509.verification.Subject = x509.IPAddress(ipaddress.ip_address(name))  # type: ignore[assignment]
        except ValueError:
            subject = x509.DNSName(name)  # type: ignore[assignment]
        try:
            builder.build_server_verifier(subject).verify(leaf, intermediates)  # type: ignore[arg-type]
        except VerificationError as exc:
            return str(exc)
        return None


def system_bundle() -> Path | None:
    """The system's CA bundle file, where this system keeps it."""
    paths = ssl.get_default_verify_paths()
    for candidate in (paths.cafile, paths.openssl_cafile, *SYSTEM_BUNDLES):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def _load_pem(path: Path, *, strict: bool) -> list[x509.Certificate]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TrustStoreError(f"cannot read CA file {path}: {exc.strerror or exc}") from None
    try:
        with warnings.catch_warnings():
            # Old roots in system bundles break RFC 5280 in small ways (negative serials).
            warnings.simplefilter("ignore")
            certificates = x509.load_pem_x509_certificates(data)
    except ValueError:
        certificates = []
        if b"-----BEGIN" not in data:
            with contextlib.suppress(ValueError):
                certificates = [x509.load_der_x509_certificate(data)]
    if strict and not certificates:
        raise TrustStoreError(f"CA file {path} holds no PEM or DER certificate")
    return certificates


@functools.lru_cache(maxsize=4096)
def _parse(der: bytes) -> x509.Certificate:
    return x509.load_der_x509_certificate(der)


@functools.lru_cache(maxsize=4096)
def read_certificate(der: bytes) -> Certificate:
    """Summarise one DER certificate (``ValueError`` when it cannot be parsed)."""
    certificate = _parse(der)
    spki = certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return Certificate(
        sha256=certificate.fingerprint(hashes.SHA256()).hex(),
        spki_sha256=hashlib.sha256(spki).hexdigest(),
        subject_cn=_common_name(certificate.subject),
        sans=tuple(_sans(certificate)),
        issuer=certificate.issuer.rfc4514_string(),
        issuer_cn=_common_name(certificate.issuer),
        not_before=clock.iso(certificate.not_valid_before_utc),
        not_after=clock.iso(certificate.not_valid_after_utc),
        self_signed=_self_signed(certificate),
        key=_key_kind(certificate),
        serial=format(certificate.serial_number, "x"),
    )


def _common_name(name: x509.Name) -> str:
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    value = values[0].value if values else ""
    return value if isinstance(value, str) else value.decode("utf-8", errors="replace")


def _sans(certificate: x509.Certificate) -> list[str]:
    try:
        extension = certificate.extensions.get_extension_for_oid(
            ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    except x509.ExtensionNotFound:
        return []
    except ValueError:
        return []
    value: Any = extension.value
    names = [str(name).lower() for name in value.get_values_for_type(x509.DNSName)]
    names += [str(address) for address in value.get_values_for_type(x509.IPAddress)]
    return names


def _self_signed(certificate: x509.Certificate) -> bool:
    if certificate.issuer != certificate.subject:
        return False
    try:
        certificate.verify_directly_issued_by(certificate)
    except (ValueError, TypeError, Exception):
        return False
    return True


def _key_kind(certificate: x509.Certificate) -> str:
    key = certificate.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return f"RSA-{key.key_size}"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"EC-{key.curve.name}"
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519"
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448"
    if isinstance(key, dsa.DSAPublicKey):
        return f"DSA-{key.key_size}"
    return type(key).__name__


def name_matches(name: str, sans: tuple[str, ...] | list[str], subject_cn: str = "") -> bool:
    """Whether ``name`` (ASCII) is covered by the SANs (or, without SANs, the CN), a
    wildcard standing for exactly one left-most label (RFC 6125)."""
    patterns = list(sans) or ([subject_cn] if subject_cn else [])
    name = name.rstrip(".").lower()
    for pattern in patterns:
        pattern = pattern.rstrip(".").lower()
        if pattern == name:
            return True
        if pattern.startswith("*.") and "." in name:
            label, rest = name.split(".", 1)
            if label and rest == pattern[2:] and rest.count(".") >= 1:
                return True
    return False


def judge_chain(chain: list[bytes], name: str, trust: TrustStore,
                now: datetime | None = None) -> tuple[Certificate, Verdict]:
    """Read the leaf and judge the chain for ``name``. ``ValueError`` when the leaf
    cannot be parsed at all."""
    if not chain:
        raise ValueError("no certificate")
    now = now or datetime.now(UTC)
    leaf = _parse(chain[0])
    summary = read_certificate(chain[0])
    verdict = Verdict()
    if now > leaf.not_valid_after_utc:
        verdict.problems.append("expired")
        verdict.detail["expired"] = f"expired on {summary.not_after}"
    elif now < leaf.not_valid_before_utc:
        verdict.problems.append("not_yet_valid")
        verdict.detail["not_yet_valid"] = f"valid only from {summary.not_before}"
    if not name_matches(name, summary.sans, summary.subject_cn):
        verdict.problems.append("name_mismatch")
        shown = ", ".join(summary.sans) or summary.subject_cn or "no names"
        verdict.detail["name_mismatch"] = f"issued for {shown}"
    if summary.self_signed:
        verdict.problems.append("self_signed")
        verdict.detail["self_signed"] = f"self-signed by {summary.issuer_cn or summary.issuer}"
        return summary, verdict
    # Trust is judged on its own, for a name the certificate covers (whether it covers the
    # name asked is the name check's part) at a moment it is good for.
    intermediates = []
    for der in chain[1:]:
        with contextlib.suppress(ValueError):
            intermediates.append(_parse(der))
    moment = now
    if "expired" in verdict.problems or "not_yet_valid" in verdict.problems:
        starts = [leaf.not_valid_before_utc, *(c.not_valid_before_utc for c in intermediates)]
        ends = [leaf.not_valid_after_utc, *(c.not_valid_after_utc for c in intermediates)]
        if max(starts) >= min(ends):
            return summary, verdict
        moment = (min(ends) - timedelta(seconds=1) if "expired" in verdict.problems
                  else max(starts) + timedelta(seconds=1))
    subject = _covered_name(summary)
    if subject is None:
        return summary, verdict
    why = trust.verify_chain(chain, subject, moment)
    if why is not None:
        verdict.problems.append("untrusted")
        verdict.detail["untrusted"] = why
    return summary, verdict


def _covered_name(summary: Certificate) -> str | None:
    for pattern in (*summary.sans, summary.subject_cn):
        if pattern:
            return "dw-check." + pattern[2:] if pattern.startswith("*.") else pattern
    return None
