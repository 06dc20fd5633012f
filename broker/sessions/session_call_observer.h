// Who hears about every KSeF call the sessions make, and about every change
// to the Ministry certificates that a fetched list made: the seam through
// which sejfd audits them (AuditingSessionCallObserver below appends each to
// the vault::AuditLog) and tests count them.
//
// An event names the session, its context and environment, the step that
// made the call, the RPC it served (request id and caller, when the caller
// of KsefSessions gave them) and the call itself (KsefCall: endpoint,
// KSeF reference number, HTTP status, exception codes, attempts, duration,
// outcome). Never a token, a body or a signed document.
//
// Thread-safety: observers are called from the threads calling
// KsefSessions, concurrently; implementations must be thread-safe.
#ifndef SEJF_BROKER_SESSIONS_SESSION_CALL_OBSERVER_H_
#define SEJF_BROKER_SESSIONS_SESSION_CALL_OBSERVER_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "broker/ksef_api/ksef_api.h"
#include "vault/audit/audit_log.h"

namespace sejf::broker {

// The RPC on whose behalf the sessions act, for the audit trail. Empty for
// work sejfd does on its own.
struct SessionCaller {
  std::string request_id = {};
  std::string identity = {};
};

// What made a call: "open", "refresh", "login" (an unattended login of an
// open session), "close", "mfcert-fetch" (Ministry certificates: the RPC,
// a token login's first fetch, after 21470), "mfcert-refresh" (sejfd's own
// refresh of an environment's Ministry certificates); and KSeF certificates
// (broker/lifecycle): "enroll", "enroll-poll", "revoke", "cert-status".
struct SessionCallEvent {
  std::string session = {};
  std::string context = {};
  std::string environment = {};
  std::string step = {};
  SessionCaller caller = {};
  KsefCall call = {};
};

// KSeF's list of Ministry certificates of an environment, fetched and
// stored as the complete list (MinistryCertificateStore::ImportFromKsef):
// what changed, by certificate fingerprint (lowercase hex SHA-256 of the
// DER), or why nothing was stored. `step` is who fetched: "mfcert-fetch"
// (the FetchMinistryCertificates RPC, or a token login that needed the
// certificates: then `session` and `context` name it), "mfcert-refresh"
// (sejfd's own refresh, ministry_key_refresher.h).
struct MinistryCertificatesEvent {
  std::string environment = {};
  std::string step = {};
  std::string session = {};
  std::string context = {};
  SessionCaller caller = {};
  absl::Status status = {};  // not OK: the list was refused, nothing changed
  std::vector<std::string> added = {};
  std::vector<std::string> retired = {};
  std::vector<std::string> unretired = {};
};

class SessionCallObserver {
 public:
  virtual ~SessionCallObserver() = default;
  // Called once per finished KSeF call (after the API's retries). Must not
  // block for long and must not call back into KsefSessions.
  virtual void OnKsefCall(const SessionCallEvent& event) = 0;
  // Called once per fetched list that changed what is stored, and once per
  // list that could not be stored (the same rules as OnKsefCall). A list
  // that changed nothing is not reported (its KSeF call is).
  virtual void OnMinistryCertificates(const MinistryCertificatesEvent& event) {
    (void)event;
  }
};

// The audit record of a call: operation "ksef.call", method = the endpoint
// ("POST /auth/token/refresh"), resource "sessions/<name>" (or
// "environments/<env>" for a fetch outside any session), the context,
// outcome = the call's status code name, detail = "step=refresh
// ref=20250514-AU-… http=400 codes=21301 attempts=1 ms=35" (attempts only when
// the API reports them; clipped to the audit limit), identity = the caller's,
// or "sejfd" when none; request id the caller's.
vault::AuditEvent SessionCallAuditEvent(const SessionCallEvent& event);

// The audit record of a stored (or refused) certificate list: operation
// "mfcerts.refresh", method the step, resource
// "environments/<env>/ministryCertificates", the context when a session's
// login fetched, outcome the status code name, detail "added=<fp>,<fp>
// retired=<fp> unretired=<fp>" (the lists that are not empty; on failure
// "error=<message>"; clipped to the audit limit), identity and request id
// as for SessionCallAuditEvent.
vault::AuditEvent MinistryCertificatesAuditEvent(
    const MinistryCertificatesEvent& event);

// Appends SessionCallAuditEvent of each call to `log`. A failed append does
// not fail the session operation (the KSeF call has happened; withholding
// its result would lose tokens KSeF hands out once): it is counted and its
// status kept for the daemon's health and logs.
class AuditingSessionCallObserver final : public SessionCallObserver {
 public:
  // `log` must outlive this object.
  explicit AuditingSessionCallObserver(vault::AuditLog* log) : log_(log) {}

  void OnKsefCall(const SessionCallEvent& event) override;
  void OnMinistryCertificates(const MinistryCertificatesEvent& event) override;

  std::int64_t failed_appends() const { return failed_appends_.load(); }
  absl::Status last_failure() const;

 private:
  void Append(const vault::AuditEvent& event);

  vault::AuditLog* const log_;
  std::atomic<std::int64_t> failed_appends_ = 0;
  mutable absl::Mutex mu_;
  absl::Status last_failure_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sejf::broker

#endif  // SEJF_BROKER_SESSIONS_SESSION_CALL_OBSERVER_H_
