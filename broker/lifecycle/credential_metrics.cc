#include "broker/lifecycle/credential_metrics.h"

#include <map>
#include <optional>
#include <string>
#include <utility>

#include "vault/records/key_record.h"

namespace sejf::broker {

namespace {

double UnixSeconds(absl::Time t) {
  return absl::ToDoubleSeconds(t - absl::UnixEpoch());
}

}  // namespace

CredentialMetrics::CredentialMetrics(signer::KeyCustody* keys,
                                     vault::TokenVault* tokens,
                                     const Clock* clock,
                                     metrics::Registry* registry,
                                     CredentialMetricsOptions options)
    : keys_(keys),
      tokens_(tokens),
      clock_(clock),
      options_(options),
      key_counts_(registry->AddGauge("sejf_keys",
                                     "Keys in custody by state and usage.",
                                     {"state", "usage"})),
      token_counts_(registry->AddGauge(
          "sejf_tokens", "KSeF tokens in the vault by state.", {"state"})),
      key_expiry_(registry->AddGauge(
          "sejf_key_certificate_expiry_timestamp_seconds",
          "When the certificate of a key that is not destroyed expires "
          "(notAfter, Unix time).",
          {"key"})),
      token_expiry_(registry->AddGauge(
          "sejf_token_expiry_timestamp_seconds",
          "When a KSeF token that is not destroyed expires (Unix time); "
          "tokens without an expiry have no series.",
          {"token"})),
      failing_(registry->AddGauge(
          "sejf_credential_scan_failing",
          "1 when the last scan of keys and tokens for these metrics failed "
          "(the values shown are older), else 0.")) {
  collector_ = registry->AddCollector([this] { Collect(); });
}

void CredentialMetrics::Collect() {
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = clock_->Now();
    if (now - last_scan_ < options_.min_interval) return;
    last_scan_ = now;
  }
  Refresh().IgnoreError();
}

absl::Status CredentialMetrics::Refresh() {
  std::map<std::pair<std::string, std::string>, int> key_counts;
  std::map<std::string, double> key_expiry;
  std::string token;
  absl::Status error;
  do {
    absl::StatusOr<signer::KeyPage> page = keys_->List({}, 500, token);
    if (!page.ok()) {
      error = page.status();
      break;
    }
    for (const signer::Key& key : page->keys) {
      const vault::KeyRecord& r = key.record;
      ++key_counts[{std::string(vault::CredentialStateName(r.state)),
                    std::string(vault::KeyUsageName(r.usage))}];
      if (r.state == vault::CredentialState::kDestroyed) continue;
      // A renewed key signs with its newest usable version: that one's
      // certificate is the key's (signer/custody/key_versions.h).
      std::optional<vault::KeyCertificate> certificate = r.certificate;
      if (r.latest_version > 1) {
        absl::StatusOr<signer::Key> current = keys_->Current(key.name);
        if (current.ok()) certificate = current->record.certificate;
      }
      if (certificate) {
        key_expiry[key.name] = UnixSeconds(certificate->not_after);
      }
    }
    token = page->next_page_token;
  } while (!token.empty());

  std::map<std::string, int> token_counts;
  std::map<std::string, double> token_expiry;
  token.clear();
  while (error.ok()) {
    absl::StatusOr<vault::TokenPage> page = tokens_->List({}, 500, token);
    if (!page.ok()) {
      error = page.status();
      break;
    }
    for (const vault::Token& t : page->tokens) {
      ++token_counts[std::string(vault::CredentialStateName(t.record.state))];
      if (t.record.state != vault::CredentialState::kDestroyed &&
          t.record.expire_time) {
        token_expiry[t.name] = UnixSeconds(*t.record.expire_time);
      }
    }
    token = page->next_page_token;
    if (token.empty()) break;
  }

  if (!error.ok()) {
    failing_.WithLabels({}).Set(1);
    return error;
  }
  failing_.WithLabels({}).Set(0);
  // Every state shows, 0 included, so a rule can compare against it.
  key_counts_.Clear();
  for (vault::CredentialState state :
       {vault::CredentialState::kActive, vault::CredentialState::kDisabled,
        vault::CredentialState::kDestroyed}) {
    for (vault::KeyUsage usage :
         {vault::KeyUsage::kAuthentication, vault::KeyUsage::kOffline}) {
      key_counts_
          .WithLabels({std::string(vault::CredentialStateName(state)),
                       std::string(vault::KeyUsageName(usage))})
          .Set(0);
    }
    token_counts_.WithLabels({std::string(vault::CredentialStateName(state))})
        .Set(0);
  }
  for (const auto& [labels, count] : key_counts) {
    key_counts_.WithLabels({labels.first, labels.second}).Set(count);
  }
  for (const auto& [state, count] : token_counts) {
    token_counts_.WithLabels({state}).Set(count);
  }
  key_expiry_.Clear();
  for (const auto& [name, at] : key_expiry)
    key_expiry_.WithLabels({name}).Set(at);
  token_expiry_.Clear();
  for (const auto& [name, at] : token_expiry) {
    token_expiry_.WithLabels({name}).Set(at);
  }
  return absl::OkStatus();
}

}  // namespace sejf::broker
