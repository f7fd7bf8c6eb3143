// The field encoding both digests hash (docs/database.md, "content_digest"):
// one tag byte, 'V' then an 8-byte big-endian length and the bytes, or 'N'
// alone for NULL; integers are their decimal text.
#pragma once
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "text_util.h"

namespace kms::core::digest_fields {

inline void put(std::string& out, const void* data, std::size_t n) {
  char head[9];
  head[0] = 'V';
  for (int i = 0; i < 8; ++i) head[1 + i] = static_cast<char>((static_cast<std::uint64_t>(n) >> (56 - 8 * i)) & 0xFF);
  out.append(head, sizeof head);
  out.append(static_cast<const char*>(data), n);
}
inline void put(std::string& out, std::string_view s) { put(out, s.data(), s.size()); }
inline void put(std::string& out, const std::string& s) { put(out, s.data(), s.size()); }
inline void put(std::string& out, const char* s) { put(out, std::string_view(s)); }
inline void put(std::string& out, const Bytes& b) { put(out, b.data(), b.size()); }
inline void put(std::string& out, std::int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  put(out, buf, static_cast<std::size_t>(r.ptr - buf));
}
inline void put(std::string& out, const std::optional<std::string>& s) {
  if (s) {
    put(out, *s);
  } else {
    out.push_back('N');
  }
}
inline void put(std::string& out, const std::optional<std::int64_t>& v) {
  if (v) {
    put(out, *v);
  } else {
    out.push_back('N');
  }
}

}  // namespace kms::core::digest_fields
