#include "hsm/pkcs11/session_pool.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "hsm/pkcs11/ck_rv.h"

namespace sejf::hsm::pkcs11 {

// ---- Lease ----------------------------------------------------------------

SessionPool::Lease::Lease(SessionPool* pool, Session session,
                          std::uint64_t epoch)
    : pool_(pool), session_(std::move(session)), epoch_(epoch) {}

SessionPool::Lease::Lease(Lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)),
      session_(std::move(other.session_)),
      epoch_(other.epoch_),
      broken_(other.broken_) {}

SessionPool::Lease& SessionPool::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    Return();
    pool_ = std::exchange(other.pool_, nullptr);
    session_ = std::move(other.session_);
    epoch_ = other.epoch_;
    broken_ = other.broken_;
  }
  return *this;
}

SessionPool::Lease::~Lease() { Return(); }

void SessionPool::Lease::Return() {
  if (pool_ == nullptr) return;
  std::exchange(pool_, nullptr)->Release(std::move(session_), epoch_, broken_);
}

absl::Status SessionPool::Lease::EnsureLoggedIn() {
  CK_SESSION_INFO info = {};
  if (CK_RV rv = functions().C_GetSessionInfo(handle(), &info); rv != CKR_OK) {
    return CkRvToStatus(rv, "C_GetSessionInfo");
  }
  if (info.state == CKS_RO_USER_FUNCTIONS ||
      info.state == CKS_RW_USER_FUNCTIONS) {
    return absl::OkStatus();
  }
  return session_.Login(CKU_USER, pool_->user_pin_);
}

// ---- SessionPool ----------------------------------------------------------

absl::StatusOr<std::unique_ptr<SessionPool>> SessionPool::Create(
    std::shared_ptr<const Module> module, CK_SLOT_ID slot,
    std::string token_label, SecretBytes user_pin, SessionPoolOptions options) {
  if (module == nullptr) {
    return absl::InvalidArgumentError("session pool: no module");
  }
  if (options.max_sessions < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("session pool: max_sessions must be at least 1, not ",
                     options.max_sessions));
  }
  if (options.wait_timeout < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "session pool: wait_timeout must not be negative");
  }
  return std::unique_ptr<SessionPool>(
      new SessionPool(std::move(module), slot, std::move(token_label),
                      std::move(user_pin), options));
}

SessionPool::SessionPool(std::shared_ptr<const Module> module, CK_SLOT_ID slot,
                         std::string token_label, SecretBytes user_pin,
                         SessionPoolOptions options)
    : module_(std::move(module)),
      token_label_(std::move(token_label)),
      user_pin_(std::move(user_pin)),
      options_(options),
      slot_(slot) {}

SessionPool::~SessionPool() {
  std::vector<Session> idle;
  {
    absl::MutexLock lock(&mu_);
    idle.swap(idle_);
  }
  // Sessions close in their destructors; failures do not matter any more.
}

absl::StatusOr<Session> SessionPool::OpenLoggedIn(CK_SLOT_ID slot) {
  absl::StatusOr<Session> session =
      Session::Open(module_, slot, Session::Access::kReadWrite);
  if (!session.ok()) return session.status();
  if (absl::Status s = session->Login(CKU_USER, user_pin_); !s.ok()) return s;
  return session;
}

absl::StatusOr<SessionPool::Lease> SessionPool::Acquire() {
  CK_SLOT_ID slot;
  std::uint64_t epoch;
  {
    absl::MutexLock lock(&mu_);
    auto available = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !idle_.empty() || open_ < options_.max_sessions;
    };
    if (!available() && !mu_.AwaitWithTimeout(absl::Condition(&available),
                                              options_.wait_timeout)) {
      return absl::DeadlineExceededError(absl::StrCat(
          "all ", options_.max_sessions, " PKCS#11 sessions on token \"",
          token_label_, "\" stayed busy for ",
          absl::FormatDuration(options_.wait_timeout)));
    }
    if (!idle_.empty()) {
      Session session = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(session), epoch_);
    }
    ++open_;
    peak_open_ = std::max(peak_open_, open_);
    slot = slot_;
    epoch = epoch_;
  }
  // Open outside the lock: it is a round trip to the token.
  absl::StatusOr<Session> session = OpenLoggedIn(slot);
  if (!session.ok()) {
    absl::MutexLock lock(&mu_);
    --open_;
    return session.status();
  }
  return Lease(this, *std::move(session), epoch);
}

void SessionPool::Release(Session session, std::uint64_t epoch, bool broken) {
  {
    absl::MutexLock lock(&mu_);
    if (!broken && epoch == epoch_ && session.is_open()) {
      idle_.push_back(std::move(session));
      return;
    }
  }
  // Close before the slot counts as free, so that at most max_sessions are
  // ever open. A broken session may fail to close; that is expected.
  session.Close().IgnoreError();
  absl::MutexLock lock(&mu_);
  --open_;
}

void SessionPool::Reset(std::uint64_t seen_epoch) {
  std::vector<Session> stale;
  {
    absl::MutexLock lock(&mu_);
    if (seen_epoch != epoch_) return;
    ++epoch_;
    stale.swap(idle_);
  }
  for (Session& session : stale) session.Close().IgnoreError();
  // The token may have come back in another slot (some modules renumber
  // slots when a token is re-inserted). If it cannot be found now, keep the
  // old slot: Acquire reports why the token cannot be reached.
  absl::StatusOr<CK_SLOT_ID> slot = module_->FindTokenSlot(token_label_);
  absl::MutexLock lock(&mu_);
  open_ -= static_cast<int>(stale.size());
  if (slot.ok()) slot_ = *slot;
}

std::uint64_t SessionPool::epoch() const {
  absl::MutexLock lock(&mu_);
  return epoch_;
}

int SessionPool::open_sessions() const {
  absl::MutexLock lock(&mu_);
  return open_;
}

int SessionPool::peak_open_sessions() const {
  absl::MutexLock lock(&mu_);
  return peak_open_;
}

}  // namespace sejf::hsm::pkcs11
