// SHA-1 / SHA-256 through OpenSSL's libcrypto.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "text_util.h"

struct evp_md_ctx_st;

namespace kms::core {

std::string sha256_hex(std::string_view data);
std::string sha1_hex(const Bytes& data);

/// SHA-256 of the bytes, raw.
std::array<std::uint8_t, 32> sha256_bytes(const void* data, std::size_t n);

/// Incremental SHA-256 (for content_digest).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const void* data, std::size_t n);
  void update(std::string_view s) { update(s.data(), s.size()); }
  std::string hex_final();
  std::string raw_final();  ///< the 32 bytes

 private:
  evp_md_ctx_st* ctx_ = nullptr;  // OpenSSL's EVP_MD_CTX
};

}  // namespace kms::core
