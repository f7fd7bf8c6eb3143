// Small string helpers: ASCII case folding, trimming, hex.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kms::core {

using Bytes = std::vector<std::uint8_t>;

/// Whitespace as the profile dialect trims it: space, tab, CR, LF, VT, FF and Ctrl-Z.
bool is_blank_char(char c);
/// An ASCII letter or digit (whatever the locale).
inline bool is_ascii_alnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
std::string_view trim(std::string_view s);
std::string to_lower_ascii(std::string_view s);
/// 12345 -> "12,345".
std::string grouped(std::size_t n);
bool iequals(std::string_view a, std::string_view b);
/// A text compared ASCII case-insensitively (a MailboxDN, a record id), hashed; never 0.
std::uint64_t ascii_ci_key(std::string_view text);
/// Orders as the lower-case ASCII forms would, without building them.
bool ascii_ci_less(std::string_view a, std::string_view b);
std::string hex_lower(const std::uint8_t* data, std::size_t n);
inline std::string hex_lower(const Bytes& b) { return hex_lower(b.data(), b.size()); }
/// A decimal integer of digits only (no sign, no blanks); nullopt on anything else or overflow.
std::optional<std::int64_t> parse_decimal(std::string_view s);

}  // namespace kms::core
