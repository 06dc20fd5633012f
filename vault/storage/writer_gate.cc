#include "vault/storage/writer_gate.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace sejf::vault {

WriterGate::Pass& WriterGate::Pass::operator=(Pass&& other) noexcept {
  if (this != &other) {
    Release();
    gate_ = std::exchange(other.gate_, nullptr);
  }
  return *this;
}

void WriterGate::Pass::Release() {
  if (gate_ == nullptr) return;
  absl::MutexLock lock(&gate_->mu_);
  gate_->busy_ = false;
  gate_ = nullptr;
}

absl::StatusOr<WriterGate::Pass> WriterGate::Enter(absl::Duration timeout) {
  auto idle = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return !busy_; };
  if (!mu_.LockWhenWithTimeout(absl::Condition(&idle), timeout)) {
    mu_.Unlock();
    return absl::UnavailableError(absl::StrCat(
        "another write transaction has been running for more than ",
        absl::FormatDuration(timeout),
        "; retry later (a transaction may be held open too long)"));
  }
  busy_ = true;
  mu_.Unlock();
  return Pass(this);
}

}  // namespace sejf::vault
