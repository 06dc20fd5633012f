// The fixture of KsefHttpApi's tests: a throwaway CA and server
// certificate, a ScriptedHttpsServer started by Serve(script), and the API
// pointed at it (at a closed port before Serve) with every call it reports
// and every back-off it asks for recorded instead of slept.
//
//   class KsefHttpApiFooTest : public testing::ScriptedKsefApiTest {};
//   TEST_F(KsefHttpApiFooTest, ...) {
//     Serve({{{"status", 204}}});
//     EXPECT_TRUE(Api()->CloseCurrentSession(bearer).ok());
//     EXPECT_EQ(Requests()[0].path, "/v2/auth/sessions/current");
//   }
#ifndef SEJF_BROKER_KSEF_API_TESTING_SCRIPTED_KSEF_API_TEST_H_
#define SEJF_BROKER_KSEF_API_TESTING_SCRIPTED_KSEF_API_TEST_H_

#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "broker/ksef_api/ksef_http_api.h"
#include "broker/ksef_api/testing/scripted_https_server.h"
#include "common/testing/temp_dir.h"
#include "gtest/gtest.h"

namespace sejf::broker::testing {

class ScriptedKsefApiTest : public ::testing::Test {
 protected:
  void SetUp() override;

  // One server answering `script` (an entry per request, in order).
  void Serve(const std::vector<nlohmann::json>& script);

  // Environment "test", the server's URL and CA, 5 s to connect, 10 s per
  // attempt, 3 attempts, back-off 100..400 ms and Retry-After up to 5 s
  // (recorded in Sleeps(), not slept).
  KsefHttpApiSettings Settings();
  // The API with `settings`, reporting its calls to Calls(); nullptr (and
  // a test failure) when it cannot be made.
  std::unique_ptr<KsefHttpApi> Api(KsefHttpApiSettings settings);
  std::unique_ptr<KsefHttpApi> Api() { return Api(Settings()); }

  std::vector<RecordedRequest> Requests() { return server_->Requests(); }
  std::vector<KsefCall> Calls();
  KsefCall LastCall();
  std::vector<absl::Duration> Sleeps();

  sejf::testing::TempDir dir_;
  TestCertificate ca_;
  TestCertificate server_cert_;
  std::unique_ptr<ScriptedHttpsServer> server_;

 private:
  absl::Mutex mu_;
  std::vector<KsefCall> calls_ ABSL_GUARDED_BY(mu_);
  std::vector<absl::Duration> sleeps_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sejf::broker::testing

#endif  // SEJF_BROKER_KSEF_API_TESTING_SCRIPTED_KSEF_API_TEST_H_
