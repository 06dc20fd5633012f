#include "broker/lifecycle/key_expiry_warnings.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "vault/audit/audit_event.h"

namespace sejf::broker {

std::vector<ExpiryWarning> KeyExpiryWarnings::Due(
    const std::vector<ExpiringCertificate>& certificates, absl::Time now) {
  std::vector<ExpiryWarning> due;
  for (const ExpiringCertificate& c : certificates) {
    const absl::Duration left = c.not_after - now;
    if (left <= absl::ZeroDuration()) continue;  // expired: signing refuses
    // The nearest (smallest) threshold the certificate is inside.
    int nearest = 0;
    for (int days : kExpiryWarningDays) {
      if (left <= absl::Hours(24) * days) nearest = days;
    }
    if (nearest == 0) continue;
    // Warned at this threshold already? The larger ones are passed for good.
    bool first = false;
    for (int days : kExpiryWarningDays) {
      if (days < nearest) continue;
      const bool inserted =
          warned_.insert(absl::StrCat(c.key, "\n", c.serial, "\n", days))
              .second;
      if (days == nearest) first = inserted;
    }
    if (!first) continue;
    due.push_back({.key = c.key,
                   .serial = c.serial,
                   .not_after = c.not_after,
                   .threshold_days = nearest,
                   .days_left = absl::ToInt64Hours(left) / 24});
  }
  return due;
}

absl::StatusOr<std::unique_ptr<KeyExpiryWatch>> KeyExpiryWatch::Start(
    signer::KeyCustody* keys, vault::AuditLog* audit, const Clock* clock,
    Options options) {
  if (keys == nullptr || clock == nullptr ||
      options.interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "the key expiry watch needs the keys, a clock and a positive "
        "interval");
  }
  std::unique_ptr<KeyExpiryWatch> watch(
      new KeyExpiryWatch(keys, audit, clock, std::move(options)));
  watch->Round();  // before Start returns: sejfd warns before it serves
  watch->thread_ = std::thread([w = watch.get()] { w->Loop(); });
  return watch;
}

KeyExpiryWatch::~KeyExpiryWatch() { Stop(); }

void KeyExpiryWatch::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

bool KeyExpiryWatch::WaitForRounds(std::int64_t n) const {
  absl::MutexLock lock(&mu_);
  auto done = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return stop_ || rounds_ >= n;
  };
  mu_.Await(absl::Condition(&done));
  return rounds_ >= n;
}

absl::Status KeyExpiryWatch::RunOnce() {
  absl::MutexLock round(&round_mu_);
  const absl::Time now = clock_->Now();
  std::vector<ExpiringCertificate> certificates;
  // Every credential, by the version that signs for it (a renewed key's
  // newest usable one: signer/custody/key_versions.h).
  const absl::Time horizon = now + absl::Hours(24) * kExpiryWarningDays[0];
  std::string page_token;
  do {
    absl::StatusOr<signer::KeyPage> page =
        keys_->List({}, /*page_size=*/500, page_token);
    if (!page.ok()) return page.status();
    for (const signer::Key& listed : page->keys) {
      signer::Key key = listed;
      if (listed.record.latest_version > 1) {
        absl::StatusOr<signer::Key> current = keys_->Current(listed.name);
        if (!current.ok()) return current.status();
        key = *std::move(current);
      }
      if (key.record.state != vault::CredentialState::kActive ||
          !key.record.certificate.has_value() ||
          key.record.certificate->not_after >= horizon) {
        continue;
      }
      certificates.push_back({.key = absl::StrCat("keys/", listed.name),
                              .serial = key.record.certificate->serial,
                              .not_after = key.record.certificate->not_after});
    }
    page_token = std::move(page->next_page_token);
  } while (!page_token.empty());
  for (const ExpiryWarning& w : warnings_.Due(certificates, now)) {
    if (options_.on_warning) options_.on_warning(w);
    if (audit_ == nullptr) continue;
    vault::AuditEvent event{
        .identity = "sejfd",
        .operation = "keys.expiry_warning",
        .resource = w.key,
        .outcome = "OK",
        .detail = vault::ClipAuditField(
            absl::StrCat("serial ", w.serial, " notAfter ",
                         absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", w.not_after,
                                          absl::UTCTimeZone()),
                         " days_left ", w.days_left, " threshold ",
                         w.threshold_days),
            vault::kMaxAuditDetailSize)};
    absl::StatusOr<std::int64_t> appended = audit_->Append(std::move(event));
    if (!appended.ok()) return appended.status();
  }
  return absl::OkStatus();
}

void KeyExpiryWatch::Round() {
  if (!options_.holds_duty || options_.holds_duty()) {
    absl::Status status = RunOnce();
    if (!status.ok() && options_.on_failure) options_.on_failure(status);
  }
  absl::MutexLock lock(&mu_);
  ++rounds_;
}

void KeyExpiryWatch::Loop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto stopped = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stop_; };
      mu_.AwaitWithTimeout(absl::Condition(&stopped), options_.interval);
      if (stop_) return;
    }
    Round();
  }
}

}  // namespace sejf::broker
