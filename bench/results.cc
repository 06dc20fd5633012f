#include "bench/results.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"

namespace sejf::bench {

void AddScenario(Report* report, const std::string& name, int concurrency,
                 const LoadResult& load, double server_rss_mb) {
  std::fprintf(stderr, "%-24s c=%-3d %9.1f rps  p50 %.3f ms  p99 %.3f ms\n",
               name.c_str(), concurrency, load.rps, load.p50_ms, load.p99_ms);
  if (!load.first_error.empty()) {
    std::fprintf(stderr, "  %ld errors; first: %s\n",
                 static_cast<long>(load.errors), load.first_error.c_str());
  }
  report->scenarios.push_back({.name = name,
                               .concurrency = concurrency,
                               .rps = load.rps,
                               .p50_ms = load.p50_ms,
                               .p99_ms = load.p99_ms,
                               .server_rss_mb = server_rss_mb,
                               .errors = static_cast<long>(load.errors)});
}

double Limit(double empty_rps, double sign_rps) {
  if (empty_rps <= 0 || sign_rps <= 0) return 0;
  return 1.0 / (1.0 / empty_rps + 1.0 / sign_rps);
}

double AuthXadesVsLimit(const Report& report) {
  double best = 0;
  for (const ScenarioResult& s : report.scenarios) {
    if (s.name == "auth_xades_ec_p256") best = std::max(best, s.rps);
  }
  const double limit =
      Limit(report.grpc_empty_call_rps, report.pkcs11_sign_ec_p256_rps);
  return limit > 0 ? best / limit : 0;
}

double SessionTokenVsEmptyCall(const Report& report) {
  double best = 0;
  for (const ScenarioResult& s : report.scenarios) {
    if (s.name == "session_token_cached") best = std::max(best, s.rps);
  }
  return report.grpc_empty_call_rps > 0 ? best / report.grpc_empty_call_rps : 0;
}

std::string FormatTable(const Report& report) {
  std::string out =
      absl::StrFormat("%-24s %5s %10s %9s %9s %8s %7s\n", "scenario", "conc",
                      "rps", "p50_ms", "p99_ms", "rss_mb", "errors");
  for (const ScenarioResult& s : report.scenarios) {
    absl::StrAppendFormat(&out, "%-24s %5d %10.1f %9.3f %9.3f %8.1f %7d\n",
                          s.name, s.concurrency, s.rps, s.p50_ms, s.p99_ms,
                          s.server_rss_mb, s.errors);
  }
  const double limit =
      Limit(report.grpc_empty_call_rps, report.pkcs11_sign_ec_p256_rps);
  if (limit > 0) {
    absl::StrAppendFormat(
        &out,
        "limit = 1/(1/%.1f + 1/%.1f) = %.1f rps; auth_xades_vs_limit = "
        "%.3f\n",
        report.grpc_empty_call_rps, report.pkcs11_sign_ec_p256_rps, limit,
        AuthXadesVsLimit(report));
  }
  if (const double ratio = SessionTokenVsEmptyCall(report); ratio > 0) {
    absl::StrAppendFormat(&out, "session_token_vs_empty_call = %.3f\n", ratio);
  }
  if (report.scale.has_value()) {
    const ScaleResult& s = *report.scale;
    absl::StrAppendFormat(
        &out,
        "stored tokens %d (stored in %.1f s); sejfd start-up median: empty "
        "vault %.1f ms, full vault %.1f ms\n",
        s.stored_tokens, s.seed_seconds, s.startup_ms_empty, s.startup_ms_full);
  }
  for (const std::string& note : report.notes) {
    absl::StrAppend(&out, "note: ", note, "\n");
  }
  return out;
}

std::string ToJson(const Report& report) {
  nlohmann::json scenarios = nlohmann::json::array();
  for (const ScenarioResult& s : report.scenarios) {
    scenarios.push_back({{"name", s.name},
                         {"concurrency", s.concurrency},
                         {"rps", s.rps},
                         {"p50_ms", s.p50_ms},
                         {"p99_ms", s.p99_ms},
                         {"server_rss_mb", s.server_rss_mb}});
  }
  nlohmann::json j = {{"scenarios", scenarios}, {"notes", report.notes}};
  if (report.scale.has_value()) {
    const ScaleResult& s = *report.scale;
    j["scale"] = {{"stored_tokens", s.stored_tokens},
                  {"seed_seconds", s.seed_seconds},
                  {"startup_ms_empty", s.startup_ms_empty},
                  {"startup_ms_full", s.startup_ms_full}};
  } else {
    j["baselines"] = {
        {"pkcs11_sign_ec_p256_rps", report.pkcs11_sign_ec_p256_rps},
        {"grpc_empty_call_rps", report.grpc_empty_call_rps}};
    j["ratios"] = {
        {"auth_xades_vs_limit", AuthXadesVsLimit(report)},
        {"session_token_vs_empty_call", SessionTokenVsEmptyCall(report)}};
  }
  return j.dump(2) + "\n";
}

absl::Status WriteResultsJson(const Report& report, const std::string& path) {
  std::error_code ec;
  std::filesystem::path p(path);
  if (p.has_parent_path())
    std::filesystem::create_directories(p.parent_path(), ec);
  std::ofstream out(path, std::ios::trunc);
  out << ToJson(report);
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

}  // namespace sejf::bench
