#include "vault/storage/sqlite/sqlite_wal_scrubber.h"

#include "absl/time/time.h"

namespace sejf::vault {

void SqliteWalScrubber::AfterTransaction(SqliteConnection& connection,
                                         bool discarded_data) {
  if (discarded_data) pending_.store(true);
  // Claimed before the attempt: a commit that discards data meanwhile sets
  // it again, and concurrent transaction ends do not all checkpoint at once.
  if (!pending_.exchange(false)) return;
  if (!connection.TruncateWal(absl::ZeroDuration()).ok()) {
    pending_.store(true);
  }
}

}  // namespace sejf::vault
