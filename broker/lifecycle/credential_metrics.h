// The vault's credentials as metrics (docs/metrics.md, "Vault"): how many
// keys and tokens there are by state, and when each credential's
// certificate or token expires — what an operator alerts on before a
// client's KSeF access stops.
//
//   sejf_keys{state="active",usage="authentication"}          gauge
//   sejf_tokens{state="active"}                               gauge
//   sejf_key_certificate_expiry_timestamp_seconds{key="acme-auth"}
//   sejf_token_expiry_timestamp_seconds{token="acme-token"}
//   sejf_credential_scan_failing                              0 or 1
//
// Read from storage when Prometheus scrapes, at most once per
// `min_interval` (a scrape in between sees the previous values): a scan
// lists every key and token record. Expiry series exist for keys with a
// certificate and tokens with an expiry time that are not destroyed; a
// credential destroyed or deleted loses its series at the next scan. Labels
// are credential names (not secret: they name records, as in the audit
// log); never a token, a context or a certificate. When a scan fails the
// previous values stay and sejf_credential_scan_failing is 1.
//
// Thread-safety: thread-safe. KeyCustody, TokenVault, clock and registry
// must outlive the CredentialMetrics.
#ifndef SEJF_BROKER_LIFECYCLE_CREDENTIAL_METRICS_H_
#define SEJF_BROKER_LIFECYCLE_CREDENTIAL_METRICS_H_

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/metrics/metrics.h"
#include "signer/custody/key_custody.h"
#include "vault/tokens/token_vault.h"

namespace sejf::broker {

struct CredentialMetricsOptions {
  absl::Duration min_interval = absl::Seconds(10);
};

class CredentialMetrics {
 public:
  CredentialMetrics(signer::KeyCustody* keys, vault::TokenVault* tokens,
                    const Clock* clock, metrics::Registry* registry,
                    CredentialMetricsOptions options = {});

  CredentialMetrics(const CredentialMetrics&) = delete;
  CredentialMetrics& operator=(const CredentialMetrics&) = delete;

  // One scan now, whatever min_interval says (the collector calls it when
  // due). The first error of the scan; the gauges keep their values then.
  absl::Status Refresh();

 private:
  void Collect();

  signer::KeyCustody* const keys_;
  vault::TokenVault* const tokens_;
  const Clock* const clock_;
  const CredentialMetricsOptions options_;
  metrics::GaugeFamily& key_counts_;
  metrics::GaugeFamily& token_counts_;
  metrics::GaugeFamily& key_expiry_;
  metrics::GaugeFamily& token_expiry_;
  metrics::GaugeFamily& failing_;
  absl::Mutex mu_;
  absl::Time last_scan_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  // The last member: removed first, so no scrape runs into a half-destroyed
  // object.
  metrics::CollectorHandle collector_;
};

}  // namespace sejf::broker

#endif  // SEJF_BROKER_LIFECYCLE_CREDENTIAL_METRICS_H_
