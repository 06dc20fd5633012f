// The KSeF emulator (tests/ksef_emulator/, Python) as a child process of a
// test: started on 127.0.0.1 port 0 with a state directory of its own, its
// KSeF API and its control API called with the curl CLI (so nothing of
// sejf's HTTP or TLS code is involved), stopped by the destructor.
//
//   auto emulator = KsefEmulator::Start();
//   ASSERT_TRUE(emulator.ok()) << emulator.status();
//   (*emulator)->RegisterKsefToken("tok", "Nip", "5265877635");
//   // point sejfd at (*emulator)->base_url() with ca_file tls_ca_file()
//   // and mf_trust_anchors mf_ca_file()
//   EXPECT_EQ(*(*emulator)->RequestCount("refresh"), 1);
//
// What the emulator checks and the control API are described in
// tests/ksef_emulator/README.md; the endpoint names of RequestCount are
// its stats names (challenge, xades_signature, ksef_token, auth_status,
// redeem, refresh, sessions, delete_current, delete_session,
// public_key_certificates).
//
// Thread-safety: Call, Control and the control wrappers may be called from
// several threads; Start, Stop and destruction may not race with them.
#ifndef SEJF_TESTS_TESTING_KSEF_EMULATOR_H_
#define SEJF_TESTS_TESTING_KSEF_EMULATOR_H_

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/testing/subprocess.h"
#include "common/testing/temp_dir.h"
#include "nlohmann/json.hpp"

namespace sejf::testing {

// An HTTP answer as curl saw it.
struct KsefHttpResponse {
  int status = 0;
  // Lower-case header name → value (the last one when repeated).
  std::map<std::string, std::string> headers;
  std::string body;

  // The body as JSON; discarded (is_discarded()) when it is not JSON.
  nlohmann::json Json() const;
  // The first exceptionCode of a KSeF 400 exception body, or 0.
  int ExceptionCode() const;
};

// Settings of the emulator; unset members keep their current value. Every
// member has an initializer, so designated initializers may name only some.
// Defaults: challenge 600 s, authentication token 2700 s, access token
// 900 s, refresh token 604800 s, 1 pending poll (status 100 once before the
// final status), any self-signed certificate has permission everywhere.
struct KsefEmulatorSettings {
  std::optional<double> challenge_seconds = {};
  std::optional<double> authentication_token_seconds = {};
  std::optional<double> access_token_seconds = {};
  std::optional<double> refresh_token_seconds = {};
  std::optional<int> pending_polls = {};
  std::optional<bool> self_signed_any = {};
};

// An HTTP fault for the next `count` KSeF requests whose path (e.g.
// "/v2/auth/token/refresh") matches `path_regex` (a Python regex, searched):
// wait `delay_seconds`, then answer `http_status` (0: answer normally after
// the delay). A 429 carries Retry-After: retry_after_seconds (default 1).
struct KsefHttpFault {
  std::string path_regex = ".*";
  int http_status = 0;
  std::optional<int> retry_after_seconds = {};
  double delay_seconds = 0;
  int count = 1;
};

class KsefEmulator {
 public:
  // Starts the emulator (python3 from Debian) with `state_dir` (empty: a
  // TempDir of its own) and waits for its "listening" line (up to 60 s).
  // UNAVAILABLE with its stderr when it does not start.
  static absl::StatusOr<std::unique_ptr<KsefEmulator>> Start(
      const std::string& state_dir = "");

  // Stop() if still running.
  ~KsefEmulator();
  KsefEmulator(const KsefEmulator&) = delete;
  KsefEmulator& operator=(const KsefEmulator&) = delete;

  // SIGTERM; the exit code (0 when it stopped cleanly), DEADLINE_EXCEEDED
  // when it did not exit within 10 s (it is then killed). Idempotent.
  absl::StatusOr<int> Stop();

  // "https://127.0.0.1:PORT/v2": the KSeF API base URL.
  const std::string& base_url() const { return base_url_; }
  int port() const { return port_; }
  const std::string& state_dir() const { return state_dir_; }
  // PEM of the CA that issued the emulator's TLS server certificate.
  std::string tls_ca_file() const { return state_dir_ + "/tls-ca.pem"; }
  // PEM of the "Ministry" CA that issued the published encryption
  // certificates (a trust anchor for them).
  std::string mf_ca_file() const { return state_dir_ + "/mf-ca.pem"; }
  // The `[ksef.environments.NAME]` table of a sejfd config that talks to
  // this emulator: api_url, ca_file (its TLS CA) and mf_trust_anchors (its
  // Ministry CA), ending with a newline.
  std::string EnvironmentConfig(absl::string_view name) const;
  // What the emulator wrote on stderr so far (its access log).
  std::string Stderr() const;

  // `method` base_url() + `path` with `body` (sent when not empty, with
  // `content_type`), `bearer` as "Authorization: Bearer" when not empty,
  // and extra "Name: value" `headers`. Any HTTP status is a response;
  // errors are curl's (UNAVAILABLE).
  absl::StatusOr<KsefHttpResponse> Call(
      const std::string& method, const std::string& path,
      const std::string& body = "",
      const std::string& content_type = "application/json",
      const std::string& bearer = "",
      const std::vector<std::string>& headers = {}) const;

  // The control API: `method` /_emulator/`path` with `body` (JSON; null:
  // none). The JSON answer, or FAILED_PRECONDITION with the emulator's
  // error unless it answered 200.
  absl::StatusOr<nlohmann::json> Control(
      const std::string& method, const std::string& path,
      const nlohmann::json& body = nullptr) const;

  // A KSeF token the emulator accepts, bound to the context
  // {type, value} (type: "Nip", "InternalId", …), status Active.
  absl::Status RegisterKsefToken(const std::string& token,
                                 const std::string& context_type,
                                 const std::string& context_value) const;
  // "Active", "Pending", "Revoking", "Revoked" or "Failed".
  absl::Status SetKsefTokenStatus(const std::string& token,
                                  const std::string& status) const;
  // Permission for the certificate with this SHA-256 fingerprint (hex,
  // colons allowed) in the context.
  absl::Status GrantCertificate(const std::string& sha256_fingerprint,
                                const std::string& context_type,
                                const std::string& context_value) const;
  absl::Status Configure(const KsefEmulatorSettings& settings) const;
  absl::Status QueueFault(const KsefHttpFault& fault) const;
  // The next `count` submitted authentications end in `status` (415, 425,
  // 450, 460, 470, 480, 500 or 550, or 400 as the OpenAPI examples show
  // certificate errors) after their pending polls.
  absl::Status QueueAuthStatus(int status, int count = 1) const;
  absl::Status ClearFaults() const;
  // Per-endpoint (or "other" for the sessions endpoints) limits, e.g.
  // {"challenge": {"per_second": 60}, "other": {"per_minute": 30}};
  // {} turns limiting off (the default).
  absl::Status SetRateLimits(const nlohmann::json& limits) const;
  // KSeF's published limits (ksef-protocol.md 9.2).
  absl::Status UsePublishedRateLimits() const;
  // A new Ministry certificate for `usage`; with keep_old false the old
  // ones of that usage are withdrawn (their publicKeyId gets 21470). The
  // new PublicKeyCertificate JSON.
  absl::StatusOr<nlohmann::json> RotateMinistryKey(
      bool keep_old, const std::string& usage = "KsefTokenEncryption") const;
  absl::Status RemoveMinistryKey(const std::string& public_key_id) const;
  // {"requests": {endpoint: n}, "responses": {endpoint: {status: n}}}.
  absl::StatusOr<nlohmann::json> Stats() const;
  // Requests received for `endpoint` (0 when none).
  absl::StatusOr<int> RequestCount(const std::string& endpoint) const;
  // The authentication operations (no tokens): referenceNumber, method,
  // context, status, redeemed, revoked, refreshes, refreshTokenValidUntil.
  absl::StatusOr<nlohmann::json> Operations() const;
  // Forgets operations, tokens, grants, faults, limits, stats, settings;
  // keeps the key material.
  absl::Status Reset() const;

 private:
  KsefEmulator() = default;
  absl::StatusOr<KsefHttpResponse> Curl(
      const std::string& method, const std::string& url,
      const std::string& body, const std::string& content_type,
      const std::string& bearer, const std::vector<std::string>& headers) const;
  absl::Status ControlOk(const std::string& method, const std::string& path,
                         const nlohmann::json& body) const;

  std::unique_ptr<TempDir> own_dir_;  // when no state_dir was given
  std::unique_ptr<TempDir> scratch_;  // request bodies for curl
  std::unique_ptr<Subprocess> process_;
  std::optional<int> exit_code_;
  std::string state_dir_, base_url_, control_url_;
  int port_ = 0;
  mutable std::atomic<int> next_file_{0};
};

// The emulator script (tests/ksef_emulator/ksef_emulator.py in the source
// tree).
std::string KsefEmulatorScript();

}  // namespace sejf::testing

#endif  // SEJF_TESTS_TESTING_KSEF_EMULATOR_H_
