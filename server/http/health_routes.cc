#include "server/http/health_routes.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace sejf::server {

namespace {

constexpr std::size_t kMaxReasonBytes = 200;

std::string Reason(const ReadinessCheck& check, const absl::Status& status) {
  std::string reason =
      absl::StrCat(check.name, ": ", absl::StatusCodeToString(status.code()),
                   ": ", status.message());
  if (reason.size() > kMaxReasonBytes) {
    reason.resize(kMaxReasonBytes);
    reason += "…";
  }
  // One line per reason.
  for (char& c : reason) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return reason;
}

}  // namespace

Readiness::Readiness(std::vector<ReadinessCheck> checks, const Clock* clock,
                     absl::Duration cache_for)
    : checks_(std::move(checks)), clock_(clock), cache_for_(cache_for) {}

ReadinessResult Readiness::Check() {
  absl::MutexLock lock(&mu_);
  if (clock_->Now() - checked_at_ < cache_for_) return last_;
  ReadinessResult result;
  for (const ReadinessCheck& check : checks_) {
    absl::Status status;
    try {
      status = check.check();
    } catch (...) {
      status = absl::InternalError("the check threw");
    }
    if (!status.ok()) {
      result.ready = false;
      result.reasons.push_back(Reason(check, status));
    }
  }
  last_ = result;
  checked_at_ = clock_->Now();
  return result;
}

std::vector<HttpRoute> HealthRoutes(const metrics::Registry* registry,
                                    Readiness* readiness) {
  return {
      {"GET", "/metrics",
       [registry](const HttpRequest&) {
         return HttpResponse{
             .content_type = std::string(metrics::kExpositionContentType),
             .body = registry->Render()};
       }},
      {"GET", "/healthz",
       [](const HttpRequest&) { return HttpResponse{.body = "ok\n"}; }},
      {"GET", "/readyz",
       [readiness](const HttpRequest&) {
         ReadinessResult result = readiness->Check();
         if (result.ready) return HttpResponse{.body = "ready\n"};
         return HttpResponse{
             .status = 503,
             .body = absl::StrCat(
                 "not ready: ", absl::StrJoin(result.reasons, "\nnot ready: "),
                 "\n")};
       }},
  };
}

}  // namespace sejf::server
