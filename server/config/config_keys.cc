#include "server/config/config_keys.h"

#include <climits>
#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/status_macros.h"
#include "server/config/host_port.h"
#include "vault/storage/postgres/postgres_url.h"

namespace sejf::server {
namespace {

// sockaddr_un::sun_path is 108 bytes including the terminating NUL.
constexpr std::size_t kMaxUnixSocketPath = 107;
// CK_TOKEN_INFO.label is 32 bytes, blank padded.
constexpr std::size_t kMaxTokenLabel = 32;
// An hour: far beyond any clock drift NTP leaves; more hides a broken clock.
constexpr std::int64_t kMaxSigningTimeSkewSeconds = 3600;

absl::Status Ok() { return absl::OkStatus(); }

absl::Status PositiveInt(std::int64_t value, int* out) {
  if (value <= 0) return absl::InvalidArgumentError("must be positive");
  if (value > INT_MAX) {
    return absl::InvalidArgumentError(
        absl::StrCat("must be at most ", INT_MAX));
  }
  *out = static_cast<int>(value);
  return Ok();
}

absl::Status IntInRange(std::int64_t value, int min, int max, int* out) {
  if (value < min || value > max) {
    return absl::InvalidArgumentError(absl::StrCat("must be ", min, "..", max));
  }
  *out = static_cast<int>(value);
  return Ok();
}

// Captureless lambdas: the table holds plain function pointers.
const KeySpec kKeys[] = {
    {"data_dir", KeyType::kPath,
     [](Config& c, const std::string& v) {
       c.data_dir = v;
       return Ok();
     },
     nullptr, [](const Config& c) { return c.data_dir; }},

    {"listen.tcp", KeyType::kString,
     [](Config& c, const std::string& v) {
       if (!v.empty()) {
         if (auto parsed = ParseHostPort(v); !parsed.ok()) {
           return parsed.status();
         }
       }
       c.listen.tcp = v;
       return Ok();
     },
     nullptr, [](const Config& c) { return c.listen.tcp; }},
    {"listen.unix_socket", KeyType::kPath,
     [](Config& c, const std::string& v) {
       if (v.size() > kMaxUnixSocketPath) {
         return absl::InvalidArgumentError(
             absl::StrCat("is ", v.size(),
                          " bytes long; a unix socket path may have at "
                          "most ",
                          kMaxUnixSocketPath));
       }
       c.listen.unix_socket = v;
       return Ok();
     },
     nullptr, [](const Config& c) { return c.listen.unix_socket; }},

    {"tls.ca", KeyType::kPath,
     [](Config& c, const std::string& v) {
       c.tls.ca = v;
       return Ok();
     },
     nullptr, [](const Config& c) { return c.tls.ca; }},
    {"tls.cert", KeyType::kPath,
     [](Config& c, const std::string& v) {
       c.tls.cert = v;
       return Ok();
     },
     nullptr, [](const Config& c) { return c.tls.cert; }},
    {"tls.key", KeyType::kPath,
     [](Config& c, const std::string& v) {
       c.tls.key = v;
       return Ok();
     },
     nullptr, [](const Config& c) { return c.tls.key; }},
    {"tls.crl", KeyType::kPath,
     [](Config& c, const std::string& v) {
       c.tls.crl = v;
       return Ok();
     },
     nullptr, [](const Config& c) { return c.tls.crl; }},

    {"hsm.module", KeyType::kLibrary,
     [](Config& c, const std::string& v) {
       if (v.empty()) {
         return absl::InvalidArgumentError(
             "must name a PKCS#11 module (default " +
             std::string(kDefaultHsmModule) + ")");
       }
       c.hsm.module = v;
       return Ok();
     },
     nullptr, [](const Config& c) { return c.hsm.module; }},
    {"hsm.token_label", KeyType::kString,
     [](Config& c, const std::string& v) {
       if (v.size() > kMaxTokenLabel) {
         return absl::InvalidArgumentError(absl::StrCat(
             "is ", v.size(), " bytes long; a PKCS#11 token label has at most ",
             kMaxTokenLabel));
       }
       c.hsm.token_label = v;
       return Ok();
     },
     nullptr, [](const Config& c) { return c.hsm.token_label; }},
    {"hsm.pin_file", KeyType::kPath,
     [](Config& c, const std::string& v) {
       c.hsm.pin_file = v;
       return Ok();
     },
     nullptr, [](const Config& c) { return c.hsm.pin_file; }},
    {"hsm.softhsm2_conf", KeyType::kPath,
     [](Config& c, const std::string& v) {
       c.hsm.softhsm2_conf = v;
       return Ok();
     },
     nullptr, [](const Config& c) { return c.hsm.softhsm2_conf; }},
    {"hsm.call_timeout_seconds", KeyType::kInteger, nullptr,
     [](Config& c, std::int64_t v) {
       return IntInRange(v, 1, 3600, &c.hsm.call_timeout_seconds);
     },
     [](const Config& c) { return absl::StrCat(c.hsm.call_timeout_seconds); }},

    {"storage.backend", KeyType::kString,
     [](Config& c, const std::string& v) {
       if (v == "sqlite") {
         c.storage.backend = StorageBackend::kSqlite;
       } else if (v == "memory") {
         c.storage.backend = StorageBackend::kMemory;
       } else if (v == "postgres") {
         c.storage.backend = StorageBackend::kPostgres;
       } else {
         return absl::InvalidArgumentError(
             "is not a storage backend; use \"sqlite\", \"postgres\" (or "
             "\"memory\" for tests: nothing survives a restart)");
       }
       return Ok();
     },
     nullptr,
     [](const Config& c) {
       return std::string(StorageBackendName(c.storage.backend));
     }},
    {"storage.sqlite_path", KeyType::kPath,
     [](Config& c, const std::string& v) {
       c.storage.sqlite_path = v;
       return Ok();
     },
     nullptr, [](const Config& c) { return c.storage.sqlite_path; }},
    {"storage.postgres_url", KeyType::kString,
     [](Config& c, const std::string& v) {
       if (!v.empty()) {
         // The sslmode rule needs postgres_ca_file: CheckConsistency.
         RETURN_IF_ERROR(vault::ValidatePostgresUrl(v, /*ca_file_set=*/false));
       }
       c.storage.postgres_url = v;
       return Ok();
     },
     nullptr, [](const Config& c) { return c.storage.postgres_url; }},
    {"storage.postgres_password_file", KeyType::kPath,
     [](Config& c, const std::string& v) {
       c.storage.postgres_password_file = v;
       return Ok();
     },
     nullptr, [](const Config& c) { return c.storage.postgres_password_file; }},
    {"storage.postgres_ca_file", KeyType::kPath,
     [](Config& c, const std::string& v) {
       c.storage.postgres_ca_file = v;
       return Ok();
     },
     nullptr, [](const Config& c) { return c.storage.postgres_ca_file; }},
    {"storage.postgres_max_connections", KeyType::kInteger, nullptr,
     [](Config& c, std::int64_t v) {
       return IntInRange(v, 1, 1000, &c.storage.postgres_max_connections);
     },
     [](const Config& c) {
       return absl::StrCat(c.storage.postgres_max_connections);
     }},
    {"storage.lock_timeout_ms", KeyType::kInteger, nullptr,
     [](Config& c, std::int64_t v) {
       return IntInRange(v, 100, 600000, &c.storage.lock_timeout_ms);
     },
     [](const Config& c) { return absl::StrCat(c.storage.lock_timeout_ms); }},

    {"log.format", KeyType::kString,
     [](Config& c, const std::string& v) {
       if (v == "text") {
         c.log.format = LogFormat::kText;
       } else if (v == "json") {
         c.log.format = LogFormat::kJson;
       } else {
         return absl::InvalidArgumentError("must be \"text\" or \"json\"");
       }
       return Ok();
     },
     nullptr,
     [](const Config& c) { return std::string(LogFormatName(c.log.format)); }},

    {"server.shutdown_grace_seconds", KeyType::kInteger, nullptr,
     [](Config& c, std::int64_t v) {
       return PositiveInt(v, &c.server.shutdown_grace_seconds);
     },
     [](const Config& c) {
       return absl::StrCat(c.server.shutdown_grace_seconds);
     }},
    {"server.max_threads", KeyType::kInteger, nullptr,
     [](Config& c, std::int64_t v) {
       return PositiveInt(v, &c.server.max_threads);
     },
     [](const Config& c) { return absl::StrCat(c.server.max_threads); }},
    {"server.max_request_bytes", KeyType::kInteger, nullptr,
     [](Config& c, std::int64_t v) {
       return IntInRange(v, 64 << 10, 64 << 20, &c.server.max_request_bytes);
     },
     [](const Config& c) { return absl::StrCat(c.server.max_request_bytes); }},

    {"limits.requests_per_second", KeyType::kInteger, nullptr,
     [](Config& c, std::int64_t v) {
       return IntInRange(v, 0, 100000, &c.limits.requests_per_second);
     },
     [](const Config& c) {
       return absl::StrCat(c.limits.requests_per_second);
     }},
    {"limits.burst", KeyType::kInteger, nullptr,
     [](Config& c, std::int64_t v) {
       return IntInRange(v, 0, 1000000, &c.limits.burst);
     },
     [](const Config& c) { return absl::StrCat(c.limits.burst); }},

    {"audit.checkpoint_export_file", KeyType::kPath,
     [](Config& c, const std::string& v) {
       c.audit.checkpoint_export_file = v;
       return Ok();
     },
     nullptr, [](const Config& c) { return c.audit.checkpoint_export_file; }},

    // Issue 15: drop-off links (docs/dropoff.md).
    {"dropoff.listen", KeyType::kString,
     [](Config& c, const std::string& v) {
       if (!v.empty()) {
         if (auto parsed = ParseHostPort(v); !parsed.ok()) {
           return parsed.status();
         }
       }
       c.dropoff.listen = v;
       return Ok();
     },
     nullptr, [](const Config& c) { return c.dropoff.listen; }},
    {"dropoff.public_url", KeyType::kString,
     [](Config& c, const std::string& v) {
       if (!v.empty() && (!absl::StartsWith(v, "https://") || v.size() <= 8 ||
                          absl::EndsWith(v, "/") ||
                          v.find_first_of(" #?\"\\") != std::string::npos)) {
         return absl::InvalidArgumentError(
             "must be https://host[:port] (no trailing /, query or fragment)");
       }
       c.dropoff.public_url = v;
       return Ok();
     },
     nullptr, [](const Config& c) { return c.dropoff.public_url; }},

    {"ksef.signing_time_skew_seconds", KeyType::kInteger, nullptr,
     [](Config& c, std::int64_t v) {
       if (v < 0 || v > kMaxSigningTimeSkewSeconds) {
         return absl::InvalidArgumentError(absl::StrCat(
             "must be 0..", kMaxSigningTimeSkewSeconds,
             " seconds (how far SigningTime is set back from now; default "
             "60)"));
       }
       c.ksef.signing_time_skew_seconds = static_cast<int>(v);
       return Ok();
     },
     [](const Config& c) {
       return absl::StrCat(c.ksef.signing_time_skew_seconds);
     }},
    {"ksef.api_connect_timeout_seconds", KeyType::kInteger, nullptr,
     [](Config& c, std::int64_t v) {
       return IntInRange(v, 1, 300, &c.ksef.api_connect_timeout_seconds);
     },
     [](const Config& c) {
       return absl::StrCat(c.ksef.api_connect_timeout_seconds);
     }},
    {"ksef.api_timeout_seconds", KeyType::kInteger, nullptr,
     [](Config& c, std::int64_t v) {
       return IntInRange(v, 1, 600, &c.ksef.api_timeout_seconds);
     },
     [](const Config& c) { return absl::StrCat(c.ksef.api_timeout_seconds); }},
    {"ksef.api_max_attempts", KeyType::kInteger, nullptr,
     [](Config& c, std::int64_t v) {
       return IntInRange(v, 1, 10, &c.ksef.api_max_attempts);
     },
     [](const Config& c) { return absl::StrCat(c.ksef.api_max_attempts); }},
    {"ksef.api_requests_per_second", KeyType::kInteger, nullptr,
     [](Config& c, std::int64_t v) {
       return IntInRange(v, 0, 1000, &c.ksef.api_requests_per_second);
     },
     [](const Config& c) {
       return absl::StrCat(c.ksef.api_requests_per_second);
     }},
    {"ksef.refresh_margin_seconds", KeyType::kInteger, nullptr,
     [](Config& c, std::int64_t v) {
       return IntInRange(v, 0, 3600, &c.ksef.refresh_margin_seconds);
     },
     [](const Config& c) {
       return absl::StrCat(c.ksef.refresh_margin_seconds);
     }},
    // Issue 14: the KSeF token status watch.
    {"ksef.token_status_interval_seconds", KeyType::kInteger, nullptr,
     [](Config& c, std::int64_t v) {
       return IntInRange(v, 1, 604800, &c.ksef.token_status_interval_seconds);
     },
     [](const Config& c) {
       return absl::StrCat(c.ksef.token_status_interval_seconds);
     }},
    // KSeF certificates (docs/lifecycle-certificates.md).
    {"ksef.enrollment_wait_seconds", KeyType::kInteger, nullptr,
     [](Config& c, std::int64_t v) {
       return IntInRange(v, 0, 3600, &c.ksef.enrollment_wait_seconds);
     },
     [](const Config& c) {
       return absl::StrCat(c.ksef.enrollment_wait_seconds);
     }},
    {"ksef.enrollment_poll_seconds", KeyType::kInteger, nullptr,
     [](Config& c, std::int64_t v) {
       return IntInRange(v, 1, 3600, &c.ksef.enrollment_poll_seconds);
     },
     [](const Config& c) {
       return absl::StrCat(c.ksef.enrollment_poll_seconds);
     }},
    {"ksef.certificate_status_seconds", KeyType::kInteger, nullptr,
     [](Config& c, std::int64_t v) {
       return IntInRange(v, 1, 7 * 86400, &c.ksef.certificate_status_seconds);
     },
     [](const Config& c) {
       return absl::StrCat(c.ksef.certificate_status_seconds);
     }},

    // [metrics] (issue 16): empty, the default, is no listener.
    {"metrics.listen", KeyType::kString,
     [](Config& c, const std::string& v) {
       if (!v.empty()) {
         if (auto parsed = ParseHostPort(v); !parsed.ok()) {
           return parsed.status();
         }
       }
       c.metrics.listen = v;
       return Ok();
     },
     nullptr, [](const Config& c) { return c.metrics.listen; }},
};

constexpr absl::string_view kSections[] = {
    "listen",  "tls",    "hsm",   "storage", "log",
    "server",  "limits", "audit", "ksef",    "metrics",
    "dropoff",  // issue 15
};

std::string Quoted(const SettingValue& value) {
  if (const auto* s = std::get_if<std::string>(&value)) {
    return absl::StrCat("\"", *s, "\"");
  }
  return absl::StrCat(std::get<std::int64_t>(value));
}

}  // namespace

absl::Span<const KeySpec> ConfigKeys() { return kKeys; }

absl::Span<const absl::string_view> ConfigSections() { return kSections; }

const KeySpec* FindKey(absl::string_view name) {
  for (const KeySpec& key : kKeys) {
    if (key.name == name) return &key;
  }
  return nullptr;
}

std::string EnvVarName(const KeySpec& key) {
  return absl::StrCat("SEJF_", absl::AsciiStrToUpper(absl::StrReplaceAll(
                                   key.name, {{".", "_"}})));
}

absl::Status ApplySetting(const Setting& setting, Config& config) {
  const KeySpec& key = *setting.key;
  absl::Status status;
  if (key.type == KeyType::kInteger) {
    status = key.set_integer(config, std::get<std::int64_t>(setting.value));
  } else {
    const std::string& value = std::get<std::string>(setting.value);
    if (value.find('\0') != std::string::npos) {
      status = absl::InvalidArgumentError("contains a NUL character");
    } else {
      status = key.set_string(config, value);
    }
  }
  if (!status.ok()) {
    // A refused connection URL may hold a password: never repeat it.
    const bool may_hold_secret = key.name == "storage.postgres_url";
    return absl::InvalidArgumentError(
        absl::StrCat(key.name, " ",
                     may_hold_secret ? std::string("(value not shown)")
                                     : Quoted(setting.value),
                     " (from ", setting.origin, "): ", status.message()));
  }
  config.origins[std::string(key.name)] = setting.origin;
  return absl::OkStatus();
}

std::string ResolveValue(const KeySpec& key, const std::string& value,
                         const std::string& base_dir) {
  if (value.empty()) return value;
  bool is_path =
      key.type == KeyType::kPath ||
      (key.type == KeyType::kLibrary && value.find('/') != std::string::npos);
  if (!is_path) return value;
  std::filesystem::path path(value);
  if (path.is_relative()) path = std::filesystem::path(base_dir) / path;
  return path.lexically_normal().string();
}

}  // namespace sejf::server
