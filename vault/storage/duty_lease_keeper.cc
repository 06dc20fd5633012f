#include "vault/storage/duty_lease_keeper.h"

#include <utility>

namespace sejf::vault {

DutyLeaseKeeper::DutyLeaseKeeper(Storage* storage, const Clock* clock,
                                 std::string holder,
                                 DutyLeaseKeeperOptions options)
    : storage_(storage),
      clock_(clock),
      holder_(std::move(holder)),
      options_(std::move(options)) {}

DutyLeaseKeeper::~DutyLeaseKeeper() { Stop(); }

std::function<bool()> DutyLeaseKeeper::Duty(absl::string_view duty) {
  leases_.push_back(std::make_unique<DutyLease>(
      storage_, clock_, std::string(duty), holder_, options_.ttl));
  return [this, lease = leases_.back().get()] { return Hold(*lease); };
}

bool DutyLeaseKeeper::Hold(DutyLease& lease) {
  absl::StatusOr<bool> held = lease.TryHold();
  if (!held.ok() && options_.on_error) {
    options_.on_error(lease.duty(), held.status());
  }
  return held.ok() && *held;
}

void DutyLeaseKeeper::Heartbeat() {
  for (const std::unique_ptr<DutyLease>& lease : leases_) {
    absl::StatusOr<bool> renewed = lease->Renew();
    if (!renewed.ok() && options_.on_error) {
      options_.on_error(lease->duty(), renewed.status());
    }
  }
}

void DutyLeaseKeeper::Start() {
  thread_ = std::thread([this] {
    absl::MutexLock lock(&mu_);
    while (!stopping_) {
      mu_.Unlock();
      Heartbeat();
      mu_.Lock();
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), options_.heartbeat);
    }
  });
}

void DutyLeaseKeeper::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
  for (const std::unique_ptr<DutyLease>& lease : leases_) {
    lease->Release().IgnoreError();
  }
}

}  // namespace sejf::vault
