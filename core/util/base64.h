// Strict base64 (RFC 4648 standard alphabet, '=' padding required).
#pragma once
#include <optional>
#include <string_view>

#include "text_util.h"

namespace kms::core {

/// Decode `text`; nullopt when any character is outside the alphabet, the
/// padding is wrong or the length is not a multiple of 4. Empty input decodes to empty.
std::optional<Bytes> base64_decode(std::string_view text);
std::string base64_encode(const Bytes& bytes);

}  // namespace kms::core
