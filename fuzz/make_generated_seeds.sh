#!/usr/bin/env bash
# make_generated_seeds.sh DIR: the seeds that hold certificates or keys,
# made afresh with openssl into DIR/NAME/ (`make fuzz` calls it for
# build-fuzz/seeds; nothing here is committed). The private keys stay in a
# temporary directory and are removed.
set -euo pipefail
out=$1
mkdir -p "$out"
cd "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
seed() {  # seed TARGET NAME FORMAT [ARGS...] (as printf)
  local target=$1 name=$2
  shift 2
  mkdir -p "$target"
  printf "$@" > "$target/$name"
}

# Certificates: an RSA-2048 CA and an EC P-256 leaf it issued.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/ca.key" \
  -subj "/C=PL/O=Sejf Fuzz CA/CN=Sejf Fuzz Root" -days 3650 \
  -addext keyUsage=keyCertSign,cRLSign -out "$tmp/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout "$tmp/leaf.key" -subj "/C=PL/CN=Jan Kowalski/serialNumber=PNOPL-80010112345" \
  -out "$tmp/leaf.csr" 2>/dev/null
openssl x509 -req -in "$tmp/leaf.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" \
  -days 365 -extfile <(printf 'keyUsage=digitalSignature\n') \
  -out "$tmp/leaf.pem" 2>/dev/null
mkdir -p certificate_chain ministry_certificates
cat "$tmp/leaf.pem" "$tmp/ca.pem" > certificate_chain/chain.pem
cp "$tmp/leaf.pem" certificate_chain/leaf.pem
openssl x509 -in "$tmp/leaf.pem" -outform DER -out certificate_chain/leaf.der
cp "$tmp/ca.pem" ministry_certificates/rsa.pem
openssl x509 -in "$tmp/ca.pem" -outform DER -out ministry_certificates/rsa.der
ca_b64=$(openssl x509 -in "$tmp/ca.pem" -outform DER | base64 -w0)
seed ministry_certificates list.json \
  '[{"certificate":"%s","certificateId":"aWQ=","publicKeyId":"a2V5","validFrom":"2025-01-01T00:00:00Z","validTo":"2035-01-01T00:00:00+01:00","usage":["KsefTokenEncryption","SymmetricKeyEncryption"]}]' \
  "$ca_b64"

# A key record with a real public key.
seed vault_records key '{"format":1,"key_id":"0a1b2c","algorithm":"ec-p256","usage":"authentication","state":"active","create_time_us":1747000000000000,"pkcs11_uri":"pkcs11:token=sejf;id=%%0a%%1b%%2c","public_key":"%s"}' \
  "$(openssl pkey -in "$tmp/leaf.key" -pubout -outform DER | base64 -w0)"
