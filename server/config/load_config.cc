#include "server/config/load_config.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/files.h"
#include "common/status_macros.h"
#include "server/config/config_file.h"
#include "server/config/config_keys.h"
#include "server/config/host_port.h"
#include "vault/storage/postgres/postgres_url.h"

extern char** environ;

namespace sejf::server {
namespace {

constexpr absl::string_view kBuiltIn = "built-in default";
constexpr absl::string_view kDevDefault = "--dev default";

std::string CurrentDirectory() {
  std::error_code ec;
  std::filesystem::path cwd = std::filesystem::current_path(ec);
  return ec ? std::string("/") : cwd.string();
}

// The value of a string key from a source other than the file: relative
// paths resolve against the current directory.
Setting StringSetting(const KeySpec& key, const std::string& value,
                      std::string origin) {
  return Setting{&key, ResolveValue(key, value, CurrentDirectory()),
                 std::move(origin)};
}

absl::StatusOr<std::vector<Setting>> EnvironmentSettings(
    const std::map<std::string, std::string>& environment,
    std::vector<std::string>& warnings) {
  std::vector<Setting> settings;
  for (const KeySpec& key : ConfigKeys()) {
    std::string var = EnvVarName(key);
    auto it = environment.find(var);
    if (it == environment.end()) continue;
    std::string origin = absl::StrCat("environment variable ", var);
    if (key.type == KeyType::kInteger) {
      std::int64_t number = 0;
      if (!absl::SimpleAtoi(it->second, &number)) {
        return absl::InvalidArgumentError(
            absl::StrCat(key.name, " \"", it->second, "\" (from ", origin,
                         "): must be an integer"));
      }
      settings.push_back(Setting{&key, number, std::move(origin)});
    } else {
      settings.push_back(StringSetting(key, it->second, std::move(origin)));
    }
  }
  // SEJF_* variables that start like one of our sections but name no key
  // are probably misspelt; others (SEJF_ADDR, SEJF_CACERT, …) belong to the
  // CLI and are none of our business.
  for (const auto& [var, value] : environment) {
    bool known = false;
    for (const KeySpec& key : ConfigKeys()) known |= EnvVarName(key) == var;
    if (known) continue;
    if (absl::StartsWith(var, "SEJF_POLICY")) {
      warnings.push_back(absl::StrCat(
          "environment variable ", var,
          " is ignored: policy rules come only from the configuration file"));
      continue;
    }
    for (absl::string_view section : ConfigSections()) {
      std::string prefix =
          absl::AsciiStrToUpper(absl::StrCat("SEJF_", section, "_"));
      if (absl::StartsWith(var, prefix)) {
        warnings.push_back(absl::StrCat("environment variable ", var,
                                        " names no configuration key and is "
                                        "ignored"));
        break;
      }
    }
  }
  return settings;
}

std::vector<Setting> FlagSettings(const ConfigSources& sources) {
  struct Flag {
    const absl::optional<std::string>& value;
    absl::string_view key;
    const char* flag;
  };
  const Flag flags[] = {{sources.data_dir, "data_dir", "--data-dir"},
                        {sources.listen, "listen.tcp", "--listen"},
                        {sources.log_format, "log.format", "--log-format"}};
  std::vector<Setting> settings;
  for (const Flag& flag : flags) {
    if (flag.value.has_value()) {
      settings.push_back(
          StringSetting(*FindKey(flag.key), *flag.value, flag.flag));
    }
  }
  return settings;
}

absl::Status ApplyAll(const std::vector<Setting>& settings, Config& config) {
  for (const Setting& setting : settings) {
    RETURN_IF_ERROR(ApplySetting(setting, config));
  }
  return absl::OkStatus();
}

absl::Status ApplyDevDefaults(Config& config) {
  const std::string& dir = config.data_dir;
  const std::pair<const char*, std::string> defaults[] = {
      {"listen.tcp", "127.0.0.1:7443"},
      {"listen.unix_socket", dir + "/sejf.sock"},
      {"tls.ca", dir + "/tls/ca.pem"},
      {"tls.cert", dir + "/tls/server.pem"},
      {"tls.key", dir + "/tls/server.key"},
      {"hsm.token_label", "sejf"},
      {"hsm.pin_file", dir + "/hsm-pin"},
      {"hsm.softhsm2_conf", dir + "/softhsm2.conf"},
      {"storage.sqlite_path", dir + "/sejf.db"},
  };
  for (const auto& [key, value] : defaults) {
    RETURN_IF_ERROR(ApplySetting(
        Setting{FindKey(key), value, std::string(kDevDefault)}, config));
  }
  return absl::OkStatus();
}

std::string Origin(const Config& config, absl::string_view key) {
  auto it = config.origins.find(std::string(key));
  return it == config.origins.end() ? std::string(kBuiltIn) : it->second;
}

// "key (from ORIGIN)".
std::string Described(const Config& config, absl::string_view key) {
  return absl::StrCat(key, " (from ", Origin(config, key), ")");
}

std::string HowToSet(absl::string_view key) {
  const KeySpec* spec = FindKey(key);
  return absl::StrCat("set ", key, " in the configuration file or ",
                      spec ? EnvVarName(*spec) : std::string("?"));
}

absl::Status CheckConsistency(const Config& config) {
  if (config.listen.tcp.empty() && config.listen.unix_socket.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "no listener: listen.tcp and listen.unix_socket are both empty; ",
        HowToSet("listen.tcp"), " (or --listen), or ",
        HowToSet("listen.unix_socket")));
  }
  if (!config.listen.tcp.empty()) {
    const std::pair<const char*, const std::string*> tls[] = {
        {"tls.ca", &config.tls.ca},
        {"tls.cert", &config.tls.cert},
        {"tls.key", &config.tls.key}};
    for (const auto& [key, value] : tls) {
      if (value->empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            key, " is not set but listen.tcp is \"", config.listen.tcp,
            "\" (from ", Origin(config, "listen.tcp"),
            "); TCP clients are authenticated by mutual TLS, so tls.ca, "
            "tls.cert and tls.key are required: ",
            HowToSet(key), ", or set listen.tcp = \"\" to disable TCP"));
      }
    }
  }
  if (!config.tls.crl.empty() && config.listen.tcp.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        Described(config, "tls.crl"),
        " is set but listen.tcp is empty: certificate revocation applies "
        "only to TLS clients"));
  }
  if (config.hsm.token_label.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("hsm.token_label is not set: name the PKCS#11 token "
                     "that holds sejf's keys; ",
                     HowToSet("hsm.token_label")));
  }
  if (config.hsm.pin_file.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "hsm.pin_file is not set: the token's user PIN is read from this "
        "file (mode 0600), never from the configuration; ",
        HowToSet("hsm.pin_file")));
  }
  if (config.storage.backend == StorageBackend::kSqlite &&
      config.storage.sqlite_path.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("storage.sqlite_path is not set but ",
                     Described(config, "storage.backend"), " is sqlite; ",
                     HowToSet("storage.sqlite_path")));
  }
  if (config.storage.backend == StorageBackend::kPostgres) {
    if (config.storage.postgres_url.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("storage.postgres_url is not set but ",
                       Described(config, "storage.backend"),
                       " is postgres; name the database, e.g. "
                       "\"postgresql://sejf@db.example.com:5432/sejf\"; ",
                       HowToSet("storage.postgres_url")));
    }
    absl::Status url = vault::ValidatePostgresUrl(
        config.storage.postgres_url, !config.storage.postgres_ca_file.empty());
    if (!url.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          Described(config, "storage.postgres_url"), " ", url.message(), " (",
          Described(config, "storage.postgres_ca_file"), ")"));
    }
  }
  return absl::OkStatus();
}

// Whether `host` can only be reached from this machine.
bool IsLoopbackHost(const std::string& host) {
  if (host == "localhost") return true;
  in_addr v4;
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6;
  return inet_pton(AF_INET6, host.c_str(), &v6) == 1 &&
         IN6_IS_ADDR_LOOPBACK(&v6);
}

// --dev trusts its admin certificate with every operation and keeps its CA
// key on disk: it listens on loopback only, unless forced.
absl::Status CheckDevListener(const Config& config,
                              const ConfigSources& sources) {
  if (!config.dev || config.listen.tcp.empty() ||
      sources.dev_allow_remote_listen) {
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(HostPort address, ParseHostPort(config.listen.tcp));
  if (IsLoopbackHost(address.host)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "listen.tcp \"", config.listen.tcp, "\" (from ",
      Origin(config, "listen.tcp"),
      ") is not a loopback address, and --dev grants its admin certificate "
      "every operation and keeps the development CA key in the data "
      "directory; listen on 127.0.0.1, ::1 or localhost, run a production "
      "configuration (--config), or pass --dev-allow-remote-listen if you "
      "really mean it"));
}

}  // namespace

std::map<std::string, std::string> EnvironmentFromProcess() {
  std::map<std::string, std::string> out;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    absl::string_view text(*entry);
    if (!absl::StartsWith(text, "SEJF_")) continue;
    std::size_t eq = text.find('=');
    if (eq == absl::string_view::npos) continue;
    out.emplace(std::string(text.substr(0, eq)),
                std::string(text.substr(eq + 1)));
  }
  return out;
}

absl::StatusOr<Config> LoadConfig(const ConfigSources& sources) {
  Config config;
  for (const KeySpec& key : ConfigKeys()) {
    config.origins[std::string(key.name)] = std::string(kBuiltIn);
  }
  config.dev = sources.dev;

  ConfigFileContents file;
  if (!sources.config_file.empty()) {
    config.config_file = AbsolutePath(sources.config_file);
    ASSIGN_OR_RETURN(file, ReadConfigFile(config.config_file));
    config.warnings = file.warnings;
  } else if (!sources.dev) {
    return absl::InvalidArgumentError(
        "no configuration: pass --config FILE (see "
        "deploy/sejfd.example.toml), or --dev --data-dir DIR for a "
        "development instance");
  }
  ASSIGN_OR_RETURN(std::vector<Setting> env,
                   EnvironmentSettings(sources.environment, config.warnings));
  std::vector<Setting> flags = FlagSettings(sources);
  const std::vector<Setting>* layers[] = {&file.settings, &env, &flags};

  if (sources.dev) {
    // The data directory first: the --dev defaults hang off it.
    for (const std::vector<Setting>* layer : layers) {
      for (const Setting& s : *layer) {
        if (s.key->name == "data_dir") RETURN_IF_ERROR(ApplySetting(s, config));
      }
    }
    if (config.data_dir.empty()) {
      return absl::InvalidArgumentError(
          "--dev needs a data directory: pass --data-dir DIR, set "
          "SEJF_DATA_DIR, or set data_dir in the configuration file");
    }
    config.data_dir = AbsolutePath(config.data_dir);
    RETURN_IF_ERROR(ApplyDevDefaults(config));
  }
  for (const std::vector<Setting>* layer : layers) {
    RETURN_IF_ERROR(ApplyAll(*layer, config));
  }
  RETURN_IF_ERROR(CheckConsistency(config));
  RETURN_IF_ERROR(CheckDevListener(config, sources));

  PolicyOptions options;
  if (sources.dev) options.dev_admin_uid = sources.daemon_uid;
  auto policy = Policy::Build(std::move(file.rules), options);
  if (!policy.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "in ", config.config_file, ": ", policy.status().message()));
  }
  config.policy = *std::move(policy);
  config.ksef.environments = std::move(file.ksef_environments);
  return config;
}

absl::Status VerifyReferencedFiles(const Config& config) {
  std::vector<std::pair<const char*, std::string>> files;
  if (!config.listen.tcp.empty()) {
    files.insert(files.end(), {{"tls.ca", config.tls.ca},
                               {"tls.cert", config.tls.cert},
                               {"tls.key", config.tls.key}});
    if (!config.tls.crl.empty()) files.push_back({"tls.crl", config.tls.crl});
  }
  files.push_back({"hsm.pin_file", config.hsm.pin_file});
  if (!config.hsm.softhsm2_conf.empty()) {
    files.push_back({"hsm.softhsm2_conf", config.hsm.softhsm2_conf});
  }
  if (config.hsm.module.find('/') != std::string::npos) {
    files.push_back({"hsm.module", config.hsm.module});
  }
  for (const auto& [key, path] : files) {
    if (!PathExists(path)) {
      return absl::FailedPreconditionError(
          absl::StrCat(key, ": file \"", path, "\" does not exist (", key,
                       " from ", Origin(config, key), ")"));
    }
  }
  for (const auto& [name, env] : config.ksef.environments) {
    if (!env.mf_trust_anchors.empty() && !PathExists(env.mf_trust_anchors)) {
      return absl::FailedPreconditionError(
          absl::StrCat("ksef.environments.", name, ".mf_trust_anchors: file \"",
                       env.mf_trust_anchors, "\" does not exist (from ",
                       config.config_file, ")"));
    }
    if (!env.ca_file.empty() && !PathExists(env.ca_file)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "ksef.environments.", name, ".ca_file: file \"", env.ca_file,
          "\" does not exist (from ", config.config_file, ")"));
    }
  }
  std::vector<std::pair<const char*, std::string>> parents;
  if (!config.listen.unix_socket.empty()) {
    parents.push_back({"listen.unix_socket", config.listen.unix_socket});
  }
  if (config.storage.backend == StorageBackend::kSqlite) {
    parents.push_back({"storage.sqlite_path", config.storage.sqlite_path});
  }
  if (config.storage.backend == StorageBackend::kPostgres) {
    const std::pair<const char*, const std::string&> files[] = {
        {"storage.postgres_password_file",
         config.storage.postgres_password_file},
        {"storage.postgres_ca_file", config.storage.postgres_ca_file}};
    for (const auto& [key, path] : files) {
      if (!path.empty() && !PathExists(path)) {
        return absl::FailedPreconditionError(
            absl::StrCat(key, ": file \"", path, "\" does not exist (", key,
                         " from ", Origin(config, key), ")"));
      }
    }
  }
  if (!config.audit.checkpoint_export_file.empty()) {
    parents.push_back(
        {"audit.checkpoint_export_file", config.audit.checkpoint_export_file});
  }
  for (const auto& [key, path] : parents) {
    std::string dir = std::filesystem::path(path).parent_path().string();
    if (!PathExists(dir)) {
      return absl::FailedPreconditionError(absl::StrCat(
          key, ": directory \"", dir, "\" of \"", path, "\" does not exist (",
          key, " from ", Origin(config, key), ")"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<PolicyReload> ReloadPolicy(const ConfigSources& sources,
                                          const Config& running) {
  ASSIGN_OR_RETURN(Config next, LoadConfig(sources));
  PolicyReload reload;
  for (const KeySpec& key : ConfigKeys()) {
    if (key.get(next) != key.get(running)) {
      reload.restart_required.emplace_back(key.name);
    }
  }
  for (const auto& [name, env] : next.ksef.environments) {
    auto it = running.ksef.environments.find(name);
    if (it == running.ksef.environments.end() ||
        it->second.api_url != env.api_url ||
        it->second.ca_file != env.ca_file ||
        it->second.mf_trust_anchors != env.mf_trust_anchors ||
        it->second.mf_pinned_fingerprints != env.mf_pinned_fingerprints ||
        it->second.token_context_identifier != env.token_context_identifier) {
      reload.restart_required.push_back(
          absl::StrCat("ksef.environments.", name));
    }
  }
  for (const auto& [name, env] : running.ksef.environments) {
    if (!next.ksef.environments.contains(name)) {
      reload.restart_required.push_back(
          absl::StrCat("ksef.environments.", name));
    }
  }
  reload.policy = std::move(next.policy);
  reload.warnings = std::move(next.warnings);
  return reload;
}

std::string DescribeConfig(const Config& config) {
  std::string out;
  if (config.dev) out += "# --dev\n";
  if (!config.config_file.empty()) {
    absl::StrAppend(&out, "# file ", config.config_file, "\n");
  }
  for (const KeySpec& key : ConfigKeys()) {
    std::string value = key.get(config);
    if (key.type != KeyType::kInteger) value = absl::StrCat("\"", value, "\"");
    absl::StrAppend(&out, key.name, " = ", value, "  # ",
                    Origin(config, key.name), "\n");
  }
  for (const auto& [name, env] : config.ksef.environments) {
    absl::StrAppend(&out, "ksef.environments.", name, ".api_url = \"",
                    env.api_url, "\"\n", "ksef.environments.", name,
                    ".ca_file = \"", env.ca_file, "\"\n");
    absl::StrAppend(
        &out, "ksef.environments.", name, ".mf_trust_anchors = \"",
        env.mf_trust_anchors, "\"\n", "ksef.environments.", name,
        ".mf_pinned_fingerprints = [",
        env.mf_pinned_fingerprints.empty()
            ? ""
            : absl::StrCat("\"",
                           absl::StrJoin(env.mf_pinned_fingerprints, "\", \""),
                           "\""),
        "]\n", "ksef.environments.", name, ".token_context_identifier = ",
        env.token_context_identifier ? "true" : "false", "\n");
  }
  std::vector<absl::string_view> names;
  if (config.policy != nullptr) {
    for (const PolicyRule& rule : config.policy->rules()) {
      names.push_back(rule.name);
    }
  }
  absl::StrAppend(&out, "policy: ", names.size(), " rule(s)",
                  names.empty() ? " (everything is denied)" : ": ",
                  absl::StrJoin(names, ", "), "\n");
  return out;
}

}  // namespace sejf::server
