"""Checks of a signed AuthTokenRequest (POST /auth/xades-signature), with
tools independent of sejf: xmllint --schema for the XSD, xmlsec1 --verify
for the signature, python3-cryptography for the certificate.

check_document(body) either raises XadesError(code, description, details)
— a 400 exception of KSeF (ksef-protocol.md 3.3, 9.1) — or returns a
SignedRequest with what the document says and who signed it.
"""

import base64
import datetime
import hashlib
import os
import re
import subprocess
import tempfile
import xml.etree.ElementTree as ET

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

DS = "http://www.w3.org/2000/09/xmldsig#"
XADES = "http://uri.etsi.org/01903/v1.3.2#"
NS20 = "http://ksef.mf.gov.pl/auth/token/2.0"
NS21 = "http://ksef.mf.gov.pl/auth/token/2.1"
SIGNED_PROPERTIES_TYPE = "http://uri.etsi.org/01903#SignedProperties"

# 5.2, without SHA-1 (refused on DEMO/PRD, cs#215) and SHA-3 (not in the
# Debian xmlsec1).
SIGNATURE_METHODS = {
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
    "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1",
    "http://www.w3.org/2007/05/xmldsig-more#sha384-rsa-MGF1",
    "http://www.w3.org/2007/05/xmldsig-more#sha512-rsa-MGF1",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512",
}
DIGESTS = {
    "http://www.w3.org/2001/04/xmlenc#sha256": hashlib.sha256,
    "http://www.w3.org/2001/04/xmldsig-more#sha384": hashlib.sha384,
    "http://www.w3.org/2001/04/xmlenc#sha512": hashlib.sha512,
}
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
WHOLE_DOCUMENT_TRANSFORMS = {
    ENVELOPED,
    "http://www.w3.org/2001/10/xml-exc-c14n#",
    "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments",
    "http://www.w3.org/2006/12/xml-c14n11",
    "http://www.w3.org/2006/12/xml-c14n11#WithComments",
}
CONTEXT_TYPES = {
    "Nip": "Nip",
    "InternalId": "InternalId",
    "NipVatUe": "NipVatUe",
    "PeppolId": "PeppolId"
}
SUBJECT_PREFIXES = ("TINPL-", "PNOPL-", "VATPL-")
ORGANIZATION_IDENTIFIER = x509.ObjectIdentifier("2.5.4.97")

BAD_SIGNATURE = "Podpis zweryfikowany negatywnie."
BAD_PROFILE = "Format podpisu niezgodny z akceptowanymi profilami XAdES."
BAD_ALGORITHM = ("Podpis złożony z użyciem niewspieranego algorytmu "
                 "kryptograficznego.")


def validity(cert):
    """notBefore, notAfter as aware UTC datetimes (any cryptography)."""
    if hasattr(cert, "not_valid_before_utc"):
        return cert.not_valid_before_utc, cert.not_valid_after_utc
    utc = datetime.timezone.utc
    return (cert.not_valid_before.replace(tzinfo=utc),
            cert.not_valid_after.replace(tzinfo=utc))


class XadesError(Exception):

    def __init__(self, code, description, details=()):
        super().__init__(f"{code} {description}")
        self.code = code
        self.description = description
        self.details = list(details)


def _invalid_signature(*details):
    return XadesError(9105, "Nieprawidłowy podpis.", details)


class SignedRequest:
    """What an accepted AuthTokenRequest says: challenge, context
    ({type,value}), subject identifier type, the signing certificate."""

    def __init__(self, challenge, context, subject_type, cert):
        self.challenge = challenge
        self.context = context
        self.subject_type = subject_type
        self.cert = cert
        der = cert.public_bytes(serialization.Encoding.DER)
        self.fingerprint = hashlib.sha256(der).hexdigest()

    def self_signed(self):
        if self.cert.issuer != self.cert.subject:
            return False
        try:
            key = self.cert.public_key()
            if isinstance(key, rsa.RSAPublicKey):
                from cryptography.hazmat.primitives.asymmetric import padding
                key.verify(self.cert.signature, self.cert.tbs_certificate_bytes,
                           padding.PKCS1v15(),
                           self.cert.signature_hash_algorithm)
            elif isinstance(key, ec.EllipticCurvePublicKey):
                key.verify(self.cert.signature, self.cert.tbs_certificate_bytes,
                           ec.ECDSA(self.cert.signature_hash_algorithm))
            else:
                return False
            return True
        except Exception:  # any verification failure: not self-signed
            return False

    def valid_now(self):
        not_before, not_after = validity(self.cert)
        now = datetime.datetime.now(datetime.timezone.utc)
        return not_before <= now <= not_after

    def subject_identifier(self):
        """The TINPL-/PNOPL-/VATPL- value of the subject, or None."""
        for oid in (NameOID.SERIAL_NUMBER, ORGANIZATION_IDENTIFIER):
            for attr in self.cert.subject.get_attributes_for_oid(oid):
                if attr.value.startswith(SUBJECT_PREFIXES):
                    return attr.value
        return None


class Schemas:
    """The AuthTokenRequest XSDs as libxml2 compiles them: the 2.1 file
    with ^/$ dropped from its patterns, and a copy in the 2.0 namespace
    (the 2.0 file uses regex syntax libxml2 rejects; the structure is the
    same — see signer/ksef/testdata/README.md)."""

    def __init__(self, xsd_21_path, work_dir):
        with open(xsd_21_path, encoding="utf-8") as f:
            text = f.read()
        text = text.replace('pattern value="^', 'pattern value="').replace(
            '$"/>', '"/>')
        self.paths = {}
        for ns in (NS21, NS20):
            path = os.path.join(work_dir, f"schema-{ns[-3:]}.xsd")
            with open(path, "w", encoding="utf-8") as f:
                f.write(text.replace(NS21, ns))
            self.paths[ns] = path


def _run(argv, work_dir):
    return subprocess.run(argv, cwd=work_dir, capture_output=True,
                          timeout=30)


def _child(element, ns, name):
    return element.find(f"{{{ns}}}{name}")


def _text(element):
    return (element.text or "").strip() if element is not None else ""


def check_document(body, schemas, scratch_dir):
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise XadesError(21001, "Nieczytelna treść.",
                         ["DTDs are not accepted"])
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        raise XadesError(21217, "Nieprawidłowe kodowanie znaków.")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as e:
        raise XadesError(21001, "Nieczytelna treść.", [str(e)])

    ns = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    signatures = list(root.iter(f"{{{DS}}}Signature"))
    if not signatures:
        raise XadesError(9102, "Brak podpisu.")
    if len(signatures) > 1:
        raise XadesError(9103, "Przekroczona liczba dozwolonych podpisów.")
    signature = signatures[0]
    if ns not in (NS20, NS21) or root.tag != f"{{{ns}}}AuthTokenRequest":
        raise XadesError(21401, "Dokument nie jest zgodny ze schemą (xsd).",
                         [f"unexpected root element {root.tag}"])
    if signature not in list(root):
        # Enveloping or nested signatures: not what KSeF's clients send.
        raise _invalid_signature(BAD_PROFILE,
                                 "ds:Signature must be a child of the root")

    with tempfile.TemporaryDirectory(dir=scratch_dir) as work:
        _check_schema(root, signature, ns, schemas, work)
        cert = _signing_certificate(signature)
        _check_structure(root, signature, cert)
        _verify_with_xmlsec(body, cert, work)

    context_el = _child(root, ns, "ContextIdentifier")
    context = None
    for child in list(context_el):
        local = child.tag.split("}")[-1]
        context = {"type": CONTEXT_TYPES[local], "value": _text(child)}
    return SignedRequest(_text(_child(root, ns, "Challenge")), context,
                         _text(_child(root, ns, "SubjectIdentifierType")),
                         cert)


def _check_schema(root, signature, ns, schemas, work):
    root.remove(signature)
    path = os.path.join(work, "content.xml")
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    root.append(signature)
    r = _run(["xmllint", "--noout", "--nonet", "--schema", schemas.paths[ns],
              path], work)
    if r.returncode != 0:
        lines = [
            l.replace(path, "AuthTokenRequest")
            for l in r.stderr.decode("utf-8", "replace").splitlines()
            if "validates" not in l and "fails to validate" not in l
        ]
        raise XadesError(21401, "Dokument nie jest zgodny ze schemą (xsd).",
                         lines[:5])


def _signing_certificate(signature):
    certs = signature.findall(
        f"{{{DS}}}KeyInfo/{{{DS}}}X509Data/{{{DS}}}X509Certificate")
    if not certs:
        raise XadesError(21115, "Nieprawidłowy certyfikat.",
                         ["no ds:X509Certificate in ds:KeyInfo"])
    try:
        der = base64.b64decode("".join(_text(certs[0]).split()),
                               validate=True)
        cert = x509.load_der_x509_certificate(der)
    except Exception as e:
        raise XadesError(21115, "Nieprawidłowy certyfikat.", [str(e)])
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < 2048:
            raise _invalid_signature(BAD_ALGORITHM, "RSA key under 2048 bits")
    elif isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.key_size < 256:
            raise _invalid_signature(BAD_ALGORITHM, "EC curve under 256 bits")
    else:
        raise _invalid_signature(BAD_ALGORITHM, "neither RSA nor EC")
    return cert


def _check_structure(root, signature, cert):
    """The XAdES-BES shape: a signature method and digests KSeF accepts, a
    Reference to the whole document, a Reference to the SignedProperties
    whose SigningCertificate names the certificate in KeyInfo."""
    signed_info = _child(signature, DS, "SignedInfo")
    if signed_info is None:
        raise _invalid_signature(BAD_PROFILE, "no ds:SignedInfo")
    method = _child(signed_info, DS, "SignatureMethod")
    algorithm = method.get("Algorithm") if method is not None else None
    if algorithm not in SIGNATURE_METHODS:
        raise _invalid_signature(BAD_ALGORITHM, f"SignatureMethod {algorithm}")
    whole, props_ref = None, None
    for ref in signed_info.findall(f"{{{DS}}}Reference"):
        digest = _child(ref, DS, "DigestMethod")
        if digest is None or digest.get("Algorithm") not in DIGESTS:
            raise _invalid_signature(BAD_ALGORITHM, "Reference DigestMethod")
        uri = ref.get("URI")
        if uri == "":
            whole = ref
        elif (ref.get("Type") == SIGNED_PROPERTIES_TYPE and uri and
              uri.startswith("#")):
            props_ref = ref
        else:
            raise _invalid_signature(BAD_PROFILE,
                                     f"unexpected Reference {uri!r}")
    if whole is None:
        raise _invalid_signature(
            BAD_PROFILE, "no Reference URI=\"\" covering the document")
    if props_ref is None:
        raise _invalid_signature(
            BAD_PROFILE, "no Reference to xades:SignedProperties")
    # Only transforms that keep the whole document (less the signature)
    # signed: an XPath transform could leave the challenge unsigned.
    transforms = [
        t.get("Algorithm")
        for t in whole.findall(f"{{{DS}}}Transforms/{{{DS}}}Transform")
    ]
    if ENVELOPED not in transforms or any(
            t not in WHOLE_DOCUMENT_TRANSFORMS for t in transforms):
        raise _invalid_signature(
            BAD_PROFILE, "the document Reference must be enveloped-signature "
            "plus canonicalization only")

    # Every Id in the document once (no signature wrapping), and the
    # referenced one is the xades:SignedProperties inside this signature.
    ids = {}
    for el in root.iter():
        for attr in ("Id", "ID", "id"):
            if el.get(attr) is not None:
                if el.get(attr) in ids:
                    raise _invalid_signature(BAD_PROFILE,
                                             f"duplicate Id {el.get(attr)!r}")
                ids[el.get(attr)] = el
    props = ids.get(props_ref.get("URI")[1:])
    if (props is None or props.tag != f"{{{XADES}}}SignedProperties" or
            not any(p is props for p in signature.iter())):
        raise _invalid_signature(
            BAD_PROFILE, "the SignedProperties Reference does not resolve")

    cert_els = props.findall(
        f"{{{XADES}}}SignedSignatureProperties/{{{XADES}}}SigningCertificate/"
        f"{{{XADES}}}Cert") + props.findall(
            f"{{{XADES}}}SignedSignatureProperties/"
            f"{{{XADES}}}SigningCertificateV2/{{{XADES}}}Cert")
    if not cert_els:
        raise _invalid_signature(BAD_PROFILE, "no xades:SigningCertificate")
    der = cert.public_bytes(serialization.Encoding.DER)
    for cert_el in cert_els:
        method = cert_el.find(f"{{{XADES}}}CertDigest/{{{DS}}}DigestMethod")
        value = cert_el.find(f"{{{XADES}}}CertDigest/{{{DS}}}DigestValue")
        if method is None or value is None:
            continue
        algorithm = DIGESTS.get(method.get("Algorithm"))
        if algorithm is None:
            raise _invalid_signature(BAD_ALGORITHM, "CertDigest DigestMethod")
        try:
            claimed = base64.b64decode("".join(_text(value).split()))
        except Exception:
            claimed = b""
        if claimed != algorithm(der).digest():
            continue
        serial = cert_el.find(
            f"{{{XADES}}}IssuerSerial/{{{DS}}}X509SerialNumber")
        if serial is not None and _text(serial) != str(cert.serial_number):
            raise _invalid_signature(
                BAD_PROFILE,
                "SigningCertificate IssuerSerial does not name the signing "
                "certificate")
        return
    raise _invalid_signature(
        BAD_PROFILE,
        "SigningCertificate CertDigest does not match the certificate in "
        "KeyInfo")


def _verify_with_xmlsec(body, cert, work):
    doc = os.path.join(work, "signed.xml")
    with open(doc, "wb") as f:
        f.write(body)
    pem = os.path.join(work, "signer.pem")
    with open(pem, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    # --insecure: the chain is not checked (TEST accepts self-signed and
    # any issuer; validity is checked separately → status 460). The key is
    # the one of the certificate in KeyInfo.
    r = _run([
        "xmlsec1", "--verify", "--insecure", "--pubkey-cert-pem", pem,
        "--id-attr:Id", f"{XADES}:SignedProperties",
        "--enabled-reference-uris", "empty,same-doc", doc
    ], work)
    out = (r.stdout + r.stderr).decode("utf-8", "replace")
    if r.returncode != 0 or "OK" not in out.split() or not re.search(
            r"SignedInfo References \(ok/all\): (\d+)/\1\b", out):
        raise _invalid_signature(BAD_SIGNATURE)
