#!/usr/bin/env bash
# Writes the text seed corpora fuzz/corpus/NAME/ (committed; rerun only to
# change them). Seeds holding certificates or keys are never committed:
# make_generated_seeds.sh makes them afresh for each `make fuzz`.
set -euo pipefail
cd "$(dirname "$0")"
seed() {  # seed TARGET NAME FORMAT [ARGS...] (as printf)
  local target=$1 name=$2
  shift 2
  mkdir -p "corpus/$target"
  printf "$@" > "corpus/$target/$name"
}


seed ksef_challenge ok '20250514-CR-226FB7B000-3ACF9BE4C0-10'
seed ksef_challenge stale '20240101-CR-226FB7B000-3ACF9BE4C0-10'
seed ksef_context nip 'nip:5265877635'
seed ksef_context internal 'internal-id:5265877635-12345'
seed ksef_context vat 'nip-vat-ue:5265877635-DE123456789'
seed ksef_context peppol 'peppol-id:PPL123456'
seed allowed_ips mixed '\x00192.168.0.1\n\x0110.0.0.1-10.0.0.20\n\x02192.168.0.0/24\n'
seed distinguished_name person 'CN=Jan Kowalski,C=PL,serialNumber=PNOPL-80010112345,givenName=Jan,surname=Kowalski'
seed distinguished_name seal 'CN=Acme,O=Acme Sp. z o.o.,organizationIdentifier=VATPL-5265877635,C=PL'
seed enrollment_data full '{"commonName":"Jan Kowalski","countryName":"PL","givenName":"Jan","surname":"Kowalski","serialNumber":"PNOPL-80010112345","uniqueIdentifier":null,"organizationName":null,"organizationIdentifier":null}'
seed config dev '[listen]\nunix_socket = "sejf.sock"\n[hsm]\ntoken_label = "sejf"\npin_file = "pin"\n[storage]\nbackend = "sqlite"\nsqlite_path = "sejf.db"\n\n[[policy]]\nname = "ops"\nidentities = ["unix:1000"]\noperations = ["*"]\nnips = ["5265877635"]\n'
cp ../deploy/sejfd.example.toml corpus/config/example.toml
seed vault_records token '{"format":1,"context":"nip:5265877635","permissions":["InvoiceRead","InvoiceWrite"],"description":"ksiegowosc","state":"active","version":1,"create_time_us":1747000000000000,"rotate_time_us":1747000000000000,"expire_time_us":1778000000000000,"sealed":"AQAAAAEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}'
seed session_record active '{"format":1,"credential_kind":"key","credential_name":"acme-auth","context":"nip:5265877635","environment":"test","allowed_ips":{"ip4_addresses":["192.168.0.1"],"ip4_ranges":[],"ip4_masks":[]},"subject_type":"certificateSubject","state":"active","reference_number":"20250514-AU-2A3B4C5D6E-7F8A9B0C1D-2E","generation":3,"access_sealed":"AQAAAAEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","access_valid_until_us":1747000900000000,"refresh_sealed":"AQAAAAEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","refresh_valid_until_us":1747600000000000,"login_time_us":1747000000000000,"last_refresh_time_us":1747000100000000,"last_error":{"code":"UNAVAILABLE","text":"KSeF 503","time_us":1747000050000000},"create_time_us":1747000000000000,"update_time_us":1747000100000000}'
seed session_record closed '{"format":1,"credential_kind":"token","credential_name":"acme-token","context":"nip:5265877635","environment":"prod","state":"closed","generation":1,"login_time_us":1747000000000000,"create_time_us":1747000000000000,"update_time_us":1747000100000000}'
# Audit events: canonical v1 and v2, and a stored row (v1 + 32-byte hash).
mkdir -p corpus/audit_event
python3 - <<'PY'
import struct
def s(x): b = x.encode(); return struct.pack(">I", len(b)) + b
fields = ["req-1", "unix:1000", "tokens.import", "/sejf.v1.Tokens/Import",
          "tokens/acme", "nip:5265877635", "ALLOWED", "ok"]
v1 = b"\x01" + struct.pack(">Qq", 1, 1747000000000000) + b"".join(map(s, fields))
v2 = b"\x02" + struct.pack(">Qq", 2, 1747000000000001) + b"".join(map(s, fields + ["ops"]))
for name, data in [("v1", v1), ("v2", v2), ("row", v1 + bytes(range(32))),
                   ("name", b"00000000000000000042")]:
    open("corpus/audit_event/" + name, "wb").write(data)
PY
# Sealed records: a secret to seal, and a header-shaped stored record.
seed sealed_record secret 'KSeF-token-20250514-0123456789abcdef'
seed sealed_record stored '\x01\x00\x00\x00\x01%s' "$(printf '%040d' 0)"
# KSeF responses: the first byte picks the parser (ksef_wire_fuzz.cc).
seed ksef_wire challenge '\x00{"challenge":"20250514-CR-226FB7B000-3ACF9BE4C0-10","timestamp":"2025-05-14T12:00:00.1234567+00:00","timestampMs":1747224000123}'
seed ksef_wire init '\x01{"referenceNumber":"20250514-AU-2A3B4C5D6E-7F8A9B0C1D-2E","authenticationToken":{"token":"a.b.c","validUntil":"2025-05-14T12:15:00Z"}}'
seed ksef_wire status '\x02{"startDate":"2025-07-11T12:23:56Z","authenticationMethod":"QualifiedSeal","status":{"code":100,"description":"Uwierzytelnianie w toku","details":null}}'
seed ksef_wire tokens '\x03{"accessToken":{"token":"a.b.c","validUntil":"2025-07-11T14:23:56.0154302+02:00"},"refreshToken":{"token":"d.e.f","validUntil":"2025-07-18T12:23:56Z"}}'
seed ksef_wire refresh '\x04{"accessToken":{"token":"a.b.c","validUntil":"2025-07-11T14:23:56.0154302+02:00"}}'
seed ksef_wire certificates '\x05[{"certificate":"MIIB","usage":["KsefTokenEncryption"]}]'
seed ksef_wire error '\x06{"exception":{"exceptionDetailList":[{"exceptionCode":9105,"exceptionDescription":"Nieprawidlowy podpis.","details":["a","b"]}]}}'
seed ksef_wire problem '\x06{"title":"Too Many Requests","status":429,"detail":"Limit 60/s.","errors":[{"code":21401,"description":"x"}]}'
seed ksef_wire retry_after '\x0730'
# KSeF token management (issue 14; ksef_wire_tokens_fuzz.cc).
seed ksef_wire_tokens generated '\x00{"referenceNumber":"20251010-EC-1DCE3E3000-12ECB5B36E-45","token":"20251010-EC-1DCE3E3000-12ECB5B36E-45|nip-5265877635|919f7044"}'
seed ksef_wire_tokens status '\x01{"referenceNumber":"20251010-EC-1DCE3E3000-12ECB5B36E-45","authorIdentifier":{"type":"Nip","value":"5265877635"},"contextIdentifier":{"type":"Nip","value":"5265877635"},"description":"Wystawianie faktur","requestedPermissions":["InvoiceRead","InvoiceWrite"],"dateCreated":"2025-10-10T12:00:00.0000000+00:00","lastUseDate":null,"status":"Active","statusDetails":[]}'
seed ksef_wire_tokens reference '\x0220251010-EC-1DCE3E3000-12ECB5B36E-45'
