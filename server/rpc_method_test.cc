// The method names the RPC frame derives from the generated descriptors
// (rpc_method.h). That each handler records its own name on a real call is
// checked in-process by adapter_test.cc.
#include "server/rpc_method.h"

#include <google/protobuf/descriptor.pb.h>

#include "gtest/gtest.h"
#include "sejf/v1/identity.pb.h"
#include "sejf/v1/key_custody.pb.h"
#include "sejf/v1/token_vault.pb.h"
#include "server/services.h"

namespace sejf::server {
namespace {

using google::protobuf::DescriptorPool;
using google::protobuf::FileDescriptorProto;

TEST(RpcMethodTest, EveryServiceOfSejfdHasRequestMessagesOfItsOwn) {
  for (const std::string& name : SejfServices::ServiceNames()) {
    const google::protobuf::ServiceDescriptor* service =
        ServiceDescriptorOf(name);
    ASSERT_NE(service, nullptr) << name;
    EXPECT_GT(service->method_count(), 0) << name;
    EXPECT_TRUE(CheckOwnRequestTypes(*service).ok())
        << CheckOwnRequestTypes(*service);
  }
}

TEST(RpcMethodTest, RequestMessageNamesItsMethod) {
  EXPECT_EQ(RpcMethodOf(*sejf::v1::ImportTokenRequest::descriptor()),
            "/sejf.v1.TokenVault/ImportToken");
  EXPECT_EQ(RpcMethodOf(*sejf::v1::GetKeyRequest::descriptor()),
            "/sejf.v1.KeyCustody/GetKey");
  EXPECT_EQ(RpcMethodOf(*sejf::v1::WhoAmIRequest::descriptor()),
            "/sejf.v1.Identity/WhoAmI");
}

TEST(RpcMethodTest, MessageNoMethodTakesNamesNone) {
  EXPECT_EQ(RpcMethodOf(*sejf::v1::Key::descriptor()), "");
}

// A service whose two methods share one request message: the frame could
// not tell them apart, and the check says so (sejfd would not start).
TEST(RpcMethodTest, SharedRequestMessageFailsTheCheck) {
  FileDescriptorProto file;
  file.set_name("shared.proto");
  file.set_package("shared");
  file.set_syntax("proto3");
  file.add_message_type()->set_name("Request");
  file.add_message_type()->set_name("Response");
  auto* service = file.add_service();
  service->set_name("Twice");
  for (const char* name : {"First", "Second"}) {
    auto* method = service->add_method();
    method->set_name(name);
    method->set_input_type(".shared.Request");
    method->set_output_type(".shared.Response");
  }
  DescriptorPool pool;
  const google::protobuf::FileDescriptor* built = pool.BuildFile(file);
  ASSERT_NE(built, nullptr);
  EXPECT_EQ(RpcMethodOf(*built->FindMessageTypeByName("Request")), "");
  absl::Status checked = CheckOwnRequestTypes(*built->service(0));
  EXPECT_EQ(checked.code(), absl::StatusCode::kInternal);
  EXPECT_NE(checked.message().find("/shared.Twice/First"), std::string::npos)
      << checked;
}

}  // namespace
}  // namespace sejf::server
