#include "profile_int.h"

#include <algorithm>

namespace kms::core {
namespace {

/// The UTF-16 code units of UTF-8 text, at most `limit` of them (the text is valid UTF-8).
std::u16string utf16_prefix(std::string_view s, std::size_t limit) {
  std::u16string out;
  for (std::size_t i = 0; i < s.size() && out.size() < limit;) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::uint32_t cp = b;
    int len = 1;
    if (b >= 0xF0) {
      cp = b & 0x07u, len = 4;
    } else if (b >= 0xE0) {
      cp = b & 0x0Fu, len = 3;
    } else if (b >= 0xC0) {
      cp = b & 0x1Fu, len = 2;
    }
    for (int k = 1; k < len && i + static_cast<std::size_t>(k) < s.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]) & 0x3Fu);
    }
    i += static_cast<std::size_t>(len);
    if (cp >= 0x10000) {
      out.push_back(static_cast<char16_t>(0xD800 + ((cp - 0x10000) >> 10)));
      if (out.size() < limit) out.push_back(static_cast<char16_t>(0xDC00 + ((cp - 0x10000) & 0x3FF)));
    } else {
      out.push_back(static_cast<char16_t>(cp));
    }
  }
  return out;
}

int digit_value(char16_t c) {
  if (c >= u'0' && c <= u'9') return c - u'0';
  if (c >= u'A' && c <= u'Z') return c - u'A' + 10;
  if (c >= u'a' && c <= u'z') return c - u'a' + 10;
  return -1;
}

void add_reason(std::string& why, const char* reason) {
  if (!why.empty()) why += ", ";
  why += reason;
}

}  // namespace

ProfileInt read_profile_int(std::string_view value, bool quoted) {
  ProfileInt r;
  if (value.empty()) return r;
  r.present = true;
  // The API asks for the string into a buffer of 30 characters: 29 and the end.
  constexpr std::size_t kApiChars = 29;
  std::u16string w = utf16_prefix(value, kApiChars + 1);
  // The API copies the value with its closing quote into the buffer, then drops
  // the buffer's last character if the whole quoted value fitted: a quoted value
  // of exactly 29 characters loses its last one (Wine's PROFILE_CopyEntry).
  const std::size_t keep = quoted && w.size() == kApiChars ? kApiChars - 1 : kApiChars;
  const bool cut = w.size() > keep;
  if (cut) w.resize(keep);
  std::size_t i = 0;
  while (i < w.size() && w[i] <= u' ') ++i;
  if (i > 0) add_reason(r.why, "blanks before the number");
  bool minus = false;
  if (i < w.size() && (w[i] == u'+' || w[i] == u'-')) {
    minus = w[i] == u'-';
    add_reason(r.why, minus ? "a '-' sign" : "a '+' sign");
    ++i;
  }
  unsigned base = 10;
  if (i + 1 < w.size() && w[i] == u'0' && (w[i + 1] == u'x' || w[i + 1] == u'o' || w[i + 1] == u'b')) {
    base = w[i + 1] == u'x' ? 16 : w[i + 1] == u'o' ? 8 : 2;
    add_reason(r.why, base == 16  ? "a 0x (hexadecimal) prefix"
                      : base == 8 ? "a 0o (octal) prefix"
                                  : "a 0b (binary) prefix");
    i += 2;
  }
  const std::size_t first_digit = i;
  std::uint32_t wrapped = 0;
  std::int64_t magnitude = 0;
  constexpr std::int64_t kSaturate = std::int64_t{1} << 40;
  for (; i < w.size(); ++i) {
    const int d = digit_value(w[i]);
    if (d < 0 || static_cast<unsigned>(d) >= base) break;
    wrapped = wrapped * base + static_cast<std::uint32_t>(d);
    magnitude = std::min(kSaturate, magnitude * base + d);
  }
  const std::size_t digits = i - first_digit;
  if (digits == 0) add_reason(r.why, "no number (read as 0)");
  if (base == 10 && digits > 1 && w[first_digit] == u'0') add_reason(r.why, "leading zeros");
  if (i < w.size()) add_reason(r.why, "text after the number, ignored");
  if (cut) add_reason(r.why, "longer than the 29 characters read");
  r.api = minus ? 0u - wrapped : wrapped;
  r.written = minus ? -magnitude : magnitude;
  r.plain = r.why.empty();
  return r;
}

}  // namespace kms::core
