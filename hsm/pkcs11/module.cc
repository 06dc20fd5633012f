#include "hsm/pkcs11/module.h"

#include <dlfcn.h>

#include <set>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "common/files.h"
#include "common/status_context.h"
#include "common/status_macros.h"
#include "hsm/pkcs11/ck_rv.h"
#include "hsm/pkcs11/token_label.h"

namespace sejf::hsm::pkcs11 {
namespace {

// The libraries (by dlopen handle: the same file opened by two paths gives
// one handle) that a live Module has initialised, so that a second Load()
// of one library fails clearly instead of calling C_Initialize twice.
struct Registry {
  absl::Mutex mu;
  std::set<void*> initialised ABSL_GUARDED_BY(mu);
};

Registry& GetRegistry() {
  static Registry* registry = new Registry;  // never destroyed
  return *registry;
}

std::string ModuleContext(const std::string& path) {
  return absl::StrCat("PKCS#11 module ", path);
}

}  // namespace

absl::StatusOr<std::shared_ptr<Module>> Module::Load(
    const std::string& module_path) {
  const std::string context = ModuleContext(module_path);
  if (module_path.find('/') != std::string::npos && !PathExists(module_path)) {
    return absl::NotFoundError(absl::StrCat(context, " does not exist"));
  }
  void* library = dlopen(module_path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    const char* error = dlerror();
    return absl::FailedPreconditionError(
        absl::StrCat("cannot load ", context, ": ",
                     error != nullptr ? error : "dlopen failed"));
  }
  // Closes the library on every error path below.
  std::unique_ptr<void, int (*)(void*)> library_owner(library, &dlclose);

  auto get_function_list = reinterpret_cast<CK_C_GetFunctionList>(
      dlsym(library, "C_GetFunctionList"));
  if (get_function_list == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        module_path, " is not a PKCS#11 module: it has no C_GetFunctionList"));
  }
  CK_FUNCTION_LIST* functions = nullptr;
  RETURN_IF_ERROR(WithContext(
      CkRvToStatus(get_function_list(&functions), "C_GetFunctionList"),
      context));
  if (functions == nullptr || functions->C_Initialize == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        context, ": C_GetFunctionList returned no function table"));
  }

  Registry& registry = GetRegistry();
  absl::MutexLock lock(&registry.mu);
  if (registry.initialised.count(library) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(context,
                     " is already loaded in this process; PKCS#11 allows one "
                     "initialisation per process, so share that Module"));
  }
  CK_C_INITIALIZE_ARGS args = {};
  args.flags = CKF_OS_LOCKING_OK;
  CK_RV rv = functions->C_Initialize(&args);
  if (rv == CKR_CRYPTOKI_ALREADY_INITIALIZED) {
    // Someone else owns the initialisation: do not finalise it for them.
    return absl::FailedPreconditionError(absl::StrCat(
        context,
        ": C_Initialize: CKR_CRYPTOKI_ALREADY_INITIALIZED: another "
        "user in this process (e.g. libp11 or an OpenSSL engine) "
        "initialised the module; sejf must be its only user"));
  }
  if (rv == CKR_CANT_LOCK) {
    return absl::FailedPreconditionError(
        absl::StrCat(context,
                     ": C_Initialize: CKR_CANT_LOCK: the module cannot use the "
                     "operating system's locking, so it is not safe for a "
                     "multi-threaded server"));
  }
  RETURN_IF_ERROR(WithContext(CkRvToStatus(rv, "C_Initialize"), context));
  registry.initialised.insert(library);
  return std::shared_ptr<Module>(
      new Module(module_path, library_owner.release(), functions));
}

Module::Module(std::string path, void* library, CK_FUNCTION_LIST* functions)
    : path_(std::move(path)), library_(library), functions_(functions) {}

Module::~Module() {
  Registry& registry = GetRegistry();
  {
    absl::MutexLock lock(&registry.mu);
    // Nothing useful can be done with a failure here; the process is
    // letting go of the module either way.
    functions_->C_Finalize(nullptr);
    registry.initialised.erase(library_);
  }
  dlclose(library_);
}

absl::StatusOr<std::vector<Module::Token>> Module::ListTokens() const {
  const std::string context = ModuleContext(path_);
  std::vector<CK_SLOT_ID> slots;
  for (;;) {
    CK_ULONG count = 0;
    RETURN_IF_ERROR(WithContext(
        CkRvToStatus(functions_->C_GetSlotList(CK_TRUE, nullptr, &count),
                     "C_GetSlotList"),
        context));
    slots.resize(count);
    CK_RV rv = functions_->C_GetSlotList(CK_TRUE, slots.data(), &count);
    if (rv == CKR_BUFFER_TOO_SMALL) continue;  // a token arrived meanwhile
    RETURN_IF_ERROR(WithContext(CkRvToStatus(rv, "C_GetSlotList"), context));
    slots.resize(count);
    break;
  }

  std::vector<Token> tokens;
  tokens.reserve(slots.size());
  for (CK_SLOT_ID slot : slots) {
    CK_TOKEN_INFO info = {};
    CK_RV rv = functions_->C_GetTokenInfo(slot, &info);
    if (rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_SLOT_ID_INVALID) continue;
    RETURN_IF_ERROR(WithContext(CkRvToStatus(rv, "C_GetTokenInfo"),
                                absl::StrCat(context, " slot ", slot)));
    tokens.push_back(Token{
        .slot = slot,
        .label = TrimPaddedField(info.label, sizeof(info.label)),
        .serial = TrimPaddedField(info.serialNumber, sizeof(info.serialNumber)),
        .flags = info.flags,
    });
  }
  return tokens;
}

absl::StatusOr<CK_SLOT_ID> Module::FindTokenSlot(
    absl::string_view label) const {
  RETURN_IF_ERROR(PadTokenLabel(label).status());
  ASSIGN_OR_RETURN(std::vector<Token> tokens, ListTokens());

  std::vector<const Token*> matches;
  std::vector<std::string> present;
  for (const Token& token : tokens) {
    if (!token.initialized()) continue;
    present.push_back(absl::StrCat("\"", token.label, "\""));
    if (token.label == label) matches.push_back(&token);
  }
  if (matches.empty()) {
    return absl::NotFoundError(absl::StrCat(
        "no token labelled \"", label, "\" in ", ModuleContext(path_), " (",
        present.empty()
            ? "it has no initialised token"
            : absl::StrCat("tokens present: ", absl::StrJoin(present, ", ")),
        ")"));
  }
  if (matches.size() > 1) {
    std::vector<std::string> serials;
    for (const Token* token : matches) serials.push_back(token->serial);
    return absl::FailedPreconditionError(absl::StrCat(
        matches.size(), " tokens in ", ModuleContext(path_), " are labelled \"",
        label, "\" (serials ", absl::StrJoin(serials, ", "),
        "); token labels must be unique, relabel or remove all but one"));
  }
  return matches.front()->slot;
}

}  // namespace sejf::hsm::pkcs11
