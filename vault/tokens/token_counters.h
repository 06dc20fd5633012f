// Counters the token vault keeps so that its status never needs a scan of
// every token: how many token records hold a secret sealed under each data
// key. Updated in the same transaction as every token write, so they are
// exact; read in one lookup.
//
// Stored as kind kTokenCountersKind, name kTokenCountersName, JSON:
//   {"format":1, "sealed_by_dek":{"1":1200, "2":35}}
// (data key id -> number of token records sealed under it; zero counts are
// dropped). A missing record means all zero.
//
// Thread-safety: pure functions; the transaction's own rules apply.
#ifndef SEJF_VAULT_TOKENS_TOKEN_COUNTERS_H_
#define SEJF_VAULT_TOKENS_TOKEN_COUNTERS_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "vault/storage/storage.h"

namespace sejf::vault {

inline constexpr absl::string_view kTokenCountersKind = "token_meta";
inline constexpr absl::string_view kTokenCountersName = "counters";

struct TokenCounters {
  std::map<std::uint32_t, std::int64_t> sealed_by_dek = {};

  // Records holding a sealed secret (every token not destroyed).
  std::int64_t Total() const;
  // Those sealed under a data key other than `current_dek`.
  std::int64_t NotUnder(std::uint32_t current_dek) const;
};

std::string EncodeTokenCounters(const TokenCounters& counters);
// DATA_LOSS when damaged.
absl::StatusOr<TokenCounters> DecodeTokenCounters(absl::string_view data);

// The counters as `txn` sees them (all zero when there is no record yet).
absl::StatusOr<TokenCounters> ReadTokenCounters(Transaction& txn);

// Adds `delta` (per data key id) to the stored counters within `txn`.
// DATA_LOSS when a count would drop below zero (the counters are out of
// step with the records).
absl::Status AddToTokenCounters(
    Transaction& txn, const std::map<std::uint32_t, std::int64_t>& delta);

}  // namespace sejf::vault

#endif  // SEJF_VAULT_TOKENS_TOKEN_COUNTERS_H_
