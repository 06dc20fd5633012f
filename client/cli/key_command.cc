#include "client/cli/key_command.h"

#include <iostream>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/cli/confirm.h"
#include "client/cli/output.h"
#include "common/files.h"
#include "signer/x509/enrollment_data.h"

namespace sejf::client::cli {
namespace {

const std::map<std::string, v1::KeyAlgorithm> kAlgorithms = {
    {"ec-p256", v1::KEY_ALGORITHM_EC_P256},
    {"rsa-2048", v1::KEY_ALGORITHM_RSA_2048}};
const std::map<std::string, v1::KeyUsage> kUsages = {
    {"authentication", v1::KEY_USAGE_AUTHENTICATION},
    {"offline", v1::KEY_USAGE_OFFLINE}};

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
  bool public_key = false;
  std::string subject;
  std::string enrollment_data_file;
  int days = 0;
  std::string certificate_file;
  bool yes = false;
};

std::string KeyName(const KeyFlags& flags) {
  return ResourceName("keys", flags.name);
}

void PrintKey(const v1::Key& key) {
  std::cout << "name:         " << key.name() << "\n"
            << "algorithm:    " << NameOf(kAlgorithms, key.algorithm()) << "\n"
            << "usage:        " << NameOf(kUsages, key.usage()) << "\n"
            << "state:        " << StateName(key.state()) << "\n"
            << "created:      " << FormatTime(key.create_time()) << "\n"
            << "pkcs11 uri:   " << key.pkcs11_uri() << "\n";
  if (!key.has_certificate()) {
    std::cout << "certificate:  none (sejf key csr for KSeF enrollment, or "
                 "sejf key self-sign for the KSeF TEST environment)\n";
    return;
  }
  const v1::Certificate& cert = key.certificate();
  std::cout << "subject:      " << cert.subject() << "\n"
            << "issuer:       " << cert.issuer() << "\n"
            << "serial:       " << cert.serial_number() << "\n"
            << "not before:   " << FormatTime(cert.not_before()) << "\n"
            << "not after:    " << FormatTime(cert.not_after()) << "\n"
            << "expires:      " << DescribeExpiry(cert.not_after(), absl::Now())
            << "\n"
            << "fingerprint:  " << cert.sha256_fingerprint() << " (SHA-256)\n"
            << "chain:        " << key.chain_der_size()
            << " intermediate certificate(s)\n"
            << cert.pem();
}

int Show(const v1::Key& key, const CliContext& context) {
  if (context.json()) {
    std::cout << ToJson(key);
  } else {
    PrintKey(key);
  }
  return kExitOk;
}

// Runs a call returning a Key and shows it, or reports the failure.
int ShowResult(const absl::StatusOr<v1::Key>& key, const CliContext& context) {
  if (!key.ok()) return CliContext::Fail(key.status());
  return Show(*key, context);
}

int RunList(const KeyFlags& flags, const CliContext& context, Client& client) {
  v1::ListKeysRequest request;
  if (!flags.usage.empty()) request.set_usage(kUsages.at(flags.usage));
  if (!flags.state.empty()) request.set_state(*ParseState(flags.state));
  request.set_expiring_within_days(flags.expiring_within_days);
  auto keys = client.keys().ListAll(request);
  if (!keys.ok()) return CliContext::Fail(keys.status());
  if (context.json()) {
    v1::ListKeysResponse all;
    for (const v1::Key& key : *keys) *all.add_keys() = key;
    std::cout << ToJson(all);
    return kExitOk;
  }
  std::printf("%-32s %-9s %-15s %-10s %s\n", "NAME", "ALGORITHM", "USAGE",
              "STATE", "CERTIFICATE EXPIRES");
  const absl::Time now = absl::Now();
  for (const v1::Key& key : *keys) {
    std::string certificate = "(no certificate)";
    if (key.has_certificate()) {
      certificate = DescribeExpiry(key.certificate().not_after(), now);
    }
    std::printf("%-32s %-9s %-15s %-10s %s\n", key.name().c_str(),
                NameOf(kAlgorithms, key.algorithm()).c_str(),
                NameOf(kUsages, key.usage()).c_str(),
                StateName(key.state()).c_str(), certificate.c_str());
  }
  return kExitOk;
}

int RunCsr(const KeyFlags& flags, Client& client) {
  if (flags.subject.empty() && flags.enrollment_data_file.empty()) {
    std::cerr << "sejf: key csr needs --subject DN or --enrollment-data "
                 "FILE.json\n";
    return kExitUsage;
  }
  v1::CreateCsrRequest request;
  request.set_name(KeyName(flags));
  if (!flags.enrollment_data_file.empty()) {
    auto json = ReadFile(flags.enrollment_data_file);
    if (!json.ok()) return CliContext::Fail(json.status());
    auto data = signer::ParseEnrollmentDataJson(*json);
    if (!data.ok()) {
      return CliContext::Fail(absl::InvalidArgumentError(absl::StrCat(
          flags.enrollment_data_file, ": ", data.status().message())));
    }
    v1::EnrollmentData* out = request.mutable_enrollment_data();
    out->set_common_name(data->common_name);
    out->set_country_name(data->country_name);
    out->set_given_name(data->given_name);
    out->set_surname(data->surname);
    out->set_serial_number(data->serial_number);
    out->set_unique_identifier(data->unique_identifier);
    out->set_organization_name(data->organization_name);
    out->set_organization_identifier(data->organization_identifier);
  } else {
    request.set_subject(flags.subject);
  }
  auto csr = client.keys().CreateCsr(request);
  if (!csr.ok()) return CliContext::Fail(csr.status());
  std::cout << csr->csr_pem();
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
    v1::GenerateKeyRequest request;
    request.set_key_id(flags.name);
    request.set_algorithm(kAlgorithms.at(flags.algorithm));
    request.set_usage(kUsages.at(flags.usage));
    return ShowResult(client.keys().Generate(request), context);
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
      std::cout << DerToPem(key->public_key_der(), "PUBLIC KEY");
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
    v1::SelfSignCertificateRequest request;
    request.set_name(KeyName(flags));
    request.set_subject(flags.subject);
    request.set_validity_days(flags.days);
    return ShowResult(client.keys().SelfSign(request), context);
  });

  CLI::App* attach = key->add_subcommand(
      "attach-cert", "Attach a certificate (PEM or DER, leaf first)");
  name_arg(attach);
  attach->add_option("file", flags.certificate_file, "Certificate file")
      ->required();
  run(attach, [&context](Client& client) {
    auto bytes = ReadFile(flags.certificate_file);
    if (!bytes.ok()) return CliContext::Fail(bytes.status());
    v1::AttachCertificateRequest request;
    request.set_name(KeyName(flags));
    request.set_certificate_chain(*bytes);
    return ShowResult(client.keys().AttachCertificate(request), context);
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
}

}  // namespace sejf::client::cli
