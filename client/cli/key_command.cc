#include "client/cli/key_command.h"

#include <iostream>
#include <map>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/api_json.h"
#include "client/cli/confirm.h"
#include "client/cli/expiry_window.h"
#include "client/cli/key_import_command.h"
#include "client/cli/output.h"
#include "common/enrollment_data.h"
#include "common/files.h"

namespace sejf::client::cli {
namespace {

const std::map<std::string, KeyAlgorithm> kAlgorithms = {
    {"ec-p256", KeyAlgorithm::kEcP256}, {"rsa-2048", KeyAlgorithm::kRsa2048}};
const std::map<std::string, KeyUsage> kUsages = {
    {"authentication", KeyUsage::kAuthentication},
    {"offline", KeyUsage::kOffline}};

template <typename Enum>
std::string NameOf(const std::map<std::string, Enum>& names, Enum value) {
  for (const auto& [name, v] : names) {
    if (v == value) return name;
  }
  return "unspecified";
}

// Everything the key subcommands parse into; lives as long as the process.
struct KeyFlags {
  std::string name;
  std::string algorithm = "ec-p256";
  std::string usage;
  std::string state;
  int expiring_within_days = 0;
  // --expiring, parsed when given (ParseExpiryWindow).
  std::optional<absl::Duration> expiring;
  bool public_key = false;
  std::string subject;
  std::string enrollment_data_file;
  int days = 0;
  std::string certificate_file;
  bool yes = false;
  // key enroll / revoke.
  std::string session;
  std::string type;
  std::string certificate_name;
  std::string reason = "unspecified";
  // key revoke --version, key renew / enroll / set --renew-before-days
  // (-1: not given).
  int version = 0;
  int renew_before_days = -1;
};

std::optional<int> RenewBeforeDays(const KeyFlags& flags) {
  if (flags.renew_before_days < 0) return std::nullopt;
  return flags.renew_before_days;
}

std::string KeyName(const KeyFlags& flags) {
  return ResourceName("keys", flags.name);
}

void PrintEnrollment(const KsefEnrollment& e) {
  static const std::map<EnrollmentState, const char*> kStates = {
      {EnrollmentState::kSubmitting, "submitting"},
      {EnrollmentState::kPending, "pending (sejfd polls KSeF)"},
      {EnrollmentState::kCompleted, "completed"},
      {EnrollmentState::kFailed, "failed"}};
  auto state = kStates.find(e.state);
  std::cout << "ksef enrollment: "
            << (state == kStates.end() ? "unspecified" : state->second)
            << "\n  reference:    " << e.reference_number
            << "\n  session:      " << e.session << " (" << e.environment
            << ")\n  cert name:    " << e.certificate_name << "\n";
  if (!e.ksef_status.empty()) {
    std::cout << "  ksef status:  " << e.ksef_status << " (seen "
              << FormatSeconds(e.ksef_status_time) << ")\n";
  }
  if (!e.error.empty()) std::cout << "  error:        " << e.error << "\n";
}

// The KSEF column of `key list`: KSeF's status of an enrolled key's
// certificate, else its enrollment's state; "-" for keys not enrolled here.
std::string KsefColumn(const Key& key) {
  if (!key.ksef_enrollment.has_value()) return "-";
  const KsefEnrollment& e = *key.ksef_enrollment;
  if (!e.ksef_status.empty()) return e.ksef_status;
  switch (e.state) {
    case EnrollmentState::kSubmitting:
    case EnrollmentState::kPending:
      return "pending";
    case EnrollmentState::kFailed:
      return "failed";
    default:
      return "-";
  }
}

void PrintKey(const Key& key) {
  std::cout << "name:         " << key.name << "\n"
            << "algorithm:    " << NameOf(kAlgorithms, key.algorithm) << "\n"
            << "usage:        " << NameOf(kUsages, key.usage) << "\n"
            << "state:        " << StateName(key.state) << "\n"
            << "created:      " << FormatSeconds(key.create_time) << "\n"
            << "pkcs11 uri:   " << key.pkcs11_uri << "\n";
  if (key.version > 1) {
    std::cout << "version:      " << key.version << "\n";
  }
  if (key.current_version > 0) {
    std::cout << "current:      version " << key.current_version;
    if (key.current_certificate.has_value()) {
      std::cout << " (serial " << key.current_certificate->serial_number << ", "
                << DescribeExpiry(key.current_certificate->not_after,
                                  absl::Now())
                << "); the fields below are version 1's (sejf key versions)";
    }
    std::cout << "\n";
  }
  if (key.renew_before_days.has_value()) {
    std::cout << "renewal:      "
              << (*key.renew_before_days == 0
                      ? std::string("never (sejf key renew forces one)")
                      : absl::StrCat(*key.renew_before_days,
                                     " days before expiry"))
              << "\n";
  }
  if (key.ksef_enrollment.has_value()) PrintEnrollment(*key.ksef_enrollment);
  if (!key.certificate.has_value()) {
    std::cout << "certificate:  none (sejf key csr for KSeF enrollment, or "
                 "sejf key self-sign for the KSeF TEST environment)\n";
    return;
  }
  const Certificate& cert = *key.certificate;
  std::cout << "subject:      " << cert.subject << "\n"
            << "issuer:       " << cert.issuer << "\n"
            << "serial:       " << cert.serial_number << "\n"
            << "not before:   " << FormatSeconds(cert.not_before) << "\n"
            << "not after:    " << FormatSeconds(cert.not_after) << "\n"
            << "expires:      " << DescribeExpiry(cert.not_after, absl::Now())
            << "\n"
            << "fingerprint:  " << cert.sha256_fingerprint << " (SHA-256)\n"
            << "chain:        " << key.chain_der.size()
            << " intermediate certificate(s)\n"
            << cert.pem;
}

int Show(const Key& key, const CliContext& context) {
  if (context.json()) {
    std::cout << ToJson(key);
  } else {
    PrintKey(key);
  }
  return kExitOk;
}

// Runs a call returning a Key and shows it, or reports the failure.
int ShowResult(const absl::StatusOr<Key>& key, const CliContext& context) {
  if (!key.ok()) return CliContext::Fail(key.status());
  return Show(*key, context);
}

int RunList(const KeyFlags& flags, const CliContext& context, Client& client) {
  KeyFilter filter;
  if (!flags.usage.empty()) filter.usage = kUsages.at(flags.usage);
  if (!flags.state.empty()) filter.state = ParseState(flags.state);
  filter.expiring_within_days = flags.expiring_within_days;
  auto keys = client.keys().ListAll(filter);
  if (!keys.ok()) return CliContext::Fail(keys.status());
  const absl::Time now = absl::Now();
  if (flags.expiring.has_value()) {
    std::erase_if(*keys, [&](const Key& key) {
      return !ExpiresWithin(key, *flags.expiring, now);
    });
  }
  if (context.json()) {
    std::cout << ToJson(*keys);
    return kExitOk;
  }
  std::printf("%-32s %-9s %-15s %-10s %-10s %s\n", "NAME", "ALGORITHM", "USAGE",
              "STATE", "KSEF", "CERTIFICATE EXPIRES");
  for (const Key& key : *keys) {
    std::string certificate = "(no certificate)";
    if (key.current_certificate.has_value()) {
      certificate =
          absl::StrCat(DescribeExpiry(key.current_certificate->not_after, now),
                       " (version ", key.current_version, ")");
    } else if (key.certificate.has_value()) {
      certificate = DescribeExpiry(key.certificate->not_after, now);
    }
    std::printf("%-32s %-9s %-15s %-10s %-10s %s\n", key.name.c_str(),
                NameOf(kAlgorithms, key.algorithm).c_str(),
                NameOf(kUsages, key.usage).c_str(),
                StateName(key.state).c_str(), KsefColumn(key).c_str(),
                certificate.c_str());
  }
  return kExitOk;
}

int RunCsr(const KeyFlags& flags, Client& client) {
  if (flags.subject.empty() && flags.enrollment_data_file.empty()) {
    std::cerr << "sejf: key csr needs --subject DN or --enrollment-data "
                 "FILE.json\n";
    return kExitUsage;
  }
  CsrSubject subject = flags.subject;
  if (!flags.enrollment_data_file.empty()) {
    auto json = ReadFile(flags.enrollment_data_file);
    if (!json.ok()) return CliContext::Fail(json.status());
    auto data = ParseEnrollmentDataJson(*json);
    if (!data.ok()) {
      return CliContext::Fail(absl::InvalidArgumentError(absl::StrCat(
          flags.enrollment_data_file, ": ", data.status().message())));
    }
    subject = *std::move(data);
  }
  auto csr = client.keys().CreateCsr(KeyName(flags), subject);
  if (!csr.ok()) return CliContext::Fail(csr.status());
  std::cout << csr->pem;
  return kExitOk;
}

int RunDestroy(const KeyFlags& flags, const CliContext& context,
               Client& client) {
  const std::string name = KeyName(flags);
  if (!flags.yes) {
    std::optional<int> refused =
        ConfirmDestroy("key", name,
                       "Its private key is erased from the HSM for good, and "
                       "anything signed with it can no longer be renewed.");
    if (refused.has_value()) return *refused;
  }
  return ShowResult(client.keys().Destroy(name), context);
}

}  // namespace

void AddKeyCommand(CLI::App& app, const CliContext& context, int* exit_code) {
  static KeyFlags flags;
  CLI::App* key = app.add_subcommand(
      "key", "Keys in the HSM: generate, CSRs, certificates, lifecycle");
  key->require_subcommand(1);
  const auto run = [&context, exit_code](CLI::App* command, auto body) {
    command->callback([&context, exit_code, body] {
      *exit_code =
          context.WithClient([&](Client& client) { return body(client); });
    });
  };
  const auto name_arg = [](CLI::App* command) {
    command->add_option("name", flags.name, "The key (NAME or keys/NAME)")
        ->required();
  };

  CLI::App* generate =
      key->add_subcommand("generate", "Generate a key pair inside the HSM");
  generate->add_option("--name", flags.name, "Name: [a-z0-9][a-z0-9._-]{0,63}")
      ->required();
  generate
      ->add_option("--algorithm", flags.algorithm,
                   "ec-p256 (default) or rsa-2048")
      ->check(CLI::IsMember({"ec-p256", "rsa-2048"}));
  generate
      ->add_option("--usage", flags.usage,
                   "The KSeF certificate type it serves: authentication or "
                   "offline")
      ->required()
      ->check(CLI::IsMember({"authentication", "offline"}));
  run(generate, [&context](Client& client) {
    return ShowResult(
        client.keys().Generate({.key_id = flags.name,
                                .algorithm = kAlgorithms.at(flags.algorithm),
                                .usage = kUsages.at(flags.usage)}),
        context);
  });

  CLI::App* show = key->add_subcommand(
      "show", "A key's metadata and certificate (days until expiry)");
  name_arg(show);
  show->add_flag("--public-key", flags.public_key,
                 "Print only the public key (SubjectPublicKeyInfo PEM)");
  run(show, [&context](Client& client) {
    auto key = client.keys().Get(KeyName(flags));
    if (!key.ok()) return CliContext::Fail(key.status());
    if (flags.public_key) {
      std::cout << DerToPem(key->public_key_der, "PUBLIC KEY");
      return kExitOk;
    }
    return Show(*key, context);
  });

  CLI::App* list = key->add_subcommand("list", "Keys, all pages");
  list->add_option("--usage", flags.usage, "authentication or offline")
      ->check(CLI::IsMember({"authentication", "offline"}));
  list->add_option("--state", flags.state, "active, disabled or destroyed")
      ->check(CLI::IsMember({"active", "disabled", "destroyed"}));
  list->add_option("--expiring-within", flags.expiring_within_days,
                   "Only keys whose certificate expires within DAYS")
      ->check(CLI::PositiveNumber);
  list->add_option_function<std::string>(
      "--expiring",
      [](const std::string& text) {
        absl::StatusOr<absl::Duration> window =
            ParseExpiryWindow("--expiring", text);
        if (!window.ok()) {
          throw CLI::ValidationError(std::string(window.status().message()));
        }
        flags.expiring = *window;
      },
      "Only keys whose certificate expires within the window (30d, 12h) "
      "or has expired");
  run(list,
      [&context](Client& client) { return RunList(flags, context, client); });

  CLI::App* csr = key->add_subcommand(
      "csr", "A PKCS#10 request signed by the key, PEM on stdout");
  name_arg(csr);
  auto* subject = csr->add_option(
      "--subject", flags.subject,
      "DN, e.g. 'CN=Jan Kowalski,serialNumber=TINPL-5265877635,C=PL'");
  auto* enrollment =
      csr->add_option("--enrollment-data", flags.enrollment_data_file,
                      "JSON of KSeF GET /certificates/enrollments/data");
  subject->excludes(enrollment);
  run(csr, [](Client& client) { return RunCsr(flags, client); });

  CLI::App* self_sign = key->add_subcommand(
      "self-sign",
      "A self-signed certificate for the KSeF TEST environment, attached");
  name_arg(self_sign);
  self_sign->add_option("--subject", flags.subject, "DN of the certificate")
      ->required();
  self_sign->add_option("--days", flags.days, "Validity in days (1-3650)")
      ->required();
  run(self_sign, [&context](Client& client) {
    return ShowResult(
        client.keys().SelfSign(KeyName(flags), flags.subject, flags.days),
        context);
  });

  CLI::App* attach = key->add_subcommand(
      "attach-cert", "Attach a certificate (PEM or DER, leaf first)");
  name_arg(attach);
  attach->add_option("file", flags.certificate_file, "Certificate file")
      ->required();
  run(attach, [&context](Client& client) {
    auto bytes = ReadFile(flags.certificate_file);
    if (!bytes.ok()) return CliContext::Fail(bytes.status());
    return ShowResult(client.keys().AttachCertificate(KeyName(flags), *bytes),
                      context);
  });

  CLI::App* disable =
      key->add_subcommand("disable", "Stop a key from signing anything");
  name_arg(disable);
  run(disable, [&context](Client& client) {
    return ShowResult(client.keys().Disable(KeyName(flags)), context);
  });

  CLI::App* enable = key->add_subcommand("enable", "Let a disabled key sign");
  name_arg(enable);
  run(enable, [&context](Client& client) {
    return ShowResult(client.keys().Enable(KeyName(flags)), context);
  });

  CLI::App* destroy = key->add_subcommand(
      "destroy", "Erase a key from the HSM for good (asks first)");
  name_arg(destroy);
  destroy->add_flag("--yes", flags.yes, "Do not ask");
  run(destroy, [&context](Client& client) {
    return RunDestroy(flags, context, client);
  });

  CLI::App* enroll = key->add_subcommand(
      "enroll",
      "A new HSM key with a certificate KSeF issues for it (through a "
      "session logged in with a key)");
  enroll->add_option("--name", flags.name, "Name: [a-z0-9][a-z0-9._-]{0,63}")
      ->required();
  enroll->add_option("--session", flags.session, "The session (NAME)")
      ->required();
  enroll
      ->add_option("--type", flags.type,
                   "The KSeF certificate type: authentication or offline")
      ->required()
      ->check(CLI::IsMember({"authentication", "offline"}));
  enroll
      ->add_option("--algorithm", flags.algorithm,
                   "ec-p256 (default) or rsa-2048")
      ->check(CLI::IsMember({"ec-p256", "rsa-2048"}));
  enroll->add_option("--certificate-name", flags.certificate_name,
                     "KSeF's certificate name (5-100 characters; default "
                     "sejf-NAME)");
  enroll->add_option("--renew-before-days", flags.renew_before_days,
                     "Renew this many days before the certificate ends "
                     "(0: never; default 30)");
  run(enroll, [&context](Client& client) {
    return ShowResult(client.keys().Enroll(
                          {.key_id = flags.name,
                           .session = ResourceName("sessions", flags.session),
                           .usage = kUsages.at(flags.type),
                           .algorithm = kAlgorithms.at(flags.algorithm),
                           .certificate_name = flags.certificate_name,
                           .renew_before_days = RenewBeforeDays(flags)}),
                      context);
  });

  // Issue 15: key import through sejfd's import key.
  AddKeyImportCommands(key, context, exit_code,
                       [&context](const absl::StatusOr<Key>& result) {
                         return ShowResult(result, context);
                       });

  CLI::App* revoke = key->add_subcommand(
      "revoke",
      "Revoke the key's KSeF certificate, disable the key and close every "
      "session logged in with it");
  name_arg(revoke);
  revoke
      ->add_option("--session", flags.session,
                   "The session KSeF is asked through (NAME)")
      ->required();
  revoke
      ->add_option("--reason", flags.reason,
                   "keyCompromise, superseded or unspecified (default)")
      ->check(CLI::IsMember({"keyCompromise", "superseded", "unspecified"}));
  revoke->add_option("--version", flags.version,
                     "Only this version (sejf key versions); default: every "
                     "version");
  run(revoke, [&context](Client& client) {
    const RevocationReason reason =
        flags.reason == "keyCompromise" ? RevocationReason::kKeyCompromise
        : flags.reason == "superseded"  ? RevocationReason::kSuperseded
                                        : RevocationReason::kUnspecified;
    auto revoked = client.keys().Revoke(KeyName(flags),
                                        ResourceName("sessions", flags.session),
                                        reason, flags.version);
    if (!revoked.ok()) return CliContext::Fail(revoked.status());
    if (!context.json()) {
      for (const std::string& s : revoked->closed_sessions) {
        std::cout << "closed:       " << s << "\n";
      }
    }
    return Show(revoked->key, context);
  });

  CLI::App* renew = key->add_subcommand(
      "renew",
      "Enroll a successor version of an enrolled key now (through a session "
      "logged in with it); the key keeps its name");
  name_arg(renew);
  renew->add_option("--session", flags.session,
                    "A session logged in with the key (NAME); default: one "
                    "sejfd has or opens");
  renew->add_option("--renew-before-days", flags.renew_before_days,
                    "Also store this renewal setting (0: never)");
  run(renew, [&context](Client& client) {
    return ShowResult(
        client.keys().Renew(KeyName(flags),
                            flags.session.empty()
                                ? std::string()
                                : ResourceName("sessions", flags.session),
                            RenewBeforeDays(flags)),
        context);
  });

  CLI::App* versions = key->add_subcommand(
      "versions", "A key's versions: serial, validity, state, KSeF status");
  name_arg(versions);
  run(versions, [&context](Client& client) {
    auto all = client.keys().Versions(KeyName(flags));
    if (!all.ok()) return CliContext::Fail(all.status());
    if (context.json()) {
      std::cout << ToJson(*all);
      return kExitOk;
    }
    const absl::Time now = absl::Now();
    std::printf("%-8s %-7s %-18s %-21s %-21s %-10s %-10s %s\n", "VERSION",
                "CURRENT", "SERIAL", "NOT BEFORE", "NOT AFTER", "STATE", "KSEF",
                "ENROLLMENT");
    for (const KeyVersion& v : *all) {
      const std::optional<Certificate>& c = v.key.certificate;
      std::string enrollment = "-";
      if (v.key.ksef_enrollment.has_value()) {
        enrollment = v.key.ksef_enrollment->reference_number;
      }
      std::printf("%-8d %-7s %-18s %-21s %-21s %-10s %-10s %s\n", v.version,
                  v.current ? "yes" : "no",
                  c.has_value() ? c->serial_number.c_str() : "-",
                  c.has_value() ? FormatSeconds(c->not_before).c_str() : "-",
                  c.has_value() ? FormatSeconds(c->not_after).c_str() : "-",
                  StateName(v.key.state).c_str(), KsefColumn(v.key).c_str(),
                  enrollment.c_str());
      if (c.has_value() && v.current) {
        std::printf("         %s\n", DescribeExpiry(c->not_after, now).c_str());
      }
    }
    return kExitOk;
  });

  CLI::App* set = key->add_subcommand("set", "Change a key's settings");
  name_arg(set);
  set->add_option("--renew-before-days", flags.renew_before_days,
                  "Renew this many days before the certificate ends (0: "
                  "never; at most 365)")
      ->required();
  run(set, [&context](Client& client) {
    return ShowResult(
        client.keys().SetRenewal(KeyName(flags), flags.renew_before_days),
        context);
  });
}

}  // namespace sejf::client::cli
