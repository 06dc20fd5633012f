// Bounded resources under floods, against a real dev sejfd (issue 17): a
// 100 MB request and a burst of large ones are refused without the
// daemon's memory growing by their size, one identity flooding past its
// rate limit is refused with RESOURCE_EXHAUSTED and a retry delay while
// another identity is served, and many list calls with an oversized
// page_size get capped pages. Memory is read from /proc/PID/status (VmRSS,
// VmHWM); the bounds are generous and no assertion depends on timing.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "sejf/v1/audit_log.grpc.pb.h"
#include "sejf/v1/identity.grpc.pb.h"
#include "sejf/v1/key_custody.grpc.pb.h"
#include "tests/testing/sejfd_test.h"

namespace sejf::testing {
namespace {

using ::testing::HasSubstr;

constexpr std::int64_t kMiB = 1 << 20;

// Under a sanitizer the daemon's memory is the sanitizer's (ASan keeps
// freed memory in quarantine, TSan shadows every byte): memory figures are
// printed, and their bounds checked only in ordinary builds.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

// `what` grew by `growth` bytes: printed for docs/reliability.md, and
// checked against `bound` (unless sanitized).
void ExpectGrowthBelow(const std::string& what, std::int64_t growth,
                       std::int64_t bound) {
  std::printf("[ figure   ] %s: %.1f MiB\n", what.c_str(),
              static_cast<double>(growth) / kMiB);
  if (kSanitized) return;
  EXPECT_LT(growth, bound) << what << " grew by more than " << bound / kMiB
                           << " MiB";
}

// A field of /proc/PID/status in bytes ("VmRSS:   12345 kB").
std::int64_t ProcStatusBytes(pid_t pid, const std::string& field) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (!absl::StartsWith(line, field + ":")) continue;
    std::string value = line.substr(field.size() + 1);
    absl::StripAsciiWhitespace(&value);
    std::int64_t kb = 0;
    EXPECT_TRUE(absl::SimpleAtoi(value.substr(0, value.find(' ')), &kb))
        << line;
    return kb * 1024;
  }
  ADD_FAILURE() << field << " not in /proc/" << pid << "/status";
  return 0;
}

std::string GrpcCodeName(const grpc::Status& status) {
  return absl::StatusCodeToString(
      static_cast<absl::StatusCode>(status.error_code()));
}

grpc::Status WhoAmI(const std::shared_ptr<grpc::Channel>& channel) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(60));
  v1::WhoAmIResponse response;
  return v1::Identity::NewStub(channel)->WhoAmI(&context, {}, &response);
}

// AttachCertificate with a "certificate chain" of `size` bytes.
grpc::Status AttachHuge(const std::shared_ptr<grpc::Channel>& channel,
                        std::size_t size) {
  v1::AttachCertificateRequest request;
  request.set_name("keys/huge");
  request.mutable_certificate_chain()->assign(size, 'A');
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(120));
  v1::AttachCertificateResponse response;
  return v1::KeyCustody::NewStub(channel)->AttachCertificate(&context, request,
                                                             &response);
}

SejfdConfig Configured(const std::string& text) {
  SejfdConfig config;
  config.config = text;
  return config;
}

class FloodE2eTest : public SejfdTest {
 protected:
  pid_t pid() { return daemon().process().pid(); }
  std::int64_t Rss() { return ProcStatusBytes(pid(), "VmRSS"); }
  std::int64_t PeakRss() { return ProcStatusBytes(pid(), "VmHWM"); }

  // Warms the daemon's threads and allocator up, so that what follows is
  // measured against a daemon that has served calls already.
  void WarmUp() {
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(WhoAmI(SocketChannel()).ok());
  }

  // Every audit event's outcome and identity, following every page.
  std::vector<std::pair<std::string, std::string>> AuditOutcomes() {
    std::vector<std::pair<std::string, std::string>> outcomes;
    auto stub = v1::AuditLog::NewStub(SocketChannel());
    std::string token;
    do {
      v1::ListEventsRequest request;
      request.set_page_size(1000);
      request.set_page_token(token);
      grpc::ClientContext context;
      v1::ListEventsResponse response;
      grpc::Status status = stub->ListEvents(&context, request, &response);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (!status.ok()) break;
      for (const v1::AuditEvent& event : response.events()) {
        outcomes.emplace_back(event.outcome(), event.identity());
      }
      token = response.next_page_token();
    } while (!token.empty());
    return outcomes;
  }
};

TEST_F(FloodE2eTest, AHundredMegabyteRequestIsRefusedWithoutMemoryGrowth) {
  StartSejfd();
  WarmUp();
  // Another client, connected before.
  std::shared_ptr<grpc::Channel> admin = SocketChannel();
  std::shared_ptr<grpc::Channel> erp = ChannelAs("erp");
  ASSERT_TRUE(WhoAmI(erp).ok());
  const std::int64_t rss_before = Rss();
  grpc::Status refused = AttachHuge(admin, 100 * kMiB);
  // Refused for its size, or cut short by gRPC's memory quota first.
  EXPECT_THAT(refused.error_code(),
              ::testing::AnyOf(grpc::StatusCode::RESOURCE_EXHAUSTED,
                               grpc::StatusCode::UNAVAILABLE))
      << refused.error_message();
  std::printf("[ figure   ] 100 MB request: %s (%s)\n",
              GrpcCodeName(refused).c_str(), refused.error_message().c_str());
  // Neither the peak nor what stays comes near the message's size.
  ExpectGrowthBelow("100 MB request: peak RSS growth", PeakRss() - rss_before,
                    64 * kMiB);
  ExpectGrowthBelow("100 MB request: RSS growth after", Rss() - rss_before,
                    64 * kMiB);
  // The same channels are served after it (a connection gRPC closed is
  // reopened by the channel).
  EXPECT_TRUE(WhoAmI(admin).ok());
  EXPECT_TRUE(WhoAmI(erp).ok());
}

TEST_F(FloodE2eTest, ABurstOfLargeRequestsIsRefusedAndOthersAreServed) {
  StartSejfd();
  WarmUp();
  const std::int64_t rss_before = Rss();
  constexpr int kClients = 8;
  std::atomic<int> refused{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      auto channel = i % 2 == 0 ? SocketChannel() : ChannelAs("bulk");
      for (int j = 0; j < 3; ++j) {
        grpc::Status status = AttachHuge(channel, 16 * kMiB);
        // Refused by size, or cut by gRPC's memory quota (its GOAWAY).
        if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED ||
            status.error_code() == grpc::StatusCode::UNAVAILABLE) {
          ++refused;
        } else {
          ADD_FAILURE() << GrpcCodeName(status) << ": "
                        << status.error_message();
        }
      }
    });
  }
  // Another identity is served while the burst goes on. gRPC's memory
  // quota sheds calls while it is exceeded, any call (a GOAWAY, or a stream
  // reset with ENHANCE_YOUR_CALM): such a call fails as transient and is
  // served when repeated.
  int shed = 0;
  for (int i = 0; i < 10; ++i) {
    grpc::Status s;
    for (int attempt = 0; attempt < 20; ++attempt) {
      s = WhoAmI(ChannelAs("erp"));
      if (s.ok() || (s.error_code() != grpc::StatusCode::UNAVAILABLE &&
                     s.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED)) {
        break;
      }
      ++shed;
    }
    EXPECT_TRUE(s.ok()) << GrpcCodeName(s) << ": " << s.error_message();
  }
  std::printf(
      "[ figure   ] large burst: %d of the other identity's calls shed\n",
      shed);
  for (std::thread& client : clients) client.join();
  EXPECT_EQ(refused.load(), kClients * 3);
  // 24 × 16 MiB = 384 MiB was sent, 8 × 16 MiB = 128 MiB of it at once.
  ExpectGrowthBelow("24 x 16 MiB requests: peak RSS growth",
                    PeakRss() - rss_before, 128 * kMiB);
  ExpectGrowthBelow("24 x 16 MiB requests: RSS growth after",
                    Rss() - rss_before, 128 * kMiB);
  EXPECT_TRUE(WhoAmI(SocketChannel()).ok());
}

TEST_F(FloodE2eTest, ARequestUnderTheConfiguredSizeIsReadAndOneOverIsNot) {
  StartSejfd(Configured("[server]\nmax_request_bytes = 65536\n"));
  // 60 KB parses (and is judged: no such key), 70 KB is refused unread.
  grpc::Status judged = AttachHuge(SocketChannel(), 60 * 1000);
  EXPECT_NE(judged.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << judged.error_message();
  grpc::Status refused = AttachHuge(SocketChannel(), 70 * 1000);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << refused.error_message();
}

TEST_F(FloodE2eTest, OneIdentityFloodsPastItsRateAnotherIsStillServed) {
  // A second refills one call: a flood of thousands cannot stay under it.
  StartSejfd(Configured("[limits]\nrequests_per_second = 1\nburst = 5\n"));
  // No warm-up: the admin's own bucket (5, then 1 a second) is for the
  // audit listing at the end.
  const std::int64_t rss_before = Rss();
  std::atomic<bool> flooding{true};
  std::atomic<int> admitted{0}, limited{0}, other{0};
  std::string limited_message, limited_details;
  std::vector<std::thread> flooders;
  for (int t = 0; t < 4; ++t) {
    flooders.emplace_back([&, t] {
      auto channel = ChannelAs("flooder");
      for (int i = 0; i < 500 || flooding; ++i) {
        grpc::Status status = WhoAmI(channel);
        if (status.ok()) {
          ++admitted;
        } else if (status.error_code() ==
                   grpc::StatusCode::RESOURCE_EXHAUSTED) {
          if (++limited == 1) {
            limited_message = status.error_message();
            limited_details = status.error_details();
          }
        } else {
          ++other;
        }
      }
    });
  }
  // While the flood goes on, another identity makes calls within its burst.
  for (int i = 0; i < 5; ++i) {
    grpc::Status status = WhoAmI(ChannelAs("erp"));
    EXPECT_TRUE(status.ok()) << status.error_message();
  }
  // The CLI shows the server's retry hint (tried a few times: a call may
  // catch the token that refilled while the flood goes on).
  bool cli_saw_hint = false;
  for (int i = 0; i < 5 && !cli_saw_hint; ++i) {
    CommandResult r = SejfAs("flooder", {"status"});
    cli_saw_hint = r.exit_code == 1 &&
                   absl::StrContains(r.err, "RESOURCE_EXHAUSTED: rate limit") &&
                   absl::StrContains(r.err, "the server asks to retry in");
  }
  flooding = false;
  for (std::thread& flooder : flooders) flooder.join();
  EXPECT_TRUE(cli_saw_hint);
  EXPECT_EQ(other.load(), 0);
  EXPECT_GE(admitted.load(), 5);
  EXPECT_GT(limited.load(), 1000);
  EXPECT_THAT(limited_message,
              HasSubstr("rate limit: flooder may make 1 calls per second "
                        "(bursts of 5); retry after "));
  // The retry delay as gRPC's rich error details: google.rpc.RetryInfo.
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(limited_details));
  ASSERT_EQ(details.details_size(), 1);
  google::rpc::RetryInfo retry;
  ASSERT_TRUE(details.details(0).UnpackTo(&retry));
  const std::int64_t delay_ns = retry.retry_delay().seconds() * 1'000'000'000 +
                                retry.retry_delay().nanos();
  EXPECT_GT(delay_ns, 0);
  EXPECT_LE(delay_ns, 1'000'000'000);

  // Thousands of refusals, a handful of audit events: one per streak, and a
  // streak ends only with an admitted call.
  int audited_refusals = 0;
  for (const auto& [outcome, identity] : AuditOutcomes()) {
    if (outcome == "RESOURCE_EXHAUSTED") {
      EXPECT_EQ(identity, "flooder");
      ++audited_refusals;
    }
  }
  EXPECT_GE(audited_refusals, 1);
  EXPECT_LE(audited_refusals, admitted.load());
  // The log likewise: one line per audited refusal, not one per call.
  int logged_refusals = 0;
  for (absl::string_view line : absl::StrSplit(daemon().Stderr(), '\n')) {
    if (absl::StrContains(line, "identity=flooder") &&
        absl::StrContains(line, "code=RESOURCE_EXHAUSTED")) {
      ++logged_refusals;
    }
  }
  EXPECT_EQ(logged_refusals, audited_refusals);
  // The start-up line names the limit in force.
  EXPECT_THAT(daemon().Stderr(), HasSubstr("1/s burst 5"));
  std::printf("[ figure   ] rate flood: %d admitted, %d refused, %d audited\n",
              admitted.load(), limited.load(), audited_refusals);
  ExpectGrowthBelow("rate flood: RSS growth", Rss() - rss_before, 64 * kMiB);
}

TEST_F(FloodE2eTest, ManyListCallsGetCappedPagesAndMemoryStaysBounded) {
  StartSejfd();
  WarmUp();
  // Enough events for more than one capped page of the audit log (1000).
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t) {
    callers.emplace_back([&] {
      auto channel = SocketChannel();
      for (int i = 0; i < 300; ++i) WhoAmI(channel);
    });
  }
  for (std::thread& caller : callers) caller.join();
  const std::int64_t rss_before = Rss();

  auto audit = v1::AuditLog::NewStub(SocketChannel());
  auto keys = v1::KeyCustody::NewStub(SocketChannel());
  std::atomic<int> failures{0};
  std::atomic<int> largest_page{0};
  callers.clear();
  for (int t = 0; t < 4; ++t) {
    callers.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        v1::ListEventsRequest events;
        events.set_page_size(2'000'000'000);
        grpc::ClientContext c1;
        v1::ListEventsResponse page;
        if (!audit->ListEvents(&c1, events, &page).ok() ||
            page.next_page_token().empty()) {
          ++failures;
        }
        int size = page.events_size();
        int seen = largest_page.load();
        while (size > seen && !largest_page.compare_exchange_weak(seen, size)) {
        }
        v1::ListKeysRequest list;
        list.set_page_size(2'000'000'000);
        grpc::ClientContext c2;
        v1::ListKeysResponse key_page;
        if (!keys->ListKeys(&c2, list, &key_page).ok()) ++failures;
      }
    });
  }
  for (std::thread& caller : callers) caller.join();
  EXPECT_EQ(failures.load(), 0);
  // The documented cap of ListEvents (docs/reliability.md).
  EXPECT_EQ(largest_page.load(), 1000);
  ExpectGrowthBelow("400 list calls: RSS growth", Rss() - rss_before,
                    64 * kMiB);

  // The capped pages still add up to the whole log.
  const std::size_t total = AuditOutcomes().size();
  EXPECT_GT(total, 1200u);
}

}  // namespace
}  // namespace sejf::testing
