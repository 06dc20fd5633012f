#include "tests/testing/reflection_client.h"

#include <chrono>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"

namespace sejf::testing {
namespace {

using grpc::reflection::v1alpha::ServerReflection;
using grpc::reflection::v1alpha::ServerReflectionRequest;
using grpc::reflection::v1alpha::ServerReflectionResponse;

// One request, one response, on a stream of its own.
absl::StatusOr<ServerReflectionResponse> Ask(
    const std::shared_ptr<grpc::Channel>& channel,
    const ServerReflectionRequest& request) {
  auto stub = ServerReflection::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  auto stream = stub->ServerReflectionInfo(&context);
  ServerReflectionResponse response;
  const bool written = stream->Write(request);
  stream->WritesDone();
  const bool read = written && stream->Read(&response);
  grpc::Status status = stream->Finish();
  if (!status.ok()) {
    return absl::Status(
        static_cast<absl::StatusCode>(status.error_code()),
        absl::StrCat("server reflection: ", status.error_message()));
  }
  if (!read) {
    return absl::UnavailableError("server reflection: no response");
  }
  if (response.has_error_response()) {
    return absl::Status(
        static_cast<absl::StatusCode>(response.error_response().error_code()),
        absl::StrCat("server reflection: ",
                     response.error_response().error_message()));
  }
  return response;
}

}  // namespace

ServerReflectionDatabase::ServerReflectionDatabase(
    std::shared_ptr<grpc::Channel> channel)
    : channel_(std::move(channel)) {}

ServerReflectionDatabase::~ServerReflectionDatabase() = default;

absl::StatusOr<std::vector<std::string>>
ServerReflectionDatabase::ListServices() {
  ServerReflectionRequest request;
  request.set_list_services("");
  absl::StatusOr<ServerReflectionResponse> response = Ask(channel_, request);
  if (!response.ok()) return response.status();
  if (!response->has_list_services_response()) {
    return absl::InternalError(
        "server reflection: list_services answered with something else");
  }
  std::vector<std::string> names;
  for (const auto& service : response->list_services_response().service()) {
    names.push_back(service.name());
  }
  return names;
}

absl::StatusOr<std::string> ServerReflectionDatabase::AskForFile(
    const ServerReflectionRequest& request) {
  absl::StatusOr<ServerReflectionResponse> response = Ask(channel_, request);
  if (!response.ok()) return response.status();
  if (!response->has_file_descriptor_response() ||
      response->file_descriptor_response().file_descriptor_proto().empty()) {
    return absl::NotFoundError("server reflection: no file in the answer");
  }
  std::string first;
  for (const std::string& bytes :
       response->file_descriptor_response().file_descriptor_proto()) {
    google::protobuf::FileDescriptorProto file;
    if (!file.ParseFromString(bytes)) {
      return absl::DataLossError(
          "server reflection: an unparsable FileDescriptorProto");
    }
    if (first.empty()) first = file.name();
    google::protobuf::FileDescriptorProto known;
    // The server resends dependencies on every new stream; keep the first.
    if (!known_files_.FindFileByName(file.name(), &known)) {
      known_files_.AddAndOwn(
          new google::protobuf::FileDescriptorProto(std::move(file)));
    }
  }
  return first;
}

bool ServerReflectionDatabase::FindFileByName(
    const std::string& filename,
    google::protobuf::FileDescriptorProto* output) {
  if (known_files_.FindFileByName(filename, output)) return true;
  ServerReflectionRequest request;
  request.set_file_by_filename(filename);
  if (!AskForFile(request).ok()) return false;
  return known_files_.FindFileByName(filename, output);
}

bool ServerReflectionDatabase::FindFileContainingSymbol(
    const std::string& symbol_name,
    google::protobuf::FileDescriptorProto* output) {
  if (known_files_.FindFileContainingSymbol(symbol_name, output)) return true;
  ServerReflectionRequest request;
  request.set_file_containing_symbol(symbol_name);
  absl::StatusOr<std::string> file = AskForFile(request);
  if (!file.ok()) return false;
  return known_files_.FindFileByName(*file, output);
}

bool ServerReflectionDatabase::FindFileContainingExtension(
    const std::string& containing_type, int field_number,
    google::protobuf::FileDescriptorProto* output) {
  if (known_files_.FindFileContainingExtension(containing_type, field_number,
                                               output)) {
    return true;
  }
  ServerReflectionRequest request;
  request.mutable_file_containing_extension()->set_containing_type(
      containing_type);
  request.mutable_file_containing_extension()->set_extension_number(
      field_number);
  absl::StatusOr<std::string> file = AskForFile(request);
  if (!file.ok()) return false;
  return known_files_.FindFileByName(*file, output);
}

}  // namespace sejf::testing
