#include "client/cli/auth_command.h"

#include <cstdint>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "client/api_json.h"
#include "client/cli/allowed_ips.h"
#include "client/cli/output.h"

namespace sejf::client::cli {
namespace {

const std::map<std::string, SubjectIdentifierType> kSubjectTypes = {
    {"certificateSubject", SubjectIdentifierType::kCertificateSubject},
    {"certificateFingerprint", SubjectIdentifierType::kCertificateFingerprint}};
const std::map<std::string, AuthTokenNamespace> kNamespaces = {
    {"2.0", AuthTokenNamespace::kV2_0}, {"2.1", AuthTokenNamespace::kV2_1}};

// Everything the auth subcommands parse into; lives as long as the process.
struct AuthFlags {
  std::string key;
  std::string token;
  std::string challenge;
  std::string context;
  std::string subject_type = "certificateSubject";
  std::vector<std::string> allowed_ips;
  std::string ns = "2.0";
  std::int64_t timestamp_ms = 0;
  std::string environment;
};

int RunXades(const AuthFlags& flags, const CliContext& context,
             Client& client) {
  AuthTokenRequest request{
      .key = ResourceName("keys", flags.key),
      .challenge = flags.challenge,
      .context = flags.context,
      .subject_identifier_type = kSubjectTypes.at(flags.subject_type),
      .allowed_ips = SortAllowedIps(flags.allowed_ips),
      .ns = kNamespaces.at(flags.ns)};
  auto signed_request = client.ksef().SignAuthTokenRequest(request);
  if (!signed_request.ok()) return CliContext::Fail(signed_request.status());
  if (context.json()) {
    std::cout << ToJson(*signed_request);
  } else {
    // The document exactly as signed: any byte added would break nothing
    // in XML, but the promise is byte-for-byte.
    std::cout << signed_request->signed_xml << std::flush;
  }
  return kExitOk;
}

int RunToken(const AuthFlags& flags, const CliContext& context,
             Client& client) {
  TokenEncryption request{.token = ResourceName("tokens", flags.token),
                          .challenge = flags.challenge,
                          .timestamp_ms = flags.timestamp_ms,
                          .environment = flags.environment,
                          .context = flags.context,
                          .allowed_ips = SortAllowedIps(flags.allowed_ips)};
  auto encrypted = client.ksef().EncryptToken(request);
  if (!encrypted.ok()) return CliContext::Fail(encrypted.status());
  if (context.json()) {
    std::cout << ToJson(*encrypted);
  } else {
    std::cout << encrypted->request_json << std::flush;
  }
  return kExitOk;
}

}  // namespace

void AddAuthCommand(CLI::App& app, const CliContext& context, int* exit_code) {
  static AuthFlags flags;
  CLI::App* auth = app.add_subcommand(
      "auth", "Log in to KSeF: a signed XAdES request or an encrypted token");
  auth->require_subcommand(1);
  const auto run = [&context, exit_code](CLI::App* command, auto body) {
    command->callback([&context, exit_code, body] {
      *exit_code =
          context.WithClient([&](Client& client) { return body(client); });
    });
  };

  CLI::App* xades = auth->add_subcommand(
      "xades",
      "Sign an AuthTokenRequest with a key: the XML for POST "
      "/auth/xades-signature on stdout, exactly as signed");
  xades->add_option("--key", flags.key, "The key (NAME or keys/NAME)")
      ->required();
  xades
      ->add_option("--challenge", flags.challenge,
                   "The challenge from POST /auth/challenge")
      ->required();
  xades
      ->add_option("--context", flags.context,
                   "KSeF context, e.g. nip:5265877635")
      ->required();
  xades
      ->add_option("--subject-type", flags.subject_type,
                   "certificateSubject (default) or certificateFingerprint")
      ->check(CLI::IsMember({"certificateSubject", "certificateFingerprint"}));
  xades->add_option("--allowed-ip", flags.allowed_ips, kAllowedIpHelp);
  xades->add_option("--namespace", flags.ns, "Schema version: 2.0 or 2.1")
      ->check(CLI::IsMember({"2.0", "2.1"}));
  run(xades,
      [&context](Client& client) { return RunXades(flags, context, client); });

  CLI::App* token = auth->add_subcommand(
      "token",
      "Encrypt a stored KSeF token: the JSON body for POST /auth/ksef-token "
      "on stdout");
  token->add_option("--token", flags.token, "The token (NAME or tokens/NAME)")
      ->required();
  token
      ->add_option("--challenge", flags.challenge,
                   "The challenge from POST /auth/challenge")
      ->required();
  token
      ->add_option("--timestamp-ms", flags.timestamp_ms,
                   "The challenge response's timestampMs")
      ->required();
  token
      ->add_option("--environment", flags.environment,
                   "test, demo, prod or a custom environment")
      ->required();
  token->add_option("--context", flags.context,
                    "KSeF context; when given it must be the token's own");
  token->add_option("--allowed-ip", flags.allowed_ips, kAllowedIpHelp);
  run(token,
      [&context](Client& client) { return RunToken(flags, context, client); });
}

}  // namespace sejf::client::cli
