#include "broker/ksef_api/testing/scripted_ksef_api_test.h"

#include <utility>

namespace sejf::broker::testing {

void ScriptedKsefApiTest::SetUp() {
  ca_ = MakeTestCa(dir_, "Test KSeF CA");
  server_cert_ = MakeServerCertificate(dir_, ca_, "ksef-api");
}

void ScriptedKsefApiTest::Serve(const std::vector<nlohmann::json>& script) {
  server_ = std::make_unique<ScriptedHttpsServer>(dir_, server_cert_,
                                                  nlohmann::json(script));
}

KsefHttpApiSettings ScriptedKsefApiTest::Settings() {
  KsefHttpApiSettings settings;
  settings.environment = "test";
  settings.base_url = server_ ? server_->BaseUrl() : "https://127.0.0.1:1/v2";
  settings.ca_file = ca_.cert_path;
  settings.connect_timeout = absl::Seconds(5);
  settings.timeout = absl::Seconds(10);
  settings.max_attempts = 3;
  settings.backoff_base = absl::Milliseconds(100);
  settings.backoff_cap = absl::Milliseconds(400);
  settings.max_retry_after = absl::Seconds(5);
  settings.sleep = [this](absl::Duration d) {
    absl::MutexLock lock(&mu_);
    sleeps_.push_back(d);
  };
  return settings;
}

std::unique_ptr<KsefHttpApi> ScriptedKsefApiTest::Api(
    KsefHttpApiSettings settings) {
  auto api =
      KsefHttpApi::Create(std::move(settings), [this](const KsefCall& c) {
        absl::MutexLock lock(&mu_);
        calls_.push_back(c);
      });
  EXPECT_TRUE(api.ok()) << api.status();
  return api.ok() ? *std::move(api) : nullptr;
}

std::vector<KsefCall> ScriptedKsefApiTest::Calls() {
  absl::MutexLock lock(&mu_);
  return calls_;
}

KsefCall ScriptedKsefApiTest::LastCall() {
  absl::MutexLock lock(&mu_);
  EXPECT_FALSE(calls_.empty());
  return calls_.empty() ? KsefCall{} : calls_.back();
}

std::vector<absl::Duration> ScriptedKsefApiTest::Sleeps() {
  absl::MutexLock lock(&mu_);
  return sleeps_;
}

}  // namespace sejf::broker::testing
