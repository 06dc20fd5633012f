"""What tests set and inject through the control API: settings
(lifetimes, pending polls), KSeF tokens, certificate permissions, HTTP and
auth-status faults, rate limits, the Ministry keys, and the stats.

Controls is the base of state.Emulator and shares its lock and state;
the attributes it uses are set by Emulator.reset().
"""

import math
import re
import time

import pki
from wire import ApiError, DEFAULT_DETAILS, is_context

INJECTABLE = {400, 415, 425, 450, 460, 470, 480, 500, 550}

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
INJECTED_429 = "Przekroczono limit żądań (emulator fault)."
WINDOWS = {"per_second": 1, "per_minute": 60, "per_hour": 3600}


class Controls:
    """The control-API half of the emulator (see the module comment)."""

    def configure(self, body):
        """Changes the settings named in `body`; all or none."""
        for key, value in body.items():
            if key not in DEFAULT_SETTINGS:
                raise ApiError(400, description=f"unknown setting {key}")
            if key == "self_signed_any":
                if not isinstance(value, bool):
                    raise ApiError(400, description=f"{key} must be a bool")
            elif (isinstance(value, bool) or
                  not isinstance(value, (int, float)) or value < 0):
                raise ApiError(400, description=f"{key} must be a number >= 0")
        with self._lock:
            self.settings.update(body)
            return dict(self.settings)

    def register_ksef_token(self, body):
        token, context = body.get("token"), body.get("context")
        if not isinstance(token, str) or not token or not is_context(context):
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
        if not re.fullmatch(r"[0-9a-f]{64}", fingerprint) or not is_context(
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
                        text = (INJECTED_429 if fault["status"] == 429 else
                                "injected fault")
                        raise ApiError(fault["status"], description=text,
                                       retry_after=retry, delay=delay)
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
