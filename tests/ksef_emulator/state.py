"""The emulated KSeF: challenges, authentication operations and their
statuses, the three bearer tokens, the checks of both submissions (the
control-API half is controls.py). Transport-free: api.py turns requests
into calls here and ApiError into KSeF's error bodies.

Thread-safety: every public method takes the one lock, except the slow
parts of a submission (xmlsec1, RSA decryption), which run outside it.
"""

import base64
import binascii
import collections
import os
import threading
import time

import certificates
import controls
import jwt_tokens
import pki
import xades
from wire import (CHALLENGE_RE, DEFAULT_DETAILS, STATUS, ApiError, is_context,
                  iso, iso_ms, reference, validation)


def _unauthorized(detail):
    return ApiError(401, description=detail)


class Operation:
    """One authentication operation (an AU reference number)."""

    def __init__(self, ref, method, context, now):
        self.ref = ref
        self.method = method  # "Token" | "XadesSignature"
        self.context = context
        self.start = now
        self.final = (200, [])  # (code, details) once pending polls are over
        self.polls = 0
        self.redeemed = False
        self.revoked = False
        self.refresh_until = None  # Unix seconds, after redeem
        self.last_refresh = None
        self.refreshes = 0
        self.ksef_token = None  # the KSeF token used, for revocation

    def status(self, pending_polls):
        if self.revoked:
            return 425, DEFAULT_DETAILS[425]
        if self.polls < pending_polls:
            return 100, []
        return self.final

    def method_json(self):
        if self.method == "Token":
            return "Token", {
                "category": "Token",
                "code": "token.ksef",
                "displayName": "Token KSeF"
            }
        return "QualifiedSeal", {
            "category": "XadesSignature",
            "code": "xades.self-signed",
            "displayName": "Certyfikat samopodpisany"
        }

    def summary(self, pending_polls):
        code, details = self.status(pending_polls)
        return {
            "referenceNumber": self.ref,
            "method": self.method,
            "context": self.context,
            "status": code,
            "details": details,
            "redeemed": self.redeemed,
            "revoked": self.revoked,
            "refreshes": self.refreshes,
            "refreshTokenValidUntil":
                iso(self.refresh_until) if self.refresh_until else None,
        }


class Emulator(controls.Controls):

    def __init__(self, state_dir, xsd_path):
        self._lock = threading.Lock()
        self.pki = pki.Pki(state_dir)
        self.scratch = os.path.join(state_dir, "scratch")
        os.makedirs(self.scratch, exist_ok=True)
        self.schemas = xades.Schemas(xsd_path, self.scratch)
        self.tokens = jwt_tokens.Signer()
        # KSeF certificates (certificates.py): its own state and lock.
        self.certificates = certificates.Certificates(state_dir)
        self.reset()

    def reset(self):
        """Forgets everything but the key material."""
        if hasattr(self, "certificates"):
            self.certificates.reset()
        with self._lock:
            self.settings = dict(controls.DEFAULT_SETTINGS)
            self.challenges = {}
            self.operations = {}
            self.ksef_tokens = {}
            self.grants = set()
            self.http_faults = []
            self.auth_statuses = []
            self.requests = collections.Counter()
            self.responses = collections.defaultdict(collections.Counter)
            self.limits = {}
            self.hits = collections.defaultdict(collections.deque)

    # ---- the KSeF endpoints ---------------------------------------------

    def challenge(self, client_ip):
        now_ms = int(time.time() * 1000)
        now = now_ms / 1000
        with self._lock:
            value = reference("CR", now)
            self.challenges[value] = {
                "timestamp_ms": now_ms,
                "expires": now + self.settings["challenge_seconds"],
                "used": False,
            }
        return {
            "challenge": value,
            "timestamp": iso_ms(now_ms),
            "timestampMs": now_ms,
            "clientIp": client_ip,
        }

    def _take_challenge(self, value):
        """Marks a known, unexpired, unused challenge used; its record."""
        c = self.challenges.get(value)
        if c is None or c["used"] or time.time() > c["expires"]:
            raise ApiError(400, 21111, "Nieprawidłowe wyzwanie autoryzacyjne.")
        c["used"] = True
        return c

    def _start(self, method, context, final, ksef_token=None):
        now = time.time()
        op = Operation(reference("AU", now), method, context, now)
        op.ksef_token = ksef_token
        op.final = self.auth_statuses.pop(0) if self.auth_statuses else final
        self.operations[op.ref] = op
        token, exp = self.tokens.issue(
            jwt_tokens.AUTHENTICATION, op.ref, context,
            self.settings["authentication_token_seconds"])
        return {
            "referenceNumber": op.ref,
            "authenticationToken": {
                "token": token,
                "validUntil": iso(exp)
            },
        }

    def submit_xades(self, body):
        try:
            signed = xades.check_document(body, self.schemas, self.scratch)
        except xades.XadesError as e:
            raise ApiError(400, e.code, e.description, e.details)
        with self._lock:
            self._take_challenge(signed.challenge)
            if (signed.subject_type == "certificateSubject" and
                    signed.subject_identifier() is None):
                raise ApiError(400, 21115, "Nieprawidłowy certyfikat.", [
                    "certificateSubject needs a TINPL-/PNOPL-/VATPL- "
                    "identifier in the certificate subject"
                ])
            issued = self.certificates.login_status(signed.cert)
            if not signed.valid_now():
                final = (460, ["Nieważny certyfikat."])
            elif issued is not None:  # a certificate KSeF issued
                final = issued
            elif ((self.settings["self_signed_any"] and signed.self_signed()) or
                  (signed.fingerprint, signed.context["type"],
                   signed.context["value"]) in self.grants):
                final = (200, [])
            else:
                final = (415, DEFAULT_DETAILS[415])
            started = self._start("XadesSignature", signed.context, final)
            # The login certificate, for /certificates/* (certificates.py).
            self.operations[started["referenceNumber"]].cert = signed.cert
            return started

    def submit_token(self, body):
        challenge, context, encrypted, key_id = _token_request(body)
        with self._lock:
            record = self._take_challenge(challenge)
            keys = self.pki.keys_for(pki.TOKEN_USAGE)
            if key_id is not None:
                keys = [k for k in keys if k.public_key_id == key_id]
                if not keys:
                    raise ApiError(
                        400, 21470, ("Przesłany identyfikator klucza jest "
                                     "nieznany lub wskazuje na wycofany klucz."),
                        [f"Klucz o identyfikatorze {key_id} nie jest wspierany."])
        plaintext = None
        for key in keys:
            try:
                plaintext = key.decrypt(encrypted)
                break
            except ValueError:
                continue
        with self._lock:
            final, token = self._check_token(plaintext, record, context)
            return self._start("Token", context, final, ksef_token=token)

    def _check_token(self, plaintext, challenge, context):
        """The final status of a token login (450 details as in 3.5)."""
        if plaintext is None:
            return (450, ["Nieprawidłowe szyfrowanie tokena"]), None
        try:
            token, stamp = plaintext.decode("utf-8").rsplit("|", 1)
        except (UnicodeDecodeError, ValueError):
            return (450, ["Nieprawidłowe kodowanie tokena"]), None
        if not stamp.isdigit() or int(stamp) != challenge["timestamp_ms"]:
            return (450, ["Nieprawidłowy czas tokena"]), None
        known = self.ksef_tokens.get(token)
        if known is None:
            return (450, ["Nieprawidłowy token"]), None
        if known["status"] in ("Revoked", "Revoking"):
            return (450, ["Token unieważniony"]), token
        if known["status"] != "Active":
            return (450, ["Token nieaktywny"]), token
        if known["context"] != context:
            return (450, [
                "Token nie może być użyty w kontekście "
                f"{context['type']}:{context['value']}"
            ]), token
        return (200, []), token

    def _operation(self, bearer, typ):
        try:
            claims = self.tokens.check(bearer, typ)
        except jwt_tokens.TokenError as e:
            raise _unauthorized(str(e))
        op = self.operations.get(claims["arn"])
        if op is None:
            raise ApiError(400, 21304, "Brak uwierzytelnienia.", [
                f"Operacja uwierzytelniania o numerze referencyjnym "
                f"{claims['arn']} nie została znaleziona."
            ])
        return op

    def auth_status(self, bearer, ref):
        with self._lock:
            op = self._operation(bearer, jwt_tokens.AUTHENTICATION)
            if op.ref != ref:
                raise ApiError(403, description="Brak dostępu do zasobu.",
                               reason_code="insufficient-resource-access")
            code, details = op.status(self.settings["pending_polls"])
            op.polls += 1
            return self._status_json(op, code, details)

    def _status_json(self, op, code, details):
        method, info = op.method_json()
        status = {"code": code, "description": STATUS[code]}
        if code == 500:
            status["description"] = "Nieznany błąd (500)"
        if details:
            status["details"] = details
        out = {
            "startDate": iso(op.start),
            "authenticationMethod": method,
            "authenticationMethodInfo": info,
            "status": status,
            "isTokenRedeemed": op.redeemed,
        }
        if op.last_refresh:
            out["lastTokenRefreshDate"] = iso(op.last_refresh)
        if op.refresh_until:
            out["refreshTokenValidUntil"] = iso(op.refresh_until)
        return out

    def _ksef_token_revoked(self, op):
        if op.ksef_token is None:
            return False
        known = self.ksef_tokens.get(op.ksef_token)
        return known is None or known["status"] != "Active"

    def redeem(self, bearer):
        with self._lock:
            op = self._operation(bearer, jwt_tokens.AUTHENTICATION)
            code, _ = op.status(self.settings["pending_polls"])
            if op.redeemed:
                raise ApiError(400, 21301, "Brak autoryzacji.", [
                    f"Tokeny dla operacji uwierzytelniania {op.ref} zostały "
                    "już pobrane."
                ])
            if code != 200:
                raise ApiError(400, 21301, "Brak autoryzacji.", [
                    f"Status uwierzytelniania ({code}) nie pozwala na "
                    "pobranie tokenów."
                ])
            if self._ksef_token_revoked(op):
                raise ApiError(400, 21301, "Brak autoryzacji.",
                               ["Token KSeF został unieważniony."])
            op.redeemed = True
            access, access_exp = self.tokens.issue(
                jwt_tokens.ACCESS, op.ref, op.context,
                self.settings["access_token_seconds"])
            refresh, refresh_exp = self.tokens.issue(
                jwt_tokens.REFRESH, op.ref, op.context,
                self.settings["refresh_token_seconds"])
            op.refresh_until = refresh_exp
            return {
                "accessToken": {
                    "token": access,
                    "validUntil": iso(access_exp)
                },
                "refreshToken": {
                    "token": refresh,
                    "validUntil": iso(refresh_exp)
                },
            }

    def refresh(self, bearer):
        with self._lock:
            op = self._operation(bearer, jwt_tokens.REFRESH)
            code, _ = op.status(self.settings["pending_polls"])
            if code != 200:
                raise ApiError(400, 21301, "Brak autoryzacji.", [
                    f"Status uwierzytelniania ({code}) nie pozwala na "
                    "odświeżenie tokenu dostępowego."
                ])
            if self._ksef_token_revoked(op):
                raise ApiError(400, 21301, "Brak autoryzacji.",
                               ["Token KSeF został unieważniony."])
            access, access_exp = self.tokens.issue(
                jwt_tokens.ACCESS, op.ref, op.context,
                self.settings["access_token_seconds"])
            op.last_refresh = time.time()
            op.refreshes += 1
            return {
                "accessToken": {
                    "token": access,
                    "validUntil": iso(access_exp)
                }
            }

    def _session_caller(self, bearer, allow_refresh):
        """The operation of an access token (or a refresh token when
        `allow_refresh`); 401 otherwise."""
        try:
            return self._operation(bearer, jwt_tokens.ACCESS)
        except ApiError as e:
            if not allow_refresh or e.status != 401:
                raise
        return self._operation(bearer, jwt_tokens.REFRESH)

    def sessions(self, bearer):
        with self._lock:
            me = self._session_caller(bearer, allow_refresh=False)
            now = time.time()
            pending = self.settings["pending_polls"]
            items = []
            for op in sorted(self.operations.values(), key=lambda o: -o.start):
                if (op.context != me.context or not op.redeemed or
                        op.revoked or op.refresh_until <= now):
                    continue
                item = self._status_json(op, *op.status(pending))
                item["referenceNumber"] = op.ref
                item["isCurrent"] = op is me
                items.append(item)
            return {"items": items}

    def delete_session(self, bearer, ref=None):
        with self._lock:
            me = self._session_caller(bearer, allow_refresh=ref is None)
            op = me if ref is None else self.operations.get(ref)
            if op is None or op.context != me.context:
                raise ApiError(400, 21304, "Brak uwierzytelnienia.", [
                    f"Operacja uwierzytelniania o numerze referencyjnym {ref} "
                    "nie została znaleziona."
                ])
            op.revoked = True

    def public_key_certificates(self):
        with self._lock:
            return [k.to_json() for k in self.pki.ministry_keys]


def _token_request(body):
    """The checked fields of InitTokenAuthenticationRequest (21405 for
    what the OpenAPI schema refuses)."""
    if not isinstance(body, dict):
        raise validation("the body must be a JSON object")
    challenge = body.get("challenge")
    if not isinstance(challenge, str) or not CHALLENGE_RE.match(challenge):
        raise validation("challenge: 36 characters YYYYMMDD-CR-…")
    context = body.get("contextIdentifier")
    if not is_context(context):
        raise validation("contextIdentifier: {type, value} as in "
                          "AuthenticationContextIdentifier")
    context = {"type": context["type"], "value": context["value"]}
    try:
        encrypted = base64.b64decode(body.get("encryptedToken") or "",
                                     validate=True)
    except (binascii.Error, TypeError):
        raise validation("encryptedToken: Base64")
    if not encrypted:
        raise validation("encryptedToken is required")
    key_id = body.get("publicKeyId")
    if key_id is not None:
        try:
            raw = base64.b64decode(key_id, validate=True)
            ok = len(key_id) == 44 and len(raw) == 32
        except (binascii.Error, TypeError):
            ok = False
        if not ok:
            raise validation("publicKeyId: 44 characters of Base64")
    policy = body.get("authorizationPolicy")
    if policy is not None:
        ips = policy.get("allowedIps") if isinstance(policy, dict) else None
        if not isinstance(ips, dict) or any(
                not isinstance(ips.get(k, []), list) or len(ips.get(k, [])) > 10
                for k in ("ip4Addresses", "ip4Ranges", "ip4Masks")):
            raise validation("authorizationPolicy.allowedIps: up to 10 "
                              "ip4Addresses, ip4Ranges, ip4Masks")
    return challenge, context, encrypted, key_id
