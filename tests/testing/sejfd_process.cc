#include "tests/testing/sejfd_process.h"

#include <signal.h>
#include <stdlib.h>

#include <filesystem>
#include <stdexcept>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/files.h"

namespace sejf::testing {

std::string SejfdBinary() { return SEJF_SEJFD_BINARY; }
std::string SejfCliBinary() { return SEJF_CLI_BINARY; }
std::string SourceDir() { return SEJF_SOURCE_DIR_PATH; }

absl::StatusOr<std::unique_ptr<SejfdProcess>> SejfdProcess::Start(
    const SejfdOptions& options) {
  std::unique_ptr<SejfdProcess> p(new SejfdProcess());
  p->data_dir_ = options.data_dir;
  p->stderr_path_ = options.stderr_path.empty()
                        ? absl::StrCat(options.data_dir, ".stderr")
                        : options.stderr_path;
  std::vector<std::string> argv = {SejfdBinary(), "--dev", "--data-dir",
                                   options.data_dir};
  if (!options.config_file.empty()) {
    argv.push_back("--config");
    argv.push_back(options.config_file);
  }
  bool custom_listen = false;
  for (const auto& a : options.extra_args) {
    if (a == "--listen") custom_listen = true;
  }
  if (!custom_listen) {
    argv.push_back("--listen");
    argv.push_back("127.0.0.1:0");
  }
  argv.insert(argv.end(), options.extra_args.begin(), options.extra_args.end());
  p->process_ =
      std::make_unique<Subprocess>(argv, options.env, p->stderr_path_);
  absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (p->tls_address_.empty() || p->unix_socket_.empty()) {
    std::optional<std::string> line =
        p->process_->ReadLine(deadline - absl::Now());
    if (!line) {
      return absl::UnavailableError(
          absl::StrCat("sejfd did not print its listeners; banner so far:\n",
                       p->banner_, "stderr:\n", p->Stderr()));
    }
    absl::StrAppend(&p->banner_, *line, "\n");
    absl::string_view l = absl::StripLeadingAsciiWhitespace(*line);
    if (absl::ConsumePrefix(&l, "listening tls "))
      p->tls_address_ = std::string(l);
    if (absl::ConsumePrefix(&l, "listening unix "))
      p->unix_socket_ = std::string(l);
  }
  // The rest of the banner (dev export lines) follows at once.
  while (auto line = p->process_->ReadLine(absl::Milliseconds(200))) {
    absl::StrAppend(&p->banner_, *line, "\n");
  }
  return p;
}

std::string SejfdProcess::Stderr() const {
  return ReadFile(stderr_path_).value_or("");
}

std::optional<int> SejfdProcess::Stop() {
  process_->Signal(SIGTERM);
  return process_->Wait(absl::Seconds(30));
}

}  // namespace sejf::testing
