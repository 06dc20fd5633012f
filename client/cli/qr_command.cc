#include "client/cli/qr_command.h"

#include <openssl/sha.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "client/api_json.h"
#include "client/cli/output.h"
#include "common/files.h"

namespace sejf::client::cli {
namespace {

// Everything the qr subcommands parse into; lives as long as the process.
struct QrFlags {
  std::string key;
  std::string context;
  std::string seller_nip;
  std::string invoice_file;
  std::string invoice_hash;
  std::string issue_date;
  std::string environment;
  std::string png_file;  // --png: also write the code as a PNG image
  std::string label;     // --label: the caption under it (server default)
};

std::string Sha256(const std::string& data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
}

// 64 hex digits or 43 characters of Base64URL → the 32 digest bytes.
std::optional<std::string> ParseHash(const std::string& text) {
  std::string digest;
  if (text.size() == 64) {
    for (size_t i = 0; i < text.size(); i += 2) {
      if (!absl::ascii_isxdigit(static_cast<unsigned char>(text[i])) ||
          !absl::ascii_isxdigit(static_cast<unsigned char>(text[i + 1]))) {
        return std::nullopt;
      }
    }
    return absl::HexStringToBytes(text);
  }
  if (text.size() == 43 && absl::WebSafeBase64Unescape(text, &digest) &&
      digest.size() == 32 && absl::WebSafeBase64Escape(digest) == text) {
    return digest;
  }
  return std::nullopt;
}

// The invoice's SHA-256 from --invoice or --invoice-hash, or the exit code
// after saying why not.
std::optional<std::string> InvoiceSha256(const QrFlags& flags, int* exit_code) {
  if (!flags.invoice_file.empty()) {
    auto bytes = ReadFile(flags.invoice_file);
    if (!bytes.ok()) {
      std::cerr << "sejf: --invoice: " << bytes.status().message() << "\n";
      *exit_code = kExitUsage;
      return std::nullopt;
    }
    return Sha256(*bytes);
  }
  std::optional<std::string> digest = ParseHash(flags.invoice_hash);
  if (!digest) {
    std::cerr << "sejf: --invoice-hash must be the invoice's SHA-256 as 43 "
                 "characters of Base64URL without padding (as in a KOD I "
                 "link) or 64 hex digits\n";
    *exit_code = kExitUsage;
  }
  return digest;
}

// Why `path` cannot take the PNG (its directory is missing or not
// writable, or it is a directory), checked before the server signs
// anything; "" when it looks writable.
std::string PngPathProblem(const std::string& path) {
  std::string dir = ".";
  if (auto slash = path.rfind('/'); slash != std::string::npos) {
    dir = slash == 0 ? "/" : path.substr(0, slash);
  }
  struct stat st;
  if (path.empty() || path.back() == '/' ||
      (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))) {
    return "is a directory; give a file name, e.g. kod.png";
  }
  if (stat(dir.c_str(), &st) != 0) {
    return "directory " + dir + ": " + std::strerror(errno);
  }
  if (!S_ISDIR(st.st_mode)) return dir + " is not a directory";
  if (access(dir.c_str(), W_OK) != 0) {
    return "directory " + dir + ": " + std::strerror(errno);
  }
  return "";
}

// --png/--label as the spec's PNG options; false (after saying why) when
// the file cannot be written.
bool SetPng(const QrFlags& flags, std::optional<QrPng>* png, int* exit_code) {
  if (flags.png_file.empty()) return true;
  if (std::string problem = PngPathProblem(flags.png_file); !problem.empty()) {
    std::cerr << "sejf: --png " << flags.png_file << ": " << problem << "\n";
    *exit_code = kExitUsage;
    return false;
  }
  *png = QrPng{.label = flags.label};
  return true;
}

// Prints the link (or the code as JSON, without the PNG bytes) and writes
// the PNG to --png.
int PrintUrl(const QrFlags& flags, QrCode& code, const CliContext& context) {
  const std::string png = std::exchange(code.png, "");
  if (!flags.png_file.empty()) {
    if (png.empty()) {
      std::cerr << "sejf: the server sent no PNG (is sejfd older than this "
                   "sejf?)\n";
      return kExitRefused;
    }
    if (absl::Status s = WriteFileAtomically(flags.png_file, png, 0644);
        !s.ok()) {
      std::cerr << "sejf: --png: " << s.message() << "\n";
      return kExitUsage;
    }
  }
  if (context.json()) {
    std::cout << ToJson(code);
  } else {
    std::cout << code.url << "\n";
  }
  return kExitOk;
}

int RunOffline(const QrFlags& flags, const CliContext& context,
               Client& client) {
  int exit_code = kExitOk;
  std::optional<std::string> digest = InvoiceSha256(flags, &exit_code);
  if (!digest) return exit_code;
  OfflineQrCodeSpec spec{.key = ResourceName("keys", flags.key),
                         .context = flags.context,
                         .seller_nip = flags.seller_nip,
                         .invoice_sha256 = *std::move(digest),
                         .environment = flags.environment,
                         .png = std::nullopt};
  if (!SetPng(flags, &spec.png, &exit_code)) return exit_code;
  auto code = client.ksef().SignOfflineQrCode(spec);
  if (!code.ok()) return CliContext::Fail(code.status());
  return PrintUrl(flags, *code, context);
}

int RunInvoice(const QrFlags& flags, const CliContext& context,
               Client& client) {
  int exit_code = kExitOk;
  std::optional<std::string> digest = InvoiceSha256(flags, &exit_code);
  if (!digest) return exit_code;
  InvoiceQrCodeSpec spec{.seller_nip = flags.seller_nip,
                         .issue_date = flags.issue_date,
                         .invoice_sha256 = *std::move(digest),
                         .environment = flags.environment,
                         .png = std::nullopt};
  if (!SetPng(flags, &spec.png, &exit_code)) return exit_code;
  auto code = client.ksef().BuildInvoiceQrCode(spec);
  if (!code.ok()) return CliContext::Fail(code.status());
  return PrintUrl(flags, *code, context);
}

}  // namespace

void AddQrCommand(CLI::App& app, const CliContext& context, int* exit_code) {
  static QrFlags flags;
  CLI::App* qr = app.add_subcommand(
      "qr", "KSeF invoice QR links: KOD I (invoice) and KOD II (offline)");
  qr->require_subcommand(1);
  const auto run = [&context, exit_code](CLI::App* command, auto body) {
    command->callback([&context, exit_code, body] {
      *exit_code =
          context.WithClient([&](Client& client) { return body(client); });
    });
  };
  const auto common = [](CLI::App* command) {
    command->add_option("--seller-nip", flags.seller_nip, "The seller's NIP")
        ->required();
    command
        ->add_option("--environment", flags.environment,
                     "test, demo or prod (the QR host)")
        ->required();
  };
  const auto png = [](CLI::App* command, const char* default_label) {
    CLI::Option* file =
        command
            ->add_option(
                "--png", flags.png_file,
                "Also write the code as a PNG image with its label to FILE")
            ->type_name("FILE");
    command
        ->add_option("--label", flags.label,
                     std::string("The caption under the code in the PNG "
                                 "(A-Z, 0-9, '-'; default ") +
                         default_label + ")")
        ->needs(file);
  };

  CLI::App* offline = qr->add_subcommand(
      "offline",
      "KOD II of an offline invoice, signed by an offline key: the link");
  offline->add_option("--key", flags.key, "The offline key (NAME or keys/NAME)")
      ->required();
  offline
      ->add_option("--context", flags.context,
                   "The KSeF login context, e.g. nip:5265877635")
      ->required();
  common(offline);
  auto* file = offline->add_option("--invoice", flags.invoice_file,
                                   "The invoice XML file (hashed here)");
  auto* hash = offline->add_option(
      "--invoice-hash", flags.invoice_hash,
      "The invoice's SHA-256: Base64URL (43 characters) or hex");
  file->excludes(hash);
  hash->excludes(file);
  png(offline, "CERTYFIKAT");
  run(offline, [&context](Client& client) {
    if (flags.invoice_file.empty() && flags.invoice_hash.empty()) {
      std::cerr << "sejf: qr offline needs --invoice FILE or --invoice-hash "
                   "H\n";
      return kExitUsage;
    }
    return RunOffline(flags, context, client);
  });

  CLI::App* invoice = qr->add_subcommand(
      "invoice", "KOD I, the invoice verification link (no secret)");
  common(invoice);
  invoice
      ->add_option("--issue-date", flags.issue_date,
                   "The invoice's issue date (P_1), YYYY-MM-DD")
      ->required();
  invoice
      ->add_option("--invoice", flags.invoice_file,
                   "The invoice XML file (hashed here)")
      ->required();
  png(invoice, "OFFLINE; give the KSeF number once KSeF assigned one");
  run(invoice, [&context](Client& client) {
    return RunInvoice(flags, context, client);
  });
}

}  // namespace sejf::client::cli
