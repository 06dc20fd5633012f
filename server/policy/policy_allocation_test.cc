// Authorize runs on every RPC: it must not allocate. This binary replaces the
// global allocation functions to count allocations made by this thread.
#include <cstddef>
#include <cstdlib>
#include <new>

#include "gtest/gtest.h"
#include "server/policy/policy.h"

namespace {
thread_local std::size_t allocations = 0;
}  // namespace

// These replace the global allocation functions, so malloc/free pair
// correctly; GCC's -Wmismatched-new-delete cannot see that when it inlines
// them into callers (it fires under -fsanitize).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t size) {
  ++allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace sejf::server {
namespace {

TEST(PolicyAllocationTest, AuthorizeDoesNotAllocate) {
  auto built = Policy::Build({{"erp-signing",
                               {"spiffe://acme/erp/*"},
                               {"auth.xades"},
                               {"nip:5265877635"},
                               {"acme-auth-*"}},
                              {"ops",
                               {"spiffe://acme/ops/key-admin"},
                               {"keys.*", "tokens.*"},
                               {"*"},
                               {"*"}}},
                             PolicyOptions{1000});
  ASSERT_TRUE(built.ok()) << built.status();
  const Policy& policy = **built;
  AccessRequest allowed{"spiffe://acme/erp/billing-service",
                        Operation::kAuthXades, "nip:5265877635",
                        "acme-auth-2025"};
  AccessRequest denied{"spiffe://acme/unknown", Operation::kAuthToken,
                       "nip:1111111111", "acme-token"};

  std::size_t before = allocations;
  Decision a = policy.Authorize(allowed);
  Decision d = policy.Authorize(denied);
  Decision dev = policy.Authorize({"unix:1000", Operation::kAuditRead, {}, {}});
  std::size_t after = allocations;

  EXPECT_TRUE(a.allowed);
  EXPECT_FALSE(d.allowed);
  EXPECT_TRUE(dev.allowed);
  EXPECT_EQ(after - before, 0u);
}

TEST(PolicyAllocationTest, CounterSeesAllocations) {
  // Guards the test above against a counter that never counts.
  std::size_t before = allocations;
  auto* p = new std::string(100, 'x');
  std::size_t after = allocations;
  delete p;
  EXPECT_GE(after - before, 1u);
}

}  // namespace
}  // namespace sejf::server
