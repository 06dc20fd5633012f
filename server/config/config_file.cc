#include "server/config/config_file.h"

#include <sys/stat.h>
#include <toml++/toml.h>

#include <exception>
#include <filesystem>
#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "broker/ksef_api/ksef_api_url.h"
#include "common/files.h"
#include "common/status_macros.h"

namespace sejf::server {
namespace {

constexpr absl::string_view kRuleKeys[] = {"name", "identities", "operations",
                                           "contexts", "credentials"};

absl::string_view View(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

absl::string_view TypeName(toml::node_type type) {
  switch (type) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

// Reads one file; keeps the path for every message.
class Reader {
 public:
  explicit Reader(std::string path)
      : path_(std::move(path)),
        dir_(std::filesystem::path(path_).parent_path().string()) {}

  absl::StatusOr<ConfigFileContents> Read(const toml::table& root) {
    for (auto&& [k, node] : root) {
      absl::string_view name = View(k.str());
      if (name == "policy") {
        RETURN_IF_ERROR(ReadPolicy(node));
      } else if (name == "ksef") {
        RETURN_IF_ERROR(ReadKsef(node));
      } else if (FindKey(name) != nullptr) {
        RETURN_IF_ERROR(ReadScalar(*FindKey(name), node));
      } else if (IsSection(name)) {
        RETURN_IF_ERROR(ReadSection(name, node));
      } else {
        return UnknownKey(name, k.source(),
                          absl::StrCat("top-level keys: data_dir; sections: ",
                                       absl::StrJoin(ConfigSections(), ", "),
                                       " (with [ksef.environments.NAME]), "
                                       "[[policy]]"));
      }
    }
    return std::move(contents_);
  }

 private:
  static bool IsSection(absl::string_view name) {
    for (absl::string_view section : ConfigSections()) {
      if (section == name) return true;
    }
    return false;
  }

  // "PATH line N", or just PATH when toml++ has no position.
  std::string Where(const toml::source_region& source) const {
    if (source.begin.line == 0) return path_;
    return absl::StrCat(path_, " line ", source.begin.line);
  }

  absl::Status UnknownKey(absl::string_view name,
                          const toml::source_region& source,
                          absl::string_view known) const {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown key \"", name, "\" in ", Where(source), " (", known, ")"));
  }

  absl::Status WrongType(absl::string_view name, const toml::node& node,
                         absl::string_view expected) const {
    return absl::InvalidArgumentError(
        absl::StrCat("key \"", name, "\" in ", Where(node.source()),
                     " must be ", expected, ", not ", TypeName(node.type())));
  }

  absl::Status ReadSection(absl::string_view section, const toml::node& node) {
    const toml::table* table = node.as_table();
    if (table == nullptr) {
      return WrongType(section, node,
                       absl::StrCat("a table ([", section, "])"));
    }
    std::vector<absl::string_view> known;
    for (const KeySpec& key : ConfigKeys()) {
      if (key.name.size() > section.size() &&
          key.name.substr(0, section.size()) == section &&
          key.name[section.size()] == '.') {
        known.push_back(key.name.substr(section.size() + 1));
      }
    }
    for (auto&& [k, value] : *table) {
      std::string name = absl::StrCat(section, ".", View(k.str()));
      const KeySpec* key = FindKey(name);
      if (key == nullptr) {
        return UnknownKey(name, k.source(),
                          absl::StrCat("keys in [", section,
                                       "]: ", absl::StrJoin(known, ", ")));
      }
      RETURN_IF_ERROR(ReadScalar(*key, value));
    }
    return absl::OkStatus();
  }

  absl::Status ReadScalar(const KeySpec& key, const toml::node& node) {
    Setting setting{&key, {}, Where(node.source())};
    if (key.type == KeyType::kInteger) {
      const auto* value = node.as_integer();
      if (value == nullptr) return WrongType(key.name, node, "an integer");
      setting.value = value->get();
    } else {
      const auto* value = node.as_string();
      if (value == nullptr) return WrongType(key.name, node, "a string");
      setting.value = ResolveValue(key, value->get(), dir_);
    }
    contents_.settings.push_back(std::move(setting));
    return absl::OkStatus();
  }

  absl::Status ReadPolicy(const toml::node& node) {
    const toml::array* rules = node.as_array();
    if (rules == nullptr) {
      return WrongType("policy", node, "an array of tables ([[policy]])");
    }
    for (std::size_t i = 0; i < rules->size(); ++i) {
      const toml::node& element = *rules->get(i);
      const toml::table* table = element.as_table();
      std::string which = absl::StrCat("[[policy]] #", i + 1);
      if (table == nullptr) {
        return WrongType(which, element, "a table");
      }
      PolicyRule rule;
      for (auto&& [k, value] : *table) {
        absl::string_view name = View(k.str());
        std::string key_name = absl::StrCat(which, " ", name);
        if (name == "name") {
          const auto* s = value.as_string();
          if (s == nullptr) return WrongType(key_name, value, "a string");
          rule.name = s->get();
        } else if (name == "identities") {
          RETURN_IF_ERROR(ReadStrings(key_name, value, rule.identities));
        } else if (name == "operations") {
          RETURN_IF_ERROR(ReadStrings(key_name, value, rule.operations));
        } else if (name == "contexts") {
          RETURN_IF_ERROR(ReadStrings(key_name, value, rule.contexts));
        } else if (name == "credentials") {
          RETURN_IF_ERROR(ReadStrings(key_name, value, rule.credentials));
        } else {
          return UnknownKey(key_name, k.source(),
                            absl::StrCat("keys in [[policy]]: ",
                                         absl::StrJoin(kRuleKeys, ", ")));
        }
      }
      contents_.rules.push_back(std::move(rule));
    }
    return absl::OkStatus();
  }

  // [ksef] holds scalar keys (ksef.* in ConfigKeys) and the
  // [ksef.environments.NAME] tables.
  absl::Status ReadKsef(const toml::node& node) {
    const toml::table* ksef = node.as_table();
    if (ksef == nullptr) {
      return WrongType("ksef", node, "a table ([ksef])");
    }
    for (auto&& [k, value] : *ksef) {
      absl::string_view name = View(k.str());
      std::string key_name = absl::StrCat("ksef.", name);
      if (const KeySpec* key = FindKey(key_name); key != nullptr) {
        RETURN_IF_ERROR(ReadScalar(*key, value));
        continue;
      }
      if (name != "environments") {
        std::vector<absl::string_view> known;
        for (const KeySpec& spec : ConfigKeys()) {
          if (absl::StartsWith(spec.name, "ksef.")) {
            known.push_back(spec.name.substr(5));
          }
        }
        known.push_back("[ksef.environments.NAME]");
        return UnknownKey(
            key_name, k.source(),
            absl::StrCat("keys in [ksef]: ", absl::StrJoin(known, ", ")));
      }
      const toml::table* environments = value.as_table();
      if (environments == nullptr) {
        return WrongType("ksef.environments", value,
                         "a table of environments ([ksef.environments.NAME])");
      }
      for (auto&& [env_key, env_node] : *environments) {
        RETURN_IF_ERROR(ReadKsefEnvironment(View(env_key.str()),
                                            env_key.source(), env_node));
      }
    }
    return absl::OkStatus();
  }

  absl::Status ReadKsefEnvironment(absl::string_view environment,
                                   const toml::source_region& source,
                                   const toml::node& node) {
    std::string prefix = absl::StrCat("ksef.environments.", environment);
    if (!IsEnvironmentName(environment)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "[", prefix, "] in ", Where(source),
          ": an environment is test, demo, prod or a custom name of "
          "lowercase letters, digits, '.', '_' and '-' (at most 64, starting "
          "with a letter or digit)"));
    }
    const toml::table* table = node.as_table();
    if (table == nullptr) {
      return WrongType(prefix, node, absl::StrCat("a table ([", prefix, "])"));
    }
    KsefEnvironmentConfig env;
    for (auto&& [k, value] : *table) {
      absl::string_view name = View(k.str());
      std::string key = absl::StrCat(prefix, ".", name);
      if (name == "api_url") {
        const auto* s = value.as_string();
        if (s == nullptr) return WrongType(key, value, "a string");
        absl::StatusOr<std::string> url = broker::NormalizeKsefApiUrl(s->get());
        if (!url.ok()) {
          return absl::InvalidArgumentError(
              absl::StrCat(key, " \"", s->get(), "\" in ",
                           Where(value.source()), " ", url.status().message()));
        }
        env.api_url = *std::move(url);
      } else if (name == "ca_file") {
        const auto* s = value.as_string();
        if (s == nullptr) return WrongType(key, value, "a string");
        if (s->get().empty()) {
          return absl::InvalidArgumentError(
              absl::StrCat(key, " in ", Where(value.source()),
                           " is empty; name a PEM file of CA certificates, "
                           "or leave the key out"));
        }
        env.ca_file = ResolvePath(s->get());
      } else if (name == "mf_trust_anchors") {
        const auto* s = value.as_string();
        if (s == nullptr) return WrongType(key, value, "a string");
        if (s->get().empty()) {
          return absl::InvalidArgumentError(
              absl::StrCat(key, " in ", Where(value.source()),
                           " is empty; name a PEM file of the roots and/or "
                           "intermediates, or leave the key out"));
        }
        env.mf_trust_anchors = ResolvePath(s->get());
      } else if (name == "mf_pinned_fingerprints") {
        std::vector<std::string> pins;
        RETURN_IF_ERROR(ReadStrings(key, value, pins));
        const toml::array& array = *value.as_array();
        for (std::size_t i = 0; i < pins.size(); ++i) {
          std::string hex = NormalizeFingerprint(pins[i]);
          if (hex.empty()) {
            return absl::InvalidArgumentError(absl::StrCat(
                key, "[", i, "] in ", Where(array.get(i)->source()),
                " is not a SHA-256 fingerprint: expected 64 hex digits, "
                "optionally as AA:BB:… pairs (openssl x509 -noout "
                "-fingerprint -sha256)"));
          }
          env.mf_pinned_fingerprints.push_back(std::move(hex));
        }
      } else if (name == "token_context_identifier") {
        const auto* b = value.as_boolean();
        if (b == nullptr) return WrongType(key, value, "true or false");
        env.token_context_identifier = b->get();
      } else {
        return UnknownKey(key, k.source(),
                          absl::StrCat("keys in [", prefix,
                                       "]: api_url, ca_file, "
                                       "mf_trust_anchors, "
                                       "mf_pinned_fingerprints, "
                                       "token_context_identifier"));
      }
    }
    contents_.ksef_environments[std::string(environment)] = std::move(env);
    return absl::OkStatus();
  }

  // vault/records/credential_name.h's rule, which environment names follow.
  static bool IsEnvironmentName(absl::string_view name) {
    if (name.empty() || name.size() > 64) return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
      char c = name[i];
      bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
      if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-'))) {
        return false;
      }
    }
    return true;
  }

  // 64 lowercase hex digits, or "" when `text` is not a SHA-256 fingerprint
  // (any case, optionally with ':' between pairs).
  static std::string NormalizeFingerprint(absl::string_view text) {
    std::string hex;
    for (char c : text) {
      if (c == ':') continue;
      if (!absl::ascii_isxdigit(c)) return "";
      hex.push_back(absl::ascii_tolower(c));
    }
    return hex.size() == 64 ? hex : "";
  }

  std::string ResolvePath(const std::string& value) const {
    std::filesystem::path path(value);
    if (path.is_relative()) path = std::filesystem::path(dir_) / path;
    return path.lexically_normal().string();
  }

  absl::Status ReadStrings(absl::string_view name, const toml::node& node,
                           std::vector<std::string>& out) {
    const toml::array* array = node.as_array();
    if (array == nullptr) {
      return WrongType(name, node, "an array of strings");
    }
    for (const toml::node& element : *array) {
      const auto* s = element.as_string();
      if (s == nullptr) {
        return WrongType(name, element, "an array of strings, each");
      }
      out.push_back(s->get());
    }
    return absl::OkStatus();
  }

  std::string path_;
  std::string dir_;
  ConfigFileContents contents_;
};

}  // namespace

absl::StatusOr<ConfigFileContents> ReadConfigFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  // toml++ reports errors by exception; none may leave this function.
  try {
    toml::table root = toml::parse(std::string_view(text), std::string(path));
    ASSIGN_OR_RETURN(ConfigFileContents contents, Reader(path).Read(root));
    struct stat st;
    if (stat(path.c_str(), &st) == 0 && (st.st_mode & 022) != 0) {
      contents.warnings.push_back(absl::StrCat(
          path,
          " is writable by group or others; whoever can write it can change "
          "the access policy (chmod go-w ",
          path, ")"));
    }
    return contents;
  } catch (const toml::parse_error& e) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ":", e.source().begin.line, ":", e.source().begin.column,
        ": invalid TOML: ", View(e.description())));
  } catch (const std::exception& e) {
    return absl::InternalError(
        absl::StrCat("cannot read configuration ", path, ": ", e.what()));
  }
}

}  // namespace sejf::server
