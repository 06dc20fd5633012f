"""KSeF token management in the emulator (ksef-protocol.md 8; OpenAPI tag
"Tokeny KSeF"): POST /tokens, GET /tokens, GET and DELETE /tokens/{ref},
each Bearer an access token, and the control routes tests use to act as
the KSeF portal. Tokens minted here live in the emulator's ksef_tokens
(the same table POST /auth/ksef-token logins check), so a minted token
logs in once Active and stops when revoked.

A minted token starts Pending and turns Active after `pending_polls` GETs
of it (the setting the authentication polls use); DELETE makes it Revoking,
the next GET shows Revoked. Logins with a token that is not Active end in
status 450.
"""

import binascii
import os
import time

import jwt_tokens
from wire import ApiError, iso, reference, validation

PERMISSIONS = ("InvoiceRead", "InvoiceWrite", "CredentialsRead",
               "CredentialsManage", "SubunitManage", "EnforcementOperations",
               "Introspection", "CollectiveIdentifierManage")
STATUSES = ("Pending", "Active", "Revoking", "Revoked", "Failed")

# (method, regex after /v2, endpoint name): api.py adds them to its ROUTES.
ROUTES = [
    ("POST", r"/tokens", "tokens_generate"),
    ("GET", r"/tokens", "tokens_query"),
    ("GET", r"/tokens/(?P<ref>[^/]+)", "tokens_status"),
    ("DELETE", r"/tokens/(?P<ref>[^/]+)", "tokens_revoke"),
]
ENDPOINTS = tuple(name for _, _, name in ROUTES)


def _caller(em, bearer):
    """The authentication operation of an access token (401 otherwise)."""
    try:
        claims = em.tokens.check(bearer, jwt_tokens.ACCESS)
    except jwt_tokens.TokenError as e:
        raise ApiError(401, description=str(e))
    op = em.operations.get(claims["arn"])
    if op is None or op.revoked:
        raise ApiError(401, description="Sesja uwierzytelniania zakończona.")
    return op


def _find(em, ref, context):
    for token, item in em.ksef_tokens.items():
        if item.get("reference") == ref and item["context"] == context:
            return token, item
    raise validation(f"Token KSeF o numerze referencyjnym {ref} nie "
                     "istnieje.")


def _item(item):
    return {
        "referenceNumber": item["reference"],
        "authorIdentifier": item["author"],
        "contextIdentifier": item["context"],
        "description": item["description"],
        "requestedPermissions": item["permissions"],
        "dateCreated": iso(item["created"]),
        "lastUseDate": None,
        "status": item["status"],
        "statusDetails": [],
    }


def generate(em, bearer, body):
    if not isinstance(body, dict):
        raise validation("the body must be a JSON object")
    permissions = body.get("permissions")
    description = body.get("description")
    if (not isinstance(permissions, list) or not permissions or
            any(p not in PERMISSIONS for p in permissions)):
        raise validation("permissions: a non-empty list of "
                         "TokenPermissionType")
    if not isinstance(description, str) or not 5 <= len(description) <= 256:
        raise validation("description: 5 to 256 characters")
    with em._lock:
        op = _caller(em, bearer)
        context = op.context
        if context["type"] not in ("Nip", "InternalId"):
            raise ApiError(400, 26002, "Nie można wygenerować tokena dla "
                           "bieżącego typu kontekstu.")
        now = time.time()
        ref = reference("EC", now)
        secret = binascii.hexlify(os.urandom(32)).decode()
        kind = "nip" if context["type"] == "Nip" else "internalId"
        token = f"{ref}|{kind}-{context['value']}|{secret}"
        em.ksef_tokens[token] = {
            "context": dict(context),
            "status": "Pending",
            "reference": ref,
            "permissions": list(permissions),
            "description": description,
            "created": now,
            "author": {"type": "Fingerprint", "value": op.ref},
            "polls_left": em.settings["pending_polls"],
        }
        if em.settings["pending_polls"] <= 0:
            em.ksef_tokens[token]["status"] = "Active"
        return {"referenceNumber": ref, "token": token}


def status(em, bearer, ref):
    with em._lock:
        op = _caller(em, bearer)
        _, item = _find(em, ref, op.context)
        if item["status"] == "Pending":
            item["polls_left"] -= 1
            if item["polls_left"] <= 0:
                item["status"] = "Active"
        elif item["status"] == "Revoking":
            item["status"] = "Revoked"
        return _item(item)


def query(em, bearer):
    with em._lock:
        op = _caller(em, bearer)
        items = [
            _item(i) for i in em.ksef_tokens.values()
            if i.get("reference") and i["context"] == op.context
        ]
        items.sort(key=lambda i: i["dateCreated"], reverse=True)
        return {"tokens": items}


def revoke(em, bearer, ref):
    with em._lock:
        op = _caller(em, bearer)
        _, item = _find(em, ref, op.context)
        if item["status"] not in ("Revoked", "Revoking"):
            item["status"] = "Revoking"


def handle(em, handler, endpoint, match):
    """(status, body) of a token endpoint; `handler` is api.Handler."""
    if endpoint == "tokens_generate":
        handler._media("application/json")
        return 202, generate(em, handler._bearer(), handler._json_body())
    if endpoint == "tokens_query":
        return 200, query(em, handler._bearer())
    if endpoint == "tokens_status":
        return 200, status(em, handler._bearer(), match.group("ref"))
    if endpoint == "tokens_revoke":
        revoke(em, handler._bearer(), match.group("ref"))
        return 204, None
    raise ApiError(404, description="no such path")


# ---- the control API (the KSeF portal, and what tests look at) ----------


def minted(em):
    """Every minted token with its secret (tests search for it)."""
    with em._lock:
        return [{
            "referenceNumber": i["reference"],
            "token": token,
            "status": i["status"],
            "context": i["context"],
            "permissions": i["permissions"],
            "description": i["description"],
        } for token, i in em.ksef_tokens.items() if i.get("reference")]


def set_status(em, body):
    ref, new = body.get("referenceNumber"), body.get("status")
    if new not in STATUSES:
        raise ApiError(400, description="unknown status")
    with em._lock:
        for item in em.ksef_tokens.values():
            if item.get("reference") == ref:
                item["status"] = new
                return {"ok": True}
    raise ApiError(404, description="unknown referenceNumber")


def controls(em, body):
    """api.py's control routes for tokens."""
    return {
        ("GET", "tokens"): lambda: {"tokens": minted(em)},
        ("POST", "tokens/status"): lambda: set_status(em, body),
    }
