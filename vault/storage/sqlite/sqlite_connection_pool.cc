#include "vault/storage/sqlite/sqlite_connection_pool.h"

#include "absl/strings/str_cat.h"

namespace sejf::vault {

SqliteConnectionPool::Lease::~Lease() {
  if (pool_ != nullptr) pool_->Return(std::move(connection_), generation_);
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
    return retired_open_ == 0 &&
           (!idle_.empty() || open_count_ < max_connections_);
  };
  std::int64_t generation;
  bool alone;
  {
    absl::MutexLock lock(&mu_);
    if (!mu_.AwaitWithTimeout(absl::Condition(&available), wait_timeout_)) {
      if (retired_open_ > 0) {
        return absl::UnavailableError(absl::StrCat(
            retired_open_,
            " database connections being replaced stayed in use for ",
            absl::FormatDuration(wait_timeout_), "; retry later"));
      }
      return absl::UnavailableError(absl::StrCat(
          "all ", max_connections_, " database connections stayed in use for ",
          absl::FormatDuration(wait_timeout_),
          "; retry later (transactions may be held open too long)"));
    }
    generation = generation_;
    if (!idle_.empty()) {
      auto connection = std::move(idle_.back());  // the most recently used
      idle_.pop_back();
      return Lease(this, std::move(connection), generation);
    }
    alone = open_count_ == 0;
    ++open_count_;  // reserve the slot while opening without the lock
  }
  absl::StatusOr<std::unique_ptr<SqliteConnection>> opened = open_(alone);
  if (!opened.ok()) {
    absl::MutexLock lock(&mu_);
    --open_count_;
    if (generation != generation_) --retired_open_;  // Retire counted it
    return opened.status();
  }
  return Lease(this, *std::move(opened), generation);
}

void SqliteConnectionPool::Retire() {
  std::vector<std::unique_ptr<SqliteConnection>> closing;
  {
    absl::MutexLock lock(&mu_);
    ++generation_;
    closing.swap(idle_);
    open_count_ -= static_cast<int>(closing.size());
    retired_open_ = open_count_;  // every lent connection is an old one
  }
  closing.clear();  // close outside the lock
}

void SqliteConnectionPool::Return(std::unique_ptr<SqliteConnection> connection,
                                  std::int64_t generation) {
  {
    absl::MutexLock lock(&mu_);
    if (generation == generation_ && !connection->InTransaction()) {
      idle_.push_back(std::move(connection));
      return;
    }
  }
  // Closed outside the lock, and counted as open until it is: a retired
  // connection's close must finish before a new one opens.
  connection.reset();
  absl::MutexLock lock(&mu_);
  --open_count_;
  if (generation != generation_) --retired_open_;  // Retire counted it
}

}  // namespace sejf::vault
