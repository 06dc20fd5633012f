// The rows of the authorization matrix (authz_matrix_e2e_test.cc): every
// RPC of the sejf.v1 services, with a valid request and the operation its
// handler authorizes. A method sejfd serves without a row here fails the
// matrix; add the row (and, for a new operation, server/policy/operations.h
// and docs/access-control.md) with the method.
#ifndef SEJF_TESTS_AUTHZ_MATRIX_TABLE_H_
#define SEJF_TESTS_AUTHZ_MATRIX_TABLE_H_

#include <optional>

#include "absl/strings/string_view.h"
#include "server/policy/operations.h"

namespace sejf::testing::authz {

// The tenant the rows' resources belong to, and another one.
inline constexpr char kTenantContext[] = "nip:5265877635";
inline constexpr char kOtherContext[] = "nip:1111111111";

// The KSeF environment the session rows log in to: the fixture points it at
// the KSeF emulator (tests/ksef_emulator/), never at the real KSeF, and
// opens "sessions/acme-sess" (tokens/acme-login, nip:5265877635) in it.
// acme-login is a token of its own: the token rows rotate acme-tok.
inline constexpr char kSessionEnvironment[] = "emu";

// What a method's authorization decision is about (the AccessTarget its
// handler authorizes), which decides which columns' rules allow it.
enum class Target {
  kAnyCaller,   // no operation: any authenticated caller (WhoAmI, KOD I)
  kListing,     // the operation alone; the answer is filtered item by item
  kCredential,  // a credential by name, no context (keys)
  kCredentialInContext,  // a credential in a KSeF context
  kWholeVault,           // state every tenant shares: unscoped rules only
};

struct MethodCase {
  const char* method;                          // full gRPC name
  std::optional<server::Operation> operation;  // nullopt exactly for kAnyCaller
  Target target;
  // The request in protobuf text format, valid (validation runs before
  // authorization), on the fixture's resources. Variables: $UNIQUE (a new
  // number each call, for names that must be new), $CHALLENGE (today's),
  // $NOW_MS, $AUTH_CERT_PEM (acme-auth's certificate), $MF_CERT_PEM and
  // $MF_CERT_SHA256 (a Ministry-style certificate and its fingerprint).
  const char* request;
};

// Every RPC, in the order the matrix calls them: a method that changes a
// resource others use comes after them or has a resource of its own
// (acme-toggle, acme-doomed, acme-*-$UNIQUE).
inline constexpr MethodCase kMethods[] = {
    {"/sejf.v1.Identity/WhoAmI", std::nullopt, Target::kAnyCaller, ""},

    {"/sejf.v1.KeyCustody/GenerateKey", server::Operation::kKeysManage,
     Target::kCredential,
     R"(key_id: "acme-gen-$UNIQUE" usage: KEY_USAGE_AUTHENTICATION)"},
    {"/sejf.v1.KeyCustody/GetKey", server::Operation::kKeysRead,
     Target::kCredential, R"(name: "keys/acme-auth")"},
    {"/sejf.v1.KeyCustody/ListKeys", server::Operation::kKeysRead,
     Target::kListing, ""},
    {"/sejf.v1.KeyCustody/CreateCsr", server::Operation::kKeysManage,
     Target::kCredential,
     R"(name: "keys/acme-auth"
        subject: "CN=Jan Kowalski,serialNumber=TINPL-5265877635,C=PL")"},
    {"/sejf.v1.KeyCustody/SelfSignCertificate", server::Operation::kKeysManage,
     Target::kCredential,
     R"(name: "keys/acme-spare"
        subject: "CN=Jan Kowalski,serialNumber=TINPL-5265877635,C=PL"
        validity_days: 30)"},
    {"/sejf.v1.KeyCustody/AttachCertificate", server::Operation::kKeysManage,
     Target::kCredential,
     R"(name: "keys/acme-auth" certificate_chain: "$AUTH_CERT_PEM")"},
    {"/sejf.v1.KeyCustody/DisableKey", server::Operation::kKeysManage,
     Target::kCredential, R"(name: "keys/acme-toggle")"},
    {"/sejf.v1.KeyCustody/EnableKey", server::Operation::kKeysManage,
     Target::kCredential, R"(name: "keys/acme-toggle")"},
    {"/sejf.v1.KeyCustody/DestroyKey", server::Operation::kKeysManage,
     Target::kCredential, R"(name: "keys/acme-doomed")"},

    {"/sejf.v1.TokenVault/ImportToken", server::Operation::kTokensManage,
     Target::kCredentialInContext,
     R"(token_id: "acme-imp-$UNIQUE" context: "nip:5265877635"
        secret: "matrix-secret-0123456789")"},
    {"/sejf.v1.TokenVault/RotateToken", server::Operation::kTokensManage,
     Target::kCredentialInContext,
     R"(name: "tokens/acme-tok" secret: "matrix-secret-$UNIQUE")"},
    {"/sejf.v1.TokenVault/GetToken", server::Operation::kTokensRead,
     Target::kCredentialInContext, R"(name: "tokens/acme-tok")"},
    {"/sejf.v1.TokenVault/ListTokens", server::Operation::kTokensRead,
     Target::kListing, ""},
    {"/sejf.v1.TokenVault/DisableToken", server::Operation::kTokensManage,
     Target::kCredentialInContext, R"(name: "tokens/acme-toggle")"},
    {"/sejf.v1.TokenVault/EnableToken", server::Operation::kTokensManage,
     Target::kCredentialInContext, R"(name: "tokens/acme-toggle")"},
    {"/sejf.v1.TokenVault/DestroyToken", server::Operation::kTokensManage,
     Target::kCredentialInContext, R"(name: "tokens/acme-doomed")"},
    {"/sejf.v1.TokenVault/GetVaultStatus", server::Operation::kVaultAdmin,
     Target::kWholeVault, ""},
    {"/sejf.v1.TokenVault/RotateDataKey", server::Operation::kVaultAdmin,
     Target::kWholeVault, ""},
    {"/sejf.v1.TokenVault/RotateKeyEncryptionKey",
     server::Operation::kVaultAdmin, Target::kWholeVault, ""},
    {"/sejf.v1.TokenVault/CheckVault", server::Operation::kVaultAdmin,
     Target::kWholeVault, ""},
    // Valid and authorized, then FAILED_PRECONDITION (no such parent): the
    // matrix leaves no copies of the vault behind (tests/backup_e2e_test.cc
    // makes real ones).
    {"/sejf.v1.TokenVault/BackupVault", server::Operation::kVaultAdmin,
     Target::kWholeVault,
     R"(directory: "/nonexistent-sejf-authz-matrix/backup-$UNIQUE")"},

    {"/sejf.v1.KsefAuth/SignAuthTokenRequest", server::Operation::kAuthXades,
     Target::kCredentialInContext,
     R"(key: "keys/acme-auth" challenge: "$CHALLENGE"
        context: "nip:5265877635")"},
    {"/sejf.v1.KsefAuth/EncryptToken", server::Operation::kAuthToken,
     Target::kCredentialInContext,
     R"(token: "tokens/acme-tok" challenge: "$CHALLENGE"
        timestamp_ms: $NOW_MS environment: "test")"},
    {"/sejf.v1.KsefAuth/SignOfflineQrCode", server::Operation::kQrOffline,
     Target::kCredentialInContext,
     R"(key: "keys/acme-offline" context: "nip:5265877635"
        seller_nip: "5265877635"
        invoice_sha256: "0123456789abcdef0123456789abcdef"
        environment: "test")"},
    {"/sejf.v1.KsefAuth/BuildInvoiceQrCode", std::nullopt, Target::kAnyCaller,
     R"(seller_nip: "5265877635" issue_date: "2026-01-15"
        invoice_sha256: "0123456789abcdef0123456789abcdef"
        environment: "test")"},
    {"/sejf.v1.KsefAuth/ImportMinistryCertificates",
     server::Operation::kMfcertsManage, Target::kWholeVault,
     R"(environment: "test" content: "$MF_CERT_PEM"
        usage: MINISTRY_CERTIFICATE_USAGE_KSEF_TOKEN_ENCRYPTION
        pin_fingerprints: "$MF_CERT_SHA256")"},
    {"/sejf.v1.KsefAuth/ListMinistryCertificates",
     server::Operation::kMfcertsManage, Target::kWholeVault, ""},

    {"/sejf.v1.AuditLog/ListEvents", server::Operation::kAuditRead,
     Target::kListing, "page_size: 5"},
    // The whole chain: a whole-vault request of a scoped operation.
    {"/sejf.v1.AuditLog/VerifyChain", server::Operation::kAuditRead,
     Target::kWholeVault, ""},

    {"/sejf.v1.KsefSessions/OpenSession", server::Operation::kSessionsManage,
     Target::kCredentialInContext,
     R"(session_id: "acme-sess-$UNIQUE" credential: "tokens/acme-login"
        context: "nip:5265877635" environment: "emu")"},
    {"/sejf.v1.KsefSessions/GetAccessToken", server::Operation::kSessionsToken,
     Target::kCredentialInContext, R"(name: "sessions/acme-sess")"},
    {"/sejf.v1.KsefSessions/GetSession", server::Operation::kSessionsRead,
     Target::kCredentialInContext, R"(name: "sessions/acme-sess")"},
    {"/sejf.v1.KsefSessions/ListSessions", server::Operation::kSessionsRead,
     Target::kListing, ""},
    {"/sejf.v1.KsefSessions/CloseSession", server::Operation::kSessionsManage,
     Target::kCredentialInContext, R"(name: "sessions/acme-sess")"},
    {"/sejf.v1.KsefSessions/FetchMinistryCertificates",
     server::Operation::kMfcertsManage, Target::kWholeVault,
     R"(environment: "emu")"},
    // Issue 14. acme-sess logged in with a token (and is closed by now), so
    // an allowed caller gets FAILED_PRECONDITION from the domain (KSeF mints
    // only after a certificate login): authorization is what is checked.
    {"/sejf.v1.TokenVault/CreateTokenInKsef", server::Operation::kTokensCreate,
     Target::kCredentialInContext,
     R"(token_id: "acme-mint-$UNIQUE" session: "sessions/acme-sess"
        permissions: TOKEN_PERMISSION_INVOICE_READ
        description: "minted by the matrix")"},
    // acme-tok has no KSeF reference number: FAILED_PRECONDITION when
    // allowed.
    {"/sejf.v1.TokenVault/CheckTokenInKsef", server::Operation::kTokensManage,
     Target::kCredentialInContext, R"(name: "tokens/acme-tok")"},

    // KSeF certificates: keys.enroll on the session and on the key, in the
    // session's context (acme-sess logged in with a token: KSeF refuses
    // those, after authorization).
    {"/sejf.v1.KeyCustody/EnrollKey", server::Operation::kKeysEnroll,
     Target::kCredentialInContext,
     R"(key_id: "acme-enr-$UNIQUE" session: "sessions/acme-sess"
        usage: KEY_USAGE_AUTHENTICATION)"},
    {"/sejf.v1.KeyCustody/RevokeKey", server::Operation::kKeysEnroll,
     Target::kCredentialInContext,
     R"(name: "keys/acme-auth" session: "sessions/acme-sess")"},

    // Issue 15 (docs/import.md). ImportKey's certificate and wrapped key are
    // judged by the domain after the decision (acme-auth's certificate is
    // not the new key's): an allowed caller gets INVALID_ARGUMENT, audited
    // with the rule.
    {"/sejf.v1.KeyCustody/GetImportKey", std::nullopt, Target::kAnyCaller, ""},
    {"/sejf.v1.KeyCustody/ImportKey", server::Operation::kKeysManage,
     Target::kCredential,
     R"(key_id: "acme-imp-$UNIQUE" certificate_chain: "$AUTH_CERT_PEM"
        wrapped_key: "not-wrapped")"},

    // Issue 15, drop-off links: dropoff.manage on the link's target in its
    // context. The matrix's sejfd has no drop-off listener, so an allowed
    // Create answers FAILED_PRECONDITION after authorization; cancelling a
    // link that does not exist is authorized as a listing (NOT_FOUND alike
    // for every caller who manages links).
    {"/sejf.v1.Dropoff/CreateDropoff", server::Operation::kDropoffManage,
     Target::kCredentialInContext,
     R"(token_name: "acme-drop-$UNIQUE" context: "nip:5265877635")"},
    {"/sejf.v1.Dropoff/ListDropoffs", server::Operation::kDropoffManage,
     Target::kListing, ""},
    {"/sejf.v1.Dropoff/CancelDropoff", server::Operation::kDropoffManage,
     Target::kListing, R"(name: "dropoffs/0000000000000000")"},
    // Key versions (issue 14, renewal): acme-auth was not enrolled through
    // KSeF, so an allowed caller gets FAILED_PRECONDITION from the domain.
    {"/sejf.v1.KeyCustody/RenewKey", server::Operation::kKeysEnroll,
     Target::kCredentialInContext,
     R"(name: "keys/acme-auth" session: "sessions/acme-sess")"},
    {"/sejf.v1.KeyCustody/ListKeyVersions", server::Operation::kKeysRead,
     Target::kCredential, R"(name: "keys/acme-auth")"},
    {"/sejf.v1.KeyCustody/SetKeyRenewal", server::Operation::kKeysManage,
     Target::kCredential, R"(name: "keys/acme-auth" renew_before_days: 10)"},
};

}  // namespace sejf::testing::authz

#endif  // SEJF_TESTS_AUTHZ_MATRIX_TABLE_H_
