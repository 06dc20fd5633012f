#!/usr/bin/env python3
"""A scripted HTTPS responder for broker/ksef_api's unit tests.

Answers each request with the next entry of a JSON script and records every
request it receives. Not a KSeF emulator (tests/ksef_emulator/ is): it knows
nothing of KSeF, so the tests state exactly what the client must send and
what it gets back.

  scripted_https_server.py --cert PEM --key PEM --script JSON --log JSONL

Listens on 127.0.0.1 on a port the system picks and prints "PORT <n>" on
stdout once it accepts connections. Script entries (in order, one per
request; past the end every request gets 500):
  {"status": 200, "headers": {"Retry-After": "1"}, "body": "text"}
  {"status": 200, "json": {...}}             body as JSON, application/json
  {"delay": 5.0, ...}                        seconds to wait before answering
  {"drop": true}                             close the connection, no answer
Each request is appended to the log as one JSON line, before it is answered:
  {"method": "POST", "path": "/v2/auth/challenge",
   "headers": {"content-type": "..."}, "body": "...", "client_port": 51234}
(header names in lower case).
"""

import argparse
import http.server
import json
import socket
import ssl
import sys
import threading
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--script", required=True)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()

    with open(args.script, encoding="utf-8") as f:
        script = json.load(f)
    lock = threading.Lock()
    state = {"next": 0}
    log = open(args.log, "a", encoding="utf-8")

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format, *args):  # quiet
            pass

        def setup(self):
            self.request.do_handshake()
            super().setup()

        def handle_any(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            record = {
                "method": self.command,
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body.decode("utf-8", "replace"),
                "client_port": self.client_address[1],
            }
            with lock:
                log.write(json.dumps(record) + "\n")
                log.flush()
                index = state["next"]
                state["next"] += 1
            entry = script[index] if index < len(script) else {
                "status": 500, "body": "script exhausted"}
            if entry.get("delay"):
                time.sleep(float(entry["delay"]))
            if entry.get("drop"):
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
            headers = dict(entry.get("headers", {}))
            if "json" in entry:
                payload = json.dumps(entry["json"]).encode("utf-8")
                headers.setdefault("Content-Type", "application/json")
            else:
                payload = entry.get("body", "").encode("utf-8")
            status = int(entry.get("status", 200))
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if status != 204:
                    self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if status != 204:
                    self.wfile.write(payload)
            except OSError:
                pass  # the client gave up (a timeout test)

        do_GET = handle_any
        do_POST = handle_any
        do_DELETE = handle_any

    class Server(http.server.ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request, client_address):
            pass  # refused handshakes, dropped connections: expected

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    server = Server(("127.0.0.1", 0), Handler)
    # The handshake runs in the request's thread, not in accept().
    server.socket = context.wrap_socket(
        server.socket, server_side=True, do_handshake_on_connect=False)
    print("PORT %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
