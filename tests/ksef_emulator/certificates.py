"""KSeF certificates for the emulator (ksef-protocol.md 6, 3.8): limits,
enrollment data read from the login certificate, enrollments whose CSR is
checked here (python3-cryptography: its signature, key type and the subject
equal to the enrollment data), certificates issued by the emulator's own
"TEST CCK KSeF" CA (keyUsage digitalSignature for Authentication,
nonRepudiation for Offline, 6.5), retrieve, revoke, query. XAdES logins
with a certificate issued here succeed while it is active and fail with
status 460 once it is revoked (login_status).

The CA lives in the state directory (ksef-ca.pem, ksef-ca.key), so tests
can `openssl verify -CAfile ksef-ca.pem` what was issued. Everything else
is in memory.

Control API (api.py): POST /_emulator/certificates/settings
{pendingPolls, enrollmentRemaining, certificateRemaining, validityDays,
validitySeconds} (validitySeconds > 0: certificates that end that many
seconds after issue, for renewal and expiry tests; 0: validityDays),
POST /_emulator/certificates/revoke {serial} (a revocation made outside
sejf) and GET /_emulator/certificates (what was issued and revoked).
"""

import base64
import datetime
import os
import re
import threading
import time

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from wire import ApiError, iso, reference, validation

NAME_RE = re.compile(r"^[a-zA-Z0-9_\- ąćęłńóśźżĄĆĘŁŃÓŚŹŻ]+$")
SERIAL_RE = re.compile(r"^[0-9A-F]{16}$")
ORG_ID = x509.ObjectIdentifier("2.5.4.97")

# JSON field of /certificates/enrollments/data → subject attribute OID.
FIELDS = [
    ("commonName", NameOID.COMMON_NAME),
    ("countryName", NameOID.COUNTRY_NAME),
    ("givenName", NameOID.GIVEN_NAME),
    ("surname", NameOID.SURNAME),
    ("serialNumber", NameOID.SERIAL_NUMBER),
    ("uniqueIdentifier", NameOID.X500_UNIQUE_IDENTIFIER),
    ("organizationName", NameOID.ORGANIZATION_NAME),
    ("organizationIdentifier", ORG_ID),
]

DEFAULTS = {
    "pendingPolls": 1,
    "enrollmentLimit": 300,
    "enrollmentRemaining": 300,
    "certificateLimit": 100,
    "certificateRemaining": 100,
    "validityDays": 730,
    "validitySeconds": 0,
}


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


class Certificates:
    """One emulator's certificate state. Thread-safe (its own lock)."""

    def __init__(self, state_dir):
        self._lock = threading.Lock()
        self.ca_file = os.path.join(state_dir, "ksef-ca.pem")
        key_file = os.path.join(state_dir, "ksef-ca.key")
        if os.path.exists(self.ca_file) and os.path.exists(key_file):
            with open(self.ca_file, "rb") as f:
                self.ca = x509.load_pem_x509_certificate(f.read())
            with open(key_file, "rb") as f:
                self.ca_key = serialization.load_pem_private_key(f.read(), None)
        else:
            self.ca_key = ec.generate_private_key(ec.SECP256R1())
            name = x509.Name([
                x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME,
                                   "Ministerstwo Finansów"),
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME,
                                   "Krajowa Administracja Skarbowa"),
                x509.NameAttribute(NameOID.COMMON_NAME, "TEST CCK KSeF"),
            ])
            now = _now()
            self.ca = (x509.CertificateBuilder().subject_name(name).issuer_name(
                name).public_key(self.ca_key.public_key()).serial_number(
                    x509.random_serial_number()).not_valid_before(
                        now - datetime.timedelta(minutes=5)).not_valid_after(
                            now + datetime.timedelta(days=3650)).add_extension(
                                x509.BasicConstraints(ca=True, path_length=0),
                                critical=True).add_extension(
                                    x509.KeyUsage(False, False, False, False,
                                                  False, True, True, False,
                                                  False),
                                    critical=True).sign(
                                        self.ca_key, hashes.SHA256()))
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(
                    self.ca_key.private_bytes(
                        serialization.Encoding.PEM,
                        serialization.PrivateFormat.PKCS8,
                        serialization.NoEncryption()))
            with open(self.ca_file, "wb") as f:
                f.write(self.ca.public_bytes(serialization.Encoding.PEM))
        self.reset()

    def reset(self):
        with self._lock:
            self.settings = dict(DEFAULTS)
            self.enrollments = {}  # ref → dict
            self.issued = {}  # serial → dict

    def configure(self, body):
        with self._lock:
            for k, v in body.items():
                if k not in DEFAULTS or not isinstance(v, int) or v < 0:
                    raise ValueError(f"unknown or bad setting {k}")
                self.settings[k] = v
            return dict(self.settings)

    def revoke_by_control(self, body):
        """Revokes a certificate as the taxpayer's portal would (control
        API): {"serial": "…"}."""
        with self._lock:
            c = self.issued.get(body["serial"])
            if c is None:
                raise KeyError(body["serial"])
            c["status"] = "Revoked"
            c["reason"] = "Unspecified"
            return {"serial": body["serial"], "status": "Revoked"}

    def summary(self):
        with self._lock:
            return {
                "caFile": self.ca_file,
                "enrollments": [{
                    "referenceNumber": ref,
                    "status": e["code"],
                    "serial": e.get("serial")
                } for ref, e in self.enrollments.items()],
                "certificates": [{
                    "serial": s,
                    "status": c["status"],
                    "type": c["type"],
                    "revocationReason": c.get("reason")
                } for s, c in self.issued.items()],
            }

    # ---- logins ---------------------------------------------------------

    def login_status(self, cert):
        """(code, details) for a XAdES login with `cert` when it was issued
        here; None for any other certificate."""
        if cert.issuer != self.ca.subject:
            return None
        try:
            self.ca_key.public_key().verify(cert.signature,
                                            cert.tbs_certificate_bytes,
                                            ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            return None
        serial = format(cert.serial_number, "016X")
        with self._lock:
            issued = self.issued.get(serial)
            if issued is None or issued["status"] != "Active":
                return 460, ["Nieważny certyfikat."]
            if issued["type"] != "Authentication":
                return 460, ["Certyfikat nie służy do uwierzytelnienia."]
        return 200, []

    # ---- the endpoints --------------------------------------------------

    @staticmethod
    def _xades_caller(op, code):
        """The login certificate of a XAdES session; 400 `code` for a token
        login (6.1)."""
        cert = getattr(op, "cert", None)
        if op.method != "XadesSignature" or cert is None:
            raise ApiError(400, code, "Operacja niedostępna.", [
                "Operacja dostępna tylko po uwierzytelnieniu podpisem "
                "XAdES (certyfikatem)."
            ])
        return cert

    def limits(self, op):
        with self._lock:
            s = self.settings
            return {
                "canRequest": s["enrollmentRemaining"] > 0 and
                              s["certificateRemaining"] > 0,
                "enrollment": {
                    "limit": s["enrollmentLimit"],
                    "remaining": s["enrollmentRemaining"]
                },
                "certificate": {
                    "limit": s["certificateLimit"],
                    "remaining": s["certificateRemaining"]
                },
            }

    def enrollment_data(self, op):
        cert = self._xades_caller(op, 25001)
        out = {}
        for field, oid in FIELDS:
            values = cert.subject.get_attributes_for_oid(oid)
            out[field] = values[0].value if values else None
        return out

    def enroll(self, op, body):
        cert = self._xades_caller(op, 25002)
        if not isinstance(body, dict):
            raise validation("the body must be a JSON object")
        name = body.get("certificateName")
        if (not isinstance(name, str) or not 5 <= len(name) <= 100 or
                not NAME_RE.match(name)):
            raise validation("certificateName: 5-100 characters of "
                             "^[a-zA-Z0-9_\\- ąćęłńóśźżĄĆĘŁŃÓŚŹŻ]+$")
        ctype = body.get("certificateType")
        if ctype not in ("Authentication", "Offline"):
            raise validation("certificateType: Authentication or Offline")
        try:
            der = base64.b64decode(body.get("csr") or "", validate=True)
            csr = x509.load_der_x509_csr(der)
        except Exception as e:  # noqa: BLE001 - any parse failure is 25004
            raise ApiError(400, 25004, "Nieprawidłowy format CSR.", [str(e)])
        key = csr.public_key()
        if isinstance(key, rsa.RSAPublicKey):
            ok_key = key.key_size == 2048
        elif isinstance(key, ec.EllipticCurvePublicKey):
            ok_key = isinstance(key.curve, ec.SECP256R1)
        else:
            ok_key = False
        if not ok_key:
            raise ApiError(400, 25010, "Nieprawidłowy typ lub długość klucza.",
                           ["RSA 2048 or EC P-256 only"])
        hash_alg = csr.signature_hash_algorithm
        if not isinstance(hash_alg,
                          (hashes.SHA1, hashes.SHA256, hashes.SHA384,
                           hashes.SHA512)):
            raise ApiError(400, 25011, "Nieprawidłowy algorytm podpisu CSR.")
        if not csr.is_signature_valid:
            raise ApiError(400, 25004, "Nieprawidłowy podpis CSR.")
        want = sorted((oid.dotted_string, v)
                      for (field, oid), v in zip(
                          FIELDS, (self.enrollment_data(op)[f]
                                   for f, _ in FIELDS)) if v)
        got = sorted(
            (a.oid.dotted_string, a.value) for a in csr.subject)
        if want != got:
            raise ApiError(400, 25003, "Dane w CSR niezgodne z danymi "
                           "do certyfikatu.", [f"expected {want}, got {got}"])
        with self._lock:
            for e in self.enrollments.values():
                if e["spki"] == _spki(key) and e["owner"] != _owner(cert):
                    raise ApiError(400, 25003, "Klucz publiczny został już "
                                   "certyfikowany przez inny podmiot.")
            if self.settings["enrollmentRemaining"] <= 0:
                raise ApiError(400, 25006, "Osiągnięto limit wniosków.")
            self.settings["enrollmentRemaining"] -= 1
            ref = reference("EH", time.time())
            self.enrollments[ref] = {
                "csr": csr,
                "spki": _spki(key),
                "owner": _owner(cert),
                "type": ctype,
                "name": name,
                "polls": 0,
                "code": 100,
                "requested": time.time(),
            }
            return {"referenceNumber": ref, "timestamp": iso(time.time())}

    def enrollment_status(self, op, ref):
        cert = self._xades_caller(op, 25001)
        with self._lock:
            e = self.enrollments.get(ref)
            if e is None or e["owner"] != _owner(cert):
                raise ApiError(400, 25005, "Wniosek nie istnieje.",
                               [f"Brak wniosku {ref}."])
            e["polls"] += 1
            if e["code"] == 100 and e["polls"] > self.settings["pendingPolls"]:
                if self.settings["certificateRemaining"] <= 0:
                    e["code"] = 400
                    e["details"] = ["Osiągnięto limit certyfikatów."]
                else:
                    self.settings["certificateRemaining"] -= 1
                    e["serial"] = self._issue(e)
                    e["code"] = 200
            out = {
                "requestDate": iso(e["requested"]),
                "status": {
                    "code": e["code"],
                    "description": {
                        100: "Wniosek przyjęty do realizacji",
                        200: "Wniosek obsłużony (certyfikat wygenerowany)",
                        400: "Wniosek odrzucony",
                    }[e["code"]],
                },
            }
            if e.get("details"):
                out["status"]["details"] = e["details"]
            if e.get("serial"):
                out["certificateSerialNumber"] = e["serial"]
            return out

    def _issue(self, e):
        while True:
            serial = int.from_bytes(os.urandom(8), "big") & ((1 << 63) - 1)
            if serial >= 1 << 56 and format(serial, "016X") not in self.issued:
                break
        now = _now()
        lifetime = (datetime.timedelta(
            seconds=self.settings["validitySeconds"])
                    if self.settings["validitySeconds"] > 0 else
                    datetime.timedelta(days=self.settings["validityDays"]))
        auth = e["type"] == "Authentication"
        ku = x509.KeyUsage(digital_signature=auth,
                           content_commitment=not auth,
                           key_encipherment=False, data_encipherment=False,
                           key_agreement=False, key_cert_sign=False,
                           crl_sign=False, encipher_only=False,
                           decipher_only=False)
        cert = (x509.CertificateBuilder().subject_name(
            e["csr"].subject).issuer_name(self.ca.subject).public_key(
                e["csr"].public_key()).serial_number(serial).not_valid_before(
                    now - datetime.timedelta(minutes=1)).not_valid_after(
                        now + lifetime).add_extension(
                                ku, critical=True).add_extension(
                                    x509.BasicConstraints(ca=False,
                                                          path_length=None),
                                    critical=True).sign(
                                        self.ca_key, hashes.SHA256()))
        hexserial = format(serial, "016X")
        self.issued[hexserial] = {
            "der": cert.public_bytes(serialization.Encoding.DER),
            "cert": cert,
            "name": e["name"],
            "type": e["type"],
            "owner": e["owner"],
            "status": "Active",
            "requested": e["requested"],
        }
        return hexserial

    def retrieve(self, op, body):
        cert = self._xades_caller(op, 25001)
        serials = body.get("certificateSerialNumbers") if isinstance(
            body, dict) else None
        if (not isinstance(serials, list) or not 1 <= len(serials) <= 10 or
                not all(isinstance(s, str) and SERIAL_RE.match(s)
                        for s in serials)):
            raise validation("certificateSerialNumbers: 1-10 of 16 hex")
        out = []
        with self._lock:
            for s in serials:
                c = self.issued.get(s)
                if c is None or c["owner"] != _owner(cert):
                    continue
                out.append({
                    "certificate": base64.b64encode(c["der"]).decode(),
                    "certificateName": c["name"],
                    "certificateSerialNumber": s,
                    "certificateType": c["type"],
                })
        return {"certificates": out}

    def revoke(self, op, serial, body):
        cert = self._xades_caller(op, 25001)
        reason = (body or {}).get("revocationReason", "Unspecified") if \
            isinstance(body, dict) else None
        if reason not in ("Unspecified", "Superseded", "KeyCompromise"):
            raise validation("revocationReason: Unspecified, Superseded, "
                             "KeyCompromise")
        with self._lock:
            c = self.issued.get(serial)
            if c is None or c["owner"] != _owner(cert):
                raise ApiError(400, 25008, "Certyfikat nie istnieje.")
            if c["status"] != "Active":
                raise ApiError(400, 25009, "Certyfikat jest już unieważniony.")
            c["status"] = "Revoked"
            c["reason"] = reason

    def query(self, op, body):
        cert = self._xades_caller(op, 25001)
        body = body if isinstance(body, dict) else {}
        items = []
        with self._lock:
            for s, c in sorted(self.issued.items(),
                               key=lambda kv: -kv[1]["requested"]):
                if c["owner"] != _owner(cert):
                    continue
                if body.get("certificateSerialNumber") not in (None, s):
                    continue
                if body.get("status") not in (None, c["status"]):
                    continue
                x = c["cert"]
                validity = ((x.not_valid_before_utc, x.not_valid_after_utc)
                            if hasattr(x, "not_valid_before_utc") else
                            (x.not_valid_before.replace(
                                tzinfo=datetime.timezone.utc),
                             x.not_valid_after.replace(
                                 tzinfo=datetime.timezone.utc)))
                status = c["status"]
                if status == "Active" and validity[1] < _now():
                    status = "Expired"
                cn = x.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
                items.append({
                    "certificateSerialNumber": s,
                    "name": c["name"],
                    "type": c["type"],
                    "commonName": cn[0].value if cn else "",
                    "status": status,
                    "subjectIdentifier": _subject_identifier(c["owner"]),
                    "validFrom": validity[0].isoformat(),
                    "validTo": validity[1].isoformat(),
                    "requestDate": iso(c["requested"]),
                })
        return {"certificates": items, "hasMore": False}


def _spki(key):
    return key.public_bytes(serialization.Encoding.DER,
                            serialization.PublicFormat.SubjectPublicKeyInfo)


def _owner(cert):
    """Who a login certificate identifies: its subject identifier
    (TINPL-/PNOPL-/VATPL-) when it has one, else its subject."""
    for oid in (NameOID.SERIAL_NUMBER, ORG_ID):
        for a in cert.subject.get_attributes_for_oid(oid):
            if a.value.startswith(("TINPL-", "PNOPL-", "VATPL-")):
                return a.value
    return cert.subject.rfc4514_string()


def _subject_identifier(owner):
    """SubjectIdentifier {type, value} of an owner as _owner names it."""
    for prefix, kind in (("TINPL-", "Nip"), ("VATPL-", "Nip"),
                         ("PNOPL-", "Pesel")):
        if owner.startswith(prefix):
            return {"type": kind, "value": owner[len(prefix):]}
    return {"type": "Fingerprint", "value": owner}
