"""KSeF's three bearer tokens as JWTs signed HS256 with the emulator's own
secret (ksef-protocol.md 3.9): opaque to clients, checked here."""

import base64
import hashlib
import hmac
import json
import os
import time

AUTHENTICATION = "AuthenticationToken"
ACCESS = "ContextToken"
REFRESH = "RefreshToken"


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenError(Exception):
    """Not a token of this emulator, or expired (`expired` True)."""

    def __init__(self, message, expired=False):
        super().__init__(message)
        self.expired = expired


class Signer:

    def __init__(self):
        self._secret = os.urandom(32)

    def issue(self, typ, reference, context, lifetime_seconds):
        """A token of type `typ` for authentication operation `reference`;
        returns (token, exp as Unix seconds)."""
        iat = int(time.time())
        exp = iat + int(lifetime_seconds)
        claims = {
            "typ": typ,
            "arn": reference,
            "cit": context["type"] if context else None,
            "civ": context["value"] if context else None,
            "jti": _b64(os.urandom(12)),
            "exp": exp,
            "iat": iat,
            "iss": "ksef-api-emulator",
            "aud": "ksef-api-emulator",
        }
        head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        body = _b64(json.dumps(claims, separators=(",", ":")).encode())
        mac = hmac.new(self._secret, f"{head}.{body}".encode(),
                       hashlib.sha256).digest()
        return f"{head}.{body}.{_b64(mac)}", exp

    def check(self, token, typ):
        """The claims of a valid, unexpired token of type `typ`."""
        try:
            head, body, mac = token.split(".")
            want = hmac.new(self._secret, f"{head}.{body}".encode(),
                            hashlib.sha256).digest()
            if not hmac.compare_digest(want, _unb64(mac)):
                raise TokenError("token signature invalid")
            claims = json.loads(_unb64(body))
        except TokenError:
            raise
        except Exception:
            raise TokenError("malformed token")
        if claims.get("typ") != typ:
            raise TokenError(f"not a {typ}")
        if time.time() >= claims["exp"]:
            raise TokenError("token expired", expired=True)
        return claims
