"""HTTP for the emulator: the KSeF routes under /v2, the control API under
/_emulator/, and KSeF's error bodies (ksef-protocol.md 2)."""

import http.server
import json
import re
import socketserver
import sys
import time
import traceback
import uuid

import tokens  # KSeF token management (issue 14)
from state import ApiError, iso

MAX_BODY = 1 << 20

# (method, regex on the path after /v2) → (endpoint name, handler name)
ROUTES = [
    ("POST", r"/auth/challenge", "challenge"),
    ("POST", r"/auth/xades-signature", "xades_signature"),
    ("POST", r"/auth/ksef-token", "ksef_token"),
    ("POST", r"/auth/token/redeem", "redeem"),
    ("POST", r"/auth/token/refresh", "refresh"),
    ("GET", r"/auth/sessions", "sessions"),
    ("DELETE", r"/auth/sessions/current", "delete_current"),
    ("DELETE", r"/auth/sessions/(?P<ref>[^/]+)", "delete_session"),
    ("GET", r"/security/public-key-certificates", "public_key_certificates"),
    ("GET", r"/auth/(?P<ref>[^/]+)", "auth_status"),
    # KSeF certificates (certificates.py).
    ("GET", r"/certificates/limits", "cert_limits"),
    ("GET", r"/certificates/enrollments/data", "cert_enrollment_data"),
    ("POST", r"/certificates/enrollments", "cert_enroll"),
    ("GET", r"/certificates/enrollments/(?P<ref>[^/]+)", "cert_enrollment"),
    ("POST", r"/certificates/retrieve", "cert_retrieve"),
    ("POST", r"/certificates/query", "cert_query"),
    ("POST", r"/certificates/(?P<serial>[^/]+)/revoke", "cert_revoke"),
]
ROUTES += tokens.ROUTES  # issue 14
ROUTES = [(m, re.compile(p + r"/?$"), n) for m, p, n in ROUTES]


def _problem(status, title, detail, path, **extra):
    body = {
        "title": title,
        "status": status,
        "detail": detail,
        "instance": path,
        "timestamp": iso(time.time()),
        "traceId": uuid.uuid4().hex,
    }
    body.update(extra)
    return body


def error_response(e, path, problem_details):
    """(status, headers, JSON body) for an ApiError, as KSeF shapes it."""
    headers = {}
    if e.status == 400 and e.code is not None:
        if problem_details:
            body = _problem(400, "Bad Request", "Żądanie jest nieprawidłowe.",
                            path, errors=[{
                                "code": e.code,
                                "description": e.description,
                                "details": e.details
                            }])
            return 400, {"Content-Type": "application/problem+json"}, body
        return 400, {}, {
            "exception": {
                "exceptionDetailList": [{
                    "exceptionCode": e.code,
                    "exceptionDescription": e.description,
                    "details": e.details,
                }],
                "referenceNumber": None,
                "serviceCode": uuid.uuid4().hex,
                "serviceCtx": "srvEMULATOR",
                "serviceName": "ksef-emulator",
                "timestamp": iso(time.time()),
            }
        }
    if e.status == 429:
        headers["Retry-After"] = str(e.retry_after)
        detail = (f"{e.description} Spróbuj ponownie po {e.retry_after} "
                  "sekundach.")
        if problem_details:
            headers["Content-Type"] = "application/problem+json"
            return 429, headers, _problem(429, "Too Many Requests", detail,
                                          path)
        return 429, headers, {
            "status": {
                "code": 429,
                "description": "Too Many Requests",
                "details": [detail]
            }
        }
    titles = {
        400: "Bad Request",
        401: "Unauthorized",
        403: "Forbidden",
        404: "Not Found",
        415: "Unsupported Media Type",
        500: "Internal Server Error",
        502: "Bad Gateway",
        503: "Service Unavailable",
    }
    extra = {}
    if e.status == 403:
        extra["reasonCode"] = e.reason_code or "insufficient-resource-access"
    if e.retry_after is not None:
        headers["Retry-After"] = str(e.retry_after)
    headers["Content-Type"] = "application/problem+json"
    return e.status, headers, _problem(e.status, titles.get(e.status, "Error"),
                                       e.description, path, **extra)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ksef-emulator"
    emulator = None  # set by make_server
    quiet = False

    def log_message(self, fmt, *args):
        if not self.quiet:
            sys.stderr.write("ksef-emulator: " + (fmt % args) + "\n")

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def do_PUT(self):
        self._dispatch("PUT")

    def _send(self, status, headers, body):
        data = b""
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            headers.setdefault("Content-Type",
                               "application/json; charset=utf-8")
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data and self.command != "HEAD":
            self.wfile.write(data)

    def _body(self):
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = MAX_BODY + 1
        if length > MAX_BODY or length < 0:
            raise ApiError(400, 21405, "Błąd walidacji danych wejściowych.",
                           ["bad Content-Length or a body over 1 MiB"])
        return self.rfile.read(length) if length else b""

    def _bearer(self):
        auth = self.headers.get("Authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, description="Wymagane jest uwierzytelnienie.")
        return token.strip()

    def _media(self, want):
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        if ctype.lower() != want:
            raise ApiError(415, description=f"Content-Type must be {want}")

    def _dispatch(self, method):
        path = self.path.split("?", 1)[0]
        problem = (self.headers.get("X-Error-Format", "").lower() ==
                   "problem-details")
        # The body is read before anything may answer, so a kept-alive
        # connection never starts the next request inside this one's body.
        try:
            self.request_body = self._body()
        except ApiError as e:
            self.close_connection = True
            self._send(*error_response(e, path, problem))
            return
        if path.startswith("/_emulator/"):
            self._control(method, path[len("/_emulator/"):])
            return
        if not path.startswith("/v2/"):
            self._send(*error_response(
                ApiError(404, description="no such path"), path, True))
            return
        sub = path[3:]
        endpoint, match = None, None
        for m, regex, name in ROUTES:
            match = regex.match(sub)
            if match and m == method:
                endpoint = name
                break
        if endpoint is None:
            self._send(*error_response(
                ApiError(404, description="no such path"), path, True))
            return
        em = self.emulator
        try:
            try:
                delay = em.admit(endpoint, path, self.client_address[0])
            except ApiError as e:
                if e.delay:
                    time.sleep(e.delay)
                raise
            if delay:
                time.sleep(delay)
            status, body = self._ksef(endpoint, match)
            headers = {}
        except ApiError as e:
            status, headers, body = error_response(e, path, problem)
        except Exception:  # a bug here: answer 500 and say where
            traceback.print_exc()
            status, headers, body = error_response(
                ApiError(500, description="emulator error (see its stderr)"),
                path, problem)
        em.record(endpoint, status)
        self._send(status, headers, body)

    def _ksef(self, endpoint, match):
        em = self.emulator
        body = self.request_body
        if endpoint == "challenge":
            return 200, em.challenge(self.client_address[0])
        if endpoint == "xades_signature":
            self._media("application/xml")
            return 202, em.submit_xades(body)
        if endpoint == "ksef_token":
            self._media("application/json")
            return 202, em.submit_token(self._json_body())
        if endpoint == "auth_status":
            return 200, em.auth_status(self._bearer(), match.group("ref"))
        if endpoint == "redeem":
            return 200, em.redeem(self._bearer())
        if endpoint == "refresh":
            return 200, em.refresh(self._bearer())
        if endpoint == "sessions":
            return 200, em.sessions(self._bearer())
        if endpoint == "delete_current":
            em.delete_session(self._bearer())
            return 204, None
        if endpoint == "delete_session":
            em.delete_session(self._bearer(), match.group("ref"))
            return 204, None
        if endpoint == "public_key_certificates":
            return 200, em.public_key_certificates()
        if endpoint in tokens.ENDPOINTS:  # issue 14
            return tokens.handle(em, self, endpoint, match)
        if endpoint.startswith("cert_"):
            return self._certificates(endpoint, match)
        raise ApiError(404, description="no such path")

    def _certificates(self, endpoint, match):
        """The /certificates/* endpoints (certificates.py), Bearer an access
        token."""
        em = self.emulator
        with em._lock:
            op = em._session_caller(self._bearer(), allow_refresh=False)
        certs = em.certificates
        body = None
        if self.command == "POST":
            self._media("application/json")
            try:
                raw = self.request_body.decode("utf-8")
                body = json.loads(raw) if raw.strip() else {}
            except (UnicodeDecodeError, ValueError) as e:
                raise ApiError(400, 21405, "Błąd walidacji danych wejściowych.",
                               [f"the body is not JSON: {e}"])
        if endpoint == "cert_limits":
            return 200, certs.limits(op)
        if endpoint == "cert_enrollment_data":
            return 200, certs.enrollment_data(op)
        if endpoint == "cert_enroll":
            return 202, certs.enroll(op, body)
        if endpoint == "cert_enrollment":
            return 200, certs.enrollment_status(op, match.group("ref"))
        if endpoint == "cert_retrieve":
            return 200, certs.retrieve(op, body)
        if endpoint == "cert_query":
            return 200, certs.query(op, body)
        if endpoint == "cert_revoke":
            certs.revoke(op, match.group("serial"), body)
            return 204, None
        raise ApiError(404, description="no such path")

    def _json_body(self):
        try:
            return json.loads(self.request_body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise ApiError(400, 21405, "Błąd walidacji danych wejściowych.",
                           [f"the body is not JSON: {e}"])

    def _control(self, method, path):
        em = self.emulator
        try:
            raw = self.request_body
            try:
                body = json.loads(raw.decode("utf-8")) if raw.strip() else {}
            except ValueError as e:
                raise ApiError(400, description=f"the body is not JSON: {e}")
            if not isinstance(body, dict):
                raise ApiError(400, description="the body must be an object")
            routes = {
                ("GET", "health"): lambda: {"ok": True},
                ("POST", "settings"): lambda: em.configure(body),
                ("POST", "ksef-tokens"): lambda: em.register_ksef_token(body),
                ("POST", "ksef-tokens/status"):
                    lambda: em.set_ksef_token_status(body),
                ("POST", "permissions"): lambda: em.grant(body),
                ("POST", "faults"): lambda: em.add_fault(body),
                ("DELETE", "faults"): em.clear_faults,
                ("POST", "rate-limits"): lambda: em.set_rate_limits(body),
                ("POST", "ministry-keys/rotate"):
                    lambda: em.rotate_ministry_key(body),
                ("POST", "ministry-keys/remove"):
                    lambda: em.remove_ministry_key(body),
                ("POST", "certificates/settings"):
                    lambda: em.certificates.configure(body),
                ("POST", "certificates/revoke"):
                    lambda: em.certificates.revoke_by_control(body),
                ("GET", "certificates"): em.certificates.summary,
                ("GET", "stats"): em.stats,
                ("DELETE", "stats"): em.clear_stats,
                ("GET", "operations"): em.operation_list,
                ("POST", "reset"): em.reset,
            }
            routes.update(tokens.controls(em, body))  # issue 14
            handler = routes.get((method, path.rstrip("/")))
            if handler is None:
                raise ApiError(404, description=f"no control {method} {path}")
            result = handler()
            self._send(200, {}, result if result is not None else {"ok": True})
        except (ValueError, TypeError, KeyError) as e:
            self._send(400, {}, {"error": f"bad request: {e}"})
        except ApiError as e:
            self._send(e.status, {}, {"error": e.description})


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    """HTTPS with the TLS handshake in each connection's own thread."""
    daemon_threads = True
    allow_reuse_address = True
    # A login storm opens hundreds of connections at once; the default
    # backlog (5) would make the kernel drop SYNs and clients wait seconds.
    request_queue_size = 1024

    def __init__(self, address, ssl_context):
        self.ssl_context = ssl_context
        super().__init__(address, Handler)

    def finish_request(self, request, client_address):
        request.settimeout(60)
        try:
            tls = self.ssl_context.wrap_socket(request, server_side=True)
        except OSError:
            return  # a failed handshake: nothing to answer
        try:
            super().finish_request(tls, client_address)
        finally:
            try:
                tls.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        # A client that went away mid-answer is not our error.
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)
