// vault::TokenVault: KSeF authorization tokens stored sealed; the domain
// side of the TokenVault RPCs (proto/sejf/v1/token_vault.proto).
//
// Each token is one storage record (kind "tokens", name = token name;
// format in vault/records/token_record.h) holding its metadata and its
// secret sealed by the Keyring (vault/crypto/sealed_record.h) for the place
// (kind "tokens", the name, the token version). Get is one indexed lookup;
// start-up and Status read two small records (keyring, counters in
// token_counters.h), never the tokens, so they cost the same with one token
// or a million.
//
// Lifecycle: Import (active, version 1) -> Rotate (new secret, version+1)
// -> Disable <-> Enable -> Destroy. Destroy crypto-shreds: the sealed secret
// is removed from the record (the storage's secure_delete and WAL scrubbing
// keep the old bytes from lingering in the file) and the record stays with
// state destroyed, its metadata kept for audit; the name is never reused.
// No method returns a token's secret except OpenForUse, which is for the
// signer: every Token returned has record.sealed_secret empty.
//
// Data-key rotation (RotateDataKey): the keyring gets a new current DEK for
// new writes, and a background thread owned by the vault re-seals records
// sealed under older DEKs in batches (one write transaction per batch), so
// every record stays readable throughout. Progress: Status().
// records_pending_reseal. The thread also starts at Open when records are
// pending (e.g. sejfd stopped mid-way), and whenever Status() finds records
// pending while it is not running (replicas: a rotation made by another
// process, taken up through Keyring::Refresh before every seal and status),
// and stops when the vault is destroyed.
//
// Errors common to every method: INVALID_ARGUMENT naming the field for bad
// input (nothing changed); NOT_FOUND naming the token; storage errors
// (UNAVAILABLE: retry; ABORTED never arises, every change is one
// read-modify-write transaction); DATA_LOSS when a record is damaged or a
// sealed secret does not open at its place. No message ever contains a
// secret.
//
// Thread-safety: thread-safe. Concurrent changes to one token are
// serialised by the storage's write transactions.
#ifndef SEJF_VAULT_TOKENS_TOKEN_VAULT_H_
#define SEJF_VAULT_TOKENS_TOKEN_VAULT_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/secret.h"
#include "vault/crypto/keyring.h"
#include "vault/records/token_record.h"
#include "vault/storage/storage.h"

namespace sejf::vault {

// A token as callers see it. record.sealed_secret is always empty here.
struct Token {
  std::string name = {};  // the {token} of "tokens/{token}"
  TokenRecord record = {};
};

struct TokenImport {
  std::string name = {};     // credential_name.h rule
  std::string context = {};  // "nip:…" or "internal-id:…"
  std::vector<TokenPermission> permissions = {};         // may be empty
  std::string description = {};                          // token_record.h rule
  std::optional<absl::Time> expire_time = std::nullopt;  // must be in future
  SecretBytes secret = {};  // the KSeF token (token_record.h rule)
  // Issue 14: the KSeF reference number; empty: taken from the token's
  // first segment (KsefTokenReferenceOf), if it has one.
  std::string ksef_reference = {};
  std::string ksef_environment = {};  // where it was minted; may be empty
  std::string ksef_status = {};       // KSeF's status as known at import
};

struct TokenFilter {
  std::string context = {};  // empty: any; else a token context (any form)
  std::optional<CredentialState> state = std::nullopt;
};

struct TokenPage {
  std::vector<Token> tokens = {};
  std::string next_page_token = {};  // empty on the last page
};

// What the signer gets: an active, unexpired token and its secret.
struct UsableToken {
  Token token = {};
  SecretBytes secret = {};
};

struct VaultStatus {
  std::int64_t current_data_key_id = 0;
  std::int64_t data_key_count = 0;
  std::int64_t token_count = 0;  // tokens holding a secret (not destroyed)
  std::int64_t records_pending_reseal = 0;
  std::string kek_uri = {};
  bool reseal_running = false;
  // The last error of the re-seal thread (it retries), empty when none.
  std::string reseal_error = {};
};

// What CheckSeals found.
struct SealCheck {
  std::int64_t checked = 0;  // sealed secrets opened (destroyed tokens: none)
  // Tokens whose sealed secret no keyring key opens at its place, each with
  // the reason (never the secret).
  std::vector<std::pair<std::string, std::string>> unreadable = {};
};

struct TokenVaultOptions {
  // Records re-sealed per write transaction.
  int reseal_batch_size = 100;
  // Whether re-sealing runs in the background thread. Off, it runs only
  // when ResealStep is called (tests step through a rotation that way).
  bool background_reseal = true;
  // How long the re-seal thread waits after an error before retrying.
  absl::Duration reseal_retry_delay = absl::Seconds(1);
};

// The most tokens one ImportBatch call takes.
inline constexpr std::size_t kMaxTokenImportBatch = 10000;

inline constexpr int kDefaultTokenPageSize = 50;
inline constexpr int kMaxTokenPageSize = 500;
// List reads at most this many records per call; a filter matching few
// tokens then returns a short (even empty) page with a next_page_token.
inline constexpr int kMaxTokensScannedPerList = 5000;

class TokenVault {
 public:
  // `storage`, `keyring` and `clock` must outlive the vault. Reads the
  // counters; starts the re-seal thread when records are pending.
  static absl::StatusOr<std::unique_ptr<TokenVault>> Open(
      Storage* storage, Keyring* keyring, const Clock* clock,
      TokenVaultOptions options = {});

  TokenVault(const TokenVault&) = delete;
  TokenVault& operator=(const TokenVault&) = delete;
  // Stops the re-seal thread (after its current batch) and waits for it.
  ~TokenVault();

  // A new token, state active, version 1, create_time = rotate_time = now.
  // INVALID_ARGUMENT for a bad name, context, permission, description,
  // expire_time (not after now) or secret; ALREADY_EXISTS when a token of
  // that name exists (also a destroyed one).
  absl::StatusOr<Token> Import(const TokenImport& request);

  // Imports every token of `requests` as Import does, in ONE write
  // transaction: all are stored or none (bulk loading, e.g. migrating many
  // tokens or seeding `make bench-scale`). Errors are Import's, prefixed
  // "tokens[i]: " with the index of the first request that failed;
  // INVALID_ARGUMENT for more than kMaxTokenImportBatch requests.
  absl::Status ImportBatch(const std::vector<TokenImport>& requests);

  // Replaces the secret: version + 1, rotate_time = now; state and expiry
  // stay. FAILED_PRECONDITION for a destroyed token.
  absl::StatusOr<Token> Rotate(absl::string_view name,
                               const SecretBytes& secret);

  absl::StatusOr<Token> Get(absl::string_view name);

  // Tokens in name order, filtered. `page_size` 0 means 50; larger than 500
  // means 500; negative is INVALID_ARGUMENT. `page_token` is a previous
  // next_page_token (INVALID_ARGUMENT when it is not a token name).
  absl::StatusOr<TokenPage> List(const TokenFilter& filter, int page_size,
                                 absl::string_view page_token);

  // active <-> disabled; the state a token already has is a no-op.
  // FAILED_PRECONDITION for a destroyed token.
  absl::StatusOr<Token> Disable(absl::string_view name);
  absl::StatusOr<Token> Enable(absl::string_view name);

  // Crypto-shreds the secret; state destroyed. Destroying a destroyed token
  // is a no-op.
  absl::StatusOr<Token> Destroy(absl::string_view name);

  // The token and its secret, for one use by the signer. The caller keeps
  // the secret only as long as the call that needs it. FAILED_PRECONDITION
  // saying "disabled", "destroyed" or "expired" when the token is not usable.
  absl::StatusOr<UsableToken> OpenForUse(absl::string_view name);
  // (issue 14) OpenForUse also refuses, FAILED_PRECONDITION, a token whose
  // last known KSeF status forbids logins (KsefStatusForbidsUse: "not
  // active in KSeF (Revoked)").

  // Issue 14: records KSeF's status of the token as seen at `seen`
  // ("Pending", "Active", "Revoking", "Revoked", "Failed"); the version and
  // secret stay. Returns the token as it was before the change and after.
  // INVALID_ARGUMENT for another status; a destroyed token keeps its
  // status unchanged (no-op).
  absl::StatusOr<std::pair<Token, Token>> SetKsefStatus(
      absl::string_view name, absl::string_view status, absl::Time seen);

  // A new data key for new writes; re-sealing older records starts in the
  // background. Returns the new key's id.
  absl::StatusOr<std::uint32_t> RotateDataKey();

  // Re-wraps the keyring under a new HSM KEK (Keyring::RotateKek); tokens
  // are untouched. Returns the new KEK's URI.
  absl::StatusOr<std::string> RotateKeyEncryptionKey();

  absl::StatusOr<VaultStatus> Status();

  // Opens every stored sealed secret with the keyring (each wiped at once),
  // for `sejf vault check`: a record that does not decode or a secret that
  // does not open is listed in the result, not an error. Reads in pages;
  // cost grows with the number of tokens. Errors: storage errors.
  absl::StatusOr<SealCheck> CheckSeals();

  // One batch of re-sealing (what the background thread repeats): re-seals
  // up to reseal_batch_size records sealed under an older data key, in one
  // write transaction. Returns whether more work may remain. Safe to call
  // while the thread runs (batches are serialised).
  absl::StatusOr<bool> ResealStep();

  // Blocks until the re-seal thread has finished (returns at once when it
  // is not running). For tests and orderly shutdown.
  void WaitForReseal();

 private:
  TokenVault(Storage* storage, Keyring* keyring, const Clock* clock,
             TokenVaultOptions options);

  // Starts the re-seal thread unless it runs (or background_reseal is off).
  void StartReseal() ABSL_LOCKS_EXCLUDED(mu_);
  void ResealLoop() ABSL_LOCKS_EXCLUDED(mu_);

  // Reads, changes (via `change`, which may refuse) and writes one token in
  // a write transaction, keeping the counters in step. `before_commit` and
  // `after_commit` name crash points (common/crash_point.h) around the
  // commit; empty: none.
  template <typename Change>
  absl::StatusOr<Token> Modify(absl::string_view name, Change change,
                               absl::string_view before_commit = {},
                               absl::string_view after_commit = {});

  absl::StatusOr<Token> SetState(absl::string_view name, CredentialState state);

  // The validated record of a new token, its secret sealed at version 1.
  absl::StatusOr<TokenRecord> NewRecord(const TokenImport& request,
                                        absl::Time now);
  // Inserts `record` as token `name` in `txn` (ALREADY_EXISTS when the name
  // is taken) and counts it in `delta` (per data key).
  static absl::Status InsertNew(Transaction& txn, absl::string_view name,
                                const TokenRecord& record,
                                std::map<std::uint32_t, std::int64_t>& delta);

  Storage* const storage_;
  Keyring* const keyring_;
  const Clock* const clock_;
  const TokenVaultOptions options_;

  absl::Mutex reseal_step_mu_;  // serialises ResealStep
  std::string reseal_cursor_ ABSL_GUARDED_BY(reseal_step_mu_);
  std::int64_t resealed_this_pass_ ABSL_GUARDED_BY(reseal_step_mu_) = 0;

  absl::Mutex thread_mu_;  // guards starting and joining the thread
  std::thread reseal_thread_ ABSL_GUARDED_BY(thread_mu_);

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool reseal_running_ ABSL_GUARDED_BY(mu_) = false;
  std::string reseal_error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sejf::vault

#endif  // SEJF_VAULT_TOKENS_TOKEN_VAULT_H_
