// WriterGate: admits one writer at a time within a process, with a bounded
// wait (no fairness guarantee beyond absl::Mutex's).
//
// Unlike holding a mutex for a transaction's lifetime, a WriterGate::Pass
// may be released from another thread than the one that acquired it.
//
// Thread-safety: WriterGate is thread-safe. A Pass is move-only and not
// thread-safe; it must not outlive its gate.
#ifndef SEJF_VAULT_STORAGE_WRITER_GATE_H_
#define SEJF_VAULT_STORAGE_WRITER_GATE_H_

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace sejf::vault {

class WriterGate {
 public:
  // Proof of admission; lets the next writer in when destroyed.
  class Pass {
   public:
    Pass(Pass&& other) noexcept : gate_(other.gate_) { other.gate_ = nullptr; }
    Pass& operator=(Pass&& other) noexcept;
    Pass(const Pass&) = delete;
    Pass& operator=(const Pass&) = delete;
    ~Pass() { Release(); }

   private:
    friend class WriterGate;
    explicit Pass(WriterGate* gate) : gate_(gate) {}
    void Release();
    WriterGate* gate_;
  };

  WriterGate() = default;
  WriterGate(const WriterGate&) = delete;
  WriterGate& operator=(const WriterGate&) = delete;

  // Waits until no other Pass exists, at most `timeout`; then UNAVAILABLE
  // saying another write transaction is still running.
  absl::StatusOr<Pass> Enter(absl::Duration timeout);

 private:
  absl::Mutex mu_;
  bool busy_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace sejf::vault

#endif  // SEJF_VAULT_STORAGE_WRITER_GATE_H_
