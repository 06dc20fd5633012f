#include "tests/testing/ksef_emulator.h"

#include <signal.h>

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "common/files.h"

#ifndef SEJF_KSEF_EMULATOR_SCRIPT
#error \
    "SEJF_KSEF_EMULATOR_SCRIPT must name tests/ksef_emulator/ksef_emulator.py"
#endif

namespace sejf::testing {
namespace {

constexpr char kPython[] = "/usr/bin/python3";
constexpr char kCurl[] = "/usr/bin/curl";

// A value for a curl config file line: quoted, with \ and " escaped.
std::string Quoted(const std::string& value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '\\' || c == '"') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

}  // namespace

std::string KsefEmulatorScript() { return SEJF_KSEF_EMULATOR_SCRIPT; }

nlohmann::json KsefHttpResponse::Json() const {
  return nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
}

int KsefHttpResponse::ExceptionCode() const {
  nlohmann::json json = Json();
  if (!json.is_object()) return 0;
  const nlohmann::json* list = nullptr;
  if (json.contains("exception") &&
      json["exception"].contains("exceptionDetailList")) {
    list = &json["exception"]["exceptionDetailList"];
    if (list->is_array() && !list->empty() &&
        (*list)[0].contains("exceptionCode")) {
      return (*list)[0]["exceptionCode"].get<int>();
    }
  }
  if (json.contains("errors") && json["errors"].is_array() &&
      !json["errors"].empty() && json["errors"][0].contains("code")) {
    return json["errors"][0]["code"].get<int>();
  }
  return 0;
}

absl::StatusOr<std::unique_ptr<KsefEmulator>> KsefEmulator::Start(
    const std::string& state_dir) {
  std::unique_ptr<KsefEmulator> e(new KsefEmulator());
  if (state_dir.empty()) {
    e->own_dir_ = std::make_unique<TempDir>();
    e->state_dir_ = e->own_dir_->path() + "/state";
  } else {
    e->state_dir_ = state_dir;
  }
  e->scratch_ = std::make_unique<TempDir>();
  e->process_ = std::make_unique<Subprocess>(
      std::vector<std::string>{kPython, KsefEmulatorScript(), "--state-dir",
                               e->state_dir_, "--port", "0"},
      std::map<std::string, std::string>{},
      e->scratch_->Path("emulator.stderr"));
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (e->base_url_.empty()) {
    std::optional<std::string> line =
        e->process_->ReadLine(deadline - absl::Now());
    if (!line) {
      return absl::UnavailableError(absl::StrCat(
          "the KSeF emulator did not start; stderr:\n", e->Stderr()));
    }
    absl::string_view rest = *line;
    if (absl::ConsumePrefix(&rest, "listening ")) {
      e->base_url_ = std::string(rest);
    }
  }
  absl::string_view url = e->base_url_;
  absl::string_view port = url.substr(url.rfind(':') + 1);
  port = port.substr(0, port.find('/'));
  if (!absl::SimpleAtoi(port, &e->port_)) {
    return absl::InternalError(
        absl::StrCat("unexpected listening line: ", e->base_url_));
  }
  e->control_url_ = absl::StrCat("https://127.0.0.1:", e->port_, "/_emulator");
  return e;
}

KsefEmulator::~KsefEmulator() { (void)Stop(); }

absl::StatusOr<int> KsefEmulator::Stop() {
  if (exit_code_) return *exit_code_;
  if (!process_) return absl::FailedPreconditionError("not started");
  process_->Signal(SIGTERM);
  std::optional<int> code = process_->Wait(absl::Seconds(10));
  if (!code) {
    process_->Signal(SIGKILL);
    exit_code_ = process_->Wait(absl::Seconds(10)).value_or(-1);
    return absl::DeadlineExceededError(
        "the KSeF emulator did not exit on SIGTERM");
  }
  exit_code_ = *code;
  return *code;
}

std::string KsefEmulator::Stderr() const {
  return ReadFile(scratch_->Path("emulator.stderr")).value_or("");
}

absl::StatusOr<KsefHttpResponse> KsefEmulator::Curl(
    const std::string& method, const std::string& url, const std::string& body,
    const std::string& content_type, const std::string& bearer,
    const std::vector<std::string>& headers) const {
  // Options go in a config on stdin, so no bearer token is in an argv.
  std::string config =
      absl::StrCat("url = ", Quoted(url), "\nrequest = ", Quoted(method),
                   "\ncacert = ", Quoted(tls_ca_file()),
                   "\nnoproxy = \"*\"\nsilent\nshow-error\nmax-time = 120\n",
                   "write-out = \"%{stderr}%{http_code}\\n%{header_json}\"\n");
  if (!body.empty()) {
    const std::string path =
        scratch_->Write(absl::StrCat("body-", next_file_++), body);
    absl::StrAppend(&config, "data-binary = ", Quoted("@" + path), "\n",
                    "header = ", Quoted("Content-Type: " + content_type), "\n");
  }
  if (!bearer.empty()) {
    absl::StrAppend(
        &config, "header = ", Quoted("Authorization: Bearer " + bearer), "\n");
  }
  for (const std::string& h : headers) {
    absl::StrAppend(&config, "header = ", Quoted(h), "\n");
  }
  CommandResult r = RunCommand({kCurl, "--config", "-"}, {}, config);
  if (r.exit_code != 0) {
    return absl::UnavailableError(
        absl::StrCat("curl ", method, " ", url, " failed: ", r.err));
  }
  KsefHttpResponse response;
  response.body = std::move(r.out);
  const size_t newline = r.err.find('\n');
  if (newline == std::string::npos ||
      !absl::SimpleAtoi(r.err.substr(0, newline), &response.status)) {
    return absl::InternalError(absl::StrCat("unexpected curl output: ", r.err));
  }
  nlohmann::json headers_json =
      nlohmann::json::parse(r.err.substr(newline + 1), nullptr, false);
  if (headers_json.is_object()) {
    for (const auto& [name, values] : headers_json.items()) {
      if (values.is_array() && !values.empty()) {
        response.headers[absl::AsciiStrToLower(name)] =
            values.back().get<std::string>();
      }
    }
  }
  return response;
}

absl::StatusOr<KsefHttpResponse> KsefEmulator::Call(
    const std::string& method, const std::string& path, const std::string& body,
    const std::string& content_type, const std::string& bearer,
    const std::vector<std::string>& headers) const {
  return Curl(method, base_url_ + path, body, content_type, bearer, headers);
}

absl::StatusOr<nlohmann::json> KsefEmulator::Control(
    const std::string& method, const std::string& path,
    const nlohmann::json& body) const {
  absl::StatusOr<KsefHttpResponse> r =
      Curl(method, absl::StrCat(control_url_, "/", path),
           body.is_null() ? "" : body.dump(), "application/json", "", {});
  if (!r.ok()) return r.status();
  if (r->status != 200) {
    return absl::FailedPreconditionError(absl::StrCat(
        "emulator control ", method, " ", path, ": ", r->status, " ", r->body));
  }
  nlohmann::json json = r->Json();
  if (json.is_discarded()) {
    return absl::InternalError(absl::StrCat("not JSON: ", r->body));
  }
  return json;
}

absl::Status KsefEmulator::ControlOk(const std::string& method,
                                     const std::string& path,
                                     const nlohmann::json& body) const {
  return Control(method, path, body).status();
}

absl::Status KsefEmulator::RegisterKsefToken(
    const std::string& token, const std::string& context_type,
    const std::string& context_value) const {
  return ControlOk(
      "POST", "ksef-tokens",
      {{"token", token},
       {"context", {{"type", context_type}, {"value", context_value}}}});
}

absl::Status KsefEmulator::SetKsefTokenStatus(const std::string& token,
                                              const std::string& status) const {
  return ControlOk("POST", "ksef-tokens/status",
                   {{"token", token}, {"status", status}});
}

absl::Status KsefEmulator::GrantCertificate(
    const std::string& sha256_fingerprint, const std::string& context_type,
    const std::string& context_value) const {
  return ControlOk(
      "POST", "permissions",
      {{"fingerprint", sha256_fingerprint},
       {"context", {{"type", context_type}, {"value", context_value}}}});
}

absl::Status KsefEmulator::Configure(
    const KsefEmulatorSettings& settings) const {
  nlohmann::json body = nlohmann::json::object();
  if (settings.challenge_seconds)
    body["challenge_seconds"] = *settings.challenge_seconds;
  if (settings.authentication_token_seconds)
    body["authentication_token_seconds"] =
        *settings.authentication_token_seconds;
  if (settings.access_token_seconds)
    body["access_token_seconds"] = *settings.access_token_seconds;
  if (settings.refresh_token_seconds)
    body["refresh_token_seconds"] = *settings.refresh_token_seconds;
  if (settings.pending_polls) body["pending_polls"] = *settings.pending_polls;
  if (settings.self_signed_any)
    body["self_signed_any"] = *settings.self_signed_any;
  return ControlOk("POST", "settings", body);
}

absl::Status KsefEmulator::QueueFault(const KsefHttpFault& fault) const {
  nlohmann::json body = {{"path_regex", fault.path_regex},
                         {"delay_seconds", fault.delay_seconds},
                         {"count", fault.count}};
  if (fault.http_status != 0) body["http_status"] = fault.http_status;
  if (fault.retry_after_seconds)
    body["retry_after"] = *fault.retry_after_seconds;
  return ControlOk("POST", "faults", body);
}

absl::Status KsefEmulator::QueueAuthStatus(int status, int count) const {
  return ControlOk("POST", "faults",
                   {{"next_auth_status", status}, {"count", count}});
}

absl::Status KsefEmulator::ClearFaults() const {
  return ControlOk("DELETE", "faults", nullptr);
}

absl::Status KsefEmulator::SetRateLimits(const nlohmann::json& limits) const {
  return ControlOk("POST", "rate-limits", {{"limits", limits}});
}

absl::Status KsefEmulator::UsePublishedRateLimits() const {
  return ControlOk("POST", "rate-limits", {{"published", true}});
}

absl::StatusOr<nlohmann::json> KsefEmulator::RotateMinistryKey(
    bool keep_old, const std::string& usage) const {
  return Control("POST", "ministry-keys/rotate",
                 {{"keep_old", keep_old}, {"usage", usage}});
}

absl::Status KsefEmulator::RemoveMinistryKey(
    const std::string& public_key_id) const {
  return ControlOk("POST", "ministry-keys/remove",
                   {{"publicKeyId", public_key_id}});
}

absl::StatusOr<nlohmann::json> KsefEmulator::Stats() const {
  return Control("GET", "stats");
}

absl::StatusOr<int> KsefEmulator::RequestCount(
    const std::string& endpoint) const {
  absl::StatusOr<nlohmann::json> stats = Stats();
  if (!stats.ok()) return stats.status();
  const nlohmann::json& requests = (*stats)["requests"];
  return requests.contains(endpoint) ? requests[endpoint].get<int>() : 0;
}

absl::StatusOr<nlohmann::json> KsefEmulator::Operations() const {
  return Control("GET", "operations");
}

absl::Status KsefEmulator::Reset() const {
  return ControlOk("POST", "reset", nullptr);
}

std::string KsefEmulator::EnvironmentConfig(absl::string_view name) const {
  return absl::StrCat("[ksef.environments.", name, "]\napi_url = \"", base_url_,
                      "\"\nca_file = \"", tls_ca_file(),
                      "\"\nmf_trust_anchors = \"", mf_ca_file(), "\"\n");
}

}  // namespace sejf::testing
