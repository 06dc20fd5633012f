#include "server/config/host_port.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sejf::server {
namespace {

using ::testing::HasSubstr;

TEST(HostPortTest, ParsesHostAndPort) {
  auto hp = ParseHostPort("127.0.0.1:7443");
  ASSERT_TRUE(hp.ok()) << hp.status();
  EXPECT_EQ(hp->host, "127.0.0.1");
  EXPECT_EQ(hp->port, 7443);
  EXPECT_EQ(ParseHostPort("localhost:0")->port, 0);
  EXPECT_EQ(ParseHostPort("example.org:65535")->port, 65535);
}

TEST(HostPortTest, ParsesBracketedIpv6) {
  auto hp = ParseHostPort("[::1]:7443");
  ASSERT_TRUE(hp.ok()) << hp.status();
  EXPECT_EQ(hp->host, "::1");
  EXPECT_EQ(hp->port, 7443);
}

TEST(HostPortTest, RejectsWhatIsNotHostPort) {
  EXPECT_THAT(ParseHostPort("localhost").status().message(),
              HasSubstr("HOST:PORT"));
  EXPECT_THAT(ParseHostPort(":7443").status().message(),
              HasSubstr("host is empty"));
  EXPECT_THAT(ParseHostPort("localhost:").status().message(),
              HasSubstr("port is missing"));
  EXPECT_THAT(ParseHostPort("::1:7443").status().message(),
              HasSubstr("brackets"));
  EXPECT_FALSE(ParseHostPort("[]:7443").ok());
  EXPECT_FALSE(ParseHostPort("local host:1").ok());
  EXPECT_FALSE(ParseHostPort("unix:/run/sejf.sock").ok());
}

TEST(HostPortTest, RejectsPortOutOfRange) {
  EXPECT_THAT(ParseHostPort("127.0.0.1:65536").status().message(),
              HasSubstr("port 65536 is not a number in 0-65535"));
  EXPECT_FALSE(ParseHostPort("127.0.0.1:-1").ok());
  EXPECT_FALSE(ParseHostPort("127.0.0.1:+80").ok());
  EXPECT_FALSE(ParseHostPort("127.0.0.1:http").ok());
  EXPECT_FALSE(ParseHostPort("127.0.0.1:99999999999999999999").ok());
}

}  // namespace
}  // namespace sejf::server
