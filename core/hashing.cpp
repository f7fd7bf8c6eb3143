#include "hashing.h"

#include <openssl/evp.h>

#include <stdexcept>

namespace kms::core {
namespace {

std::string digest_hex(const EVP_MD* md, const void* data, std::size_t n) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data, n, out, &len, md, nullptr) != 1) throw std::runtime_error("OpenSSL digest failed");
  return hex_lower(out, len);
}

}  // namespace

std::string sha256_hex(std::string_view data) { return digest_hex(EVP_sha256(), data.data(), data.size()); }
std::string sha1_hex(const Bytes& data) { return digest_hex(EVP_sha1(), data.data(), data.size()); }

struct Sha256::Impl {
  EVP_MD_CTX* ctx = nullptr;
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {
  impl_->ctx = EVP_MD_CTX_new();
  if (!impl_->ctx || EVP_DigestInit_ex(impl_->ctx, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("OpenSSL SHA-256 init failed");
  }
}

Sha256::~Sha256() { EVP_MD_CTX_free(impl_->ctx); }

void Sha256::update(const void* data, std::size_t n) {
  if (EVP_DigestUpdate(impl_->ctx, data, n) != 1) throw std::runtime_error("OpenSSL SHA-256 update failed");
}

std::string Sha256::hex_final() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(impl_->ctx, out, &len) != 1) throw std::runtime_error("OpenSSL SHA-256 final failed");
  return hex_lower(out, len);
}

}  // namespace kms::core
