// broker::CertificateEnroller: KSeF certificates for keys in custody
// (issue 14, "Certificates"; docs/lifecycle-certificates.md).
//
//   ASSIGN_OR_RETURN(auto enroller, CertificateEnroller::Create(deps, {}));
//   ASSIGN_OR_RETURN(Enrollment e, enroller->Enroll({.key_name = "acme-auth",
//       .session = "acme", .usage = vault::KeyUsage::kAuthentication}));
//
// Enroll, through a standing session S logged in with a key (KSeF issues
// certificates only after a XAdES login, ksef-protocol.md §6.1):
//   1. GET /certificates/limits — FAILED_PRECONDITION naming the limit when
//      KSeF says no more may be requested (nothing else happens);
//   2. GET /certificates/enrollments/data — the subject;
//   3. the enrollment record (enrollment_record.h) stored, state submitting;
//   4. a new key pair generated in the HSM (KeyCustody::Generate; active,
//      but without a certificate it signs nothing: KeyCustody::UsableFor);
//   5. a CSR with exactly that subject, signed in the HSM;
//   6. POST /certificates/enrollments — the reference number stored at once
//      (state pending), before anything else;
//   7. GET /certificates/enrollments/{ref} every poll_interval, for at most
//      `wait`; at 200, POST /certificates/retrieve and the certificate
//      attached to the key (KeyCustody::AttachCertificate checks its public
//      key and keyUsage): state completed.
// When KSeF is still working after `wait`, Enroll returns the enrollment
// pending; ResumePending (the lifecycle worker's round, and its first
// round after a restart) finishes it. A refusal (status 400, 500, 550; 410
// after 30 days) makes it failed with KSeF's words; the key stays without a
// certificate (destroy it, enroll under a new name). An enrollment
// interrupted before KSeF answered the submission (state submitting after
// a crash) is marked failed by ResumePending: nobody knows whether KSeF
// accepted it. A submission whose answer was lost (KsefError
// outcome_unknown: a timeout or broken connection once it was sent, a 5xx;
// KsefHttpApi never sends it twice) is the same case: Enroll returns the
// error (UNAVAILABLE, saying what to look for in KSeF) and leaves the record
// submitting with that error, and ResumePending marks it failed likewise.
// A submission KSeF provably did not act on (no connection, 429, 503 with
// Retry-After after the retries) or refused fails the record at once.
//
// Revoke: POST /certificates/{serial}/revoke through session S, the key
// disabled, the mirrored status "Revoked", and every sejf session logged in
// with the key closed — in KSeF (DELETE /auth/sessions/current with its own
// refresh token, else DELETE /auth/sessions/{ref} with S's access token)
// and in sejf (revocation alone does not end KSeF sessions, ksef-api#424).
// A certificate KSeF already reports revoked (400 25009) is not an error.
//
// RefreshStatuses (the worker, every status_interval): POST
// /certificates/query for each completed enrollment, through its session
// (once that is closed — a revoke of the old version closes the session a
// renewal went through — an open session on the key);
// the status mirrored in the record (shown by key show/list); a Revoked,
// Blocked or Expired certificate disables its key.
//
// Renew (versions, signer/custody/key_versions.h): a successor version
// "NAME@k" of an enrolled key NAME, enrolled with Enroll's steps (limits,
// enrollment data, the version number reserved, the record "NAME@k"
// stored, the HSM key, CSR, reference stored first, poll, retrieve,
// attach; resumed by ResumePending like any enrollment) through a session
// logged in with NAME — the one named, else an open one sejf has on NAME
// in its environment, else one opened for it ("renew-NAME", in the context
// of NAME's enrollment session). The usage, algorithm and certificate name
// are version 1's. A renewal already under way (a later version pending)
// is returned as it is. Signers switch to the new version when its
// certificate is attached (KeyCustody::UsableFor).
//
// RenewDue (the worker, every round): each enrolled key whose current
// version's certificate ends within its renew_before_days (default 30, 0:
// never) and has no later enrollment under way or failed is renewed; each
// version older than the current one whose certificate has expired is
// disabled. Both audited (identity "sejfd"; operations "keys.enroll" and
// "keys.version_disabled", resource "keys/NAME").
//
// Revoke with a version revokes that version's certificate only, disables
// that version and closes the sessions logged in with its certificate (and
// those whose login certificate is unknown: recorded before sejf kept it);
// without one, every version's certificate that KSeF did not already
// report revoked, and every session on the key.
//
// Every KSeF call is reported to the sessions' observer (audited) with the
// session, step ("enroll", "enroll-poll", "revoke", "cert-status") and
// reference numbers. No message contains a token.
//
// Errors: INVALID_ARGUMENT tagged with the EnrollParams/RevokeParams field
// (key_name, session, certificate_name); NOT_FOUND: no such session or key;
// ALREADY_EXISTS: the key name is taken (names are never reused);
// FAILED_PRECONDITION: a session logged in with a token or closed, limits
// exhausted, a key without a KSeF certificate to revoke, KSeF's refusals
// (KsefError attached); the steps' own errors otherwise.
//
// Thread-safety: thread-safe; polls of one enroller are serialised.
#ifndef SEJF_BROKER_LIFECYCLE_CERTIFICATE_ENROLLER_H_
#define SEJF_BROKER_LIFECYCLE_CERTIFICATE_ENROLLER_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "broker/ksef_api/ksef_api.h"
#include "broker/lifecycle/enrollment_record.h"
#include "broker/sessions/call_recorder.h"
#include "broker/sessions/ksef_sessions.h"
#include "common/clock.h"
#include "hsm/key_store.h"
#include "signer/custody/key_custody.h"
#include "vault/audit/audit_log.h"
#include "vault/storage/storage.h"

namespace sejf::broker {

struct EnrollParams {
  std::string key_name = {};  // the new key's (credential-name rule)
  std::string session = {};   // a session logged in with a key
  vault::KeyUsage usage = vault::KeyUsage::kAuthentication;
  hsm::KeyAlgorithm algorithm = hsm::KeyAlgorithm::kEcP256;
  // KSeF's certificateName (5–100 letters, digits, ' ', '_', '-', Polish
  // letters); empty: the key's name.
  std::string certificate_name = {};
  // At most this long polling for the certificate (the caller's deadline),
  // if shorter than Options::wait.
  std::optional<absl::Duration> max_wait = std::nullopt;
  // 0..kMaxRenewBeforeDays; nullopt: kDefaultRenewBeforeDays.
  std::optional<int> renew_before_days = std::nullopt;
};

struct RenewParams {
  std::string key_name = {};  // an enrolled key (credential name)
  std::string session = {};   // optional: a session logged in with the key
  std::optional<absl::Duration> max_wait = std::nullopt;
  // Also stored as the key's setting when set (see SetRenewBeforeDays).
  std::optional<int> renew_before_days = std::nullopt;
};

struct RevokeParams {
  std::string key_name = {};
  std::string session = {};
  CertificateRevocationReason reason =
      CertificateRevocationReason::kUnspecified;
  int version = 0;  // 0: every version
};

// One version of a key, as `sejf key versions` shows it.
struct KeyVersionInfo {
  int version = 1;
  signer::Key key = {};
  std::optional<EnrollmentRecord> enrollment = std::nullopt;
  bool current = false;  // the version UsableFor signs with
};

// A key's enrollment as callers see it.
struct Enrollment {
  std::string key_name = {};
  EnrollmentRecord record = {};
};

struct RevokeResult {
  signer::Key key = {};
  std::vector<std::string> closed_sessions = {};  // sejf session names
};

class CertificateEnroller {
 public:
  // All but `observer` required; all must outlive the enroller.
  struct Deps {
    KsefSessions* sessions = nullptr;
    KsefApiDirectory* apis = nullptr;
    signer::KeyCustody* keys = nullptr;
    vault::Storage* storage = nullptr;
    const Clock* clock = nullptr;
    SessionCallObserver* observer = nullptr;
    vault::AuditLog* audit = nullptr;  // optional: RenewDue's events
  };
  struct Options {
    absl::Duration poll_interval = absl::Seconds(2);
    // How long Enroll polls before it returns the enrollment pending.
    absl::Duration wait = absl::Seconds(60);
    // How Enroll waits between polls; empty: absl::SleepFor.
    std::function<void(absl::Duration)> sleep = {};
  };

  // INVALID_ARGUMENT for a missing dependency or a negative duration.
  static absl::StatusOr<std::unique_ptr<CertificateEnroller>> Create(
      Deps deps, Options options);

  // The checks of Enroll's fields (for an adapter, before it authorizes);
  // looks nothing up.
  static absl::Status CheckEnroll(const EnrollParams& params);
  static absl::Status CheckRevoke(const RevokeParams& params);
  static absl::Status CheckRenew(const RenewParams& params);
  static absl::Status CheckRenewBeforeDays(int days);

  absl::StatusOr<Enrollment> Enroll(const EnrollParams& params,
                                    const SessionCaller& caller = {});
  absl::StatusOr<RevokeResult> Revoke(const RevokeParams& params,
                                      const SessionCaller& caller = {});

  absl::StatusOr<Enrollment> Renew(const RenewParams& params,
                                   const SessionCaller& caller = {});

  // The KSeF context Renew without a named session would renew `key_name`
  // in, for an adapter to authorize before Renew: that of the open session
  // on the key Renew would go through, else that of the session it was
  // enrolled through; nullopt when neither is known (the enrollment
  // session is gone: Renew would fail). NotEnrolledError(key_name) — the
  // answer Renew gives — for a key that is missing or was never enrolled.
  absl::StatusOr<std::optional<std::string>> RenewalContext(
      absl::string_view key_name);

  // FAILED_PRECONDITION: key `key_name` "was not enrolled through KSeF";
  // what Renew and SetRenewBeforeDays answer for a key that is missing or
  // was never enrolled here (the same for both).
  static absl::Status NotEnrolledError(absl::string_view key_name);

  // Stores `days` as the renewal setting of enrolled key `key_name`
  // (FAILED_PRECONDITION for a key not enrolled through KSeF); the record.
  absl::StatusOr<EnrollmentRecord> SetRenewBeforeDays(
      absl::string_view key_name, int days);

  // The enrollment of `key_name` (a version's name too); nullopt for a key
  // never enrolled here.
  absl::StatusOr<std::optional<Enrollment>> Get(absl::string_view key_name);

  // Every version of `key_name`, oldest first.
  absl::StatusOr<std::vector<KeyVersionInfo>> Versions(
      absl::string_view key_name);

  // The worker's renewals and expired-version disables (file comment);
  // the first error, after trying them all.
  absl::Status RenewDue();

  // One poll of every pending enrollment (and submitting ones marked
  // failed); the first error, after trying them all.
  absl::Status ResumePending();
  // The KSeF status of every completed enrollment (see the file comment);
  // the first error, after trying them all.
  absl::Status RefreshStatuses();

 private:
  CertificateEnroller(Deps deps, Options options)
      : deps_(deps), options_(std::move(options)) {}

  // One poll of a pending enrollment: the record after it.
  absl::StatusOr<EnrollmentRecord> PollOnce(absl::string_view key_name,
                                            const SessionCaller& caller);
  absl::StatusOr<std::pair<EnrollmentRecord, std::int64_t>> Read(
      absl::string_view key_name);
  // Stores `record` over `version` (0: insert); the new version.
  absl::StatusOr<std::int64_t> Write(absl::string_view key_name,
                                     const EnrollmentRecord& record,
                                     std::int64_t version);
  // Enroll's and Renew's steps after the session checks: limits, data,
  // `reserve` (the record name and version, before anything is stored),
  // the record, `generate` (the HSM key), CSR, submit, poll.
  struct Submission {
    vault::KeyUsage usage = vault::KeyUsage::kAuthentication;
    hsm::KeyAlgorithm algorithm = hsm::KeyAlgorithm::kEcP256;
    std::string certificate_name = {};
    std::optional<int> renew_before_days = std::nullopt;
    std::optional<absl::Duration> max_wait = std::nullopt;
    std::function<absl::StatusOr<std::pair<std::string, int>>()> reserve;
    std::function<absl::StatusOr<signer::Key>(absl::string_view name)> generate;
  };
  absl::StatusOr<Enrollment> Submit(const SessionInfo& session,
                                    const Submission& submission,
                                    const SessionCaller& caller);
  // An open sejf session logged in with key `key_name` in `environment`;
  // nullopt when there is none.
  absl::StatusOr<std::optional<SessionInfo>> OpenSessionOn(
      absl::string_view key_name, absl::string_view environment);
  // The session Renew goes through (see the file comment).
  absl::StatusOr<SessionInfo> RenewalSession(absl::string_view key_name,
                                             const EnrollmentRecord& first,
                                             absl::string_view named,
                                             const SessionCaller& caller);
  // Revokes one version's certificate through `session` (25009 is fine),
  // disables it and mirrors "Revoked"; the certificate's SHA-256.
  absl::StatusOr<std::string> RevokeOne(const signer::Key& version,
                                        KsefApi& api, const AccessToken& access,
                                        CallRecorder& recorder,
                                        CertificateRevocationReason reason);
  void Audit(absl::string_view operation, absl::string_view key_name,
             const absl::Status& outcome, std::string detail);
  // Every enrollment record's key name.
  absl::StatusOr<std::vector<std::string>> AllNames();
  void Sleep(absl::Duration d) const;

  const Deps deps_;
  const Options options_;
  absl::Mutex poll_mu_;  // one poll at a time
};

}  // namespace sejf::broker

#endif  // SEJF_BROKER_LIFECYCLE_CERTIFICATE_ENROLLER_H_
