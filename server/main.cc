// sejfd — the KSeF key-custody and signing daemon.
//
// Start-up order: core dumps off and signals blocked (before any thread
// exists), configuration, --dev bootstrap or HSM login, listeners, banner.
// Signals are taken synchronously by sigwait on this thread: SIGHUP reloads
// the policy and the client-certificate CRLs, SIGTERM/SIGINT stop gracefully
// (exit 0). Under systemd (Type=notify) the service manager is told READY=1
// once every listener serves, RELOADING=1/READY=1 around a SIGHUP reload and
// STOPPING=1 on the way out (server/service_notifier.h).
#include <sys/prctl.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "broker/ksef_api/ksef_call_metrics.h"
#include "broker/lifecycle/certificate_enroller.h"
#include "broker/lifecycle/credential_metrics.h"
#include "broker/lifecycle/key_expiry_warnings.h"
#include "broker/lifecycle/ksef_token_watcher.h"
#include "broker/lifecycle/ksef_tokens.h"
#include "broker/lifecycle/lifecycle_worker.h"
#include "broker/sessions/ksef_sessions.h"
#include "broker/sessions/ministry_key_refresher.h"
#include "broker/sessions/session_call_observer.h"
#include "common/clock.h"
#include "common/crash_point.h"
#include "common/crypto_init.h"
#include "common/files.h"
#include "common/metrics/metrics.h"
#include "common/version.h"
#include "hsm/bounded_key_store.h"
#include "hsm/metered_key_store.h"
#include "hsm/pkcs11/pkcs11_key_store.h"
#include "hsm/pool_metrics.h"
#include "hsm/write_fenced_key_store.h"
#include "server/config/load_config.h"
#include "server/daemon.h"
#include "server/dev_bootstrap.h"
#include "server/dropoff/dropoff_site.h"
#include "server/ksef_api_config.h"
#include "server/logger.h"
#include "server/ministry_trust_config.h"
#include "server/rpc_metrics.h"
#include "server/service_notifier.h"
#include "server/tls/dev_pki.h"
#include "server/tls/revocation_list.h"
#include "server/vault_backup_config.h"
#include "signer/custody/key_custody.h"
#include "vault/audit/audit_anchor.h"
#include "vault/audit/audit_log.h"
#include "vault/storage/duty_lease.h"
#include "vault/storage/duty_lease_keeper.h"
#include "vault/storage/memory_storage.h"
#include "vault/storage/metered_storage.h"
#include "vault/storage/postgres/postgres_storage.h"
#include "vault/storage/sqlite/sqlite_storage.h"
#include "vault/storage/storage_probe.h"

namespace sejf::server {
namespace {

constexpr int kExitStartFailed = 1;
constexpr int kExitBadConfig = 2;

// Keys and PINs live in this process's memory: never write it to disk.
void DisableCoreDumps() {
  rlimit none{0, 0};
  setrlimit(RLIMIT_CORE, &none);
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

sigset_t HandledSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}

// [ksef] for the XAdES signer and the token encryptor.
signer::AuthTokenSignerOptions AuthTokenSignerOptionsOf(const Config& config) {
  return {.signing_time_skew =
              absl::Seconds(config.ksef.signing_time_skew_seconds)};
}

signer::TokenEncryptionOptions TokenEncryptionOptionsOf(const Config& config) {
  signer::TokenEncryptionOptions options;
  for (const auto& [name, env] : config.ksef.environments) {
    if (!env.token_context_identifier) {
      options.environments_without_context_identifier.insert(name);
    }
  }
  return options;
}

// Logs the X-System-Warning headers KSeF answers with (e.g. sig-001: a
// XAdES signature KSeF accepts today under a profile it will refuse).
broker::KsefCallObserver LogKsefWarnings(const Logger& logger) {
  return [&logger](const broker::KsefCall& call) {
    for (const std::string& warning : call.system_warnings) {
      logger.Log(LogLevel::kWarning, "ksef_system_warning",
                 {{"environment", call.environment},
                  {"endpoint", call.endpoint},
                  {"warning", warning}});
    }
  };
}

absl::StatusOr<DaemonOptions> ListenerOptions(const Config& config) {
  DaemonOptions options;
  options.tcp_listen = config.listen.tcp;
  options.unix_socket = config.listen.unix_socket;
  options.max_threads = config.server.max_threads;
  options.max_request_bytes = config.server.max_request_bytes;
  options.rate_limit.requests_per_second = config.limits.requests_per_second;
  // limits.burst 0: one second's worth of calls (at least one).
  options.rate_limit.burst =
      config.limits.burst > 0 ? config.limits.burst
                              : std::max(1, config.limits.requests_per_second);
  options.dev_mode = config.dev;
  if (!options.tcp_listen.empty()) {
    auto ca = ReadFile(config.tls.ca);
    if (!ca.ok()) return ca.status();
    auto cert = ReadFile(config.tls.cert);
    if (!cert.ok()) return cert.status();
    auto key = ReadSecretFile(config.tls.key);
    if (!key.ok()) return key.status();
    options.tls_ca_pem = *std::move(ca);
    options.tls_cert_pem = *std::move(cert);
    options.tls_key_pem = *std::move(key);
  }
  return options;
}

// The CRLs of tls.crl, verified against tls.ca; null when none is set.
absl::StatusOr<std::shared_ptr<const RevocationList>> LoadRevocations(
    const Config& config, const Logger& logger) {
  if (config.tls.crl.empty()) return nullptr;
  auto crl = ReadFile(config.tls.crl);
  if (!crl.ok()) return crl.status();
  auto ca = ReadFile(config.tls.ca);
  if (!ca.ok()) return ca.status();
  std::vector<std::string> warnings;
  auto list = RevocationList::Parse(*crl, *ca, absl::Now(), &warnings);
  if (!list.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tls.crl \"", config.tls.crl, "\": ", list.status().message()));
  }
  for (const std::string& warning : warnings) {
    logger.Log(LogLevel::kWarning, "crl", {{"warning", warning}});
  }
  return list;
}

// [storage] backend = "postgres": the password read from its file into
// zeroing memory; the URL was checked by LoadConfig.
absl::StatusOr<std::unique_ptr<vault::Storage>> OpenPostgresStorage(
    const StorageConfig& config) {
  vault::PostgresStorageOptions options;
  options.connect.url = config.postgres_url;
  options.connect.ca_file = config.postgres_ca_file;
  options.max_connections = config.postgres_max_connections;
  options.busy_timeout = absl::Milliseconds(config.lock_timeout_ms);
  if (!config.postgres_password_file.empty()) {
    absl::StatusOr<SecretBytes> password =
        ReadSecretFile(config.postgres_password_file);
    if (!password.ok()) {
      return absl::Status(password.status().code(),
                          absl::StrCat("storage.postgres_password_file: ",
                                       password.status().message()));
    }
    options.connect.password = *std::move(password);
  }
  auto postgres = vault::PostgresStorage::Open(options, SystemClock::Get());
  if (!postgres.ok()) return postgres.status();
  return std::unique_ptr<vault::Storage>(*std::move(postgres));
}

absl::StatusOr<std::unique_ptr<vault::Storage>> OpenStorage(
    const Config& config, const Logger& logger) {
  if (config.storage.backend == StorageBackend::kMemory) {
    return std::make_unique<vault::MemoryStorage>(SystemClock::Get());
  }
  vault::SqliteStorageOptions options;
  options.busy_timeout = absl::Milliseconds(config.storage.lock_timeout_ms);
  options.on_wal_removed = [&logger](absl::string_view message) {
    logger.Log(LogLevel::kError, "storage_wal_removed", {{"error", message}});
  };
  if (config.storage.backend == StorageBackend::kPostgres) {
    return OpenPostgresStorage(config.storage);
  }
  auto sqlite = vault::SqliteStorage::Open(config.storage.sqlite_path,
                                           SystemClock::Get(), options);
  if (!sqlite.ok()) return sqlite.status();
  return std::unique_ptr<vault::Storage>(*std::move(sqlite));
}

void PrintBanner(const Config& config, const Daemon& daemon,
                 const DropoffSite& dropoff) {
  std::string out =
      absl::StrCat("sejfd ", kVersion, config.dev ? " (development mode)" : "",
                   " serving\n");
  if (!daemon.unix_socket().empty()) {
    absl::StrAppend(&out, "  listening unix ", daemon.unix_socket(), "\n");
  }
  if (!daemon.tcp_address().empty()) {
    absl::StrAppend(&out, "  listening tls ", daemon.tcp_address(), "\n");
  }
  if (!daemon.metrics_address().empty()) {
    absl::StrAppend(&out, "  listening metrics http://",
                    daemon.metrics_address(), "/metrics\n");
  }
  if (!dropoff.address().empty()) {  // issue 15
    absl::StrAppend(&out, "  listening dropoff https://", dropoff.address(),
                    "\n");
  }
  if (config.dev) {
    DevPkiFiles pki = DevPkiFilesIn(config.data_dir + "/tls");
    absl::StrAppend(&out, "The CLI as the dev admin, over mutual TLS:\n");
    if (!daemon.tcp_address().empty()) {
      absl::StrAppend(&out, "  export SEJF_ADDR=", daemon.tcp_address(), "\n",
                      "  export SEJF_CACERT=", pki.ca_certificate, "\n",
                      "  export SEJF_CLIENT_CERT=", pki.admin_certificate, "\n",
                      "  export SEJF_CLIENT_KEY=", pki.admin_key, "\n");
    }
    if (!daemon.unix_socket().empty()) {
      absl::StrAppend(&out, "or as your own user, over the unix socket:\n",
                      "  export SEJF_ADDR=unix:", daemon.unix_socket(), "\n");
    }
    absl::StrAppend(&out, "then: sejf status\n");
  }
  std::fputs(out.c_str(), stdout);
  std::fflush(stdout);
}

// The STATUS= systemd shows while sejfd serves.
std::string ServingStatus(const Daemon& daemon) {
  std::string status = "serving";
  if (!daemon.tcp_address().empty()) {
    absl::StrAppend(&status, ": tls ", daemon.tcp_address());
  }
  if (!daemon.unix_socket().empty()) {
    absl::StrAppend(&status, daemon.tcp_address().empty() ? ": " : ", ",
                    "unix ", daemon.unix_socket());
  }
  return status;
}

// Start-up choices that are not configuration: they apply to one start.
struct StartOptions {
  // Accept the audit log as it is and anchor it afresh (after a deliberate
  // reset or restore; see docs/audit.md).
  bool reanchor_audit_log = false;
  // Verify the audit log against the HSM and exit, serving nothing (works
  // when the daemon refuses to start over its audit log).
  bool verify_audit_log = false;
};

// `sejfd --verify-audit-log`: VerifyAuditLog's verdict as `sejf audit
// verify` prints it; 0 when the log holds, 1 otherwise.
int VerifyAuditLogAndExit(vault::Storage& storage, hsm::KeyStore& keys) {
  absl::StatusOr<vault::AuditVerifyResult> result =
      vault::VerifyAuditLog(storage, keys, vault::kDefaultAuditKeyLabel);
  if (!result.ok()) {
    std::cerr << "sejfd: the audit log could not be verified: "
              << result.status().message() << "\n";
    return kExitStartFailed;
  }
  if (!result->ok) {
    std::cerr << "sejfd: audit chain does NOT verify; first bad sequence "
              << result->first_bad_sequence << ": " << result->message << "\n";
    return 1;
  }
  std::cout << "audit chain OK: " << result->events_checked << " events, "
            << result->checkpoints_checked << " signed checkpoints\n"
            << result->message << "\nhead "
            << vault::FormatAuditPosition(result->head_sequence,
                                          result->head_hash)
            << "\n";
  return 0;
}

int Run(const ConfigSources& sources, const StartOptions& start) {
  absl::StatusOr<Config> loaded = LoadConfig(sources);
  if (!loaded.ok()) {
    std::cerr << "sejfd: " << loaded.status().message() << "\n";
    return kExitBadConfig;
  }
  Config config = *std::move(loaded);
  Logger logger(config.log.format == LogFormat::kJson);
  // systemd's end (docs/operations.md); does nothing without NOTIFY_SOCKET.
  ServiceNotifier notify;
  // Metrics (docs/metrics.md): the domain objects below register theirs
  // here; declared first, so it outlives them all.
  metrics::Registry metrics_registry;
  metrics_registry
      .AddGauge("sejf_build_info", "Always 1; the version.", {"version"})
      .WithLabels({kVersion})
      .Set(1);
  metrics_registry
      .AddGauge("sejf_start_time_seconds", "When sejfd started (Unix time).")
      .WithLabels({})
      .Set(absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()));
  for (const std::string& warning : config.warnings) {
    logger.Log(LogLevel::kWarning, "config", {{"warning", warning}});
  }
  auto fail = [&](absl::string_view step, const absl::Status& status) {
    logger.Log(LogLevel::kError, "start_failed",
               {{"step", step}, {"error", status.message()}});
    notify.Status(
        absl::StrCat("start failed (", step, "): ", status.message()));
    return kExitStartFailed;
  };

  if (absl::Status s = InitCrypto(); !s.ok()) return fail("crypto", s);
  // Test hook (common/crash_point.h): honoured only with --dev.
  bool crash_point_ignored = false;
  absl::StatusOr<std::string> crash_point =
      ArmCrashPointFromEnvironment(config.dev, &crash_point_ignored);
  if (!crash_point.ok()) return fail("config", crash_point.status());
  if (crash_point_ignored) {
    logger.Log(LogLevel::kWarning, "crash_point_ignored",
               {{"variable", kCrashPointVariable},
                {"reason", "crash points are armed only with --dev"}});
  } else if (!crash_point->empty()) {
    logger.Log(LogLevel::kWarning, "crash_point_armed",
               {{"point", *crash_point}});
  }
  // Production: a missing file is named by the configuration check before
  // the HSM sees it. --dev creates the files first, then checks.
  if (!config.dev) {
    if (absl::Status s = VerifyReferencedFiles(config); !s.ok()) {
      return fail("config", s);
    }
  }
  absl::StatusOr<hsm::OpenedToken> token =
      config.dev ? BootstrapDevDataDir(config, SystemClock::Get())
                 : OpenConfiguredToken(config);
  if (!token.ok()) return fail("hsm", token.status());
  if (config.dev) {
    if (absl::Status s = VerifyReferencedFiles(config); !s.ok()) {
      return fail("config", s);
    }
  }

  std::string token_label = token->label;
  absl::StatusOr<std::unique_ptr<hsm::pkcs11::Pkcs11KeyStore>> key_store =
      hsm::pkcs11::Pkcs11KeyStore::Create(*std::move(token));
  if (!key_store.ok()) return fail("hsm", key_store.status());
  // HSM writes can be held back for a moment, so `sejf backup` copies the
  // token consistently with the database (vault/backup/vault_backup.h).
  hsm::WriteFencedKeyStore fenced_keys(key_store->get());
  // Every HSM call from here on is bounded by [hsm] call_timeout_seconds on
  // as many workers as the store has sessions: a hung HSM answers
  // UNAVAILABLE and holds no server thread (hsm/bounded_key_store.h).
  absl::StatusOr<std::unique_ptr<hsm::BoundedKeyStore>> hsm_keys =
      hsm::BoundedKeyStore::Create(
          &fenced_keys,
          {.workers = (*key_store)->pool().max_sessions(),
           .call_timeout = absl::Seconds(config.hsm.call_timeout_seconds)});
  if (!hsm_keys.ok()) return fail("hsm", hsm_keys.status());
  // Every HSM call counted (hsm/metered_key_store.h), and the pools' use.
  hsm::MeteredKeyStore metered_keys(hsm_keys->get(), &metrics_registry);
  hsm::KeyStore* const keys = &metered_keys;
  metrics::CollectorHandle hsm_pool_metrics = hsm::CollectPoolMetrics(
      &metrics_registry, &(*key_store)->pool(), &(*hsm_keys)->pool());
  absl::StatusOr<std::unique_ptr<vault::Storage>> storage =
      OpenStorage(config, logger);
  if (!storage.ok()) return fail("storage", storage.status());
  // The SQLite database itself, for `sejf backup` (null for another
  // backend); taken before any wrapper goes around the storage.
  vault::SqliteStorage* const sqlite =
      dynamic_cast<vault::SqliteStorage*>(storage->get());
  // Every storage call counted (vault/storage/metered_storage.h).
  *storage = std::make_unique<vault::MeteredStorage>(*std::move(storage),
                                                     &metrics_registry);
  const Clock* clock = &SystemClock::Get();
  if (start.verify_audit_log) {
    return VerifyAuditLogAndExit(**storage, *keys);
  }
  signer::KeyCustody key_custody(keys, storage->get(), clock);
  // Refuses a log that was wiped, cut short or rolled back below its HSM
  // anchor (DATA_LOSS saying what it found and what to do).
  absl::StatusOr<std::unique_ptr<vault::AuditLog>> audit =
      vault::AuditLog::Open(
          storage->get(), keys, clock,
          {.reanchor = start.reanchor_audit_log,
           .checkpoint_export_file = config.audit.checkpoint_export_file,
           .metrics = &metrics_registry});
  if (!audit.ok()) return fail("audit", audit.status());
  if (!(*audit)->notice().empty()) {
    logger.Log(LogLevel::kWarning, "audit_anchored",
               {{"notice", (*audit)->notice()}});
  }
  absl::StatusOr<std::unique_ptr<vault::Keyring>> keyring =
      vault::Keyring::Open(storage->get(), keys, clock);
  if (!keyring.ok()) return fail("keyring", keyring.status());
  absl::StatusOr<std::unique_ptr<vault::TokenVault>> tokens =
      vault::TokenVault::Open(storage->get(), keyring->get(), clock);
  if (!tokens.ok()) return fail("token_vault", tokens.status());
  signer::AuthTokenSigner auth_signer(&key_custody, clock,
                                      AuthTokenSignerOptionsOf(config));
  absl::StatusOr<std::unique_ptr<signer::MinistryTrust>> mf_trust =
      BuildMinistryTrust(config.ksef, keyring->get());
  if (!mf_trust.ok()) return fail("config", mf_trust.status());
  signer::MinistryCertificateStore mfcerts(storage->get(), mf_trust->get(),
                                           clock);
  signer::KsefTokenEncryptor token_encryptor(&mfcerts, mf_trust->get(), clock,
                                             TokenEncryptionOptionsOf(config));
  signer::OfflineQrSigner qr_signer(&key_custody);
  absl::StatusOr<std::unique_ptr<broker::KsefHttpApiDirectory>> ksef_apis =
      BuildKsefApiDirectory(
          config.ksef,
          [log_warnings = LogKsefWarnings(logger),
           ksef_metrics = std::make_shared<broker::KsefCallMetrics>(
               &metrics_registry)](const broker::KsefCall& call) {
            log_warnings(call);
            ksef_metrics->Observe(call);
          });
  if (!ksef_apis.ok()) return fail("config", ksef_apis.status());
  // Every KSeF call of a session is audited (endpoint, reference number,
  // status; never a token).
  broker::AuditingSessionCallObserver session_calls(audit->get());
  // A token login KSeF ended with 450 wakes the token status watch (issue
  // 14); the watch starts after the sessions, hence the late binding.
  std::atomic<broker::KsefTokenWatcher*> token_watch_ptr = nullptr;
  absl::StatusOr<std::unique_ptr<broker::KsefSessions>> sessions =
      broker::KsefSessions::Create(
          {.apis = ksef_apis->get(),
           .storage = storage->get(),
           .keyring = keyring->get(),
           .tokens = tokens->get(),
           .signer = &auth_signer,
           .encryptor = &token_encryptor,
           .ministry_certificates = &mfcerts,
           .clock = clock,
           .observer = &session_calls},
          {.refresh_margin = absl::Seconds(config.ksef.refresh_margin_seconds),
           .on_token_refused = [&token_watch_ptr](absl::string_view) {
             broker::KsefTokenWatcher* watch = token_watch_ptr.load();
             if (watch != nullptr) watch->Poke();
           }});
  if (!sessions.ok()) return fail("sessions", sessions.status());
  // The Ministry certificates of every environment with open sessions, as
  // KSeF lists them: at start and daily (withdrawn keys retired, every
  // change audited). Stopped before the sessions and the audit log go.
  absl::StatusOr<std::unique_ptr<broker::MinistryKeyRefresher>> mfcert_refresh =
      broker::MinistryKeyRefresher::Start(
          sessions->get(),
          {.on_failure = [&logger](absl::string_view environment,
                                   const absl::Status& error) {
            logger.Log(LogLevel::kWarning, "mfcert_refresh_failed",
                       {{"environment", std::string(environment)},
                        {"code", absl::StatusCodeToString(error.code())},
                        {"error", error.message()},
                        {"kept", "the stored certificates stay in force"}});
          }});
  if (!mfcert_refresh.ok()) return fail("sessions", mfcert_refresh.status());
  // Background duties run on one replica at a time (docs/replicas.md): each
  // round first asks whether this process holds its duty's lease. The
  // leases last minutes and are renewed on a heartbeat of their own, so a
  // dead replica's duties move within minutes whatever their period.
  vault::DutyLeaseKeeper duty_leases(
      storage->get(), clock, vault::DutyLease::NewHolderId(),
      {.on_error = [&logger](absl::string_view duty,
                             const absl::Status& error) {
        logger.Log(LogLevel::kWarning, "duty_lease_failed",
                   {{"duty", std::string(duty)}, {"error", error.message()}});
      }});
  auto holds_duty = [&duty_leases](absl::string_view duty) {
    return duty_leases.Duty(duty);
  };
  // KSeF tokens minted into the vault, and their status watch (issue 14).
  absl::StatusOr<std::unique_ptr<broker::KsefTokens>> ksef_tokens =
      broker::KsefTokens::Create({.apis = ksef_apis->get(),
                                  .sessions = sessions->get(),
                                  .tokens = tokens->get(),
                                  .clock = clock,
                                  .observer = &session_calls,
                                  .audit = audit->get()},
                                 {});
  if (!ksef_tokens.ok()) return fail("sessions", ksef_tokens.status());
  absl::StatusOr<std::unique_ptr<broker::KsefTokenWatcher>> token_watch =
      broker::KsefTokenWatcher::Start(
          ksef_tokens->get(),
          {.interval = absl::Seconds(config.ksef.token_status_interval_seconds),
           .on_pass =
               [&logger](const broker::KsefTokenWatchPass& pass) {
                 logger.Log(
                     pass.failed > 0 || pass.revoked > 0 ? LogLevel::kWarning
                                                         : LogLevel::kInfo,
                     "token_status_watch",
                     {{"checked", std::to_string(pass.checked)},
                      {"changed", std::to_string(pass.changed)},
                      {"revoked", std::to_string(pass.revoked)},
                      {"skipped", std::to_string(pass.skipped)},
                      {"failed", std::to_string(pass.failed)},
                      {"rate_limited",
                       pass.stopped_by_rate_limit ? "yes" : "no"},
                      {"error", std::string(pass.last_error.message())}});
               },
           .holds_duty = holds_duty("token-status-watch")});
  if (!token_watch.ok()) return fail("sessions", token_watch.status());
  token_watch_ptr.store(token_watch->get());

  // Keys and tokens by state, each credential's expiry (scanned at scrape).
  broker::CredentialMetrics credential_metrics(&key_custody, tokens->get(),
                                               clock, &metrics_registry);

  signer::VaultChecker vault_check(keys, storage->get(), keyring->get(),
                                   tokens->get());
  std::unique_ptr<vault::VaultBackup> backup =
      VaultBackupFor(config, sqlite, &fenced_keys);
  // KSeF certificates enrolled into HSM keys (docs/lifecycle-certificates.md):
  // the worker resumes pending enrollments (also those a previous process
  // left) and mirrors the certificates' KSeF status. Stopped before the
  // sessions go.
  absl::StatusOr<std::unique_ptr<broker::CertificateEnroller>> enroller =
      broker::CertificateEnroller::Create(
          {.sessions = sessions->get(),
           .apis = ksef_apis->get(),
           .keys = &key_custody,
           .storage = storage->get(),
           .clock = clock,
           .observer = &session_calls,
           .audit = audit->get()},
          {.poll_interval = absl::Seconds(config.ksef.enrollment_poll_seconds),
           .wait = absl::Seconds(config.ksef.enrollment_wait_seconds)});
  if (!enroller.ok()) return fail("sessions", enroller.status());
  absl::StatusOr<std::unique_ptr<broker::LifecycleWorker>> lifecycle =
      broker::LifecycleWorker::Start(
          enroller->get(),
          {.poll_interval = absl::Seconds(config.ksef.enrollment_poll_seconds),
           .status_interval =
               absl::Seconds(config.ksef.certificate_status_seconds),
           .on_failure =
               [&logger](absl::string_view step, const absl::Status& error) {
                 logger.Log(LogLevel::kWarning, "certificate_lifecycle_failed",
                            {{"step", std::string(step)},
                             {"code", absl::StatusCodeToString(error.code())},
                             {"error", error.message()}});
               },
           .holds_duty = holds_duty("certificate-lifecycle")});
  if (!lifecycle.ok()) return fail("sessions", lifecycle.status());
  // Warnings before key certificates expire (docs/lifecycle-certificates.md,
  // "Expiry"): hourly, at 30, 7 and 1 days, logged and audited.
  absl::StatusOr<std::unique_ptr<broker::KeyExpiryWatch>> expiry_watch =
      broker::KeyExpiryWatch::Start(
          &key_custody, audit->get(), clock,
          {.interval = absl::Hours(1),
           .on_warning =
               [&logger](const broker::ExpiryWarning& w) {
                 logger.Log(
                     LogLevel::kWarning, "key_certificate_expiring",
                     {{"key", w.key},
                      {"serial", w.serial},
                      {"not_after",
                       absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", w.not_after,
                                        absl::UTCTimeZone())},
                      {"days_left", std::to_string(w.days_left)},
                      {"threshold_days", std::to_string(w.threshold_days)}});
               },
           .on_failure =
               [&logger](const absl::Status& error) {
                 logger.Log(LogLevel::kWarning, "key_expiry_check_failed",
                            {{"code", absl::StatusCodeToString(error.code())},
                             {"error", error.message()}});
               },
           .holds_duty = holds_duty("key-expiry-watch")});
  if (!expiry_watch.ok()) return fail("keys", expiry_watch.status());
  duty_leases.Start();  // every duty added

  // Drop-off links and their page (issue 15, docs/dropoff.md).
  absl::StatusOr<std::unique_ptr<DropoffSite>> dropoff =
      DropoffSite::Start(config, {.storage = storage->get(),
                                  .clock = clock,
                                  .keys = hsm_keys->get(),
                                  .custody = &key_custody,
                                  .tokens = tokens->get(),
                                  .audit = audit->get(),
                                  .logger = &logger});
  if (!dropoff.ok()) return fail("dropoff", dropoff.status());

  absl::StatusOr<DaemonOptions> options = ListenerOptions(config);
  if (!options.ok()) return fail("tls", options.status());
  RevocationHolder revocations;
  auto crl = LoadRevocations(config, logger);
  if (!crl.ok()) return fail("tls", crl.status());
  revocations.Set(*std::move(crl));
  options->revocations = &revocations;
  // /readyz (docs/metrics.md): the HSM answers a logged-in call (the audit
  // key is a private object), storage reads, the audit log's storage takes
  // a write.
  RpcMetrics rpc_metrics(&metrics_registry);
  Readiness readiness(
      {{"hsm",
        [keys] {
          return keys->FindKeyByLabel(vault::kDefaultAuditKeyLabel).status();
        }},
       {"storage",
        [storage = storage->get()] { return vault::ProbeRead(*storage); }},
       {"audit",
        [storage = storage->get()] { return vault::ProbeWrite(*storage); }}},
      clock);
  options->metrics_listen = config.metrics.listen;
  options->metrics_registry = &metrics_registry;
  options->readiness = &readiness;
  options->rpc_metrics = &rpc_metrics;
  // The limits in force (docs/reliability.md, "Bounded resources").
  const std::string max_request_bytes =
      absl::StrCat(options->max_request_bytes);
  const std::string rate_limit =
      options->rate_limit.requests_per_second > 0
          ? absl::StrCat(options->rate_limit.requests_per_second, "/s burst ",
                         options->rate_limit.burst)
          : "off";
  PolicyHolder policy(config.policy);
  absl::StatusOr<std::unique_ptr<Daemon>> daemon = Daemon::Start(
      *std::move(options), &policy, &logger,
      DomainServices{.keys = &key_custody,
                     .tokens = tokens->get(),
                     .auth_signer = &auth_signer,
                     .mfcerts = &mfcerts,
                     .token_encryptor = &token_encryptor,
                     .qr_signer = &qr_signer,
                     .sessions = sessions->get(),
                     .ksef_tokens = ksef_tokens->get(),
                     .enroller = enroller->get(),
                     .audit = audit->get(),
                     .vault_check = &vault_check,
                     .backup = backup.get(),
                     .dropoffs = (*dropoff)->store(),
                     .dropoff_import_key = (*dropoff)->import_key(),
                     .dropoff_base_url = (*dropoff)->base_url()});
  if (!daemon.ok()) return fail("listen", daemon.status());
  PrintBanner(config, **daemon, **dropoff);
  logger.Log(LogLevel::kInfo, "started",
             {{"version", kVersion},
              {"tls", (*daemon)->tcp_address()},
              {"unix", (*daemon)->unix_socket()},
              {"metrics", (*daemon)->metrics_address()},
              {"hsm_token", token_label},
              {"max_request_bytes", max_request_bytes},
              {"rate_limit", rate_limit},
              {"dropoff", (*dropoff)->address()}});
  // Every listener is up (Daemon::Start started them all; a listener started
  // in this function must come before this line): systemd may now start
  // what comes After=sejfd.service.
  const std::string serving_status = ServingStatus(**daemon);
  notify.Ready(serving_status);

  sigset_t signals = HandledSignals();
  for (;;) {
    int signal = 0;
    if (sigwait(&signals, &signal) != 0) continue;
    if (signal != SIGHUP) {
      logger.Log(LogLevel::kInfo, "stopping",
                 {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"}});
      notify.Stopping(absl::StrCat("stopping on ",
                                   signal == SIGTERM ? "SIGTERM" : "SIGINT"));
      break;
    }
    notify.Reloading("reloading the policy and the CRLs (SIGHUP)");
    // The CRL file is re-read whole; a bad one keeps the previous list.
    auto crl = LoadRevocations(config, logger);
    const std::string crl_note =
        crl.ok() ? "" : "; last CRL reload failed (see the log)";
    if (crl.ok()) {
      revocations.Set(*std::move(crl));
      if (!config.tls.crl.empty()) {
        logger.Log(LogLevel::kInfo, "crl_reloaded",
                   {{"revoked", std::to_string(revocations.Get()->size())}});
      }
    } else {
      logger.Log(LogLevel::kError, "crl_reload_failed",
                 {{"error", crl.status().message()},
                  {"kept", "the previous revocation list stays in force"}});
    }
    absl::StatusOr<PolicyReload> reload = ReloadPolicy(sources, config);
    if (!reload.ok()) {
      logger.Log(LogLevel::kError, "policy_reload_failed",
                 {{"error", reload.status().message()},
                  {"kept", "the previous policy stays in force"}});
      notify.Ready(absl::StrCat(serving_status, crl_note,
                                "; last policy reload failed (see the log)"));
      continue;
    }
    policy.Set(reload->policy);
    for (const std::string& warning : reload->warnings) {
      logger.Log(LogLevel::kWarning, "config", {{"warning", warning}});
    }
    for (const std::string& key : reload->restart_required) {
      logger.Log(LogLevel::kWarning, "policy_reloaded",
                 {{"restart_required", key}});
    }
    logger.Log(LogLevel::kInfo, "policy_reloaded",
               {{"rules", std::to_string(reload->policy->rules().size())}});
    notify.Ready(absl::StrCat(serving_status, crl_note));
  }
  (*dropoff)->Stop();
  (*daemon)->Shutdown(absl::Seconds(config.server.shutdown_grace_seconds));
  daemon->reset();
  token_watch_ptr.store(nullptr);
  token_watch->reset();
  expiry_watch->reset();
  lifecycle->reset();
  mfcert_refresh->reset();
  // Another replica takes the duties over at its next heartbeat.
  duty_leases.Stop();
  // After the last RPC: the final checkpoint signs the chain's end.
  if (absl::Status s = (*audit)->Close(); !s.ok()) {
    logger.Log(LogLevel::kError, "audit_close_failed",
               {{"error", s.message()}});
  }
  logger.Log(LogLevel::kInfo, "stopped", {});
  return 0;
}

}  // namespace
}  // namespace sejf::server

int main(int argc, char** argv) {
  using namespace sejf::server;
  DisableCoreDumps();
#ifdef NDEBUG
  // Debian's Abseil is built with lock-cycle detection on, which costs every
  // contended absl::Mutex (gRPC's included) a graph lookup; release builds
  // skip it. Debug and sanitizer builds keep it to catch lock-order bugs.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif
  // Blocked before any thread starts, so every thread inherits the mask and
  // only sigwait in Run() ever sees these signals.
  sigset_t signals = HandledSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  CLI::App app{"sejfd: the KSeF key-custody and signing daemon"};
  ConfigSources sources;
  std::string data_dir, listen, log_format;
  app.add_flag("--dev", sources.dev,
               "Development mode: create/reuse everything under --data-dir");
  app.add_option("--config", sources.config_file, "TOML configuration file");
  auto* data_dir_opt =
      app.add_option("--data-dir", data_dir, "Data directory (dev mode)");
  auto* listen_opt =
      app.add_option("--listen", listen, "TCP HOST:PORT for mutual TLS");
  auto* log_opt = app.add_option("--log-format", log_format, "text or json");
  app.add_flag("--dev-allow-remote-listen", sources.dev_allow_remote_listen,
               "With --dev: allow a listen address other than loopback");
  bool version = false;
  app.add_flag("--version", version, "Print the version and exit");
  StartOptions start;
  app.add_flag("--reanchor-audit-log", start.reanchor_audit_log,
               "Accept the audit log as it is now (after a deliberate reset "
               "or restore) and anchor it afresh in the HSM; recorded as an "
               "audit.reanchor event");
  app.add_flag("--verify-audit-log", start.verify_audit_log,
               "Verify the audit log against the HSM (chain, checkpoints, "
               "anchor), print the result and exit without serving");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (version) {
    std::cout << "sejfd " << sejf::kVersion << "\n";
    return 0;
  }
  if (data_dir_opt->count() > 0) sources.data_dir = data_dir;
  if (listen_opt->count() > 0) sources.listen = listen;
  if (log_opt->count() > 0) sources.log_format = log_format;
  sources.environment = EnvironmentFromProcess();
  return Run(sources, start);
}
