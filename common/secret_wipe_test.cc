// SecretBytes wipes every buffer it gives back (common/secret.h).
//
// How the bytes are seen without undefined behaviour: this binary replaces
// the global operator new/delete (a program-wide replacement, hence its own
// test binary). ZeroingAllocator frees through std::allocator, which ends in
// ::operator delete; the replacement copies the watched buffer's bytes while
// the storage is still allocated, then frees it. So the test reads the exact
// allocation the secret lived in, after the wipe and before the free — never
// memory that has been released. A plain std::vector, freed the same way,
// shows that the observation would catch a buffer that is not wiped.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "common/secret.h"
#include "gtest/gtest.h"

namespace {

constexpr std::size_t kMaxWatched = 256;

// The buffer being watched and what it held when it reached operator delete.
// The tests run on one thread; nothing else frees this address meanwhile.
const void* watched = nullptr;
std::size_t watched_size = 0;
bool freed = false;
unsigned char seen[kMaxWatched];

void Observe(void* p) {
  if (p != nullptr && p == watched) {
    std::memcpy(seen, p, watched_size);
    freed = true;
    watched = nullptr;
  }
}

}  // namespace

void* operator new(std::size_t size) {
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  Observe(p);
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  Observe(p);
  std::free(p);
}

namespace sejf {
namespace {

constexpr char kSecret[] = "ksef-token-0123456789-abcdefghijklmnopqrstuvwxyz";

// Arms the observation of the allocation at `data` (its first `size` bytes).
void Watch(const void* data, std::size_t size) {
  ASSERT_LE(size, kMaxWatched);
  watched = data;
  watched_size = size;
  freed = false;
  std::memset(seen, 0xAA, sizeof(seen));
}

std::string Seen() {
  return std::string(reinterpret_cast<const char*>(seen), watched_size);
}

bool SeenAllZero() {
  for (std::size_t i = 0; i < watched_size; ++i) {
    if (seen[i] != 0) return false;
  }
  return true;
}

TEST(SecretWipeTest, ObservationSeesTheSecretInAPlainVectorsFreedBuffer) {
  // The control: std::allocator does not wipe, so the secret is still in
  // the buffer when it is freed. If this fails, the other tests prove nothing.
  {
    std::vector<std::uint8_t> plain(kSecret, kSecret + sizeof(kSecret) - 1);
    Watch(plain.data(), plain.size());
  }
  ASSERT_TRUE(freed);
  EXPECT_EQ(Seen(), std::string(kSecret));
}

TEST(SecretWipeTest, BufferIsZeroWhenTheSecretIsDestroyed) {
  {
    SecretBytes secret = SecretFromView(kSecret);
    Watch(secret.data(), secret.size());
  }
  ASSERT_TRUE(freed) << "the secret's buffer never reached operator delete";
  EXPECT_TRUE(SeenAllZero()) << Seen();
}

TEST(SecretWipeTest, BufferLeftBehindByGrowthIsZero) {
  SecretBytes secret = SecretFromView(kSecret);
  Watch(secret.data(), secret.size());
  secret.reserve(secret.capacity() * 2);  // moves to a new buffer
  ASSERT_TRUE(freed) << "growth did not release the first buffer";
  EXPECT_TRUE(SeenAllZero()) << Seen();
  EXPECT_EQ(SecretView(secret), kSecret);  // the copy still holds it
}

TEST(SecretWipeTest, BufferIsZeroWhenAssignedOver) {
  SecretBytes secret = SecretFromView(kSecret);
  Watch(secret.data(), secret.size());
  secret = SecretBytes();
  ASSERT_TRUE(freed);
  EXPECT_TRUE(SeenAllZero()) << Seen();
}

}  // namespace
}  // namespace sejf
