#include "client/cli/token_command.h"

#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/api_json.h"
#include "client/cli/confirm.h"
#include "client/cli/expiry_window.h"
#include "client/cli/import_key_pin.h"
#include "client/cli/output.h"
#include "common/files.h"
#include "common/import_wrap.h"
#include "common/secret.h"
#include "common/status_macros.h"

namespace sejf::client::cli {
namespace {

// KSeF TokenPermissionType names, in the API's order.
struct PermissionName {
  const char* name;
  TokenPermission value;
};
constexpr PermissionName kPermissions[] = {
    {"InvoiceRead", TokenPermission::kInvoiceRead},
    {"InvoiceWrite", TokenPermission::kInvoiceWrite},
    {"CredentialsRead", TokenPermission::kCredentialsRead},
    {"CredentialsManage", TokenPermission::kCredentialsManage},
    {"SubunitManage", TokenPermission::kSubunitManage},
    {"EnforcementOperations", TokenPermission::kEnforcementOperations},
    {"Introspection", TokenPermission::kIntrospection},
    {"CollectiveIdentifierManage",
     TokenPermission::kCollectiveIdentifierManage},
};

std::string PermissionText(TokenPermission value) {
  for (const PermissionName& p : kPermissions) {
    if (p.value == value) return p.name;
  }
  return "unknown";
}

// Longest secret input read; anything longer is refused by the server's
// 160-character rule anyway, this only bounds memory.
constexpr size_t kMaxSecretInput = 4096;

// Everything the token subcommands parse into; lives as long as the process.
struct TokenFlags {
  std::string name;
  std::string context;
  std::string permissions;
  std::string description;
  std::string expires;
  // list --expiring, parsed when given (ParseExpiryWindow).
  std::optional<absl::Duration> expiring;
  std::string from_file;
  // Issue 15: the import key the token is encrypted to must have this
  // fingerprint (empty: shown, not checked).
  std::string import_key_fingerprint;
  std::string state;
  std::string session;  // issue 14: create, destroy --revoke-in-ksef
  bool revoke_in_ksef = false;
  bool yes = false;
};

std::string TokenName(const TokenFlags& flags) {
  return ResourceName("tokens", flags.name);
}

// Reads the secret from stdin: up to the first newline (or end of input),
// one trailing "\r" removed. Echo is off while reading from a terminal.
absl::StatusOr<SecretBytes> ReadSecretFromStdin() {
  const bool tty = isatty(STDIN_FILENO) == 1;
  termios saved{};
  if (tty) {
    std::cerr << "KSeF token (input hidden), then Enter: " << std::flush;
    if (tcgetattr(STDIN_FILENO, &saved) == 0) {
      termios quiet = saved;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
  }
  SecretBytes secret;
  secret.reserve(kMaxSecretInput + 1);  // no reallocation: one wiped buffer
  bool too_long = false;
  while (true) {
    unsigned char c = 0;
    ssize_t n = read(STDIN_FILENO, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (c == '\n') break;
    if (secret.size() >= kMaxSecretInput) {
      too_long = true;
      continue;
    }
    secret.push_back(c);
  }
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    std::cerr << "\n";
  }
  if (!secret.empty() && secret.back() == '\r') secret.pop_back();
  if (too_long) {
    return absl::InvalidArgumentError(absl::StrCat(
        "secret: the input is longer than ", kMaxSecretInput, " bytes"));
  }
  if (secret.empty()) {
    return absl::InvalidArgumentError(
        "secret: nothing on stdin; pipe the KSeF token in (one line) or pass "
        "--from-file FILE");
  }
  return secret;
}

absl::StatusOr<SecretBytes> ReadSecret(const TokenFlags& flags) {
  if (!flags.from_file.empty()) return ReadSecretFile(flags.from_file);
  return ReadSecretFromStdin();
}

// The token read as ReadSecret does, encrypted to sejfd's import key
// (issue 15): the plaintext never goes on the wire, not even under TLS.
absl::StatusOr<std::string> ReadEncryptedSecret(const TokenFlags& flags,
                                                Client& client) {
  ASSIGN_OR_RETURN(ImportKeyInfo import_key,
                   FetchImportKey(client, flags.import_key_fingerprint));
  ASSIGN_OR_RETURN(SecretBytes secret, ReadSecret(flags));
  if (secret.size() > kMaxImportSecretSize) {
    return absl::InvalidArgumentError(
        "secret: longer than a KSeF token (at most 160 characters)");
  }
  return EncryptToImportKey(import_key.public_key_der, secret);
}

void PrintToken(const Token& token) {
  std::vector<std::string> permissions;
  for (TokenPermission p : token.permissions) {
    permissions.push_back(PermissionText(p));
  }
  std::cout << "name:         " << token.name << "\n"
            << "context:      " << token.context << "\n"
            << "permissions:  "
            << (permissions.empty() ? "(none declared)"
                                    : absl::StrJoin(permissions, ","))
            << "\n"
            << "description:  " << token.description << "\n"
            << "state:        " << StateName(token.state) << "\n"
            << "version:      " << token.version << "\n"
            << "created:      " << FormatSeconds(token.create_time) << "\n"
            << "rotated:      " << FormatSeconds(token.rotate_time) << "\n"
            << "expires:      "
            << (token.expire_time.has_value()
                    ? absl::StrCat(
                          FormatSeconds(*token.expire_time), " (",
                          DescribeExpiry(*token.expire_time, absl::Now()), ")")
                    : std::string("never"))
            << "\n"
            << "ksef ref:     "
            << (token.ksef_reference_number.empty()
                    ? std::string("(unknown)")
                    : token.ksef_reference_number)
            << "\n";
  if (!token.ksef_environment.empty()) {
    std::cout << "minted in:    " << token.ksef_environment << "\n";
  }
  std::cout << "ksef status:  "
            << (token.ksef_status.empty() ? std::string("(not checked)")
                                          : token.ksef_status);
  if (token.ksef_status_time.has_value()) {
    std::cout << " (seen " << FormatSeconds(*token.ksef_status_time) << ")";
  }
  std::cout << "\n";
}

int ShowResult(const absl::StatusOr<Token>& token, const CliContext& context) {
  if (!token.ok()) return CliContext::Fail(token.status());
  if (context.json()) {
    std::cout << ToJson(*token);
  } else {
    PrintToken(*token);
  }
  return kExitOk;
}

// --permissions: KSeF names, comma-separated, into `out`; false (after
// saying why on stderr) for an unknown name.
bool ParsePermissions(const std::string& text,
                      std::vector<TokenPermission>& out) {
  for (absl::string_view word :
       absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    word = absl::StripAsciiWhitespace(word);
    bool known = false;
    for (const PermissionName& p : kPermissions) {
      if (word == p.name) {
        out.push_back(p.value);
        known = true;
      }
    }
    if (!known) {
      std::cerr << "sejf: --permissions: \"" << word
                << "\" is not a KSeF token permission (InvoiceRead, "
                   "InvoiceWrite, CredentialsRead, CredentialsManage, "
                   "SubunitManage, EnforcementOperations, Introspection, "
                   "CollectiveIdentifierManage)\n";
      return false;
    }
  }
  return true;
}

// --expires: YYYY-MM-DD (the start of that day, UTC) or an RFC 3339 time.
std::optional<absl::Time> ParseExpiry(const std::string& text) {
  absl::Time t;
  std::string error;
  if (absl::ParseTime("%Y-%m-%d", text, absl::UTCTimeZone(), &t, &error) ||
      absl::ParseTime(absl::RFC3339_full, text, &t, &error)) {
    return t;
  }
  return std::nullopt;
}

int RunImport(const TokenFlags& flags, const CliContext& context,
              Client& client) {
  TokenImport request;
  request.token_id = flags.name;
  request.context = flags.context;
  request.description = flags.description;
  if (!ParsePermissions(flags.permissions, request.permissions)) {
    return kExitUsage;
  }
  if (!flags.expires.empty()) {
    std::optional<absl::Time> t = ParseExpiry(flags.expires);
    if (!t) {
      std::cerr << "sejf: --expires: expected YYYY-MM-DD or an RFC 3339 "
                   "time, e.g. 2027-01-31\n";
      return kExitUsage;
    }
    // Whole seconds: KSeF's expiry dates have no fraction.
    request.expire_time = absl::FromUnixSeconds(absl::ToUnixSeconds(*t));
  }
  absl::StatusOr<std::string> encrypted = ReadEncryptedSecret(flags, client);
  if (!encrypted.ok()) return CliContext::Fail(encrypted.status());
  request.encrypted_secret = *std::move(encrypted);
  return ShowResult(client.tokens().Import(request), context);
}

// Issue 14: a token minted in KSeF straight into the vault.
int RunCreate(const TokenFlags& flags, const CliContext& context,
              Client& client) {
  TokenCreate request;
  request.token_id = flags.name;
  request.session = ResourceName("sessions", flags.session);
  request.description = flags.description;
  if (!ParsePermissions(flags.permissions, request.permissions)) {
    return kExitUsage;
  }
  return ShowResult(client.tokens().CreateInKsef(request), context);
}

int RunRotate(const TokenFlags& flags, const CliContext& context,
              Client& client) {
  absl::StatusOr<std::string> encrypted = ReadEncryptedSecret(flags, client);
  if (!encrypted.ok()) return CliContext::Fail(encrypted.status());
  return ShowResult(
      client.tokens().RotateEncrypted(TokenName(flags), *encrypted), context);
}

int RunList(const TokenFlags& flags, const CliContext& context,
            Client& client) {
  TokenFilter filter;
  filter.context = flags.context;
  if (!flags.state.empty()) filter.state = ParseState(flags.state);
  auto tokens = client.tokens().ListAll(filter);
  if (!tokens.ok()) return CliContext::Fail(tokens.status());
  const absl::Time now = absl::Now();
  if (flags.expiring.has_value()) {
    // A token without an expiry (every token minted in KSeF: its API sets
    // none) never matches.
    std::erase_if(*tokens, [&](const Token& token) {
      return !token.expire_time.has_value() ||
             *token.expire_time >= now + *flags.expiring;
    });
  }
  if (context.json()) {
    std::cout << ToJson(*tokens);
    return kExitOk;
  }
  std::printf("%-32s %-26s %-10s %-7s %-10s %-36s %s\n", "NAME", "CONTEXT",
              "STATE", "VERSION", "KSEF", "KSEF REF", "EXPIRES");
  for (const Token& token : *tokens) {
    const std::string expires = token.expire_time.has_value()
                                    ? DescribeExpiry(*token.expire_time, now)
                                    : "never";
    std::printf("%-32s %-26s %-10s %-7lld %-10s %-36s %s\n", token.name.c_str(),
                token.context.c_str(), StateName(token.state).c_str(),
                static_cast<long long>(token.version),
                token.ksef_status.empty() ? "-" : token.ksef_status.c_str(),
                token.ksef_reference_number.empty()
                    ? "-"
                    : token.ksef_reference_number.c_str(),
                expires.c_str());
  }
  return kExitOk;
}

int RunDestroy(const TokenFlags& flags, const CliContext& context,
               Client& client) {
  const std::string name = TokenName(flags);
  if (flags.revoke_in_ksef != !flags.session.empty()) {
    std::cerr << "sejf: --revoke-in-ksef and --session go together: the "
                 "session (in the token's context) is what KSeF is called "
                 "through\n";
    return kExitUsage;
  }
  if (!flags.yes) {
    std::optional<int> refused = ConfirmDestroy(
        "token", name,
        flags.revoke_in_ksef
            ? "It is revoked in KSeF first, then its sealed secret is erased "
              "for good."
            : "Its sealed secret is erased for good; sejf can no longer use "
              "it to authenticate to KSeF.");
    if (refused.has_value()) return *refused;
  }
  if (flags.revoke_in_ksef) {
    return ShowResult(client.tokens().DestroyRevokingInKsef(
                          name, ResourceName("sessions", flags.session)),
                      context);
  }
  return ShowResult(client.tokens().Destroy(name), context);
}

}  // namespace

void AddTokenCommand(CLI::App& app, const CliContext& context, int* exit_code) {
  static TokenFlags flags;
  CLI::App* token = app.add_subcommand(
      "token", "KSeF tokens, stored sealed: import, rotate, lifecycle");
  token->require_subcommand(1);
  const auto run = [&context, exit_code](CLI::App* command, auto body) {
    command->callback([&context, exit_code, body] {
      *exit_code =
          context.WithClient([&](Client& client) { return body(client); });
    });
  };
  const auto name_arg = [](CLI::App* command) {
    command->add_option("name", flags.name, "The token (NAME or tokens/NAME)")
        ->required();
  };
  const auto secret_source = [](CLI::App* command) {
    command->add_option("--from-file", flags.from_file,
                        "Read the secret from FILE (mode 0600) instead of "
                        "stdin");
    command->add_option("--import-key-fingerprint",
                        flags.import_key_fingerprint,
                        "The token is sent encrypted to sejfd's import key: "
                        "refuse unless that key has this SHA-256 fingerprint "
                        "(sejf key import-key shows it)");
  };

  CLI::App* import = token->add_subcommand(
      "import", "Store a KSeF token; the secret is read from stdin");
  import->add_option("--name", flags.name, "Name: [a-z0-9][a-z0-9._-]{0,63}")
      ->required();
  import
      ->add_option("--context", flags.context,
                   "KSeF context it was issued in: nip:NNNNNNNNNN or "
                   "internal-id:NNNNNNNNNN-NNNNN")
      ->required();
  import->add_option("--permissions", flags.permissions,
                     "KSeF permissions, comma-separated: InvoiceRead,"
                     "InvoiceWrite,CredentialsRead,CredentialsManage,"
                     "SubunitManage,EnforcementOperations,Introspection");
  import->add_option("--description", flags.description, "Free text");
  import->add_option("--expires", flags.expires,
                     "When KSeF stops accepting it: YYYY-MM-DD or RFC 3339");
  secret_source(import);
  run(import,
      [&context](Client& client) { return RunImport(flags, context, client); });

  // Issue 14 (docs/lifecycle-tokens.md).
  CLI::App* create = token->add_subcommand(
      "create",
      "Mint a new token in KSeF through a session opened with a key; it is "
      "sealed at once and nobody sees it");
  create->add_option("--name", flags.name, "Name: [a-z0-9][a-z0-9._-]{0,63}")
      ->required();
  create
      ->add_option("--session", flags.session,
                   "The KSeF session (SESSION or sessions/SESSION) to mint "
                   "through; the token gets its context")
      ->required();
  create
      ->add_option("--permissions", flags.permissions,
                   "KSeF permissions, comma-separated: InvoiceRead,"
                   "InvoiceWrite,CredentialsRead,CredentialsManage,"
                   "SubunitManage,EnforcementOperations,Introspection,"
                   "CollectiveIdentifierManage")
      ->required();
  create
      ->add_option("--description", flags.description,
                   "5 to 256 characters, shown in KSeF")
      ->required();
  run(create,
      [&context](Client& client) { return RunCreate(flags, context, client); });

  CLI::App* rotate = token->add_subcommand(
      "rotate", "Replace a token's secret (read from stdin): a new version");
  name_arg(rotate);
  secret_source(rotate);
  run(rotate,
      [&context](Client& client) { return RunRotate(flags, context, client); });

  CLI::App* show = token->add_subcommand("show", "A token's metadata");
  name_arg(show);
  run(show, [&context](Client& client) {
    return ShowResult(client.tokens().Get(TokenName(flags)), context);
  });

  CLI::App* check = token->add_subcommand(
      "check",
      "Ask KSeF now for a token's status (GET /tokens/{ref}); the status "
      "watch does it every [ksef] token_status_interval_seconds");
  name_arg(check);
  run(check, [&context](Client& client) {
    return ShowResult(client.tokens().CheckInKsef(TokenName(flags)), context);
  });

  CLI::App* list = token->add_subcommand("list", "Tokens, all pages");
  list->add_option("--context", flags.context, "Only tokens of this context");
  list->add_option("--state", flags.state, "active, disabled or destroyed")
      ->check(CLI::IsMember({"active", "disabled", "destroyed"}));
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
      "Only tokens whose expiry (import --expires) falls within the window "
      "(30d, 12h) or has passed. KSeF sets no expiry on the tokens it mints, "
      "so those never match");
  run(list,
      [&context](Client& client) { return RunList(flags, context, client); });

  CLI::App* disable =
      token->add_subcommand("disable", "Stop a token from being used");
  name_arg(disable);
  run(disable, [&context](Client& client) {
    return ShowResult(client.tokens().Disable(TokenName(flags)), context);
  });

  CLI::App* enable =
      token->add_subcommand("enable", "Let a disabled token be used");
  name_arg(enable);
  run(enable, [&context](Client& client) {
    return ShowResult(client.tokens().Enable(TokenName(flags)), context);
  });

  CLI::App* destroy = token->add_subcommand(
      "destroy", "Erase a token's secret for good (asks first)");
  name_arg(destroy);
  destroy->add_flag("--yes", flags.yes, "Do not ask");
  destroy->add_flag("--revoke-in-ksef", flags.revoke_in_ksef,
                    "Revoke it in KSeF first (DELETE /tokens/{ref}); destroy "
                    "only when KSeF accepted");
  destroy->add_option("--session", flags.session,
                      "With --revoke-in-ksef: the KSeF session (in the "
                      "token's context) to call KSeF through");
  run(destroy, [&context](Client& client) {
    return RunDestroy(flags, context, client);
  });
}

}  // namespace sejf::client::cli
