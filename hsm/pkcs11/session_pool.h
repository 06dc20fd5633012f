// A bounded pool of logged-in PKCS#11 sessions on one token.
//
//   ASSIGN_OR_RETURN(SessionPool::Lease lease, pool.Acquire());
//   CK_RV rv = lease.functions().C_SignInit(lease.handle(), ...);
//   // the lease goes back to the pool when it goes out of scope
//
// PKCS#11 allows one operation at a time per session, so every operation
// takes a session from the pool for its duration. The pool opens
// read/write sessions lazily, at most `max_sessions` at once; a caller that
// finds them all leased waits (up to `wait_timeout`) for one to come back.
// Every session the pool opens is logged in as CKU_USER with the PIN it
// holds (login is per application and token, so this costs a round trip
// only the first time, and repeats the login after the token forgot it).
//
// Healing: a caller that sees its session fail with a device or session
// error (UNAVAILABLE from CkRvToStatus) calls MarkBroken() on the lease and
// Reset(lease.epoch()). Reset closes the idle sessions and starts a new
// epoch; leases from an older epoch are closed, not reused, when they come
// back; the next Acquire opens (and logs in) a fresh session. While the
// token stays away, Acquire answers UNAVAILABLE from C_OpenSession or
// C_Login; once it is back, Acquire works again. Object handles found
// through a session of one epoch should not be trusted in another (the
// token may have logged out, which invalidates handles of private objects).
//
// Thread-safety: thread-safe. A Lease is used by one thread at a time and
// may be moved between threads. Every Lease must be returned (destroyed)
// before the pool is destroyed.
#ifndef SEJF_HSM_PKCS11_SESSION_POOL_H_
#define SEJF_HSM_PKCS11_SESSION_POOL_H_

#include <p11-kit/pkcs11.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/secret.h"
#include "hsm/pkcs11/module.h"
#include "hsm/pkcs11/session.h"

namespace sejf::hsm::pkcs11 {

struct SessionPoolOptions {
  int max_sessions = 8;  // at least 1
  // How long Acquire waits for a session when all are leased before it
  // answers DEADLINE_EXCEEDED.
  absl::Duration wait_timeout = absl::Seconds(30);
};

class SessionPool {
 public:
  // A session taken from the pool; returns itself when destroyed. Move-only.
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&& other) noexcept;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();

    CK_SESSION_HANDLE handle() const { return session_.handle(); }
    const CK_FUNCTION_LIST& functions() const { return session_.functions(); }
    // The pool epoch this session was opened in (see Reset).
    std::uint64_t epoch() const { return epoch_; }

    // The session misbehaved: close it when it is returned.
    void MarkBroken() { broken_ = true; }

    // Logs the token in again if this session shows a public (not logged
    // in) state, e.g. after someone called C_Logout. Costs one
    // C_GetSessionInfo when logged in. Errors per Session::Login and
    // CkRvToStatus("C_GetSessionInfo").
    absl::Status EnsureLoggedIn();

   private:
    friend class SessionPool;
    Lease(SessionPool* pool, Session session, std::uint64_t epoch);
    void Return();

    SessionPool* pool_ = nullptr;
    Session session_;
    std::uint64_t epoch_ = 0;
    bool broken_ = false;
  };

  // A pool on the token labelled `token_label`, currently in `slot` of
  // `module` (which must not be null). Opens nothing yet. `user_pin` is kept
  // (in zeroing memory) to log in again. INVALID_ARGUMENT for
  // max_sessions < 1 or a negative timeout.
  static absl::StatusOr<std::unique_ptr<SessionPool>> Create(
      std::shared_ptr<const Module> module, CK_SLOT_ID slot,
      std::string token_label, SecretBytes user_pin,
      SessionPoolOptions options = {});

  // Closes every idle session. Precondition: no Lease is outstanding.
  ~SessionPool();

  SessionPool(const SessionPool&) = delete;
  SessionPool& operator=(const SessionPool&) = delete;

  // An idle session, or a newly opened and logged-in one while fewer than
  // max_sessions are open, or (after waiting) one another caller returned.
  // Errors: DEADLINE_EXCEEDED after wait_timeout with every session leased;
  // those of C_OpenSession and C_Login (UNAVAILABLE when the token is
  // away, PERMISSION_DENIED when the PIN stopped working).
  absl::StatusOr<Lease> Acquire();

  // Starts a new epoch unless one was started since `seen_epoch` (then
  // another caller already healed the pool and this does nothing): closes
  // idle sessions, marks leased ones to be closed on return, and looks the
  // token up by label again in case it moved to another slot.
  void Reset(std::uint64_t seen_epoch);

  const Module& module() const { return *module_; }
  const std::string& token_label() const { return token_label_; }

  // Statistics for tests and metrics.
  std::uint64_t epoch() const;
  int open_sessions() const;       // idle + leased (+ being opened)
  int peak_open_sessions() const;  // the most that were ever open at once
  int max_sessions() const { return options_.max_sessions; }

 private:
  SessionPool(std::shared_ptr<const Module> module, CK_SLOT_ID slot,
              std::string token_label, SecretBytes user_pin,
              SessionPoolOptions options);

  void Release(Session session, std::uint64_t epoch, bool broken);
  absl::StatusOr<Session> OpenLoggedIn(CK_SLOT_ID slot);

  const std::shared_ptr<const Module> module_;
  const std::string token_label_;
  const SecretBytes user_pin_;
  const SessionPoolOptions options_;

  mutable absl::Mutex mu_;
  std::vector<Session> idle_ ABSL_GUARDED_BY(mu_);  // all of epoch_
  int open_ ABSL_GUARDED_BY(mu_) = 0;
  int peak_open_ ABSL_GUARDED_BY(mu_) = 0;
  std::uint64_t epoch_ ABSL_GUARDED_BY(mu_) = 0;
  CK_SLOT_ID slot_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sejf::hsm::pkcs11

#endif  // SEJF_HSM_PKCS11_SESSION_POOL_H_
