// The configuration of sejfd, as nested structs mirroring the sections of the
// TOML file (deploy/sejfd.example.toml documents every key). LoadConfig
// (load_config.h) fills and validates it; the daemon only reads it.
//
// Thread-safety: a plain value; safe to read from many threads once built.
#ifndef SEJF_SERVER_CONFIG_CONFIG_H_
#define SEJF_SERVER_CONFIG_CONFIG_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "server/policy/policy.h"

namespace sejf::server {

inline constexpr absl::string_view kDefaultHsmModule =
    "/usr/lib/softhsm/libsofthsm2.so";

enum class LogFormat { kText, kJson };
enum class StorageBackend { kSqlite, kMemory, kPostgres };

// "text"/"json", "sqlite"/"memory"/"postgres": the spellings used in the file.
absl::string_view LogFormatName(LogFormat format);
absl::string_view StorageBackendName(StorageBackend backend);

// [listen]. At least one listener is enabled.
struct ListenConfig {
  // "HOST:PORT" ("[::1]:7443" for IPv6); port 0 lets the system pick one.
  // Empty: no TCP listener.
  std::string tcp;
  // Absolute path of the unix socket; empty: no unix socket.
  std::string unix_socket;
};

// [tls]: mutual TLS for the TCP listener; all three set when listen.tcp is.
// Absolute paths of PEM files.
struct TlsConfig {
  std::string ca;    // CA certificates that client certificates must chain to
  std::string cert;  // the server certificate (chain)
  std::string key;   // the server private key
  // Optional: CRLs (PEM, or one DER CRL) issued by a CA of `ca`; a client
  // certificate they list is refused on every call. Re-read on SIGHUP.
  std::string crl;
};

// [hsm]: the PKCS#11 module and token.
struct HsmConfig {
  // An absolute path, or a bare library name that dlopen searches for.
  std::string module = std::string(kDefaultHsmModule);
  std::string token_label;    // the token's CKA_LABEL, ≤ 32 bytes; required
  std::string pin_file;       // absolute path of the user-PIN file; required
  std::string softhsm2_conf;  // SOFTHSM2_CONF for the module; may be empty
  // 1..3600: how long an HSM call may take before its caller is answered
  // UNAVAILABLE (hsm/bounded_key_store.h).
  int call_timeout_seconds = 10;
};

// [storage].
struct StorageConfig {
  StorageBackend backend = StorageBackend::kSqlite;
  std::string sqlite_path;  // absolute; set when backend is sqlite
  // backend "postgres" (vault/storage/postgres/, docs/storage.md):
  // postgres_url, a libpq URL or keyword string without a password
  // (vault/storage/postgres/postgres_url.h); set when backend is postgres.
  std::string postgres_url;
  // Absolute path of a file (mode 0600) holding the role's password; empty:
  // libpq's own sources (PGPASSFILE, ~/.pgpass) or none.
  std::string postgres_password_file;
  // Absolute path of a PEM CA file: TLS required, the server's certificate
  // and host name verified against it (sslmode=verify-full); empty: the
  // URL's sslmode.
  std::string postgres_ca_file;
  // 1..1000: connections kept at most (one per running transaction).
  int postgres_max_connections = 8;
  // 100..600000: how long a transaction waits for the store's write lock
  // (held by another transaction of this or another sejfd) or for a free
  // pooled connection before the call fails with UNAVAILABLE; SQLite and
  // PostgreSQL alike.
  int lock_timeout_ms = 5000;
};

// [log].
struct LogConfig {
  LogFormat format = LogFormat::kText;
};

// [server].
struct ServerConfig {
  int shutdown_grace_seconds = 10;  // > 0: how long in-flight calls may finish
  int max_threads = 64;             // > 0: the gRPC sync-server thread cap
  // server.max_request_bytes, 65536..67108864: the largest request message
  // sejfd reads; gRPC refuses a larger one with RESOURCE_EXHAUSTED before
  // reading it into memory. The default (1 MiB) holds the largest
  // legitimate requests (Ministry certificate files, certificate chains:
  // tens of kilobytes) many times over.
  int max_request_bytes = 1 << 20;
};

// [limits]: per-identity request rate limits (server/rate_limiter.h).
struct LimitsConfig {
  // limits.requests_per_second, 0..100000: each caller identity's calls
  // refill at this rate; 0 (the default): no limit.
  int requests_per_second = 0;
  // limits.burst, 0..1000000: calls an idle identity may make at once;
  // 0: as many as requests_per_second (at least 1).
  int burst = 0;
};

// [ksef.environments.NAME]: one KSeF environment ("test", "demo", "prod" or
// a custom name, [a-z0-9][a-z0-9._-]{0,63}). File only (no environment
// variables or flags). The trust keys decide which certificates are the
// Ministry's (signer/ministry/ministry_trust.h); with neither set, Ministry
// certificates of the environment are admitted only with an operator pin.
struct KsefEnvironmentConfig {
  // Absolute path of a PEM file of roots and/or intermediates the Ministry's
  // certificates must chain to; empty: none. Read (and checked) at start.
  std::string mf_trust_anchors = {};
  // SHA-256 of certificate DER, 64 lowercase hex digits (the file may spell
  // them in upper case or as AA:BB:… pairs).
  std::vector<std::string> mf_pinned_fingerprints = {};
  // Whether the body for POST /auth/ksef-token carries contextIdentifier.
  // KSeF requires it today; its removal is announced (ksef-api#741), so an
  // environment that has dropped it can be told to leave it out.
  bool token_context_identifier = true;
  // The KSeF API base URL, https:// only (broker/ksef_api/ksef_api_url.h),
  // without a trailing '/'; empty: the official one for test, demo and prod
  // (BuiltInKsefApiUrl), none for a custom name.
  std::string api_url = {};
  // Absolute path of a PEM file of extra trust anchors for the API's TLS
  // certificate (an emulator, a TLS-inspecting proxy), trusted together
  // with the system store; empty: the system store alone. Read at start.
  std::string ca_file = {};
};

// [ksef].
struct KsefConfig {
  // ksef.signing_time_skew_seconds, 0..3600: how far the SigningTime of
  // XAdES login documents is set back from now, for a clock slightly ahead
  // of KSeF's (the official C# SDK uses one minute).
  int signing_time_skew_seconds = 60;
  // The KSeF API client (broker/ksef_api/ksef_http_api.h), every
  // environment: ksef.api_connect_timeout_seconds 1..300, the whole of one
  // attempt ksef.api_timeout_seconds 1..600, ksef.api_max_attempts 1..10
  // (network errors, 5xx and 429 are retried with backoff).
  int api_connect_timeout_seconds = 10;
  int api_timeout_seconds = 30;
  int api_max_attempts = 3;
  // ksef.api_requests_per_second 0..1000: sejfd paces its requests to each
  // environment at this rate (KSeF allows 60/s per client IP on the
  // authentication endpoints); 0: unpaced.
  int api_requests_per_second = 50;
  // ksef.refresh_margin_seconds, 0..3600: a KSeF session's access token
  // with less life than this is renewed before it is handed out, and a
  // refresh token with less than this is not used (a new login instead)
  // (docs/sessions.md).
  int refresh_margin_seconds = 60;
  // ksef.token_status_interval_seconds, 1..604800: how often the status
  // watch asks KSeF about every token with a reference number (issue 14;
  // docs/lifecycle-tokens.md).
  int token_status_interval_seconds = 21600;
  // KSeF certificates (docs/lifecycle-certificates.md):
  // ksef.enrollment_wait_seconds 0..3600: how long `sejf key enroll` waits
  // for KSeF to issue before answering with the enrollment pending;
  // ksef.enrollment_poll_seconds 1..3600: how often a pending enrollment is
  // asked about (by the call, and by the lifecycle worker);
  // ksef.certificate_status_seconds 1..604800: how often the KSeF status of
  // enrolled certificates is mirrored.
  int enrollment_wait_seconds = 60;
  int enrollment_poll_seconds = 5;
  int certificate_status_seconds = 6 * 3600;
  std::map<std::string, KsefEnvironmentConfig> environments;
};

// [audit].
struct AuditConfig {
  // Absolute; empty: no export. Each signed checkpoint appended as one JSON
  // line, fsynced (for write-once storage; docs/audit.md).
  std::string checkpoint_export_file;
};

// [metrics] (issue 16; docs/metrics.md): the HTTP listener of /metrics,
// /healthz and /readyz.
struct MetricsConfig {
  // "HOST:PORT" ("[::1]:9464" for IPv6); port 0 lets the system pick one.
  // Empty (the default): no metrics listener. It has no authentication:
  // bind it to loopback or a network only Prometheus reaches.
  std::string listen;
};

// [dropoff]: one-time drop-off links (issue 15, docs/dropoff.md).
struct DropoffConfig {
  // "HOST:PORT" of the drop-off page's HTTPS listener (tls.cert, tls.key;
  // no client certificate); empty: no listener, no new links.
  std::string listen;
  // "https://host[:port]" the links start with; empty: https:// and the
  // listener's bound address.
  std::string public_url;
};

struct Config {
  bool dev = false;         // --dev: defaults under data_dir, dev-admin rule
  std::string config_file;  // absolute path of the file read; empty: none
  std::string data_dir;     // absolute; set under --dev, optional otherwise

  ListenConfig listen;
  TlsConfig tls;
  HsmConfig hsm;
  StorageConfig storage;
  LogConfig log;
  ServerConfig server;
  LimitsConfig limits;
  KsefConfig ksef;
  AuditConfig audit;
  MetricsConfig metrics;
  DropoffConfig dropoff;  // issue 15

  // The access policy ([[policy]] rules, plus dev-admin under --dev). Never
  // null in a Config returned by LoadConfig.
  std::shared_ptr<const Policy> policy;

  // For every scalar key ("listen.tcp", "data_dir", …): where its value came
  // from ("built-in default", "--dev default", "/etc/sejf.toml line 4",
  // "environment variable SEJF_LISTEN_TCP", "--listen"). For messages.
  std::map<std::string, std::string> origins;

  // Things worth logging at start-up that do not stop it (e.g. an
  // environment variable SEJF_LISTEN_TPC that names no key).
  std::vector<std::string> warnings;
};

}  // namespace sejf::server

#endif  // SEJF_SERVER_CONFIG_CONFIG_H_
