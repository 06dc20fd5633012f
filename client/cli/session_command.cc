#include "client/cli/session_command.h"

#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "client/api_json.h"
#include "client/cli/allowed_ips.h"
#include "client/cli/output.h"
#include "common/secret.h"

namespace sejf::client::cli {
namespace {

const std::map<std::string, SubjectIdentifierType> kSubjectTypes = {
    {"certificateSubject", SubjectIdentifierType::kCertificateSubject},
    {"certificateFingerprint", SubjectIdentifierType::kCertificateFingerprint}};

// Everything the session subcommands parse into; lives as long as the
// process.
struct SessionFlags {
  std::string name;
  std::string key;
  std::string token;
  std::string context;
  std::string environment;
  std::vector<std::string> allowed_ips;
  std::string subject_type;
};

std::string SessionName(const SessionFlags& flags) {
  return ResourceName("sessions", flags.name);
}

std::string StateText(SessionState state) {
  switch (state) {
    case SessionState::kActive:
      return "active";
    case SessionState::kFailing:
      return "failing";
    case SessionState::kClosed:
      return "closed";
    case SessionState::kUnspecified:
      break;
  }
  return "unspecified";
}

std::string TimeText(const std::optional<absl::Time>& t) {
  return t.has_value() ? FormatSeconds(*t) : "-";
}

std::string AllowedIpsText(const AllowedIps& ips) {
  if (ips.empty()) return "(any)";
  std::vector<std::string> all = ips.ip4_addresses;
  all.insert(all.end(), ips.ip4_ranges.begin(), ips.ip4_ranges.end());
  all.insert(all.end(), ips.ip4_masks.begin(), ips.ip4_masks.end());
  return absl::StrJoin(all, ",");
}

void PrintSession(const KsefSession& s) {
  std::cout << "name:             " << s.name << "\n"
            << "credential:       " << s.credential << "\n"
            << "context:          " << s.context << "\n"
            << "environment:      " << s.environment << "\n"
            << "allowed ips:      " << AllowedIpsText(s.allowed_ips) << "\n"
            << "state:            " << StateText(s.state) << "\n"
            << "ksef reference:   "
            << (s.reference_number.empty() ? "-" : s.reference_number) << "\n"
            << "access expires:   " << TimeText(s.access_token_expire_time)
            << "\n"
            << "refresh expires:  " << TimeText(s.refresh_token_expire_time)
            << "\n"
            << "last refresh:     " << TimeText(s.last_refresh_time) << "\n"
            << "last error:       "
            << (s.last_error.empty() ? "-" : s.last_error) << "\n"
            << "created:          " << FormatSeconds(s.create_time) << "\n"
            << "updated:          " << FormatSeconds(s.update_time) << "\n";
}

void PrintTable(const std::vector<KsefSession>& sessions) {
  std::printf("%-24s %-24s %-24s %-12s %-8s %-20s %s\n", "NAME", "CREDENTIAL",
              "CONTEXT", "ENVIRONMENT", "STATE", "ACCESS EXPIRES",
              "REFRESH EXPIRES");
  for (const KsefSession& s : sessions) {
    std::printf("%-24s %-24s %-24s %-12s %-8s %-20s %s\n", s.name.c_str(),
                s.credential.c_str(), s.context.c_str(), s.environment.c_str(),
                StateText(s.state).c_str(),
                TimeText(s.access_token_expire_time).c_str(),
                TimeText(s.refresh_token_expire_time).c_str());
  }
}

int PrintOne(const absl::StatusOr<KsefSession>& session,
             const CliContext& context) {
  if (!session.ok()) return CliContext::Fail(session.status());
  if (context.json()) {
    std::cout << ToJson(*session);
  } else {
    PrintSession(*session);
  }
  return kExitOk;
}

// The bytes of `secret` on stdout, then a newline; nothing else is printed.
void WriteSecretLine(const SecretBytes& secret) {
  std::fwrite(secret.data(), 1, secret.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

int RunOpen(const SessionFlags& flags, const CliContext& context,
            Client& client) {
  if (flags.key.empty() == flags.token.empty()) {
    std::cerr << "sejf: give the credential to log in with: --key K (a key "
                 "with a certificate) or --token T (a stored KSeF token)\n";
    return kExitUsage;
  }
  SessionOpening opening{
      .session_id = std::string(absl::StripPrefix(flags.name, "sessions/")),
      .credential = flags.key.empty() ? ResourceName("tokens", flags.token)
                                      : ResourceName("keys", flags.key),
      .context = flags.context,
      .environment = flags.environment,
      .allowed_ips = SortAllowedIps(flags.allowed_ips),
      .subject_identifier_type = flags.subject_type.empty()
                                     ? SubjectIdentifierType::kUnspecified
                                     : kSubjectTypes.at(flags.subject_type)};
  return PrintOne(client.sessions().Open(opening), context);
}

int RunToken(const SessionFlags& flags, const CliContext& context,
             Client& client) {
  auto token = client.sessions().GetAccessToken(SessionName(flags));
  if (!token.ok()) return CliContext::Fail(token.status());
  if (context.json()) {
    const SecretBytes json = ToJson(*token);
    std::fwrite(json.data(), 1, json.size(), stdout);
    std::fflush(stdout);
  } else {
    WriteSecretLine(token->token);
  }
  return kExitOk;
}

int RunList(const CliContext& context, Client& client) {
  auto sessions = client.sessions().ListAll();
  if (!sessions.ok()) return CliContext::Fail(sessions.status());
  if (context.json()) {
    std::cout << ToJson(*sessions);
  } else {
    PrintTable(*sessions);
  }
  return kExitOk;
}

}  // namespace

void AddSessionCommand(CLI::App& app, const CliContext& context,
                       int* exit_code) {
  static SessionFlags flags;
  CLI::App* session = app.add_subcommand(
      "session",
      "Standing KSeF logins kept by sejfd: open one, then ask it for "
      "short-lived access tokens");
  session->require_subcommand(1);
  const auto run = [&context, exit_code](CLI::App* command, auto body) {
    command->callback([&context, exit_code, body] {
      *exit_code =
          context.WithClient([&](Client& client) { return body(client); });
    });
  };
  constexpr char kNameHelp[] = "The session (NAME or sessions/NAME)";

  CLI::App* open = session->add_subcommand(
      "open",
      "Log in to KSeF with a key (XAdES) or a stored KSeF token and keep the "
      "login: sejfd refreshes it and logs in again by itself");
  open->add_option("--name", flags.name,
                   "The new session's name: lowercase letters, digits, '.', "
                   "'_', '-'; up to 64 characters")
      ->required();
  CLI::Option* key = open->add_option(
      "--key", flags.key,
      "Log in with this key (NAME or keys/NAME): an authentication key with "
      "a certificate");
  CLI::Option* token = open->add_option(
      "--token", flags.token,
      "Log in with this stored KSeF token (NAME or tokens/NAME); see `sejf "
      "token import`");
  key->excludes(token);
  token->excludes(key);
  open->add_option("--context", flags.context,
                   "KSeF context, e.g. nip:5265877635 (a token logs in only "
                   "in its own context)")
      ->required();
  open->add_option("--environment", flags.environment,
                   "test, demo, prod or an environment configured in sejfd "
                   "([ksef.environments.NAME])")
      ->required();
  open->add_option("--allowed-ip", flags.allowed_ips, kAllowedIpHelp);
  open->add_option("--subject-identifier-type", flags.subject_type,
                   "For --key: how KSeF recognises you, certificateSubject "
                   "(default) or certificateFingerprint")
      ->check(CLI::IsMember({"certificateSubject", "certificateFingerprint"}));
  run(open,
      [&context](Client& client) { return RunOpen(flags, context, client); });

  CLI::App* token_command = session->add_subcommand(
      "token",
      "Print the session's KSeF access token alone (for an Authorization: "
      "Bearer header); renewed by sejfd as needed");
  token_command->add_option("session", flags.name, kNameHelp)->required();
  run(token_command,
      [&context](Client& client) { return RunToken(flags, context, client); });

  CLI::App* list = session->add_subcommand("list", "The sessions you may see");
  run(list, [&context](Client& client) { return RunList(context, client); });

  CLI::App* show = session->add_subcommand(
      "show",
      "A session's state, KSeF reference, token expiry times and last error "
      "(never a token)");
  show->add_option("session", flags.name, kNameHelp)->required();
  run(show, [&context](Client& client) {
    return PrintOne(client.sessions().Get(SessionName(flags)), context);
  });

  CLI::App* close = session->add_subcommand(
      "close",
      "End the login in KSeF and destroy the session's tokens (access tokens "
      "already handed out stay valid in KSeF until they expire)");
  close->add_option("session", flags.name, kNameHelp)->required();
  run(close, [&context](Client& client) {
    return PrintOne(client.sessions().Close(SessionName(flags)), context);
  });
}

}  // namespace sejf::client::cli
