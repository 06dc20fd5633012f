#include "client/cli/private_key_file.h"

#include <fcntl.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "common/openssl_error.h"
#include "common/openssl_ptr.h"
#include "common/status_macros.h"

namespace sejf::client::cli {
namespace {

// Key and certificate files are small; anything larger is not one.
constexpr std::size_t kMaxFileSize = 1 << 20;

// The whole file into zeroing memory (a key file may hold a plain key).
absl::StatusOr<SecretBytes> ReadWholeFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", std::strerror(errno)));
  }
  SecretBytes data;
  data.reserve(kMaxFileSize + 1);  // no reallocation: one wiped buffer
  unsigned char buffer[4096];
  while (true) {
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (data.size() + n > kMaxFileSize) {
      close(fd);
      OPENSSL_cleanse(buffer, sizeof(buffer));
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": larger than a key or certificate file"));
    }
    data.insert(data.end(), buffer, buffer + n);
  }
  OPENSSL_cleanse(buffer, sizeof(buffer));
  close(fd);
  if (data.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": empty file"));
  }
  return data;
}

// A password asked on the terminal, echo off; nullopt when there is no
// terminal.
std::optional<SecretBytes> AskPassword(const std::string& prompt) {
  const int tty = open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (tty < 0) return std::nullopt;
  termios saved{};
  const bool have_termios = tcgetattr(tty, &saved) == 0;
  if (have_termios) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(tty, TCSAFLUSH, &quiet);
  }
  const std::string text = prompt + " (input hidden), then Enter: ";
  (void)!write(tty, text.data(), text.size());
  SecretBytes password;
  password.reserve(1024);
  while (true) {
    unsigned char c = 0;
    const ssize_t n = read(tty, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || c == '\n') break;
    if (password.size() < 1023) password.push_back(c);
  }
  if (have_termios) tcsetattr(tty, TCSAFLUSH, &saved);
  (void)!write(tty, "\n", 1);
  close(tty);
  if (!password.empty() && password.back() == '\r') password.pop_back();
  return password;
}

// Where the password comes from; read once, asked at most once.
class PasswordSource {
 public:
  PasswordSource(std::string file, std::string prompt)
      : file_(std::move(file)), prompt_(std::move(prompt)) {}

  absl::StatusOr<const SecretBytes*> Get() {
    if (password_) return &*password_;
    if (!file_.empty()) {
      absl::StatusOr<SecretBytes> read = ReadSecretFile(file_);
      if (!read.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--password-file ", file_, ": ", read.status().message()));
      }
      password_ = *std::move(read);
    } else {
      password_ = AskPassword(prompt_);
      if (!password_) {
        return absl::InvalidArgumentError(
            "the key is encrypted and there is no terminal to ask for its "
            "password: give --password-file FILE");
      }
    }
    return &*password_;
  }
  bool used() const { return used_; }
  void set_used() { used_ = true; }
  absl::Status error() const { return error_; }
  void set_error(absl::Status error) { error_ = std::move(error); }

 private:
  const std::string file_;
  const std::string prompt_;
  std::optional<SecretBytes> password_;
  bool used_ = false;
  absl::Status error_;
};

int PasswordCallback(char* buffer, int size, int, void* user) {
  auto* source = static_cast<PasswordSource*>(user);
  source->set_used();
  absl::StatusOr<const SecretBytes*> password = source->Get();
  if (!password.ok()) {
    source->set_error(password.status());
    return -1;
  }
  const SecretBytes& p = **password;
  if (p.size() > static_cast<std::size_t>(size)) return -1;
  std::memcpy(buffer, p.data(), p.size());
  return static_cast<int>(p.size());
}

absl::StatusOr<SecretBytes> ToPkcs8(EVP_PKEY* key) {
  PKCS8_PRIV_KEY_INFO* info = EVP_PKEY2PKCS8(key);
  if (info == nullptr) return OpenSslInternal("EVP_PKEY2PKCS8");
  unsigned char* der = nullptr;
  const int size = i2d_PKCS8_PRIV_KEY_INFO(info, &der);
  PKCS8_PRIV_KEY_INFO_free(info);
  if (size <= 0) return OpenSslInternal("i2d_PKCS8_PRIV_KEY_INFO");
  SecretBytes out(der, der + size);
  OPENSSL_clear_free(der, size);
  return out;
}

absl::StatusOr<std::string> CertificatePem(X509* certificate) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_X509(bio.get(), certificate) != 1) {
    return OpenSslInternal("PEM_write_bio_X509");
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, size);
}

}  // namespace

absl::StatusOr<KeyMaterial> LoadKeyAndCertificate(
    const std::string& certificate_path, const std::string& key_path,
    const std::string& password_file) {
  ASSIGN_OR_RETURN(SecretBytes certificate, ReadWholeFile(certificate_path));
  ASSIGN_OR_RETURN(SecretBytes key_file, ReadWholeFile(key_path));

  PasswordSource password(password_file,
                          absl::StrCat("Password of ", key_path));
  EVP_PKEY* raw = nullptr;
  using DecoderPtr = OpenSslPtr<OSSL_DECODER_CTX, OSSL_DECODER_CTX_free>;
  DecoderPtr decoder(OSSL_DECODER_CTX_new_for_pkey(
      &raw, nullptr, nullptr, nullptr, EVP_PKEY_KEYPAIR, nullptr, nullptr));
  if (decoder == nullptr ||
      OSSL_DECODER_CTX_set_pem_password_cb(decoder.get(), PasswordCallback,
                                           &password) != 1) {
    return OpenSslInternal("OSSL_DECODER_CTX_new_for_pkey");
  }
  const unsigned char* data = key_file.data();
  std::size_t size = key_file.size();
  const bool decoded = OSSL_DECODER_from_data(decoder.get(), &data, &size) == 1;
  EvpPkeyPtr key(raw);
  ERR_clear_error();
  if (!password.error().ok()) return password.error();
  if (!decoded || key == nullptr) {
    if (password.used()) {
      return absl::InvalidArgumentError(absl::StrCat(
          key_path, ": wrong password (or the encrypted key is damaged)"));
    }
    return absl::InvalidArgumentError(absl::StrCat(
        key_path,
        ": not a private key sejf can read (PEM or DER: PKCS#8, encrypted "
        "PKCS#8, or a traditional EC/RSA key); truncated or another file?"));
  }
  KeyMaterial out;
  ASSIGN_OR_RETURN(out.pkcs8, ToPkcs8(key.get()));
  out.certificate_chain.assign(certificate.begin(), certificate.end());
  return out;
}

absl::StatusOr<KeyMaterial> LoadPkcs12(const std::string& path,
                                       const std::string& password_file) {
  ASSIGN_OR_RETURN(SecretBytes file, ReadWholeFile(path));
  const unsigned char* p = file.data();
  using Pkcs12Ptr = OpenSslPtr<PKCS12, PKCS12_free>;
  Pkcs12Ptr p12(d2i_PKCS12(nullptr, &p, static_cast<long>(file.size())));
  if (p12 == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": not a PKCS#12 file (truncated or another file?)"));
  }
  PasswordSource password(password_file, absl::StrCat("Password of ", path));
  ASSIGN_OR_RETURN(const SecretBytes* secret, password.Get());
  // PKCS12_parse takes a C string.
  SecretBytes pass(secret->begin(), secret->end());
  pass.push_back(0);
  EVP_PKEY* raw_key = nullptr;
  X509* raw_certificate = nullptr;
  STACK_OF(X509)* raw_ca = nullptr;
  const int parsed =
      PKCS12_parse(p12.get(), reinterpret_cast<const char*>(pass.data()),
                   &raw_key, &raw_certificate, &raw_ca);
  EvpPkeyPtr key(raw_key);
  X509Ptr certificate(raw_certificate);
  X509StackPtr ca(raw_ca);
  if (parsed != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": wrong password (or the PKCS#12 file is damaged)"));
  }
  if (key == nullptr || certificate == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        path,
        ": the PKCS#12 file must hold a private key and its certificate"));
  }
  KeyMaterial out;
  ASSIGN_OR_RETURN(out.pkcs8, ToPkcs8(key.get()));
  ASSIGN_OR_RETURN(out.certificate_chain, CertificatePem(certificate.get()));
  for (int i = 0; ca != nullptr && i < sk_X509_num(ca.get()); ++i) {
    ASSIGN_OR_RETURN(std::string pem,
                     CertificatePem(sk_X509_value(ca.get(), i)));
    out.certificate_chain += pem;
  }
  return out;
}

}  // namespace sejf::client::cli
