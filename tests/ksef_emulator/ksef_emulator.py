#!/usr/bin/python3
"""A KSeF 2.0 authentication emulator for sejf's tests (README.md here).

  ksef_emulator.py --state-dir DIR [--host 127.0.0.1] [--port 0] [--quiet]

Creates (or reuses) the key material in DIR, prints one line
"listening https://127.0.0.1:PORT/v2" on stdout when it accepts
connections, serves until SIGTERM or SIGINT, then exits 0.
"""

import argparse
import os
import signal
import ssl
import sys
import threading

sys.dont_write_bytecode = True  # keep the source tree clean
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import api  # noqa: E402
import state  # noqa: E402

DEFAULT_XSD = os.path.join(HERE, "..", "..", "signer", "ksef", "testdata",
                           "schemat_auth_v2-1.xsd")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--xsd", default=DEFAULT_XSD,
                        help="the AuthTokenRequest 2.1 schema")
    parser.add_argument("--quiet", action="store_true",
                        help="no access log on stderr")
    args = parser.parse_args()

    emulator = state.Emulator(os.path.abspath(args.state_dir), args.xsd)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(emulator.pki.tls_cert_file,
                            emulator.pki.tls_key_file)
    api.Handler.emulator = emulator
    api.Handler.quiet = args.quiet
    server = api.Server((args.host, args.port), context)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve_forever,
                              kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    print(f"listening https://{host}:{port}/v2", flush=True)
    while not stop.wait(0.5):
        pass
    server.shutdown()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
