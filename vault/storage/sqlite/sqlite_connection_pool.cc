#include "vault/storage/sqlite/sqlite_connection_pool.h"

#include "absl/strings/str_cat.h"

namespace sejf::vault {

SqliteConnectionPool::Lease::~Lease() {
  if (pool_ != nullptr) pool_->Return(std::move(connection_));
}

SqliteConnectionPool::SqliteConnectionPool(Opener open, int max_connections,
                                           absl::Duration wait_timeout)
    : open_(std::move(open)),
      max_connections_(max_connections < 1 ? 1 : max_connections),
      wait_timeout_(wait_timeout) {}

void SqliteConnectionPool::Adopt(std::unique_ptr<SqliteConnection> connection) {
  absl::MutexLock lock(&mu_);
  ++open_count_;
  idle_.push_back(std::move(connection));
}

absl::StatusOr<SqliteConnectionPool::Lease> SqliteConnectionPool::Acquire() {
  auto available = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !idle_.empty() || open_count_ < max_connections_;
  };
  {
    absl::MutexLock lock(&mu_);
    if (!mu_.AwaitWithTimeout(absl::Condition(&available), wait_timeout_)) {
      return absl::UnavailableError(absl::StrCat(
          "all ", max_connections_, " database connections stayed in use for ",
          absl::FormatDuration(wait_timeout_),
          "; retry later (transactions may be held open too long)"));
    }
    if (!idle_.empty()) {
      auto connection = std::move(idle_.back());  // the most recently used
      idle_.pop_back();
      return Lease(this, std::move(connection));
    }
    ++open_count_;  // reserve the slot while opening without the lock
  }
  absl::StatusOr<std::unique_ptr<SqliteConnection>> opened = open_();
  if (!opened.ok()) {
    absl::MutexLock lock(&mu_);
    --open_count_;
    return opened.status();
  }
  return Lease(this, *std::move(opened));
}

void SqliteConnectionPool::Return(
    std::unique_ptr<SqliteConnection> connection) {
  if (connection->InTransaction()) {
    connection.reset();  // close it outside the lock
    absl::MutexLock lock(&mu_);
    --open_count_;
    return;
  }
  absl::MutexLock lock(&mu_);
  idle_.push_back(std::move(connection));
}

}  // namespace sejf::vault
