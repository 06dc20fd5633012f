#include "signer/ministry/ministry_certificate_store.h"

#include <algorithm>
#include <exception>
#include <memory>
#include <optional>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"
#include "vault/records/credential_name.h"
#include "vault/records/record_base64.h"
#include "vault/records/record_json.h"

namespace sejf::signer {
namespace {

using Json = nlohmann::json;

constexpr int kFormat = 1;
constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 500;

std::string RecordName(absl::string_view environment,
                       const MinistryCertificate& c) {
  return absl::StrCat(environment, "/", c.Fingerprint());
}

// Same content: everything but when, where and from which file format it
// was stored (the same certificate as PEM or as DER is the same import).
// How it was admitted is not content either (a pin seal differs per seal).
bool SameContent(MinistryCertificate a, MinistryCertificate b) {
  a.import_time = b.import_time;
  a.source = b.source;
  a.record_name = b.record_name;
  a.version = b.version;
  a.trusted_by = b.trusted_by;
  a.pin_seal = b.pin_seal;
  a.retire_time = b.retire_time;
  return EncodeMinistryCertificateRecord(a) ==
         EncodeMinistryCertificateRecord(b);
}

absl::StatusOr<MinistryCertificate> FromRecord(const vault::Record& record) {
  auto c = DecodeMinistryCertificateRecord(record.data);
  if (!c.ok()) {
    return absl::DataLossError(absl::StrCat("Ministry certificate record ",
                                            record.name, ": ",
                                            c.status().message()));
  }
  c->record_name = record.name;
  c->version = record.version;
  return c;
}

// Retires, within `tx`, every current certificate of `environment` whose
// record name is not in `listed` (damaged records are left as they are).
absl::Status RetireUnlisted(vault::Transaction& tx,
                            absl::string_view environment,
                            const absl::flat_hash_set<std::string>& listed,
                            absl::Time now,
                            MinistryCertificateRefresh& refresh) {
  const std::string prefix = absl::StrCat(environment, "/");
  vault::ListOptions options{.start_after = prefix,
                             .limit = vault::kMaxListLimit};
  for (;;) {
    ASSIGN_OR_RETURN(vault::ListPage page,
                     tx.List(kMinistryCertificateKind, options));
    for (const vault::Record& record : page.records) {
      if (!absl::StartsWith(record.name, prefix)) return absl::OkStatus();
      if (listed.contains(record.name)) continue;
      absl::StatusOr<MinistryCertificate> c = FromRecord(record);
      if (!c.ok() || c->retire_time.has_value()) continue;
      c->retire_time = now;
      RETURN_IF_ERROR(tx.Update(kMinistryCertificateKind, record.name,
                                record.version,
                                EncodeMinistryCertificateRecord(*c))
                          .status());
      refresh.retired.push_back(c->Fingerprint());
    }
    if (!page.next_start_after.has_value()) return absl::OkStatus();
    options.start_after = *page.next_start_after;
  }
}

}  // namespace

absl::Status ValidateEnvironmentName(absl::string_view environment) {
  if (environment.empty()) {
    return absl::InvalidArgumentError(
        "environment is required: test, demo, prod or a configured custom "
        "environment");
  }
  return vault::ValidateCredentialName(environment, "environment");
}

std::string EncodeMinistryCertificateRecord(const MinistryCertificate& c) {
  Json usages = Json::array();
  for (MinistryCertificateUsage u : c.usages) {
    usages.push_back(std::string(MinistryCertificateUsageName(u)));
  }
  Json j = {{"format", kFormat},
            {"environment", c.environment},
            {"usages", usages},
            {"certificate_id", c.certificate_id},
            {"public_key_id", c.public_key_id},
            {"spki_sha256", c.spki_sha256},
            {"der", absl::Base64Escape(c.der)},
            {"subject", c.subject},
            {"issuer", c.issuer},
            {"serial", c.serial_hex},
            {"valid_from_us", absl::ToUnixMicros(c.valid_from)},
            {"valid_to_us", absl::ToUnixMicros(c.valid_to)},
            {"source", std::string(MinistryCertificateSourceName(c.source))},
            {"import_time_us", absl::ToUnixMicros(c.import_time)}};
  if (!c.trusted_by.empty()) j["trusted_by"] = c.trusted_by;
  if (!c.pin_seal.empty()) j["pin_seal"] = absl::Base64Escape(c.pin_seal);
  if (c.retire_time.has_value()) {
    j["retired_time_us"] = absl::ToUnixMicros(*c.retire_time);
  }
  return j.dump();
}

absl::StatusOr<MinistryCertificate> DecodeMinistryCertificateRecord(
    absl::string_view data) {
  try {
    Json j = Json::parse(data.begin(), data.end());
    if (vault::RecordInt64(j.at("format"), "format") != kFormat) {
      return absl::DataLossError(
          absl::StrCat("record has format ", j.at("format").dump(),
                       "; this sejfd reads format ", kFormat));
    }
    MinistryCertificate c;
    c.environment = j.at("environment").get<std::string>();
    for (const Json& u : j.at("usages")) {
      auto usage = MinistryCertificateUsageFromName(u.get<std::string>());
      if (!usage) return absl::DataLossError("record has an unknown usage");
      c.usages.push_back(*usage);
    }
    if (c.usages.empty()) return absl::DataLossError("record has no usage");
    c.certificate_id = j.at("certificate_id").get<std::string>();
    c.public_key_id = j.at("public_key_id").get<std::string>();
    c.spki_sha256 = j.at("spki_sha256").get<std::string>();
    c.der = vault::Unb64(j.at("der").get<std::string>(), "der");
    c.subject = j.at("subject").get<std::string>();
    c.issuer = j.at("issuer").get<std::string>();
    c.serial_hex = j.at("serial").get<std::string>();
    c.valid_from = absl::FromUnixMicros(
        vault::RecordInt64(j.at("valid_from_us"), "valid_from_us"));
    c.valid_to = absl::FromUnixMicros(
        vault::RecordInt64(j.at("valid_to_us"), "valid_to_us"));
    std::string source = j.at("source").get<std::string>();
    if (source == "json") {
      c.source = MinistryCertificateSource::kJson;
    } else if (source == "pem") {
      c.source = MinistryCertificateSource::kPem;
    } else if (source == "der") {
      c.source = MinistryCertificateSource::kDer;
    } else {
      return absl::DataLossError("record has an unknown source");
    }
    c.import_time = absl::FromUnixMicros(
        vault::RecordInt64(j.at("import_time_us"), "import_time_us"));
    if (j.contains("trusted_by")) {
      c.trusted_by = j.at("trusted_by").get<std::string>();
    }
    if (j.contains("pin_seal")) {
      c.pin_seal =
          vault::Unb64(j.at("pin_seal").get<std::string>(), "pin_seal");
    }
    if (j.contains("retired_time_us")) {
      c.retire_time = absl::FromUnixMicros(
          vault::RecordInt64(j.at("retired_time_us"), "retired_time_us"));
    }
    return c;
  } catch (const std::exception& e) {
    return absl::DataLossError(absl::StrCat("record is damaged: ", e.what()));
  }
}

MinistryCertificateStore::MinistryCertificateStore(vault::Storage* storage,
                                                   const MinistryTrust* trust,
                                                   const Clock* clock)
    : storage_(storage), trust_(trust), clock_(clock) {}

absl::StatusOr<std::vector<MinistryCertificate>>
MinistryCertificateStore::Import(
    absl::string_view environment, absl::string_view content,
    MinistryCertificateUsage usage,
    absl::Span<const std::string> pin_fingerprints) {
  return DoImport(environment, content, usage, pin_fingerprints, nullptr);
}

absl::StatusOr<MinistryCertificateRefresh>
MinistryCertificateStore::ImportFromKsef(
    absl::string_view environment, absl::string_view json,
    absl::Span<const std::string> pin_fingerprints) {
  MinistryCertificateRefresh refresh;
  ASSIGN_OR_RETURN(refresh.certificates,
                   DoImport(environment, json,
                            MinistryCertificateUsage::kKsefTokenEncryption,
                            pin_fingerprints, &refresh));
  std::sort(refresh.added.begin(), refresh.added.end());
  std::sort(refresh.retired.begin(), refresh.retired.end());
  std::sort(refresh.unretired.begin(), refresh.unretired.end());
  return refresh;
}

absl::StatusOr<std::vector<MinistryCertificate>>
MinistryCertificateStore::DoImport(
    absl::string_view environment, absl::string_view content,
    MinistryCertificateUsage usage,
    absl::Span<const std::string> pin_fingerprints,
    MinistryCertificateRefresh* refresh) {
  RETURN_IF_ERROR(ValidateEnvironmentName(environment));
  absl::Time now = clock_->Now();
  ASSIGN_OR_RETURN(std::vector<MinistryCertificate> parsed,
                   ParseMinistryCertificates(content, usage, now));
  if (refresh != nullptr) {
    for (const MinistryCertificate& c : parsed) {
      if (c.source != MinistryCertificateSource::kJson) {
        return absl::InvalidArgumentError(
            "KSeF's certificate list must be the JSON of GET "
            "/security/public-key-certificates, not PEM or DER");
      }
    }
  }
  for (MinistryCertificate& c : parsed)
    c.environment = std::string(environment);
  ASSIGN_OR_RETURN(std::vector<MinistryTrustGrant> grants,
                   trust_->Admit(environment, parsed, pin_fingerprints, now));
  ASSIGN_OR_RETURN(std::unique_ptr<vault::Transaction> tx,
                   storage_->Begin(vault::TransactionMode::kReadWrite));
  std::vector<MinistryCertificate> stored;
  absl::flat_hash_set<std::string> listed;  // record names
  for (std::size_t i = 0; i < parsed.size(); ++i) {
    MinistryCertificate& c = parsed[i];
    c.trusted_by = std::move(grants[i].trusted_by);
    c.pin_seal = std::move(grants[i].pin_seal);
    c.import_time = now;
    std::string name = RecordName(environment, c);
    ASSIGN_OR_RETURN(std::optional<vault::Record> existing,
                     tx->Get(kMinistryCertificateKind, name));
    listed.insert(name);
    vault::Record written;
    if (!existing.has_value()) {
      ASSIGN_OR_RETURN(written, tx->Insert(kMinistryCertificateKind, name,
                                           EncodeMinistryCertificateRecord(c)));
      if (refresh != nullptr) refresh->added.push_back(c.Fingerprint());
    } else {
      // A damaged record is replaced by the certificate just admitted.
      absl::StatusOr<MinistryCertificate> old = FromRecord(*existing);
      // Kept as it is only while it is current and still passes the trust
      // (at its own notBefore when that is still ahead: rotation publishes
      // early).
      if (old.ok() && !old->retire_time.has_value() && SameContent(*old, c) &&
          trust_->CheckForUse(*old, std::max(now, old->valid_from)).ok()) {
        stored.push_back(*std::move(old));
        continue;
      }
      // First stored; kept across updates.
      if (old.ok()) c.import_time = old->import_time;
      if (refresh != nullptr && old.ok() && old->retire_time.has_value()) {
        refresh->unretired.push_back(c.Fingerprint());
      }
      ASSIGN_OR_RETURN(
          written, tx->Update(kMinistryCertificateKind, name, existing->version,
                              EncodeMinistryCertificateRecord(c)));
    }
    c.record_name = written.name;
    c.version = written.version;
    stored.push_back(std::move(c));
  }
  if (refresh != nullptr) {
    RETURN_IF_ERROR(RetireUnlisted(*tx, environment, listed, now, *refresh));
  }
  RETURN_IF_ERROR(tx->Commit());
  return stored;
}

absl::StatusOr<MinistryCertificatePage> MinistryCertificateStore::List(
    absl::string_view environment, int page_size,
    absl::string_view page_token) {
  if (!environment.empty())
    RETURN_IF_ERROR(ValidateEnvironmentName(environment));
  if (page_size < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("page size must not be negative; got ", page_size));
  }
  if (page_size == 0) page_size = kDefaultPageSize;
  page_size = std::min(page_size, kMaxPageSize);
  std::string prefix =
      environment.empty() ? "" : absl::StrCat(environment, "/");
  if (!page_token.empty() && !absl::StartsWith(page_token, prefix)) {
    return absl::InvalidArgumentError(
        "page token does not come from this listing; start again without "
        "one");
  }
  absl::Time now = clock_->Now();
  vault::ListOptions options;
  options.start_after = page_token.empty() ? prefix : std::string(page_token);
  options.limit = page_size;
  ASSIGN_OR_RETURN(vault::ListPage page,
                   storage_->List(kMinistryCertificateKind, options));
  MinistryCertificatePage out;
  bool left_prefix = false;
  for (const vault::Record& record : page.records) {
    if (!absl::StartsWith(record.name, prefix)) {
      left_prefix = true;
      break;
    }
    ASSIGN_OR_RETURN(MinistryCertificate c, FromRecord(record));
    if (!trust_->CheckForUse(c, std::max(now, c.valid_from)).ok()) {
      c.trusted_by = std::string(kTrustedByNone);
    }
    out.certificates.push_back(std::move(c));
  }
  if (!left_prefix && page.next_start_after.has_value()) {
    out.next_page_token = *page.next_start_after;
  }
  return out;
}

absl::StatusOr<std::vector<MinistryCertificate>>
MinistryCertificateStore::LoadAll(absl::string_view environment) {
  std::vector<MinistryCertificate> all;
  std::string token;
  do {
    ASSIGN_OR_RETURN(MinistryCertificatePage page,
                     List(environment, kMaxPageSize, token));
    for (MinistryCertificate& c : page.certificates) {
      all.push_back(std::move(c));
    }
    token = std::move(page.next_page_token);
  } while (!token.empty());
  return all;
}

absl::StatusOr<MinistryCertificate>
MinistryCertificateStore::SelectForTokenEncryption(
    absl::string_view environment, absl::Time now) {
  RETURN_IF_ERROR(ValidateEnvironmentName(environment));
  ASSIGN_OR_RETURN(std::vector<MinistryCertificate> all, LoadAll(environment));
  const MinistryCertificate* best = nullptr;
  int with_usage = 0;
  int retired = 0;
  for (const MinistryCertificate& c : all) {
    if (!c.HasUsage(MinistryCertificateUsage::kKsefTokenEncryption)) continue;
    if (c.retire_time.has_value()) {
      ++retired;
      continue;
    }
    ++with_usage;
    if (!c.ValidAt(now)) continue;
    if (best == nullptr ||
        std::make_tuple(c.valid_from, c.valid_to) >
            std::make_tuple(best->valid_from, best->valid_to)) {
      best = &c;  // records come in name order: ties keep the smaller name
    }
  }
  if (best == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no Ministry certificate with usage KsefTokenEncryption is valid now "
        "in environment ",
        environment, " (", with_usage,
        with_usage == 1 ? " such certificate is" : " such certificates are",
        " stored, none valid now",
        retired > 0
            ? absl::StrCat("; ", retired, " retired: no longer in KSeF's list")
            : "",
        "); import with sejf mfcert import "
        "--environment ",
        environment));
  }
  return *best;
}

}  // namespace sejf::signer
