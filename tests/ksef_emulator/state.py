"""The emulated KSeF: challenges, authentication operations, the three
bearer tokens, KSeF tokens and certificate permissions, and what tests
inject (settings, faults, rate limits). Transport-free: api.py turns
requests into calls here and ApiError into KSeF's error bodies.

Thread-safety: every public method takes the one lock, except the slow
parts of a submission (xmlsec1, RSA decryption), which run outside it.
"""

import base64
import binascii
import collections
import datetime
import math
import os
import re
import threading
import time

import jwt_tokens
import pki
import xades

STATUS = {
    100: "Uwierzytelnianie w toku",
    200: "Uwierzytelnianie zakończone sukcesem",
    415: "Uwierzytelnianie zakończone niepowodzeniem",
    425: "Uwierzytelnienie unieważnione",
    450: ("Uwierzytelnianie zakończone niepowodzeniem z powodu błędnego "
          "tokenu"),
    460: ("Uwierzytelnianie zakończone niepowodzeniem z powodu błędu "
          "certyfikatu"),
    470: "Uwierzytelnianie zakończone niepowodzeniem",
    480: "Uwierzytelnienie zablokowane",
    500: "Nieznany błąd",
    550: "Operacja została anulowana przez system",
}
DEFAULT_DETAILS = {
    415: ["Brak przypisanych uprawnień"],
    425: [("Uwierzytelnienie i powiązane refresh tokeny zostały "
           "unieważnione przez użytkownika")],
    450: ["Nieprawidłowy token"],
    460: ["Nieważny certyfikat."],
    470: ["Próba wykorzystania metod autoryzacyjnych osoby zmarłej"],
    480: [("Podejrzenie incydentu bezpieczeństwa. Skontaktuj się z "
           "Ministerstwem Finansów przez formularz zgłoszeniowy.")],
    550: [("Przetwarzanie zostało przerwane z przyczyn wewnętrznych "
           "systemu. Spróbuj ponownie")],
}
INJECTABLE = {415, 425, 450, 460, 470, 480, 500, 550}

DEFAULT_SETTINGS = {
    "challenge_seconds": 600,
    "authentication_token_seconds": 2700,
    "access_token_seconds": 900,
    "refresh_token_seconds": 604800,
    "pending_polls": 1,
    "self_signed_any": True,
}

# KSeF's published limits (ksef-protocol.md 9.2): each auth endpoint 60/s
# per IP; the "other" group (sessions) 10/s, 30/min, 120/h.
AUTH_ENDPOINTS = ("challenge", "xades_signature", "ksef_token", "auth_status",
                  "redeem", "refresh", "public_key_certificates")
OTHER_ENDPOINTS = ("sessions", "delete_current", "delete_session")
PUBLISHED_LIMITS = dict({e: {"per_second": 60} for e in AUTH_ENDPOINTS},
                        other={
                            "per_second": 10,
                            "per_minute": 30,
                            "per_hour": 120
                        })
WINDOWS = {"per_second": 1, "per_minute": 60, "per_hour": 3600}

CHALLENGE_RE = re.compile(r"^\d{8}-CR-[A-F0-9]{10}-[A-F0-9]{10}-[A-F0-9]{2}$")
CONTEXT_RE = {
    "Nip": re.compile(r"^[1-9]((\d[1-9])|([1-9]\d))\d{7}$"),
    "InternalId": re.compile(r"^[1-9]((\d[1-9])|([1-9]\d))\d{7}-\d{5}$"),
    "NipVatUe": re.compile(r"^[1-9]((\d[1-9])|([1-9]\d))\d{7}-[A-Z]{2}.+$"),
    "PeppolId": re.compile(r"^P[A-Z]{2}[0-9]{6}$"),
}


class ApiError(Exception):
    """An HTTP error in KSeF's shapes: 400 with an exception code, 401/403
    problem details, 415, 429 with Retry-After, 5xx."""

    def __init__(self, status, code=None, description="", details=(),
                 reason_code=None, retry_after=None, delay=0.0):
        super().__init__(f"{status} {code} {description}")
        self.delay = delay  # seconds to wait before answering
        self.status = status
        self.code = code
        self.description = description
        self.details = list(details)
        self.reason_code = reason_code
        self.retry_after = retry_after


def iso(ts):
    """KSeF's date-time: 7 fractional digits and +00:00."""
    dt = datetime.datetime.fromtimestamp(ts, datetime.timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond:06d}0+00:00"


def _hex(n):
    return binascii.hexlify(os.urandom(n)).decode().upper()


def reference(kind, now):
    stamp = time.strftime("%Y%m%d", time.gmtime(now))
    return f"{stamp}-{kind}-{_hex(5)}-{_hex(5)}-{_hex(1)}"


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


class Emulator:

    def __init__(self, state_dir, xsd_path):
        self._lock = threading.Lock()
        self.pki = pki.Pki(state_dir)
        self.scratch = os.path.join(state_dir, "scratch")
        os.makedirs(self.scratch, exist_ok=True)
        self.schemas = xades.Schemas(xsd_path, self.scratch)
        self.tokens = jwt_tokens.Signer()
        self.reset()

    def reset(self):
        """Forgets everything but the key material."""
        with self._lock:
            self.settings = dict(DEFAULT_SETTINGS)
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

    # ---- what tests inject ----------------------------------------------

    def configure(self, body):
        with self._lock:
            for key, value in body.items():
                if key not in DEFAULT_SETTINGS:
                    raise ApiError(400, description=f"unknown setting {key}")
                if key == "self_signed_any":
                    self.settings[key] = bool(value)
                elif not isinstance(value, (int, float)) or value < 0:
                    raise ApiError(400,
                                   description=f"{key} must be a number >= 0")
                else:
                    self.settings[key] = value
            return dict(self.settings)

    def register_ksef_token(self, body):
        token, context = body.get("token"), body.get("context")
        if not isinstance(token, str) or not token or not _is_context(context):
            raise ApiError(400,
                           description="want {token, context:{type,value}}")
        with self._lock:
            self.ksef_tokens[token] = {
                "context": {
                    "type": context["type"],
                    "value": context["value"]
                },
                "status": body.get("status", "Active"),
            }

    def set_ksef_token_status(self, body):
        token, status = body.get("token"), body.get("status")
        if status not in ("Active", "Pending", "Revoking", "Revoked", "Failed"):
            raise ApiError(400, description="unknown status")
        with self._lock:
            if token not in self.ksef_tokens:
                raise ApiError(404, description="unknown token")
            self.ksef_tokens[token]["status"] = status

    def grant(self, body):
        fingerprint, context = body.get("fingerprint", ""), body.get("context")
        fingerprint = fingerprint.replace(":", "").lower()
        if not re.fullmatch(r"[0-9a-f]{64}", fingerprint) or not _is_context(
                context):
            raise ApiError(
                400, description="want {fingerprint: SHA-256 hex, context}")
        with self._lock:
            self.grants.add((fingerprint, context["type"], context["value"]))

    def add_fault(self, body):
        with self._lock:
            if "next_auth_status" in body:
                code = body["next_auth_status"]
                if code not in INJECTABLE:
                    raise ApiError(400, description=f"status {code} is not "
                                   f"one of {sorted(INJECTABLE)}")
                details = body.get("details") or DEFAULT_DETAILS.get(code, [])
                for _ in range(int(body.get("count", 1))):
                    self.auth_statuses.append((code, list(details)))
                return
            try:
                fault = {
                    "regex": re.compile(body.get("path_regex", ".*")),
                    "status": body.get("http_status"),
                    "retry_after": body.get("retry_after"),
                    "delay": float(body.get("delay_seconds", 0)),
                    "count": int(body.get("count", 1)),
                }
            except (re.error, ValueError, TypeError) as e:
                raise ApiError(400, description=f"bad fault: {e}")
            if fault["status"] is None and fault["delay"] <= 0:
                raise ApiError(400,
                               description="want http_status or delay_seconds")
            self.http_faults.append(fault)

    def clear_faults(self):
        with self._lock:
            self.http_faults = []
            self.auth_statuses = []

    def set_rate_limits(self, body):
        with self._lock:
            if body.get("published"):
                self.limits = {k: dict(v) for k, v in PUBLISHED_LIMITS.items()}
            else:
                limits = body.get("limits", {})
                for key, windows in limits.items():
                    if key not in AUTH_ENDPOINTS + ("other",) or any(
                            w not in WINDOWS for w in windows):
                        raise ApiError(400,
                                       description=f"bad rate limit {key}")
                self.limits = {k: dict(v) for k, v in limits.items()}
            self.hits.clear()
            return self.limits

    def rotate_ministry_key(self, body):
        usage = body.get("usage", pki.TOKEN_USAGE)
        if usage not in (pki.TOKEN_USAGE, pki.SYMMETRIC_USAGE):
            raise ApiError(400, description="unknown usage")
        with self._lock:
            old = self.pki.keys_for(usage)
            new = self.pki.add_ministry_key([usage])
            if not body.get("keep_old", False):
                for k in old:
                    self.pki.remove_ministry_key(k.public_key_id)
            return new.to_json()

    def remove_ministry_key(self, body):
        with self._lock:
            if self.pki.remove_ministry_key(body.get("publicKeyId")) == 0:
                raise ApiError(404, description="unknown publicKeyId")

    def stats(self):
        with self._lock:
            return {
                "requests": dict(self.requests),
                "responses": {
                    k: {str(s): n for s, n in v.items()
                       } for k, v in self.responses.items()
                },
            }

    def clear_stats(self):
        with self._lock:
            self.requests.clear()
            self.responses.clear()

    def operation_list(self):
        with self._lock:
            pending = self.settings["pending_polls"]
            return [op.summary(pending) for op in self.operations.values()]

    # ---- around every KSeF request --------------------------------------

    def admit(self, endpoint, path, client_ip):
        """Counts the request; applies the first matching queued fault and
        the rate limit. Returns a delay to sleep before answering; raises
        ApiError for a faulted or limited request."""
        with self._lock:
            self.requests[endpoint] += 1
            delay = 0.0
            for fault in self.http_faults:
                if fault["count"] > 0 and fault["regex"].search(path):
                    fault["count"] -= 1
                    delay = fault["delay"]
                    if fault["status"] is not None:
                        retry = fault["retry_after"]
                        if fault["status"] == 429 and retry is None:
                            retry = 1
                        raise ApiError(fault["status"],
                                       description="Przekroczono limit żądań (emulator fault)." if fault["status"] == 429 else "injected fault",
                                       retry_after=retry,
                                       delay=delay)
                    break
            key = endpoint if endpoint in AUTH_ENDPOINTS else "other"
            windows = self.limits.get(key)
            if windows:
                now = time.monotonic()
                hits = self.hits[(key, client_ip)]
                while hits and hits[0] <= now - 3600:
                    hits.popleft()
                for window, limit in windows.items():
                    span = WINDOWS[window]
                    inside = [t for t in hits if t > now - span]
                    if len(inside) >= limit:
                        wait = inside[-int(limit)] + span - now
                        raise ApiError(
                            429,
                            description=(f"Przekroczono limit {limit} żądań "
                                         f"({window})."),
                            retry_after=max(1, math.ceil(wait)),
                            delay=delay)
                hits.append(now)
            return delay

    def record(self, endpoint, status):
        with self._lock:
            self.responses[endpoint][status] += 1

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
            "timestamp": iso(now),
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
            if not signed.valid_now():
                final = (460, ["Nieważny certyfikat."])
            elif ((self.settings["self_signed_any"] and signed.self_signed()) or
                  (signed.fingerprint, signed.context["type"],
                   signed.context["value"]) in self.grants):
                final = (200, [])
            else:
                final = (415, DEFAULT_DETAILS[415])
            return self._start("XadesSignature", signed.context, final)

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
            return {"accessToken": {"token": access, "validUntil": iso(access_exp)}}

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


def _is_context(context):
    return (isinstance(context, dict) and context.get("type") in CONTEXT_RE and
            isinstance(context.get("value"), str) and
            CONTEXT_RE[context["type"]].match(context["value"]) is not None)


def _validation(detail):
    return ApiError(400, 21405, "Błąd walidacji danych wejściowych.", [detail])


def _token_request(body):
    """The checked fields of InitTokenAuthenticationRequest (21405 for
    what the OpenAPI schema refuses)."""
    if not isinstance(body, dict):
        raise _validation("the body must be a JSON object")
    challenge = body.get("challenge")
    if not isinstance(challenge, str) or not CHALLENGE_RE.match(challenge):
        raise _validation("challenge: 36 characters YYYYMMDD-CR-…")
    context = body.get("contextIdentifier")
    if not _is_context(context):
        raise _validation("contextIdentifier: {type, value} as in "
                          "AuthenticationContextIdentifier")
    context = {"type": context["type"], "value": context["value"]}
    try:
        encrypted = base64.b64decode(body.get("encryptedToken") or "",
                                     validate=True)
    except (binascii.Error, TypeError):
        raise _validation("encryptedToken: Base64")
    if not encrypted:
        raise _validation("encryptedToken is required")
    key_id = body.get("publicKeyId")
    if key_id is not None:
        try:
            ok = len(key_id) == 44 and len(base64.b64decode(key_id,
                                                            validate=True)) == 32
        except (binascii.Error, TypeError):
            ok = False
        if not ok:
            raise _validation("publicKeyId: 44 characters of Base64")
    policy = body.get("authorizationPolicy")
    if policy is not None:
        ips = policy.get("allowedIps") if isinstance(policy, dict) else None
        if not isinstance(ips, dict) or any(
                not isinstance(ips.get(k, []), list) or len(ips.get(k, [])) > 10
                for k in ("ip4Addresses", "ip4Ranges", "ip4Masks")):
            raise _validation("authorizationPolicy.allowedIps: up to 10 "
                              "ip4Addresses, ip4Ranges, ip4Masks")
    return challenge, context, encrypted, key_id
