// The client's conversions to and from the API's messages, without a server:
// every enum value known, times to the nanosecond, optional fields kept
// unset, and the API's JSON of a converted value byte for byte the JSON of
// the message it came from (what `sejf --output json` relies on).
#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>

#include "client/api_json.h"
#include "client/audit_conversions.h"
#include "client/common_conversions.h"
#include "client/key_conversions.h"
#include "client/ksef_conversions.h"
#include "client/session_conversions.h"
#include "client/token_conversions.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sejf::client {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::testing::ElementsAre;

std::string ProtoJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  std::string json;
  EXPECT_TRUE(
      google::protobuf::util::MessageToJsonString(message, &json, options)
          .ok());
  return json;
}

google::protobuf::Timestamp Ts(int64_t seconds, int32_t nanos) {
  google::protobuf::Timestamp t;
  t.set_seconds(seconds);
  t.set_nanos(nanos);
  return t;
}

// A key with every field set, two intermediates, a certificate.
v1::Key FullKey() {
  v1::Key key;
  key.set_name("keys/acme-auth");
  key.set_algorithm(v1::KEY_ALGORITHM_RSA_2048);
  key.set_usage(v1::KEY_USAGE_OFFLINE);
  key.set_state(v1::CREDENTIAL_STATE_DISABLED);
  *key.mutable_create_time() = Ts(1764000000, 123456789);
  key.set_pkcs11_uri("pkcs11:token=sejf;object=sejf-key%2Facme-auth");
  key.set_public_key_der(std::string("\x30\x59\x00\xff", 4));
  v1::Certificate* c = key.mutable_certificate();
  c->set_der(std::string("\x30\x82\x00", 3));
  c->set_pem("-----BEGIN CERTIFICATE-----\n...\n");
  c->set_subject("CN=Ala <&> \xc5\xbc,C=PL");
  c->set_issuer("CN=CA");
  c->set_serial_number("8000000000000001");
  *c->mutable_not_before() = Ts(1764000000, 0);
  *c->mutable_not_after() = Ts(1795536000, 500000000);
  c->set_sha256_fingerprint("AB12");
  key.add_chain_der("first");
  key.add_chain_der("second");
  // Key versions (issue 14): every field, renewal setting 0 included.
  key.set_version(2);
  key.set_current_version(3);
  *key.mutable_current_certificate() = *c;
  key.set_renew_before_days(0);
  return key;
}

v1::Token FullToken() {
  v1::Token token;
  token.set_name("tokens/erp");
  token.set_context("nip:5265877635");
  token.add_permissions(v1::TOKEN_PERMISSION_INVOICE_WRITE);
  token.add_permissions(v1::TOKEN_PERMISSION_COLLECTIVE_IDENTIFIER_MANAGE);
  token.set_description("opis \"żółw\"");
  token.set_state(v1::CREDENTIAL_STATE_ACTIVE);
  token.set_version(7);
  *token.mutable_create_time() = Ts(1764000000, 1000);
  *token.mutable_rotate_time() = Ts(1764000001, 0);
  *token.mutable_expire_time() = Ts(1798761600, 0);
  return token;
}

TEST(ConversionsTest, TimesAreExactToTheNanosecondBothWays) {
  for (const google::protobuf::Timestamp& t :
       {Ts(0, 0), Ts(1764000000, 1), Ts(1764000000, 999999999),
        Ts(-1, 999999999), Ts(-86400, 5)}) {
    const absl::Time time = FromProto(t);
    EXPECT_EQ(absl::ToUnixNanos(time), t.seconds() * 1000000000 + t.nanos());
    EXPECT_TRUE(MessageDifferencer::Equals(ToProto(time), t))
        << t.DebugString();
  }
}

TEST(ConversionsTest, EveryApiStateHasAClientStateAndBack) {
  const auto* values = v1::CredentialState_descriptor();
  for (int i = 0; i < values->value_count(); ++i) {
    const auto value =
        static_cast<v1::CredentialState>(values->value(i)->number());
    if (value == v1::CREDENTIAL_STATE_UNSPECIFIED) continue;
    EXPECT_NE(FromProto(value), CredentialState::kUnspecified)
        << values->value(i)->name();
    EXPECT_EQ(ToProto(FromProto(value)), value);
  }
  // A state this client does not know (a newer server) is unspecified.
  EXPECT_EQ(FromProto(static_cast<v1::CredentialState>(99)),
            CredentialState::kUnspecified);
  // No filter means any state.
  EXPECT_EQ(ToProto(std::optional<CredentialState>()),
            v1::CREDENTIAL_STATE_UNSPECIFIED);
}

TEST(ConversionsTest, KeyRoundTripsWithEveryFieldAndEnumValue) {
  v1::Key key = FullKey();
  const Key converted = FromProto(key);
  EXPECT_EQ(converted.algorithm, KeyAlgorithm::kRsa2048);
  EXPECT_EQ(converted.usage, KeyUsage::kOffline);
  EXPECT_EQ(converted.state, CredentialState::kDisabled);
  ASSERT_TRUE(converted.certificate.has_value());
  EXPECT_EQ(converted.certificate->not_after,
            absl::FromUnixSeconds(1795536000) + absl::Milliseconds(500));
  EXPECT_THAT(converted.chain_der, ElementsAre("first", "second"));
  EXPECT_TRUE(MessageDifferencer::Equals(ToProto(converted), key));

  // Every algorithm and usage the API has survives the trip.
  for (int i = 0; i < v1::KeyAlgorithm_descriptor()->value_count(); ++i) {
    key.set_algorithm(static_cast<v1::KeyAlgorithm>(
        v1::KeyAlgorithm_descriptor()->value(i)->number()));
    EXPECT_TRUE(MessageDifferencer::Equals(ToProto(FromProto(key)), key))
        << v1::KeyAlgorithm_descriptor()->value(i)->name();
  }
  for (int i = 0; i < v1::KeyUsage_descriptor()->value_count(); ++i) {
    key.set_usage(static_cast<v1::KeyUsage>(
        v1::KeyUsage_descriptor()->value(i)->number()));
    EXPECT_TRUE(MessageDifferencer::Equals(ToProto(FromProto(key)), key))
        << v1::KeyUsage_descriptor()->value(i)->name();
  }
}

TEST(ConversionsTest, KeyWithoutCertificateStaysWithout) {
  v1::Key key = FullKey();
  key.clear_certificate();
  key.clear_chain_der();
  const Key converted = FromProto(key);
  EXPECT_FALSE(converted.certificate.has_value());
  EXPECT_FALSE(ToProto(converted).has_certificate());
  EXPECT_EQ(ToJson(converted), ProtoJson(key));
}

TEST(ConversionsTest, TokenRoundTripsWithEveryPermission) {
  v1::Token token = FullToken();
  const Token converted = FromProto(token);
  EXPECT_THAT(converted.permissions,
              ElementsAre(TokenPermission::kInvoiceWrite,
                          TokenPermission::kCollectiveIdentifierManage));
  ASSERT_TRUE(converted.expire_time.has_value());
  EXPECT_TRUE(MessageDifferencer::Equals(ToProto(converted), token));

  token.clear_permissions();
  const auto* values = v1::TokenPermission_descriptor();
  for (int i = 0; i < values->value_count(); ++i) {
    token.add_permissions(
        static_cast<v1::TokenPermission>(values->value(i)->number()));
  }
  const Token all = FromProto(token);
  for (size_t i = 1; i < all.permissions.size(); ++i) {
    EXPECT_NE(all.permissions[i], TokenPermission::kUnspecified)
        << values->value(i)->name();
  }
  EXPECT_TRUE(MessageDifferencer::Equals(ToProto(all), token));
}

TEST(ConversionsTest, TokenThatNeverExpiresHasNoExpiry) {
  v1::Token token = FullToken();
  token.clear_expire_time();
  const Token converted = FromProto(token);
  EXPECT_FALSE(converted.expire_time.has_value());
  EXPECT_FALSE(ToProto(converted).has_expire_time());
}

TEST(ConversionsTest, ImportCarriesTheSecretAndEveryField) {
  TokenImport token{.token_id = "erp",
                    .context = "nip:5265877635",
                    .permissions = {TokenPermission::kInvoiceRead,
                                    TokenPermission::kIntrospection},
                    .description = "ERP",
                    .expire_time = absl::FromUnixSeconds(1798761600),
                    .secret = SecretFromView("20251124-EC-ABCDEF|nip-1|x")};
  v1::ImportTokenRequest request = ToProto(token);
  EXPECT_EQ(request.token_id(), "erp");
  EXPECT_EQ(request.context(), "nip:5265877635");
  EXPECT_THAT(request.permissions(),
              ElementsAre(v1::TOKEN_PERMISSION_INVOICE_READ,
                          v1::TOKEN_PERMISSION_INTROSPECTION));
  EXPECT_EQ(request.description(), "ERP");
  EXPECT_EQ(request.expire_time().seconds(), 1798761600);
  EXPECT_EQ(request.secret(), "20251124-EC-ABCDEF|nip-1|x");
  WipeString(request.mutable_secret());
  EXPECT_TRUE(request.secret().empty());

  token.expire_time.reset();
  EXPECT_FALSE(ToProto(token).has_expire_time());
}

TEST(ConversionsTest, FiltersLeaveUnsetMeaningAny) {
  v1::ListKeysRequest keys =
      ToProto(KeyFilter{}, PageRequest{.page_size = 5, .page_token = "p2"});
  EXPECT_EQ(keys.usage(), v1::KEY_USAGE_UNSPECIFIED);
  EXPECT_EQ(keys.state(), v1::CREDENTIAL_STATE_UNSPECIFIED);
  EXPECT_EQ(keys.page_size(), 5);
  EXPECT_EQ(keys.page_token(), "p2");
  keys = ToProto(KeyFilter{.usage = KeyUsage::kAuthentication,
                           .state = CredentialState::kDestroyed,
                           .expiring_within_days = 30},
                 PageRequest{});
  EXPECT_EQ(keys.usage(), v1::KEY_USAGE_AUTHENTICATION);
  EXPECT_EQ(keys.state(), v1::CREDENTIAL_STATE_DESTROYED);
  EXPECT_EQ(keys.expiring_within_days(), 30);

  v1::ListEventsRequest events = ToProto(AuditFilter{}, PageRequest{});
  EXPECT_FALSE(events.has_start_time());
  EXPECT_FALSE(events.has_end_time());
  events =
      ToProto(AuditFilter{.start_time = absl::FromUnixMicros(1764000000000001),
                          .end_time = std::nullopt,
                          .identity = "erp-1",
                          .operation = "auth.xades",
                          .outcome = "OK"},
              PageRequest{});
  EXPECT_EQ(events.start_time().seconds(), 1764000000);
  EXPECT_EQ(events.start_time().nanos(), 1000);
  EXPECT_FALSE(events.has_end_time());
  EXPECT_EQ(events.identity(), "erp-1");
}

TEST(ConversionsTest, CsrSubjectIsADistinguishedNameOrEnrollmentData) {
  v1::CreateCsrRequest dn = ToProto("keys/a", CsrSubject("CN=Jan,C=PL"));
  EXPECT_EQ(dn.subject(), "CN=Jan,C=PL");
  EXPECT_FALSE(dn.has_enrollment_data());

  v1::CreateCsrRequest data = ToProto(
      "keys/a", CsrSubject(EnrollmentData{.common_name = "Jan",
                                          .country_name = "PL",
                                          .given_name = "",
                                          .surname = "",
                                          .serial_number = "TINPL-1",
                                          .unique_identifier = "",
                                          .organization_name = "",
                                          .organization_identifier = "o"}));
  EXPECT_EQ(data.name(), "keys/a");
  ASSERT_TRUE(data.has_enrollment_data());
  EXPECT_EQ(data.enrollment_data().common_name(), "Jan");
  EXPECT_EQ(data.enrollment_data().serial_number(), "TINPL-1");
  EXPECT_EQ(data.enrollment_data().organization_identifier(), "o");
}

TEST(ConversionsTest, AllowedIpsAreSentOnlyWhenThereAreSome) {
  AuthTokenRequest request{
      .key = "keys/a",
      .challenge = "c",
      .context = "nip:5265877635",
      .subject_identifier_type = SubjectIdentifierType::kCertificateFingerprint,
      .allowed_ips = {},
      .ns = AuthTokenNamespace::kV2_1};
  v1::SignAuthTokenRequestRequest out = ToProto(request);
  EXPECT_FALSE(out.has_allowed_ips());
  EXPECT_EQ(out.subject_identifier_type(),
            v1::SUBJECT_IDENTIFIER_TYPE_CERTIFICATE_FINGERPRINT);
  EXPECT_EQ(out.namespace_(), v1::AUTH_TOKEN_NAMESPACE_V2_1);

  request.allowed_ips.ip4_masks = {"10.0.0.0/8"};
  out = ToProto(request);
  ASSERT_TRUE(out.has_allowed_ips());
  EXPECT_THAT(out.allowed_ips().ip4_masks(), ElementsAre("10.0.0.0/8"));

  // Unspecified: the server's defaults.
  out = ToProto(AuthTokenRequest{});
  EXPECT_EQ(out.subject_identifier_type(),
            v1::SUBJECT_IDENTIFIER_TYPE_UNSPECIFIED);
  EXPECT_EQ(out.namespace_(), v1::AUTH_TOKEN_NAMESPACE_UNSPECIFIED);
}

TEST(ConversionsTest, PngIsAskedForOnlyWhenSet) {
  InvoiceQrCodeSpec spec{.seller_nip = "5265877635",
                         .issue_date = "2026-11-24",
                         .invoice_sha256 = std::string(32, 'h'),
                         .environment = "test",
                         .png = std::nullopt};
  EXPECT_FALSE(ToProto(spec).has_png());
  spec.png = QrPng{};
  EXPECT_TRUE(ToProto(spec).has_png());
  spec.png = QrPng{.label = "OFFLINE", .module_pixels = 4};
  EXPECT_EQ(ToProto(spec).png().label(), "OFFLINE");
  EXPECT_EQ(ToProto(spec).png().module_pixels(), 4);
}

TEST(ConversionsTest, MinistryCertificateUsagesRoundTrip) {
  v1::MinistryCertificate c;
  c.set_name("environments/test/ministryCertificates/ab");
  c.set_environment("test");
  const auto* values = v1::MinistryCertificateUsage_descriptor();
  for (int i = 1; i < values->value_count(); ++i) {
    c.add_usages(
        static_cast<v1::MinistryCertificateUsage>(values->value(i)->number()));
  }
  *c.mutable_valid_from() = Ts(1764000000, 0);
  *c.mutable_valid_to() = Ts(1795536000, 0);
  c.set_der("der");
  c.set_trusted_by("operator-pin");
  const MinistryCertificate converted = FromProto(c);
  for (MinistryCertificateUsage u : converted.usages) {
    EXPECT_NE(u, MinistryCertificateUsage::kUnspecified);
  }
  EXPECT_FALSE(converted.retire_time.has_value());
  EXPECT_TRUE(MessageDifferencer::Equals(ToProto(converted), c));
  // A retired one keeps its retire time, to the nanosecond.
  *c.mutable_retire_time() = Ts(1780000000, 123456789);
  const MinistryCertificate retired = FromProto(c);
  ASSERT_TRUE(retired.retire_time.has_value());
  EXPECT_TRUE(MessageDifferencer::Equals(ToProto(retired), c));
}

// The CLI prints the client's JSON where it printed the message's: the two
// must not differ by a byte.
TEST(ConversionsTest, ApiJsonIsTheJsonOfTheMessage) {
  const v1::Key key = FullKey();
  EXPECT_EQ(ToJson(FromProto(key)), ProtoJson(key));

  v1::ListKeysResponse keys;
  *keys.add_keys() = key;
  *keys.add_keys() = key;
  EXPECT_EQ(ToJson(FromProto(keys).items), ProtoJson(keys));
  EXPECT_EQ(ToJson(std::vector<Key>()), ProtoJson(v1::ListKeysResponse()));

  const v1::Token token = FullToken();
  EXPECT_EQ(ToJson(FromProto(token)), ProtoJson(token));

  v1::AuditEvent event;
  event.set_sequence(3);
  *event.mutable_time() = Ts(1764000000, 120000);
  event.set_identity("erp-1");
  event.set_outcome("STARTED");
  event.set_rule("r");
  v1::ListEventsResponse events;
  *events.add_events() = event;
  EXPECT_EQ(ToJson(FromProto(events).items), ProtoJson(events));

  v1::VerifyChainResponse verified;
  verified.set_ok(true);
  verified.set_events_checked(10);
  verified.set_head_sequence(10);
  verified.set_head_hash(std::string(64, 'a'));
  verified.set_anchored(true);
  verified.set_anchored_sequence(9);
  EXPECT_EQ(ToJson(FromProto(verified)), ProtoJson(verified));

  v1::SignAuthTokenRequestResponse signed_request;
  signed_request.set_signed_xml("<AuthTokenRequest/>");
  *signed_request.mutable_signing_time() = Ts(1764000000, 0);
  signed_request.set_certificate_sha256_fingerprint("AB");
  EXPECT_EQ(ToJson(FromProto(signed_request)), ProtoJson(signed_request));

  v1::GetVaultStatusResponse status;
  status.set_current_data_key_id(2);
  status.set_records_pending_reseal(0);
  status.set_kek_uri("pkcs11:object=sejf-kek-v1");
  EXPECT_EQ(ToJson(FromProto(status)), ProtoJson(status));

  v1::SignOfflineQrCodeResponse qr;
  qr.set_url("https://qr-test.ksef.mf.gov.pl/certificate/x");
  EXPECT_EQ(ToJson(FromProto(qr)), ProtoJson(qr));

  v1::BackupVaultResponse backup;
  backup.set_directory("/srv/backups/sejf");
  backup.set_database_bytes(1220608);
  backup.set_hsm_files(23);
  backup.set_other_files(9);
  backup.set_hsm_frozen_ms(14);
  EXPECT_EQ(ToJson(FromProto(backup)), ProtoJson(backup));
  EXPECT_EQ(ToProto(FromProto(backup)).SerializeAsString(),
            backup.SerializeAsString());
}

TEST(ConversionsTest, VaultCheckRoundTripsEveryKindAndPrintsCleanFalse) {
  v1::CheckVaultResponse check;
  check.set_keys_checked(2);
  check.set_tokens_checked(3);
  for (int kind = v1::VAULT_FINDING_KIND_ORPHAN_KEY_OBJECT;
       kind <= v1::VAULT_FINDING_KIND_UNRECORDED_KEK; ++kind) {
    v1::VaultFinding* finding = check.add_findings();
    finding->set_kind(static_cast<v1::VaultFindingKind>(kind));
    finding->set_subject("keys/acme");
    finding->set_detail("found");
    finding->set_remedy("repair");
  }
  const VaultCheck converted = FromProto(check);
  ASSERT_EQ(converted.findings.size(), 10u);
  EXPECT_EQ(converted.findings.front().kind, "orphan_key_object");
  EXPECT_EQ(converted.findings.back().kind, "unrecorded_kek");
  EXPECT_EQ(ToProto(converted).SerializeAsString(), check.SerializeAsString());
  // Every field is printed: a script reads "clean": false, not its absence.
  EXPECT_NE(ToJson(converted).find("\"clean\": false"), std::string::npos);
  EXPECT_NE(ToJson(converted).find("\"hsmObjects\": \"0\""), std::string::npos);
}

TEST(ConversionsTest, SessionRoundTripsWithEveryStateAndOptionalTime) {
  v1::KsefSession s;
  s.set_name("sessions/acme");
  s.set_credential("tokens/acme");
  s.set_context("nip:5265877635");
  s.set_environment("test");
  s.mutable_allowed_ips()->add_ip4_addresses("127.0.0.1");
  s.mutable_allowed_ips()->add_ip4_ranges("10.0.0.1-10.0.0.9");
  s.mutable_allowed_ips()->add_ip4_masks("10.0.0.0/8");
  s.set_reference_number("20250514-AU-2DFC46C000-3AC6D5877F-D4");
  *s.mutable_access_token_expire_time() = Ts(1764000900, 5);
  *s.mutable_refresh_token_expire_time() = Ts(1764604800, 0);
  *s.mutable_last_refresh_time() = Ts(1764000300, 0);
  s.set_last_error("FAILED_PRECONDITION: KSeF status 450");
  *s.mutable_create_time() = Ts(1764000000, 0);
  *s.mutable_update_time() = Ts(1764000300, 0);
  const auto* states = v1::SessionState_descriptor();
  for (int i = 1; i < states->value_count(); ++i) {
    s.set_state(static_cast<v1::SessionState>(states->value(i)->number()));
    const KsefSession converted = FromProto(s);
    EXPECT_NE(converted.state, SessionState::kUnspecified);
    EXPECT_TRUE(MessageDifferencer::Equals(ToProto(converted), s));
    EXPECT_EQ(ToJson(converted), ProtoJson(s));
  }

  // A closed session has no token times: they stay unset.
  s.clear_access_token_expire_time();
  s.clear_refresh_token_expire_time();
  s.clear_last_refresh_time();
  const KsefSession closed = FromProto(s);
  EXPECT_FALSE(closed.access_token_expire_time.has_value());
  EXPECT_FALSE(closed.last_refresh_time.has_value());
  EXPECT_TRUE(MessageDifferencer::Equals(ToProto(closed), s));
}

TEST(ConversionsTest, AccessTokenJsonCarriesTheTokenAndItsExpiry) {
  v1::GetAccessTokenResponse response;
  response.set_access_token("eyJ.access.token");
  *response.mutable_valid_until() = Ts(1764000900, 0);
  const AccessToken token = FromProto(response);
  EXPECT_EQ(SecretView(token.token), "eyJ.access.token");
  const SecretBytes json = ToJson(token);
  EXPECT_EQ(SecretView(json), ProtoJson(response));
}

}  // namespace
}  // namespace sejf::client
