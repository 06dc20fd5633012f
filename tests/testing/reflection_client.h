// The descriptors a running gRPC server publishes through server reflection
// (grpc.reflection.v1alpha, what gRPC 1.51's reflection plugin serves), as a
// protobuf DescriptorDatabase: a DescriptorPool built on it knows the
// server's services, methods and messages without any generated code of
// them, so a test can list what the server really serves and call it with
// DynamicMessage requests.
//
//   ServerReflectionDatabase db(channel);
//   absl::StatusOr<std::vector<std::string>> services = db.ListServices();
//   google::protobuf::DescriptorPool pool(&db);
//   const google::protobuf::ServiceDescriptor* s =
//       pool.FindServiceByName("sejf.v1.Identity");
//
// gRPC installs no client for reflection (its ProtoReflectionDescriptorDatabase
// lives in gRPC's own test tree), so this is ours, over code generated from
// grpc-proto's reflection.proto. A binary using it must not also link
// gRPC::grpc++_reflection, which registers the same message names.
//
// Thread-compatible: one thread at a time (DescriptorPool serialises its own
// calls). Each question opens one short stream with a 10 s deadline.
#ifndef SEJF_TESTS_TESTING_REFLECTION_CLIENT_H_
#define SEJF_TESTS_TESTING_REFLECTION_CLIENT_H_

#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/descriptor_database.h>
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace grpc::reflection::v1alpha {
class ServerReflectionRequest;
}

namespace sejf::testing {

class ServerReflectionDatabase : public google::protobuf::DescriptorDatabase {
 public:
  explicit ServerReflectionDatabase(std::shared_ptr<grpc::Channel> channel);
  ~ServerReflectionDatabase() override;

  // The full names of every service the server registered (including
  // gRPC's own, e.g. "grpc.health.v1.Health"), in the server's order. The
  // error of the call, or of the server's error_response.
  absl::StatusOr<std::vector<std::string>> ListServices();

  // DescriptorDatabase: the file, asked of the server once and then kept
  // (with every dependency the server sent along). False when the server
  // does not know it or cannot be asked.
  bool FindFileByName(const std::string& filename,
                      google::protobuf::FileDescriptorProto* output) override;
  bool FindFileContainingSymbol(
      const std::string& symbol_name,
      google::protobuf::FileDescriptorProto* output) override;
  bool FindFileContainingExtension(
      const std::string& containing_type, int field_number,
      google::protobuf::FileDescriptorProto* output) override;

 private:
  // Sends `request` on a new stream; the files of a file_descriptor_response
  // are added to known_files_, and the name of the first is returned.
  absl::StatusOr<std::string> AskForFile(
      const grpc::reflection::v1alpha::ServerReflectionRequest& request);

  std::shared_ptr<grpc::Channel> channel_;
  google::protobuf::SimpleDescriptorDatabase known_files_;
};

}  // namespace sejf::testing

#endif  // SEJF_TESTS_TESTING_REFLECTION_CLIENT_H_
