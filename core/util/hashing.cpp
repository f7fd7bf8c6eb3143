#include "hashing.h"

#include <openssl/evp.h>

#include <stdexcept>

#include "failure.h"

namespace kms::core {
namespace {

// OpenSSL 3 looks an implicitly named digest up (under a lock) on every call; fetch each once.
const EVP_MD* sha256_md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}
const EVP_MD* sha1_md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  return md;
}

// One-shot digests on a context kept per thread and algorithm: EVP_Digest() made
// and freed a context (several allocations, and reference counts on the
// algorithm) for every call, three or four times per record file.
struct ThreadContext {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~ThreadContext() { EVP_MD_CTX_free(ctx); }
};

unsigned int digest_into(const EVP_MD* md, EVP_MD_CTX* ctx, const void* data, std::size_t n, unsigned char* out) {
  unsigned int len = 0;
  if (!ctx || EVP_DigestInit_ex2(ctx, md, nullptr) != 1 || EVP_DigestUpdate(ctx, data, n) != 1 ||
      EVP_DigestFinal_ex(ctx, out, &len) != 1) {
    throw InternalError("OpenSSL digest failed");
  }
  return len;
}

unsigned int sha256_into(const void* data, std::size_t n, unsigned char* out) {
  thread_local ThreadContext t;
  return digest_into(sha256_md(), t.ctx, data, n, out);
}

unsigned int sha1_into(const void* data, std::size_t n, unsigned char* out) {
  thread_local ThreadContext t;
  return digest_into(sha1_md(), t.ctx, data, n, out);
}

}  // namespace

std::array<std::uint8_t, 32> sha256_bytes(const void* data, std::size_t n) {
  std::array<std::uint8_t, 32> out{};
  if (sha256_into(data, n, out.data()) != out.size()) throw InternalError("OpenSSL SHA-256 failed");
  return out;
}

std::string sha256_hex(std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  return hex_lower(out, sha256_into(data.data(), data.size(), out));
}

std::string sha1_hex(const Bytes& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  return hex_lower(out, sha1_into(data.data(), data.size(), out));
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_ || EVP_DigestInit_ex(ctx_, sha256_md(), nullptr) != 1) {
    EVP_MD_CTX_free(ctx_);
    throw InternalError("OpenSSL SHA-256 init failed");
  }
}

Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }

void Sha256::update(const void* data, std::size_t n) {
  if (EVP_DigestUpdate(ctx_, data, n) != 1) throw InternalError("OpenSSL SHA-256 update failed");
}

std::string Sha256::raw_final() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_, out, &len) != 1) throw InternalError("OpenSSL SHA-256 final failed");
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string Sha256::hex_final() {
  const std::string raw = raw_final();
  return hex_lower(reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size());
}

}  // namespace kms::core
