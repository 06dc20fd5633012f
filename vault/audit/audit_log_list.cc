// AuditLog::List: filtered, paginated reading of the event rows.
#include <algorithm>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "vault/audit/audit_log.h"

namespace sejf::vault {
namespace {

constexpr int kDefaultPageSize = 100;
constexpr int kMaxPageSize = 1000;
// Rows read per List call at most; a sparse filter then returns a short
// page with a token rather than scanning the whole log in one call.
constexpr std::int64_t kMaxRowsScanned = 20000;

bool Matches(const AuditFilter& filter, const AuditEvent& event) {
  return (!filter.start_time || event.time >= *filter.start_time) &&
         (filter.identity.empty() || event.identity == filter.identity) &&
         (filter.operation.empty() || event.operation == filter.operation) &&
         (filter.outcome.empty() || event.outcome == filter.outcome);
}

absl::StatusOr<AuditEvent> ReadRow(const Record& record) {
  absl::StatusOr<DecodedAuditRow> row = DecodeAuditEventRow(record.data);
  if (!row.ok()) {
    return absl::DataLossError(
        absl::StrCat("audit event ", record.name,
                     " does not parse (run `sejf audit verify`)"));
  }
  return std::move(row->event);
}

// The smallest sequence in [first, last] whose time is >= `start`, or
// last + 1. Times are nondecreasing along the sequence (Append makes them
// so), which is what makes the binary search valid; on a tampered log it
// merely finds a worse starting point. A missing row ends the search early
// at `first` (a plain scan from there is always correct).
absl::StatusOr<std::int64_t> FirstAtOrAfter(Transaction& txn,
                                            std::int64_t first,
                                            std::int64_t last,
                                            absl::Time start) {
  std::int64_t lo = first;
  std::int64_t hi = last + 1;
  while (lo < hi) {
    std::int64_t mid = lo + (hi - lo) / 2;
    ASSIGN_OR_RETURN(std::optional<Record> record,
                     txn.Get(kAuditEventKind, AuditSequenceName(mid)));
    if (!record) return first;
    ASSIGN_OR_RETURN(AuditEvent event, ReadRow(*record));
    if (event.time >= start) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

}  // namespace

absl::StatusOr<AuditPage> AuditLog::List(const AuditFilter& filter,
                                         int page_size,
                                         absl::string_view page_token) {
  if (page_size < 0) {
    return absl::InvalidArgumentError("page_size must not be negative");
  }
  const std::size_t size = static_cast<std::size_t>(
      page_size == 0 ? kDefaultPageSize : std::min(page_size, kMaxPageSize));
  if (!filter.outcome.empty() && !IsAuditOutcome(filter.outcome)) {
    return absl::InvalidArgumentError(
        "outcome must be a status code name such as \"OK\" or "
        "\"PERMISSION_DENIED\"");
  }
  if (filter.start_time && filter.end_time &&
      *filter.end_time < *filter.start_time) {
    return absl::InvalidArgumentError("end_time must not be before start_time");
  }
  std::int64_t after = 0;
  if (!page_token.empty()) {
    absl::StatusOr<std::int64_t> sequence = ParseAuditSequenceName(page_token);
    if (!sequence.ok()) {
      return absl::InvalidArgumentError(
          "page_token is not a next_page_token from a previous page");
    }
    after = *sequence;
  }

  std::int64_t last = 0;
  {
    absl::MutexLock lock(&mu_);
    last = durable_sequence_;  // durable before the snapshot below
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Transaction> txn,
                   storage_->Begin(TransactionMode::kReadOnly));
  if (filter.start_time && after < last) {
    ASSIGN_OR_RETURN(std::int64_t first,
                     FirstAtOrAfter(*txn, after + 1, last, *filter.start_time));
    after = first - 1;
  }

  AuditPage page;
  std::int64_t scanned = 0;
  ListOptions options{.start_after = after > 0 ? AuditSequenceName(after) : "",
                      .limit = kMaxListLimit};
  for (;;) {
    ASSIGN_OR_RETURN(ListPage rows, txn->List(kAuditEventKind, options));
    for (std::size_t i = 0; i < rows.records.size(); ++i) {
      const Record& record = rows.records[i];
      ASSIGN_OR_RETURN(AuditEvent event, ReadRow(record));
      // Times only grow: nothing after this matches either.
      if (filter.end_time && event.time >= *filter.end_time) return page;
      ++scanned;
      if (Matches(filter, event)) page.events.push_back(std::move(event));
      bool more = i + 1 < rows.records.size() || rows.next_start_after;
      if (!more) return page;
      if (page.events.size() == size || scanned >= kMaxRowsScanned) {
        page.next_page_token = record.name;
        return page;
      }
    }
    if (!rows.next_start_after) return page;
    options.start_after = *rows.next_start_after;
  }
}

}  // namespace sejf::vault
