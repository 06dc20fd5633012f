// server::DropoffPortal: what the drop-off page's two API calls do, apart
// from HTTP (the routes, dropoff_routes.h, only route to it). Issue 15;
// docs/dropoff.md.
//
//   Open(id, {"secret": S})
//     checks the link (vault::DropoffStore::Check: expiry, rate limit,
//     attempts) and answers what the page shows and needs:
//     {"id", "kind": "token"|"key", "name", "context", "expires": RFC 3339,
//      "import_key": {"spki": Base64 DER, "fingerprint": hex SHA-256}}
//   Submit(id, {"secret": S, "token": Base64 RSA-OAEP-SHA256 ciphertext})
//     redeems the link (claim, then deliver): an intent event is made
//     durable, the ciphertext is decrypted by the import key (in the HSM)
//     and the token imported into the vault under the link's name and
//     context; {"result": "ok"} on success. A failed delivery releases the
//     link.
//   Submit(id, {"secret": S, "certificate": Base64 of the certificate file
//               (PEM or DER), "wrapped_key": Base64 WrapForImport layout})
//     the same for a key link: signer::KeyCustody::Import unwraps the key
//     into the HSM and checks it against the certificate.
//
// Answers are JSON; a refusal is {"error": message} with the HTTP status of
// its code (404 unknown link, 410 used/cancelled/expired/locked, 403 wrong
// secret, 429 too soon after a wrong one, 400 bad input, 409 name taken,
// 503 retry). Every call is audited (identity "dropoff-link", method
// "dropoff/open" or "dropoff/submit", resource "dropoffs/<id>", the link's
// context, the outcome, the step and the peer address in the detail) and
// logged on one line — never the secret or the token.
//
// Thread-safety: thread-safe (its parts are).
#ifndef SEJF_SERVER_DROPOFF_DROPOFF_PORTAL_H_
#define SEJF_SERVER_DROPOFF_DROPOFF_PORTAL_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "server/dropoff/dropoff_import_key.h"
#include "server/logger.h"
#include "signer/custody/key_custody.h"
#include "vault/audit/audit_log.h"
#include "vault/dropoff/dropoff_store.h"
#include "vault/tokens/token_vault.h"

namespace sejf::server {

struct PortalResponse {
  int http_status = 200;
  std::string json = {};
};

// The HTTP status the page gets for a refusal with `code`.
int HttpStatusOf(absl::StatusCode code);

class DropoffPortal {
 public:
  // Every pointer must outlive the portal; none may be null.
  DropoffPortal(vault::DropoffStore* store, vault::TokenVault* tokens,
                signer::KeyCustody* keys, DropoffImportKey* import_key,
                vault::AuditLog* audit, const Logger* logger)
      : store_(store),
        tokens_(tokens),
        keys_(keys),
        import_key_(import_key),
        audit_(audit),
        logger_(logger) {}

  // `body` is the request's JSON; `peer` the client's address (for the
  // audit and the log). The caller wipes `body` afterwards.
  PortalResponse Open(absl::string_view id, absl::string_view body,
                      absl::string_view peer);
  PortalResponse Submit(absl::string_view id, absl::string_view body,
                        absl::string_view peer);

 private:
  // The event and log line of one step; a STARTED `outcome` is the intent
  // of a submit. Returns the append's status.
  absl::Status Record(absl::string_view method, absl::string_view step,
                      absl::string_view id, absl::string_view context,
                      absl::string_view outcome, absl::string_view detail,
                      absl::string_view peer);
  // The token in `ciphertext` (Base64) imported as the link's target.
  absl::Status DeliverToken(const vault::Dropoff& dropoff,
                            absl::string_view ciphertext_base64);
  // The key wrapped for the import key, with its certificate, imported as
  // the link's target.
  absl::Status DeliverKey(const vault::Dropoff& dropoff,
                          absl::string_view certificate_base64,
                          absl::string_view wrapped_base64);

  vault::DropoffStore* const store_;
  vault::TokenVault* const tokens_;
  signer::KeyCustody* const keys_;
  DropoffImportKey* const import_key_;
  vault::AuditLog* const audit_;
  const Logger* const logger_;
};

}  // namespace sejf::server

#endif  // SEJF_SERVER_DROPOFF_DROPOFF_PORTAL_H_
