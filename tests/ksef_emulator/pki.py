"""The emulator's key material: a TLS CA and server certificate, and a
"Ministry of Finance" CA with the RSA-2048 encryption certificates that
GET /security/public-key-certificates publishes (ksef-protocol.md 4.3).

Everything lives in the state directory; what exists there is loaded, what
is missing is created, so a restarted emulator keeps its trust anchors:

  tls-ca.pem, tls-ca.key          TLS CA (EC P-256)
  tls-server.pem, tls-server.key  server certificate for 127.0.0.1/localhost
  mf-ca.pem, mf-ca.key            the Ministry CA (EC P-256)
  mf-keys.json                    the Ministry certificates published now:
                                  [{"usage": [...], "cert": "mf-N.pem",
                                    "key": "mf-N.key"}]
"""

import base64
import concurrent.futures
import datetime
import hashlib
import ipaddress
import json
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

TOKEN_USAGE = "KsefTokenEncryption"
SYMMETRIC_USAGE = "SymmetricKeyEncryption"


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def _rsa_2048():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _validity(cert):
    """notBefore, notAfter as aware UTC datetimes (any cryptography)."""
    if hasattr(cert, "not_valid_before_utc"):
        return cert.not_valid_before_utc, cert.not_valid_after_utc
    utc = datetime.timezone.utc
    return (cert.not_valid_before.replace(tzinfo=utc),
            cert.not_valid_after.replace(tzinfo=utc))


def _write_private(path, key):
    data = key.private_bytes(serialization.Encoding.PEM,
                             serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def _write_cert(path, cert):
    with open(path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))


def _load(cert_path, key_path):
    with open(cert_path, "rb") as f:
        cert = x509.load_pem_x509_certificate(f.read())
    with open(key_path, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    return cert, key


def _name(*parts):
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in parts])


def _issue(subject, public_key, issuer_name, issuer_key, days, is_ca,
           extensions=()):
    now = _now()
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(
        issuer_name).public_key(public_key).serial_number(
            x509.random_serial_number()).not_valid_before(
                now - datetime.timedelta(minutes=5)).not_valid_after(
                    now + datetime.timedelta(days=days)).add_extension(
                        x509.BasicConstraints(ca=is_ca, path_length=None),
                        critical=True).add_extension(
                            x509.SubjectKeyIdentifier.from_public_key(
                                public_key),
                            critical=False))
    if not is_ca or issuer_name != subject:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(
                issuer_key.public_key()),
            critical=False)
    for ext, critical in extensions:
        builder = builder.add_extension(ext, critical=critical)
    return builder.sign(issuer_key, hashes.SHA256())


def _ca_usage():
    return (x509.KeyUsage(digital_signature=True, content_commitment=False,
                          key_encipherment=False, data_encipherment=False,
                          key_agreement=False, key_cert_sign=True,
                          crl_sign=True, encipher_only=False,
                          decipher_only=False), True)


class MinistryKey:
    """One published Ministry certificate and its private key."""

    def __init__(self, cert, key, usage, cert_file, key_file):
        self.cert = cert
        self.key = key
        self.usage = list(usage)
        self.cert_file = cert_file
        self.key_file = key_file
        self.der = cert.public_bytes(serialization.Encoding.DER)
        spki = cert.public_key().public_bytes(
            serialization.Encoding.DER,
            serialization.PublicFormat.SubjectPublicKeyInfo)
        self.certificate_id = base64.b64encode(
            hashlib.sha256(self.der).digest()).decode()
        self.public_key_id = base64.b64encode(
            hashlib.sha256(spki).digest()).decode()

    def decrypt(self, ciphertext):
        """RSA-OAEP, SHA-256, MGF1-SHA-256, empty label (4.2). Raises
        ValueError when the ciphertext was not made for this key."""
        return self.key.decrypt(
            ciphertext,
            padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()),
                         algorithm=hashes.SHA256(), label=None))

    def to_json(self):
        """A PublicKeyCertificate (OpenAPI) item."""
        return {
            "certificate": base64.b64encode(self.der).decode(),
            "certificateId": self.certificate_id,
            "publicKeyId": self.public_key_id,
            "validFrom": _validity(self.cert)[0].isoformat(),
            "validTo": _validity(self.cert)[1].isoformat(),
            "usage": self.usage,
        }


class Pki:
    """The key material of one state directory. Not thread-safe: the
    caller (the emulator state) serialises rotations."""

    def __init__(self, state_dir):
        self.dir = state_dir
        os.makedirs(state_dir, mode=0o700, exist_ok=True)
        self.tls_ca_file = self._path("tls-ca.pem")
        self.tls_cert_file = self._path("tls-server.pem")
        self.tls_key_file = self._path("tls-server.key")
        self.mf_ca_file = self._path("mf-ca.pem")
        self._ensure_tls()
        self._ensure_mf_ca()
        self.ministry_keys = []
        self._load_ministry_keys()

    def _path(self, name):
        return os.path.join(self.dir, name)

    def _ensure_tls(self):
        ca_key_file = self._path("tls-ca.key")
        if os.path.exists(self.tls_ca_file) and os.path.exists(ca_key_file):
            ca, ca_key = _load(self.tls_ca_file, ca_key_file)
        else:
            ca_key = ec.generate_private_key(ec.SECP256R1())
            name = _name((NameOID.COMMON_NAME, "KSeF emulator TLS CA"))
            ca = _issue(name, ca_key.public_key(), name, ca_key, 3650, True,
                        [_ca_usage()])
            _write_private(ca_key_file, ca_key)
            _write_cert(self.tls_ca_file, ca)
        if os.path.exists(self.tls_cert_file) and os.path.exists(
                self.tls_key_file):
            return
        key = ec.generate_private_key(ec.SECP256R1())
        san = x509.SubjectAlternativeName([
            x509.DNSName("localhost"),
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        ])
        cert = _issue(
            _name((NameOID.COMMON_NAME, "127.0.0.1")), key.public_key(),
            ca.subject, ca_key, 3650, False,
            [(san, False),
             (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)])
        _write_private(self.tls_key_file, key)
        _write_cert(self.tls_cert_file, cert)

    def _ensure_mf_ca(self):
        key_file = self._path("mf-ca.key")
        if os.path.exists(self.mf_ca_file) and os.path.exists(key_file):
            self._mf_ca, self._mf_ca_key = _load(self.mf_ca_file, key_file)
            return
        # EC: quick to make (the published certificates must be RSA, the
        # CA need not be).
        key = ec.generate_private_key(ec.SECP256R1())
        name = _name((NameOID.COUNTRY_NAME, "PL"),
                     (NameOID.ORGANIZATION_NAME, "KSeF emulator"),
                     (NameOID.COMMON_NAME, "KSeF emulator Ministry CA"))
        self._mf_ca = _issue(name, key.public_key(), name, key, 3650, True,
                             [_ca_usage()])
        self._mf_ca_key = key
        _write_private(key_file, key)
        _write_cert(self.mf_ca_file, self._mf_ca)

    def _index_file(self):
        return self._path("mf-keys.json")

    def _load_ministry_keys(self):
        index = self._index_file()
        if not os.path.exists(index):
            # Both keys at once: RSA key generation runs outside the GIL,
            # and it is most of the emulator's start-up time.
            with concurrent.futures.ThreadPoolExecutor(2) as pool:
                keys = list(pool.map(lambda _: _rsa_2048(), range(2)))
            self.add_ministry_key([TOKEN_USAGE], keys[0])
            self.add_ministry_key([SYMMETRIC_USAGE], keys[1])
            return
        with open(index) as f:
            for item in json.load(f):
                cert, key = _load(self._path(item["cert"]),
                                  self._path(item["key"]))
                self.ministry_keys.append(
                    MinistryKey(cert, key, item["usage"], item["cert"],
                                item["key"]))

    def _save_index(self):
        items = [{
            "usage": k.usage,
            "cert": k.cert_file,
            "key": k.key_file
        } for k in self.ministry_keys]
        tmp = self._index_file() + ".tmp"
        with open(tmp, "w") as f:
            json.dump(items, f, indent=1)
        os.replace(tmp, self._index_file())

    def add_ministry_key(self, usage, key=None):
        """Issues a new RSA-2048 Ministry certificate for `usage` (for `key`,
        or a new key) and publishes it; returns its MinistryKey."""
        key = key or _rsa_2048()
        subject = _name((NameOID.COUNTRY_NAME, "PL"),
                        (NameOID.ORGANIZATION_NAME, "Ministerstwo Finansów"),
                        (NameOID.COMMON_NAME, "Ministerstwo Finansów"))
        ku = x509.KeyUsage(digital_signature=True, content_commitment=True,
                           key_encipherment=True, data_encipherment=True,
                           key_agreement=False, key_cert_sign=False,
                           crl_sign=False, encipher_only=False,
                           decipher_only=False)
        cert = _issue(subject, key.public_key(), self._mf_ca.subject,
                      self._mf_ca_key, 730, False, [(ku, True)])
        n = 1
        while os.path.exists(self._path(f"mf-{n}.pem")):
            n += 1
        cert_file, key_file = f"mf-{n}.pem", f"mf-{n}.key"
        _write_private(self._path(key_file), key)
        _write_cert(self._path(cert_file), cert)
        mk = MinistryKey(cert, key, usage, cert_file, key_file)
        self.ministry_keys.append(mk)
        self._save_index()
        return mk

    def remove_ministry_key(self, public_key_id):
        """Withdraws every certificate with that publicKeyId (an emergency
        rotation: the id is refused with 21470 from now on). Returns how
        many were removed."""
        before = len(self.ministry_keys)
        self.ministry_keys = [
            k for k in self.ministry_keys if k.public_key_id != public_key_id
        ]
        self._save_index()
        return before - len(self.ministry_keys)

    def keys_for(self, usage):
        return [k for k in self.ministry_keys if usage in k.usage]
