// sejf_fault_pkcs11: a PKCS#11 module for tests that forwards every call to
// a real module (SoftHSM2) and, on command, fails, slows down or hangs
// chosen functions. See README.md beside this file for the control file.
//
// Built as a shared library (never installed, never linked into sejfd or
// sejf); sejfd loads it through `[hsm] module` like any module. Only
// C_GetFunctionList is exported.
//
// Environment (read at each C_GetFunctionList, i.e. each load):
//   SEJF_FAULT_PKCS11_MODULE   the real module; default
//                              /usr/lib/softhsm/libsofthsm2.so
//   SEJF_FAULT_PKCS11_CONTROL  the control file; unset or missing: no faults
//   SEJF_FAULT_PKCS11_STATS    optional: rewritten after each injected
//                              fault: "injected N", "hung N", "delayed N",
//                              "token_actions N" lines
//
// The control file is read before every call (a few system calls; this is
// a test module) and its rules change when its contents do, so a test flips
// faults while the process using the module runs. Write it by rename() for
// an atomic switch.
//
// Thread-safety: every function may be called from any thread, as the real
// module allows (the forwarded module is initialised with the caller's
// C_Initialize arguments).
#include <dlfcn.h>
#include <fcntl.h>
#include <p11-kit/pkcs11.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

// ---- the control file -----------------------------------------------------

struct Rule {
  enum class Kind { kFail, kLatency, kHang } kind;
  std::string function;  // "C_Sign", or "all"
  CK_RV rv = CKR_OK;     // kFail
  long millis = 0;       // kLatency
};

// The control file as it is now: its bytes, or nullopt when it is missing.
// Compared by content, so every change counts, whatever the file system's
// timestamp granularity or inode reuse.
using Contents = std::optional<std::string>;

struct NamedRv {
  const char* name;
  CK_RV rv;
};
constexpr NamedRv kInjectable[] = {
    {"CKR_DEVICE_ERROR", CKR_DEVICE_ERROR},
    {"CKR_SESSION_HANDLE_INVALID", CKR_SESSION_HANDLE_INVALID},
    {"CKR_USER_NOT_LOGGED_IN", CKR_USER_NOT_LOGGED_IN},
    {"CKR_DEVICE_REMOVED", CKR_DEVICE_REMOVED},
    {"CKR_TOKEN_NOT_PRESENT", CKR_TOKEN_NOT_PRESENT},
    {"CKR_SESSION_CLOSED", CKR_SESSION_CLOSED},
    {"CKR_GENERAL_ERROR", CKR_GENERAL_ERROR},
    {"CKR_FUNCTION_FAILED", CKR_FUNCTION_FAILED},
};

std::string Env(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : fallback;
}

Contents ReadControl(const std::string& path) {
  if (path.empty()) return std::nullopt;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string text;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof(buffer))) > 0 && text.size() < 65536) {
    text.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  return text;
}

// Unknown lines are ignored (with a note on stderr): the module must never
// be the thing that breaks.
std::vector<Rule> ParseRules(const std::string& text) {
  std::vector<Rule> rules;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (auto hash = line.find('#'); hash != std::string::npos) {
      line.resize(hash);
    }
    std::istringstream words(line);
    std::string verb, function, arg;
    if (!(words >> verb)) continue;
    words >> function >> arg;
    bool ok = !function.empty();
    Rule rule{Rule::Kind::kFail, function};
    if (ok && verb == "fail") {
      ok = false;
      for (const NamedRv& n : kInjectable) {
        if (arg == n.name) {
          rule.rv = n.rv;
          ok = true;
        }
      }
    } else if (ok && verb == "latency") {
      rule.kind = Rule::Kind::kLatency;
      char* end = nullptr;
      rule.millis = std::strtol(arg.c_str(), &end, 10);
      ok = !arg.empty() && *end == '\0' && rule.millis >= 0;
    } else if (ok && verb == "hang") {
      rule.kind = Rule::Kind::kHang;
    } else {
      ok = false;
    }
    if (ok) {
      rules.push_back(rule);
    } else {
      std::fprintf(stderr, "sejf_fault_pkcs11: ignoring control line \"%s\"\n",
                   line.c_str());
    }
  }
  return rules;
}

struct State {
  std::string control_path;  // guarded by mu
  std::string stats_path;    // guarded by mu
  void* library = nullptr;
  CK_FUNCTION_LIST* real = nullptr;
  CK_FUNCTION_LIST list = {};

  std::mutex mu;
  Contents seen;                 // guarded by mu
  unsigned long generation = 0;  // guarded by mu; +1 per re-read
  unsigned long acted_on = 0;    // guarded by mu; see ActOnToken
  std::vector<Rule> rules;       // guarded by mu
  std::atomic<long> injected{0}, hung{0}, delayed{0}, token_actions{0};
  // Forwarded calls hold it shared; ActOnToken exclusively, so that no call
  // is inside the real module while its sessions are closed under it.
  std::shared_mutex forward_mu;
};

State& GetState() {
  static State* state = new State;  // never destroyed: calls may outlive exit
  return *state;
}

// The rules now in force, re-read if the file changed; `control` is set to
// the control file's path (empty: no faults) and `generation` to the
// version of the file the rules come from.
std::vector<Rule> CurrentRules(State& s, Contents* contents,
                               std::string* control,
                               unsigned long* generation) {
  std::lock_guard<std::mutex> lock(s.mu);
  *control = s.control_path;
  Contents now = ReadControl(s.control_path);
  if (now != s.seen) {
    ++s.generation;
    s.rules = now ? ParseRules(*now) : std::vector<Rule>{};
    s.seen = now;
  }
  *contents = std::move(now);
  *generation = s.generation;
  return s.rules;
}

void WriteStats(State& s) {
  std::string path;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    path = s.stats_path;
  }
  if (path.empty()) return;
  char text[128];
  int n =
      std::snprintf(text, sizeof(text),
                    "injected %ld\nhung %ld\ndelayed %ld\ntoken_actions %ld\n",
                    s.injected.load(), s.hung.load(), s.delayed.load(),
                    s.token_actions.load());
  std::string tmp = path + ".tmp." + std::to_string(gettid());
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return;
  bool ok = write(fd, text, static_cast<size_t>(n)) == n;
  close(fd);
  if (ok) rename(tmp.c_str(), path.c_str());
}

// What the real token does when these faults happen, done once per version
// of the control file (`generation`, the version the rule was read from: a
// caller still acting on rules of a version the file has since left does
// not act again): CKR_DEVICE_REMOVED closes every session of the real
// module (a removed token loses them, and with the last one the login);
// CKR_USER_NOT_LOGGED_IN logs the application out of every token (through a
// session of our own) while the caller's sessions stay open. So when the
// fault clears, the caller meets the real consequences and must open new
// sessions or log in again.
void ActOnToken(State& s, CK_RV rv, unsigned long generation) {
  if (rv != CKR_DEVICE_REMOVED && rv != CKR_USER_NOT_LOGGED_IN) return;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    if (s.acted_on >= generation) return;
    s.acted_on = generation;
  }
  CK_ULONG count = 0;
  if (s.real->C_GetSlotList(CK_TRUE, nullptr, &count) != CKR_OK) return;
  std::vector<CK_SLOT_ID> slots(count);
  if (s.real->C_GetSlotList(CK_TRUE, slots.data(), &count) != CKR_OK) return;
  slots.resize(count);
  std::unique_lock<std::shared_mutex> no_calls_inside(s.forward_mu);
  ++s.token_actions;
  for (CK_SLOT_ID slot : slots) {
    if (rv == CKR_DEVICE_REMOVED) {
      s.real->C_CloseAllSessions(slot);
      continue;
    }
    CK_SESSION_HANDLE session = CK_INVALID_HANDLE;
    if (s.real->C_OpenSession(slot, CKF_SERIAL_SESSION, nullptr, nullptr,
                              &session) == CKR_OK) {
      s.real->C_Logout(session);
      s.real->C_CloseSession(session);
    }
  }
}

bool Applies(const Rule& rule, const char* function) {
  return rule.function == function ||
         (rule.function == "all" &&
          std::strcmp(function, "C_Initialize") != 0 &&
          std::strcmp(function, "C_Finalize") != 0);
}

// CKR_OK to forward the call, else the value to return instead.
CK_RV Inject(const char* function) {
  State& s = GetState();
  bool counted_hang = false;
  for (;;) {
    Contents contents;
    std::string control;
    unsigned long generation = 0;
    std::vector<Rule> rules = CurrentRules(s, &contents, &control, &generation);
    if (control.empty()) return CKR_OK;
    bool hang = false;
    long millis = 0;
    for (const Rule& rule : rules) {
      if (!Applies(rule, function)) continue;
      if (rule.kind == Rule::Kind::kFail) {
        ActOnToken(s, rule.rv, generation);
        ++s.injected;
        WriteStats(s);
        return rule.rv;
      }
      if (rule.kind == Rule::Kind::kHang) hang = true;
      if (rule.kind == Rule::Kind::kLatency) millis += rule.millis;
    }
    if (!hang) {
      if (millis > 0) {
        ++s.delayed;
        WriteStats(s);
        std::this_thread::sleep_for(std::chrono::milliseconds(millis));
      }
      return CKR_OK;
    }
    if (!counted_hang) {
      counted_hang = true;
      ++s.hung;
      WriteStats(s);
    }
    // Hung until the control file changes; then its new rules decide.
    while (ReadControl(control) == contents) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
}

// ---- forwarding -----------------------------------------------------------

template <typename Fn>
struct Forward;

template <typename... Args>
struct Forward<CK_RV (*)(Args...)> {
  template <CK_RV (*CK_FUNCTION_LIST::*Member)(Args...), const char* kName>
  static CK_RV Call(Args... args) {
    if (CK_RV rv = Inject(kName); rv != CKR_OK) return rv;
    State& s = GetState();
    std::shared_lock<std::shared_mutex> inside(s.forward_mu);
    return (s.real->*Member)(args...);
  }
};

// Every function of the 2.40 list except C_GetFunctionList (ours).
// One function a line; clang-format would fold the list.
// clang-format off
#define SEJF_FAULT_FUNCTIONS(X) \
  X(C_Initialize)               \
  X(C_Finalize)                 \
  X(C_GetInfo)                  \
  X(C_GetSlotList)              \
  X(C_GetSlotInfo)              \
  X(C_GetTokenInfo)             \
  X(C_GetMechanismList)         \
  X(C_GetMechanismInfo)         \
  X(C_InitToken)                \
  X(C_InitPIN)                  \
  X(C_SetPIN)                   \
  X(C_OpenSession)              \
  X(C_CloseSession)             \
  X(C_CloseAllSessions)         \
  X(C_GetSessionInfo)           \
  X(C_GetOperationState)        \
  X(C_SetOperationState)        \
  X(C_Login)                    \
  X(C_Logout)                   \
  X(C_CreateObject)             \
  X(C_CopyObject)               \
  X(C_DestroyObject)            \
  X(C_GetObjectSize)            \
  X(C_GetAttributeValue)        \
  X(C_SetAttributeValue)        \
  X(C_FindObjectsInit)          \
  X(C_FindObjects)              \
  X(C_FindObjectsFinal)         \
  X(C_EncryptInit)              \
  X(C_Encrypt)                  \
  X(C_EncryptUpdate)            \
  X(C_EncryptFinal)             \
  X(C_DecryptInit)              \
  X(C_Decrypt)                  \
  X(C_DecryptUpdate)            \
  X(C_DecryptFinal)             \
  X(C_DigestInit)               \
  X(C_Digest)                   \
  X(C_DigestUpdate)             \
  X(C_DigestKey)                \
  X(C_DigestFinal)              \
  X(C_SignInit)                 \
  X(C_Sign)                     \
  X(C_SignUpdate)               \
  X(C_SignFinal)                \
  X(C_SignRecoverInit)          \
  X(C_SignRecover)              \
  X(C_VerifyInit)               \
  X(C_Verify)                   \
  X(C_VerifyUpdate)             \
  X(C_VerifyFinal)              \
  X(C_VerifyRecoverInit)        \
  X(C_VerifyRecover)            \
  X(C_DigestEncryptUpdate)      \
  X(C_DecryptDigestUpdate)      \
  X(C_SignEncryptUpdate)        \
  X(C_DecryptVerifyUpdate)      \
  X(C_GenerateKey)              \
  X(C_GenerateKeyPair)          \
  X(C_WrapKey)                  \
  X(C_UnwrapKey)                \
  X(C_DeriveKey)                \
  X(C_SeedRandom)               \
  X(C_GenerateRandom)           \
  X(C_GetFunctionStatus)        \
  X(C_CancelFunction)           \
  X(C_WaitForSlotEvent)
// clang-format on

#define SEJF_FAULT_NAME(name) constexpr char k##name[] = #name;
SEJF_FAULT_FUNCTIONS(SEJF_FAULT_NAME)
#undef SEJF_FAULT_NAME

CK_RV Load(State& s) {
  {
    // Read at every load: a process may load the module again (a test with
    // a new control file), and the library may stay mapped in between.
    std::lock_guard<std::mutex> lock(s.mu);
    s.control_path = Env("SEJF_FAULT_PKCS11_CONTROL", "");
    s.stats_path = Env("SEJF_FAULT_PKCS11_STATS", "");
    s.seen = std::nullopt;
    s.rules.clear();
  }
  if (s.real != nullptr) return CKR_OK;
  const std::string path =
      Env("SEJF_FAULT_PKCS11_MODULE", "/usr/lib/softhsm/libsofthsm2.so");
  s.library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (s.library == nullptr) {
    std::fprintf(stderr, "sejf_fault_pkcs11: %s\n", dlerror());
    return CKR_GENERAL_ERROR;
  }
  auto get = reinterpret_cast<CK_RV (*)(CK_FUNCTION_LIST**)>(
      dlsym(s.library, "C_GetFunctionList"));
  if (get == nullptr) return CKR_GENERAL_ERROR;
  CK_FUNCTION_LIST* real = nullptr;
  if (CK_RV rv = get(&real); rv != CKR_OK) return rv;
  s.list = *real;
#define SEJF_FAULT_WRAP(name)                                              \
  s.list.name = &Forward<decltype(CK_FUNCTION_LIST::name)>::template Call< \
      &CK_FUNCTION_LIST::name, k##name>;
  SEJF_FAULT_FUNCTIONS(SEJF_FAULT_WRAP)
#undef SEJF_FAULT_WRAP
  s.list.C_GetFunctionList = &C_GetFunctionList;
  s.real = real;
  return CKR_OK;
}

CK_RV GetFunctionList(CK_FUNCTION_LIST** list) {
  if (list == nullptr) return CKR_ARGUMENTS_BAD;
  State& s = GetState();
  static std::mutex load_mu;
  std::lock_guard<std::mutex> lock(load_mu);
  if (CK_RV rv = Load(s); rv != CKR_OK) return rv;
  *list = &s.list;
  return CKR_OK;
}

}  // namespace

extern "C" __attribute__((visibility("default"))) CK_RV C_GetFunctionList(
    CK_FUNCTION_LIST** list) {
  return GetFunctionList(list);
}
