// The authorization matrix (issue 17): every RPC of every sejf.v1 service a
// running sejfd serves, listed from the server's own descriptors (gRPC
// server reflection), called with a valid request (the rows,
// authz_matrix_table.h) as each kind of caller (the columns,
// authz_matrix_columns.h).
//
// A refused call answers PERMISSION_DENIED or UNAUTHENTICATED and leaves an
// audit event with that outcome under the call's x-request-id — or, for a
// record looked up by name that the caller may not see (rpc_call.h,
// AuthorizeFound), NOT_FOUND exactly as for a missing record with the audit
// event recording PERMISSION_DENIED. Nothing weaker passes. A served call is
// neither refused on the wire nor in the audit, and its audit event names
// the rule of the column's identity, so the matrix cannot pass by denying
// everything, and the row's operation is the one the handler authorizes.
//
// A method sejfd reflects that has no row fails the test: a new RPC must
// come with its request and policy mapping.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>
#include <grpcpp/generic/generic_stub.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sejf/v1/audit_log.grpc.pb.h"
#include "sejf/v1/ksef_sessions.grpc.pb.h"
#include "server/policy/operations.h"
#include "server/tls/testing/openssl_ca.h"
#include "tests/authz_matrix_columns.h"
#include "tests/authz_matrix_table.h"
#include "tests/testing/ksef_emulator.h"
#include "tests/testing/reflection_client.h"
#include "tests/testing/sejfd_test.h"
#include "tests/testing/tls_client.h"

namespace sejf::testing::authz {
namespace {

using server::OperationName;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSubject[] =
    "CN=Jan Kowalski,serialNumber=TINPL-5265877635,C=PL";

std::string ServiceOf(absl::string_view method) {
  absl::ConsumePrefix(&method, "/");
  return std::string(method.substr(0, method.find('/')));
}

std::string RequestIdOf(const grpc::ClientContext& call) {
  auto it = call.GetServerTrailingMetadata().find("x-request-id");
  if (it == call.GetServerTrailingMetadata().end()) return "";
  return std::string(it->second.data(), it->second.size());
}

class TextErrors : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    absl::StrAppend(&text, line + 1, ":", column + 1, ": ", message, "; ");
  }
  std::string text;
};

struct CallResult {
  grpc::StatusCode code = grpc::StatusCode::OK;
  std::string message;
  std::string request_id;  // x-request-id; empty when none came back
};

std::string CodeName(grpc::StatusCode code) {
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

class AuthzMatrixE2eTest : public SejfdTest {
 protected:
  static void SetUpTestSuite() {
    served_.clear();
    vars_.clear();
    absl::StatusOr<std::unique_ptr<KsefEmulator>> emulator =
        KsefEmulator::Start();
    ASSERT_TRUE(emulator.ok()) << emulator.status();
    emulator_ = *std::move(emulator);
    // No pending poll: a session opens without waiting.
    ASSERT_TRUE(emulator_->Configure({.pending_polls = 0}).ok());
    SejfdConfig config;
    config.config = absl::StrCat(
        PolicyConfig(), emulator_->EnvironmentConfig(kSessionEnvironment));
    ASSERT_NO_FATAL_FAILURE(StartSejfd(config));
    ASSERT_NO_FATAL_FAILURE(CreateResources());
    ASSERT_NO_FATAL_FAILURE(ReflectServices());
  }

  static void TearDownTestSuite() {
    channels_.clear();
    served_.clear();
    factory_.reset();  // its prototypes refer to pool_'s descriptors
    pool_.reset();
    reflection_.reset();
    SejfdTest::TearDownTestSuite();
    emulator_.reset();
  }

  // As the admin: the keys, tokens and Ministry certificate the requests of
  // kMethods name.
  static void CreateResources() {
    auto ok = [](const CommandResult& r) {
      ASSERT_EQ(r.exit_code, 0) << r.err;
    };
    for (const char* key :
         {"acme-auth", "acme-spare", "acme-toggle", "acme-doomed"}) {
      ASSERT_NO_FATAL_FAILURE(ok(Sejf(
          {"key", "generate", "--name", key, "--usage", "authentication"})));
    }
    ASSERT_NO_FATAL_FAILURE(ok(Sejf(
        {"key", "generate", "--name", "acme-offline", "--usage", "offline"})));
    for (const char* key : {"acme-auth", "acme-offline"}) {
      ASSERT_NO_FATAL_FAILURE(ok(Sejf(
          {"key", "self-sign", key, "--subject", kSubject, "--days", "30"})));
    }
    for (const char* token :
         {"acme-tok", "acme-toggle", "acme-doomed", "acme-login"}) {
      ASSERT_NO_FATAL_FAILURE(ok(Sejf(
          {"token", "import", "--name", token, "--context", kTenantContext},
          "matrix-token-secret-0123456789\n")));
    }
    // The tokens' secret is one the emulator knows, so sessions can log in
    // with acme-login.
    ASSERT_TRUE(emulator_
                    ->RegisterKsefToken("matrix-token-secret-0123456789", "Nip",
                                        "5265877635")
                    .ok());
    ASSERT_NO_FATAL_FAILURE(OpenSession("acme-sess", "tokens/acme-login"));
    nlohmann::json key = SejfJson({"key", "show", "acme-auth"});
    vars_["$AUTH_CERT_PEM"] =
        absl::CEscape(key["certificate"]["pem"].get<std::string>());

    // A Ministry-style certificate (RSA 2048, self-signed by openssl),
    // imported with its pin for environment "test".
    const std::string pem = temp_dir() + "/ministry.pem";
    CommandResult made = Shell(absl::StrCat(
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout ", temp_dir(),
        "/ministry.key -out ", pem,
        " -days 30 -subj '/CN=KSeF matrix/O=Ministerstwo Finansow/C=PL' "
        "2>&1"));
    ASSERT_EQ(made.exit_code, 0) << made.out;
    CommandResult fingerprint =
        Shell("openssl x509 -in " + pem + " -noout -fingerprint -sha256");
    ASSERT_EQ(fingerprint.exit_code, 0) << fingerprint.err;
    absl::string_view fp = absl::StripAsciiWhitespace(fingerprint.out);
    vars_["$MF_CERT_SHA256"] = std::string(fp.substr(fp.find('=') + 1));
    vars_["$MF_CERT_PEM"] = absl::CEscape(ReadFile(pem).value_or(""));
    ASSERT_NO_FATAL_FAILURE(
        ok(Sejf({"mfcert", "import", "--environment", "test",
                 "--pin-fingerprint", vars_["$MF_CERT_SHA256"], pem})));
  }

  // The sejf.v1 services sejfd reflects, and their descriptors.
  static void ReflectServices() {
    reflection_ = std::make_unique<ServerReflectionDatabase>(SocketChannel());
    absl::StatusOr<std::vector<std::string>> services =
        reflection_->ListServices();
    ASSERT_TRUE(services.ok()) << services.status();
    pool_ =
        std::make_unique<google::protobuf::DescriptorPool>(reflection_.get());
    factory_ = std::make_unique<google::protobuf::DynamicMessageFactory>();
    for (const std::string& name : *services) {
      if (!absl::StartsWith(name, "sejf.v1.")) continue;
      const google::protobuf::ServiceDescriptor* service =
          pool_->FindServiceByName(name);
      ASSERT_NE(service, nullptr)
          << "reflection lists " << name << " but cannot describe it";
      for (int i = 0; i < service->method_count(); ++i) {
        const google::protobuf::MethodDescriptor* method = service->method(i);
        served_[absl::StrCat("/", name, "/", method->name())] = method;
      }
    }
  }

  // The descriptor of `m`: from reflection when served, else (a service not
  // served yet) the one compiled into this test.
  static const google::protobuf::MethodDescriptor* DescriptorOf(
      const MethodCase& m) {
    auto it = served_.find(m.method);
    if (it != served_.end()) return it->second;
    // Naming a message of each such file links its generated code in.
    (void)sejf::v1::OpenSessionRequest::descriptor();
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
            ServiceOf(m.method));
    if (service == nullptr) return nullptr;
    absl::string_view name = m.method;
    name.remove_prefix(name.rfind('/') + 1);
    return service->FindMethodByName(std::string(name));
  }

  static bool Served(const MethodCase& m) { return served_.contains(m.method); }

  // `m`'s request with the variables filled in, serialized; a test failure
  // and nullopt when the text does not parse as the method's input.
  static std::optional<std::string> RequestBytes(const MethodCase& m) {
    const google::protobuf::MethodDescriptor* method = DescriptorOf(m);
    if (method == nullptr) {
      ADD_FAILURE() << m.method << " is described neither by sejfd's "
                    << "reflection nor by proto/sejf/v1";
      return std::nullopt;
    }
    std::map<std::string, std::string> vars = vars_;
    vars["$UNIQUE"] = absl::StrCat(++unique_);
    vars["$NOW_MS"] = absl::StrCat(absl::ToUnixMillis(absl::Now()));
    vars["$CHALLENGE"] = absl::StrCat(
        absl::FormatTime("%Y%m%d", absl::Now(), absl::UTCTimeZone()),
        "-CR-226FB7B000-3ACF9BE4C0-10");
    std::string text = absl::StrReplaceAll(m.request, vars);
    if (absl::StrContains(text, "$")) {
      ADD_FAILURE() << m.method << ": unknown variable in " << text;
      return std::nullopt;
    }
    std::unique_ptr<google::protobuf::Message> request(
        factory_->GetPrototype(method->input_type())->New());
    google::protobuf::TextFormat::Parser parser;
    TextErrors errors;
    parser.RecordErrorsTo(&errors);
    if (!parser.ParseFromString(text, request.get())) {
      ADD_FAILURE() << m.method << ": the request of kMethods is not a "
                    << method->input_type()->full_name() << ": " << errors.text;
      return std::nullopt;
    }
    return request->SerializeAsString();
  }

  static CallResult Call(const std::shared_ptr<grpc::Channel>& channel,
                         const MethodCase& m, const std::string& bytes) {
    grpc::GenericStub stub(channel);
    grpc::Slice slice(bytes);
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer response;
    std::unique_ptr<grpc::ClientContext> context = ShortDeadline();
    grpc::Status status;
    absl::Notification done;
    stub.UnaryCall(context.get(), m.method, grpc::StubOptions(), &request,
                   &response, [&](grpc::Status s) {
                     status = std::move(s);
                     done.Notify();
                   });
    done.WaitForNotification();
    return {status.error_code(), status.error_message(), RequestIdOf(*context)};
  }

  static std::shared_ptr<grpc::Channel> ChannelOf(const std::string& identity) {
    auto it = channels_.find(identity);
    if (it != channels_.end()) return it->second;
    return channels_[identity] = ChannelAs(identity);
  }

  // Every audit event (read as the admin), by request id.
  static std::multimap<std::string, v1::AuditEvent> EventsByRequestId() {
    std::multimap<std::string, v1::AuditEvent> events;
    auto stub = v1::AuditLog::NewStub(SocketChannel());
    v1::ListEventsRequest request;
    request.set_page_size(1000);
    for (;;) {
      v1::ListEventsResponse page;
      auto call = ShortDeadline();
      grpc::Status status = stub->ListEvents(call.get(), request, &page);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (!status.ok()) return events;
      for (const v1::AuditEvent& e : page.events()) {
        events.emplace(e.request_id(), e);
      }
      if (page.next_page_token().empty()) return events;
      request.set_page_token(page.next_page_token());
    }
  }

  // As the admin, over the socket: session `id` in kSessionEnvironment.
  static void OpenSession(const std::string& id,
                          const std::string& credential) {
    v1::OpenSessionRequest request;
    request.set_session_id(id);
    request.set_credential(credential);
    request.set_context(kTenantContext);
    request.set_environment(kSessionEnvironment);
    v1::OpenSessionResponse response;
    grpc::ClientContext context;
    grpc::Status status = v1::KsefSessions::NewStub(SocketChannel())
                              ->OpenSession(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  static inline std::unique_ptr<KsefEmulator> emulator_;
  static inline std::unique_ptr<ServerReflectionDatabase> reflection_;
  static inline std::unique_ptr<google::protobuf::DescriptorPool> pool_;
  static inline std::map<std::string, const google::protobuf::MethodDescriptor*>
      served_;
  static inline std::unique_ptr<google::protobuf::DynamicMessageFactory>
      factory_;
  static inline std::map<std::string, std::string> vars_;
  static inline int unique_ = 0;
  static inline std::map<std::string, std::shared_ptr<grpc::Channel>> channels_;
};

// Every method sejfd serves has a row; every row is served.
TEST_F(AuthzMatrixE2eTest, EveryServedMethodHasARequestAndAPolicyMapping) {
  std::set<std::string> rows;
  for (const MethodCase& m : kMethods) {
    EXPECT_TRUE(rows.insert(m.method).second) << m.method << " twice";
    EXPECT_EQ(m.operation.has_value(), m.target != Target::kAnyCaller)
        << m.method << ": an operation exactly when not kAnyCaller";
    if (m.operation &&
        server::ScopeOf(*m.operation) == server::OperationScope::kWholeVault) {
      EXPECT_EQ(m.target, Target::kWholeVault)
          << m.method << ": " << OperationName(*m.operation)
          << " is a whole-vault operation";
    }
  }
  for (const auto& [method, descriptor] : served_) {
    EXPECT_TRUE(rows.contains(method))
        << "sejfd serves " << method
        << " but the authorization matrix has no row for it. Add it to "
           "kMethods in tests/authz_matrix_table.h: a valid request, the "
           "operation its handler authorizes (server/policy/operations.h; a "
           "new operation also goes in docs/access-control.md) and what the "
           "decision is about (Target).";
  }
  for (const MethodCase& m : kMethods) {
    EXPECT_TRUE(Served(m)) << "kMethods has " << m.method
                           << ", which sejfd does not serve: remove the row";
  }
}

// Without a client certificate, or with one from a CA sejfd does not trust
// (even one naming the dev admin), no method is reached. Under TLS 1.3 the
// client finishes its side of the handshake, sejfd then refuses the
// certificate (or its absence) and closes the connection, so the channel
// never connects: every call fails on the client with UNAVAILABLE "failed
// to connect to all addresses; last error: UNAVAILABLE: …: Socket closed",
// and carries no x-request-id (the frame, which sets it on every call it
// sees, never ran). A control call with a dev CA certificate on the same
// kind of channel succeeds, so the refusals are the handshake's.
TEST_F(AuthzMatrixE2eTest, NoCertificateAndAForeignCaAreRefusedAtTheHandshake) {
  auto foreign = server::tls_test::OpensslCa::Create(temp_dir() + "/foreign",
                                                     "Foreign CA");
  ASSERT_TRUE(foreign.ok()) << foreign.status();
  ASSERT_TRUE(foreign->Issue("intruder", "admin").ok());
  const std::string server_ca = ReadFile(TlsPath("ca.pem")).value_or("");
  std::map<Column, std::shared_ptr<grpc::Channel>> channels = {
      {Column::kNoCertificate,
       TlsChannel(daemon().tls_address(), server_ca, "", "")},
      {Column::kForeignCa,
       TlsChannel(daemon().tls_address(), server_ca,
                  ReadFile(foreign->Path("intruder.pem")).value_or(""),
                  ReadFile(foreign->Path("intruder.key")).value_or(""))},
  };
  const MethodCase& who_am_i = kMethods[0];
  ASSERT_EQ(std::string(who_am_i.method), "/sejf.v1.Identity/WhoAmI");
  // ChannelAs makes the same TlsChannel, with a dev CA certificate.
  CallResult control = Call(ChannelOf(kNoRuleIdentity), who_am_i, "");
  ASSERT_EQ(control.code, grpc::StatusCode::OK) << control.message;

  for (const MethodCase& m : kMethods) {
    std::optional<std::string> bytes = RequestBytes(m);
    if (!bytes) continue;
    for (Column c : kHandshakeColumns) {
      CallResult r = Call(channels[c], m, *bytes);
      EXPECT_EQ(r.code, grpc::StatusCode::UNAVAILABLE)
          << m.method << " as " << ColumnName(c) << ": " << r.message;
      EXPECT_THAT(r.message, HasSubstr("failed to connect to all addresses"))
          << m.method << " as " << ColumnName(c);
      EXPECT_EQ(r.request_id, "")
          << m.method << " as " << ColumnName(c) << " reached sejfd";
    }
  }
}

// The matrix proper: every method × every identity column.
TEST_F(AuthzMatrixE2eTest, EveryMethodRefusesWhomPolicyDoesNotAllowAndAudits) {
  struct Cell {
    const MethodCase* method;
    Column column;
    std::string identity;
    CallResult result;
  };
  std::vector<Cell> cells;
  for (const MethodCase& m : kMethods) {
    for (Column c : kIdentityColumns) {
      std::optional<std::string> bytes = RequestBytes(m);
      if (!bytes) break;
      const std::string identity = IdentityOf(c, m);
      cells.push_back({&m, c, identity, Call(ChannelOf(identity), m, *bytes)});
    }
  }
  const std::multimap<std::string, v1::AuditEvent> events = EventsByRequestId();

  int refused = 0, quiet = 0, served = 0, unimplemented = 0;
  std::map<std::string, std::map<Column, std::string>> grid;
  for (const Cell& cell : cells) {
    const MethodCase& m = *cell.method;
    const std::string where = absl::StrCat(
        m.method, " as ", ColumnName(cell.column), " (", cell.identity, "): ");
    const CallResult& r = cell.result;
    grid[m.method][cell.column] = CodeName(r.code);
    if (r.request_id.empty()) {
      ADD_FAILURE() << where << "no x-request-id: " << CodeName(r.code) << ": "
                    << r.message;
      continue;
    }
    // The event of the call's result (a state-changing call that was allowed
    // also has its intent event, outcome STARTED).
    std::vector<v1::AuditEvent> results;
    bool intent = false;
    for (auto [it, end] = events.equal_range(r.request_id); it != end; ++it) {
      // The KSeF calls a session RPC made carry its request id too.
      if (it->second.operation() == "ksef.call") continue;
      if (it->second.outcome() == "STARTED") {
        intent = true;
      } else {
        results.push_back(it->second);
      }
    }
    if (!Served(m)) {
      ++unimplemented;
      EXPECT_EQ(r.code, grpc::StatusCode::UNIMPLEMENTED) << where << r.message;
      continue;
    }
    if (results.size() != 1) {
      ADD_FAILURE() << where << results.size() << " result events for request "
                    << r.request_id << " (" << CodeName(r.code) << ": "
                    << r.message << ")";
      continue;
    }
    const v1::AuditEvent& event = results[0];
    EXPECT_EQ(event.identity(), cell.identity) << where;
    EXPECT_EQ(event.method(), m.method) << where;
    const bool refused_on_wire =
        r.code == grpc::StatusCode::PERMISSION_DENIED ||
        r.code == grpc::StatusCode::UNAUTHENTICATED;
    if (RuleAllows(cell.column, m)) {
      ++served;
      EXPECT_FALSE(refused_on_wire)
          << where << CodeName(r.code) << ": " << r.message;
      EXPECT_NE(event.outcome(), "PERMISSION_DENIED") << where << r.message;
      EXPECT_NE(event.outcome(), "UNAUTHENTICATED") << where << r.message;
      // The rule that decided is the column's own (none for a method with
      // no operation), so the table's operation is the handler's.
      EXPECT_EQ(event.rule(), m.operation ? cell.identity : "")
          << where << CodeName(r.code) << ": " << r.message;
      if (m.operation) {
        EXPECT_EQ(event.operation(), std::string(OperationName(*m.operation)))
            << where;
        // The frame's intent event, before anything could change.
        EXPECT_EQ(intent, server::ChangesState(*m.operation))
            << where << "intent event";
      }
      continue;
    }
    if (r.code == grpc::StatusCode::NOT_FOUND) {
      // A quiet refusal: answered as a missing record, recorded as what it
      // was.
      ++quiet;
      grid[m.method][cell.column] = "NOT_FOUND*";
      EXPECT_EQ(event.outcome(), "PERMISSION_DENIED")
          << where
          << "NOT_FOUND on the wire must be a concealed denial: " << r.message;
    } else {
      ++refused;
      EXPECT_TRUE(refused_on_wire)
          << where << "not refused: " << CodeName(r.code) << ": " << r.message;
      EXPECT_EQ(event.outcome(), CodeName(r.code)) << where;
    }
    EXPECT_EQ(event.rule(), "") << where;
    EXPECT_FALSE(intent) << where << "an intent event for a refused call";
    // A refusal never tells the caller a KSeF context.
    EXPECT_THAT(r.message, Not(HasSubstr("nip:"))) << where;
  }

  // The matrix as it ran, for the log (NOT_FOUND* = a quiet refusal).
  std::cout << absl::StrFormat("%-48s", "method");
  for (Column c : kIdentityColumns) {
    std::cout << absl::StrFormat(" %-18s", ColumnName(c));
  }
  std::cout << "\n";
  for (const MethodCase& m : kMethods) {
    std::cout << absl::StrFormat("%-48s", m.method);
    for (Column c : kIdentityColumns) {
      std::cout << absl::StrFormat(" %-18s", grid[m.method][c]);
    }
    std::cout << "\n";
  }
  std::cout << "[ NOTE     ] " << cells.size() << " calls: " << refused
            << " refused, " << quiet << " refused quietly (NOT_FOUND), "
            << served << " served, " << unimplemented << " UNIMPLEMENTED\n";
  // Both sides were exercised.
  EXPECT_GT(refused, 0);
  EXPECT_GT(served, 0);
}

}  // namespace
}  // namespace sejf::testing::authz
