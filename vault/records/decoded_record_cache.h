// DecodedRecordCache<T>: remembers how each record's stored bytes decoded,
// so a record read again unchanged is not parsed again.
//
//   DecodedRecordCache<KeyRecord> cache;
//   ASSIGN_OR_RETURN(KeyRecord key,
//                    cache.Decode(record.name, record.data, DecodeKeyRecord));
//
// The cache never answers for storage: callers still read the record every
// time (so a change made by another replica is seen at once) and hand its
// bytes in. An entry is used only when those bytes are exactly the bytes it
// was decoded from, so the result is always what `decode(data)` returns now;
// other bytes are decoded afresh and replace the entry. Failed decodings are
// not kept. At most `capacity` names are kept; when full, all are forgotten.
// Keep only records without plaintext secrets in it (key metadata; never an
// unsealed token).
//
// Thread-safety: thread-safe.
#ifndef SEJF_VAULT_RECORDS_DECODED_RECORD_CACHE_H_
#define SEJF_VAULT_RECORDS_DECODED_RECORD_CACHE_H_

#include <algorithm>
#include <cstddef>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace sejf::vault {

template <typename T>
class DecodedRecordCache {
 public:
  explicit DecodedRecordCache(std::size_t capacity = 1024)
      : capacity_(std::max<std::size_t>(capacity, 1)) {}

  // decode(data), reusing the last result for `name` when `data` is the same.
  absl::StatusOr<T> Decode(
      absl::string_view name, absl::string_view data,
      absl::FunctionRef<absl::StatusOr<T>(absl::string_view)> decode) {
    {
      absl::ReaderMutexLock lock(&mu_);
      auto it = entries_.find(name);
      if (it != entries_.end() && it->second.data == data) {
        return it->second.value;
      }
    }
    absl::StatusOr<T> value = decode(data);
    if (!value.ok()) return value;
    absl::MutexLock lock(&mu_);
    if (entries_.size() >= capacity_ && !entries_.contains(name)) {
      entries_.clear();
    }
    entries_.insert_or_assign(std::string(name),
                              Entry{std::string(data), *value});
    return value;
  }

  std::size_t size() const {
    absl::ReaderMutexLock lock(&mu_);
    return entries_.size();
  }

 private:
  struct Entry {
    std::string data;  // the bytes `value` was decoded from
    T value;
  };
  const std::size_t capacity_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sejf::vault

#endif  // SEJF_VAULT_RECORDS_DECODED_RECORD_CACHE_H_
