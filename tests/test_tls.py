"""Certificates: the leaf summary and the judgement of a chain (expired, name, self-signed,
trust), against CAs made here with cryptography."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from domainwatch.probes.tls import (
    TrustStore,
    TrustStoreError,
    judge_chain,
    name_matches,
    read_certificate,
)

NOW = datetime(2026, 11, 26, tzinfo=UTC)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_ca(cn: str) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = (
        x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(_name(cn))
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=365)).not_valid_after(NOW + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .sign(key, hashes.SHA256()))
    return certificate, key


def make_leaf(names: list[str], issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey]
              | None, *, days: tuple[int, int] = (-10, 90)) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    issuer_name = issuer[0].subject if issuer else _name(names[0])
    signer = issuer[1] if issuer else key
    builder = (
        x509.CertificateBuilder().subject_name(_name(names[0])).issuer_name(issuer_name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(NOW + timedelta(days=days[0]))
        .not_valid_after(NOW + timedelta(days=days[1]))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]),
                       critical=False)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                       critical=False))
    if issuer:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer[1].public_key()),
            critical=False)
    return builder.sign(signer, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


@pytest.fixture(scope="module")
def ca() -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    return make_ca("domainwatch unit test CA")


@pytest.fixture(scope="module")
def trust(ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey],
          tmp_path_factory: pytest.TempPathFactory) -> TrustStore:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    path.write_bytes(ca[0].public_bytes(serialization.Encoding.PEM))
    return TrustStore([path], system=False)


def test_a_good_chain_has_no_problem(ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey],
                                     trust: TrustStore) -> None:
    leaf = make_leaf(["www.jiuquan.gov.cn", "jiuquan.gov.cn"], ca)
    summary, verdict = judge_chain([leaf], "www.jiuquan.gov.cn", trust, NOW)
    assert verdict.problems == []
    assert summary.subject_cn == "www.jiuquan.gov.cn"
    assert summary.sans == ("www.jiuquan.gov.cn", "jiuquan.gov.cn")
    assert summary.issuer_cn == "domainwatch unit test CA" and not summary.self_signed
    assert summary.key == "EC-secp256r1" and len(summary.spki_sha256) == 64
    assert summary == read_certificate(leaf)


def test_each_problem_is_named_on_its_own(
        ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey], trust: TrustStore) -> None:
    expired = make_leaf(["www.jiuquan.gov.cn"], ca, days=(-400, -5))
    _, verdict = judge_chain([expired], "www.jiuquan.gov.cn", trust, NOW)
    assert verdict.problems == ["expired"]  # not also "untrusted"
    other = make_leaf(["www.gambling.example"], ca)
    _, verdict = judge_chain([other], "www.jiuquan.gov.cn", trust, NOW)
    assert verdict.problems == ["name_mismatch"]
    assert "www.gambling.example" in verdict.detail["name_mismatch"]
    own = make_leaf(["www.jiuquan.gov.cn"], None)
    _, verdict = judge_chain([own], "www.jiuquan.gov.cn", trust, NOW)
    assert verdict.problems == ["self_signed"]
    stranger = make_leaf(["www.jiuquan.gov.cn"], make_ca("unknown CA"))
    _, verdict = judge_chain([stranger], "www.jiuquan.gov.cn", trust, NOW)
    assert verdict.problems == ["untrusted"]
    # the same chain is trusted once the administrator adds its CA
    assert judge_chain([expired], "www.jiuquan.gov.cn", trust, NOW - timedelta(days=200)
                       )[1].problems == []


def test_name_matching_follows_rfc_6125() -> None:
    assert name_matches("www.a.gov.cn", ["*.a.gov.cn"])
    assert not name_matches("x.www.a.gov.cn", ["*.a.gov.cn"])
    assert not name_matches("a.gov.cn", ["*.a.gov.cn"])
    assert not name_matches("gov.cn", ["*.cn"]), "a wildcard never stands for a whole suffix"
    assert name_matches("WWW.A.GOV.CN.", ["www.a.gov.cn"])
    assert name_matches("www.a.gov.cn", [], "www.a.gov.cn")  # CN only without SANs
    assert not name_matches("www.a.gov.cn", ["b.gov.cn"], "www.a.gov.cn")


def test_bad_ca_files_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(TrustStoreError, match="cannot read CA file"):
        TrustStore([tmp_path / "missing.pem"], system=False)
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    with pytest.raises(TrustStoreError, match="holds no PEM or DER certificate"):
        TrustStore([junk], system=False)


def test_the_system_store_is_used_by_default() -> None:
    store = TrustStore()
    assert len(store.certificates) > 50, "the system CA bundle (Debian: ca-certificates)"
