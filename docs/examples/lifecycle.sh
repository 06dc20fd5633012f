#!/usr/bin/env bash
# The credential lifecycle through KSeF, with nothing but `sejf` (issue 14,
# "Done when"; docs/lifecycle-certificates.md, docs/lifecycle-tokens.md):
#
#   1. one self-signed key (the KSeF TEST environment accepts those) and a
#      standing session logged in with it;
#   2. an Authentication certificate enrolled from KSeF for a new HSM key;
#   3. a KSeF token minted straight into the vault (nobody sees it);
#   4. the certificate renewed — a second version of the same key, enrolled
#      through a session logged in with the first;
#   5. the old version revoked in KSeF; the key signs on with the new one.
#
# Environment (sejf's own variables such as SEJF_ADDR work as usual):
#   SEJF              the sejf binary (default: sejf on PATH)
#   KSEF_ENVIRONMENT  sejfd's KSeF environment (default: test)
#   KSEF_CONTEXT      the context to log in to (default: nip:5265877635)
#   KSEF_SUBJECT      the self-signed certificate's subject (default: a TEST
#                     subject for that NIP)
#   NAME_PREFIX       prefix of every key, token and session made (default:
#                     acme); names are never reused, so change it to run again
#
# In `make test` this runs against the KSeF emulator
# (tests/lifecycle_script_e2e_test.cc), which checks its effects with
# openssl and the emulator's own records.
set -euo pipefail

SEJF="${SEJF:-sejf}"
ENVIRONMENT="${KSEF_ENVIRONMENT:-test}"
CONTEXT="${KSEF_CONTEXT:-nip:5265877635}"
SUBJECT="${KSEF_SUBJECT:-CN=Jan Kowalski,serialNumber=TINPL-5265877635,C=PL}"
P="${NAME_PREFIX:-acme}"

sejf() {
  echo "+ sejf $*" >&2
  "$SEJF" "$@"
}

open_session() {  # NAME KEY
  sejf session open --name "$1" --key "$2" --context "$CONTEXT" \
    --environment "$ENVIRONMENT"
}

# 1. A self-signed key and a session on it.
sejf key generate --name "$P-boot" --usage authentication
sejf key self-sign "$P-boot" --subject "$SUBJECT" --days 30
open_session "$P-boot" "$P-boot"

# 2. An Authentication certificate issued by KSeF for a new HSM key.
sejf key enroll --name "$P-auth" --session "$P-boot" --type authentication
sejf key show "$P-auth"

# 3. A KSeF token, minted into the vault through the key session.
sejf token create --name "$P-token" --session "$P-boot" \
  --permissions InvoiceRead,InvoiceWrite \
  --description "minted by docs/examples/lifecycle.sh"

# 4. A session on the enrolled key, and the certificate renewed through it:
#    version 2 of the same key (sejfd also does this by itself
#    renew_before_days before the certificate ends).
open_session "$P-main" "$P-auth"
sejf key renew "$P-auth" --session "$P-main"
sejf key versions "$P-auth"

# 5. The old version's certificate revoked (superseded); the sessions logged
#    in with it are closed, the new version keeps signing.
sejf key revoke "$P-auth" --version 1 --reason superseded --session "$P-boot"
sejf key versions "$P-auth"
open_session "$P-after" "$P-auth"
