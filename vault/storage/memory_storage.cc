#include "vault/storage/memory_storage.h"

#include <cstddef>
#include <utility>

#include "common/status_macros.h"
#include "vault/storage/record_rules.h"

namespace sejf::vault {

class MemoryStorage::MemoryTransaction final : public Transaction {
 public:
  MemoryTransaction(MemoryStorage* storage, TransactionMode mode,
                    std::shared_ptr<const Map> snapshot,
                    std::optional<WriterGate::Pass> pass)
      : Transaction(mode),
        storage_(storage),
        snapshot_(std::move(snapshot)),
        pass_(std::move(pass)) {}

  // Rollback is dropping changes_; the pass goes with us, the snapshot is
  // released under the storage's lock (MemoryStorage::Release).
  ~MemoryTransaction() override { storage_->Release(snapshot_); }

 private:
  const Record* Find(const Key& key) const {
    if (auto it = changes_.find(key); it != changes_.end()) {
      return it->second ? &*it->second : nullptr;
    }
    auto it = snapshot_->find(key);
    return it == snapshot_->end() ? nullptr : &it->second;
  }

  static Key MakeKey(absl::string_view kind, absl::string_view name) {
    return Key(std::string(kind), std::string(name));
  }

  absl::StatusOr<std::optional<Record>> DoGet(absl::string_view kind,
                                              absl::string_view name) override {
    const Record* record = Find(MakeKey(kind, name));
    if (record == nullptr) return std::nullopt;
    return *record;
  }

  absl::StatusOr<Record> DoInsert(absl::string_view kind,
                                  absl::string_view name,
                                  absl::string_view data) override {
    Key key = MakeKey(kind, name);
    if (Find(key) != nullptr) return AlreadyExistsError(kind, name);
    const absl::Time now = StorageTime(storage_->clock_.Now());
    Record record{.kind = key.first,
                  .name = key.second,
                  .version = 1,
                  .data = std::string(data),
                  .create_time = now,
                  .update_time = now};
    changes_[std::move(key)] = record;
    return record;
  }

  absl::StatusOr<Record> DoUpdate(absl::string_view kind,
                                  absl::string_view name,
                                  std::int64_t expected_version,
                                  absl::string_view data) override {
    Key key = MakeKey(kind, name);
    const Record* old = Find(key);
    if (old == nullptr) return NotFoundError(kind, name);
    if (old->version != expected_version) {
      return VersionConflictError(kind, name, expected_version, old->version);
    }
    Record record = *old;
    record.version += 1;
    record.data = std::string(data);
    record.update_time = StorageTime(storage_->clock_.Now());
    changes_[std::move(key)] = record;
    return record;
  }

  absl::Status DoDelete(absl::string_view kind, absl::string_view name,
                        std::int64_t expected_version) override {
    Key key = MakeKey(kind, name);
    const Record* old = Find(key);
    if (old == nullptr) return NotFoundError(kind, name);
    if (old->version != expected_version) {
      return VersionConflictError(kind, name, expected_version, old->version);
    }
    changes_[std::move(key)] = std::nullopt;
    return absl::OkStatus();
  }

  // Merges the snapshot with the pending changes (which take precedence).
  absl::StatusOr<ListPage> DoList(absl::string_view kind,
                                  absl::string_view start_after,
                                  int limit) override {
    const Key from = MakeKey(kind, start_after);
    auto s = snapshot_->upper_bound(from);
    auto c = changes_.upper_bound(from);
    ListPage page;
    for (;;) {
      const bool s_ok = s != snapshot_->end() && s->first.first == kind;
      const bool c_ok = c != changes_.end() && c->first.first == kind;
      if (!s_ok && !c_ok) break;
      const Record* record;
      if (c_ok && (!s_ok || c->first <= s->first)) {
        if (s_ok && s->first == c->first) ++s;
        record = c->second ? &*c->second : nullptr;
        ++c;
      } else {
        record = &s->second;
        ++s;
      }
      if (record == nullptr) continue;  // deleted in this transaction
      if (page.records.size() == static_cast<std::size_t>(limit)) {
        page.next_start_after = page.records.back().name;
        break;
      }
      page.records.push_back(*record);
    }
    return page;
  }

  absl::Status DoCommit() override {
    storage_->Release(snapshot_);  // so that Apply may update in place
    if (!changes_.empty()) storage_->Apply(std::move(changes_));
    pass_.reset();
    return absl::OkStatus();
  }

  MemoryStorage* const storage_;
  std::shared_ptr<const Map> snapshot_;
  Changes changes_;
  std::optional<WriterGate::Pass> pass_;  // set for read-write
};

MemoryStorage::MemoryStorage(const Clock& clock, MemoryStorageOptions options)
    : clock_(clock), options_(options), current_(std::make_shared<Map>()) {}

absl::StatusOr<std::unique_ptr<Transaction>> MemoryStorage::Begin(
    TransactionMode mode) {
  std::optional<WriterGate::Pass> pass;
  if (mode == TransactionMode::kReadWrite) {
    ASSIGN_OR_RETURN(pass, writers_.Enter(options_.busy_timeout));
  }
  return std::make_unique<MemoryTransaction>(this, mode, Snapshot(),
                                             std::move(pass));
}

std::shared_ptr<const MemoryStorage::Map> MemoryStorage::Snapshot() {
  absl::MutexLock lock(&mu_);
  return current_;
}

void MemoryStorage::Release(std::shared_ptr<const Map>& snapshot) {
  absl::MutexLock lock(&mu_);
  snapshot.reset();
}

void MemoryStorage::Apply(Changes changes) {
  absl::MutexLock lock(&mu_);
  // Snapshots are only handed out and released under mu_, so a count of 1
  // means no reader holds this map and it may change in place; otherwise
  // copy on write.
  if (current_.use_count() != 1) current_ = std::make_shared<Map>(*current_);
  for (auto& [key, record] : changes) {
    if (record) {
      (*current_)[key] = std::move(*record);
    } else {
      current_->erase(key);
    }
  }
}

}  // namespace sejf::vault
