"""The test internet's certificate authorities and the web sites' certificates.

Each world has its own root CA, "domainwatch test root CA", with an intermediate CA
("domainwatch test intermediate CA") that signs the sites' certificates, and a second,
unrelated root, "other test CA", for certificates swapped to another issuer. Everything
is ECDSA P-256 and made with ``cryptography`` when the world starts; the CA keys never
leave memory. Every key is derived from its name or label (a test CA has nothing to keep
secret): worlds started side by side, or one after another, serve the same keys under the
same issuer names, so a site's certificate changes only when its scenario says so. In
``<workdir>/tls/``:

- ``ca.pem``: the root CA only — what a scan is given as ``--ca-file``;
- ``other-ca.pem``: the other CA's root;
- ``keys/default.key``: the world's one leaf key, used by every site certificate whose
  ``key`` label is empty; ``keys/<digest of the label>.key`` for each other label;
- ``certs/<digest>.pem``: one file per distinct certificate: the leaf, then the
  intermediate for ``issuer = "local"`` (what nginx sends).

Certificates are made once per (names, specification) and reused: a world reloaded with
the same sites serves the very same certificates.
"""

from __future__ import annotations

import datetime
import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from domainwatch.testnet.scenario import SiteCertificate

ROOT_CA_NAME = "domainwatch test root CA"
INTERMEDIATE_CA_NAME = "domainwatch test intermediate CA"
OTHER_CA_NAME = "other test CA"
ORGANISATION = "domainwatch test internet"
DEFAULT_KEY = "default"
DEFAULT_VALIDITY_DAYS = 365
TLS_DIR = "tls"
_BACKDATE = datetime.timedelta(days=1)
_EXPIRED_AGO = datetime.timedelta(days=1)
_EXPIRED_LIFETIME = datetime.timedelta(days=90)
_CA_LIFETIME = datetime.timedelta(days=3650)


@dataclass(frozen=True)
class CertificateFiles:
    """A certificate chain file (leaf first) and its private key, as nginx wants them."""

    chain: Path
    key: Path


class _Authority:
    """A CA: its name, key and certificate, and what is sent after a leaf it signs."""

    def __init__(self, common_name: str) -> None:
        self.name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
                               x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        self.key = _derived_key(f"authority {common_name}")
        self.cert: x509.Certificate | None = None
        self.chain_pem = b""  # the intermediate, or nothing for a root


class WorldCA:
    """The CAs of one world, writing into ``directory`` (``<workdir>/tls``)."""

    def __init__(self, directory: Path, now: datetime.datetime | None = None) -> None:
        self.directory = directory
        (directory / "keys").mkdir(parents=True, exist_ok=True)
        (directory / "certs").mkdir(exist_ok=True)
        now = now or _now()
        self._lock = threading.Lock()
        self._keys: dict[str, ec.EllipticCurvePrivateKey] = {}
        self._key_files: dict[str, Path] = {}
        self._issued: dict[tuple[tuple[str, ...], SiteCertificate], CertificateFiles] = {}
        root, other, inter = (_Authority(name) for name in
                              (ROOT_CA_NAME, OTHER_CA_NAME, INTERMEDIATE_CA_NAME))
        root.cert = _ca_cert(root, root, now, path_length=None)
        other.cert = _ca_cert(other, other, now, path_length=None)
        inter.cert = _ca_cert(inter, root, now, path_length=0)
        inter.chain_pem = _pem(inter.cert)
        self._local, self._other = inter, other
        self.root_certificate: x509.Certificate = root.cert
        self.other_certificate: x509.Certificate = other.cert
        self.intermediate_certificate: x509.Certificate = inter.cert
        self.ca_file = directory / "ca.pem"
        self.other_ca_file = directory / "other-ca.pem"
        self.ca_file.write_bytes(_pem(root.cert))
        self.other_ca_file.write_bytes(_pem(other.cert))
        (directory / "intermediate.pem").write_bytes(inter.chain_pem)

    def files(self, names: tuple[str, ...], spec: SiteCertificate) -> CertificateFiles:
        """The certificate for ``names`` (SANs, the first is the CN) after ``spec``;
        made on first use. ``spec.names``, when given, replaces ``names``."""
        names = spec.names or names
        if not names:
            raise ValueError("a certificate needs at least one name")
        with self._lock:
            issued = self._issued.get((names, spec))
            if issued is not None:
                return issued
            key_file = self._key_file(spec.key)
            key = self._keys[spec.key]
            leaf = self._leaf(names, spec, key)
            digest = hashlib.sha256(repr((names, spec)).encode()).hexdigest()[:24]
            chain = self.directory / "certs" / f"{digest}.pem"
            authority = None if spec.issuer == "self-signed" else self._authority(spec.issuer)
            chain.write_bytes(_pem(leaf) + (authority.chain_pem if authority else b""))
            issued = self._issued[(names, spec)] = CertificateFiles(chain, key_file)
            return issued

    def _authority(self, issuer: str) -> _Authority:
        if issuer == "local":
            return self._local
        if issuer == "other":
            return self._other
        raise ValueError(f"unknown certificate issuer {issuer!r}")

    def _key_file(self, label: str) -> Path:
        path = self._key_files.get(label)
        if path is None:
            key = self._keys[label] = _derived_key(f"leaf {label}")
            stem = hashlib.sha256(label.encode()).hexdigest()[:16] if label else DEFAULT_KEY
            path = self.directory / "keys" / f"{stem}.key"
            path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                               serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
            path.chmod(0o600)
            self._key_files[label] = path
        return path

    def _leaf(self, names: tuple[str, ...], spec: SiteCertificate,
              key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
        now = _now()
        if spec.expired:
            not_after = now - _EXPIRED_AGO
            not_before = not_after - _EXPIRED_LIFETIME
        else:
            days = DEFAULT_VALIDITY_DAYS if spec.days is None else spec.days
            not_before, not_after = now - _BACKDATE, now + datetime.timedelta(days=days)
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
        if spec.issuer == "self-signed":
            issuer_name, signer = subject, key
        else:
            authority = self._authority(spec.issuer)
            issuer_name, signer = authority.name, authority.key
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
        )
        if spec.issuer != "self-signed":
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()),
                critical=False,
            )
        return builder.sign(signer, hashes.SHA256())


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0)


_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def _derived_key(label: str) -> ec.EllipticCurvePrivateKey:
    seed = hashlib.sha256(f"domainwatch test internet: {label}".encode()).digest()
    return ec.derive_private_key(int.from_bytes(seed, "big") % (_P256_ORDER - 1) + 1,
                                 ec.SECP256R1())


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _ca_cert(subject: _Authority, issuer: _Authority, now: datetime.datetime,
             path_length: int | None) -> x509.Certificate:
    public = subject.key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject.name)
        .issuer_name(issuer.name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + _CA_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=False,
                          key_encipherment=False, data_encipherment=False, key_agreement=False,
                          key_cert_sign=True, crl_sign=True, encipher_only=False,
                          decipher_only=False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )
    if issuer is not subject:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
    return builder.sign(issuer.key, hashes.SHA256())
