#include "text_decoder.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>

namespace kms::core {
namespace {

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Windows-1252 bytes 0x80..0x9F. Zero marks the five unassigned bytes, which
// Windows maps to the C1 control of the same value.
constexpr std::uint16_t kCp1252High[32] = {0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
                                           0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,
                                           0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
                                           0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

std::string decode_cp1252(std::string_view bytes, Issues& issues) {
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 8);
  int line = 1;
  int last_warned_line = 0;
  for (char ch : bytes) {
    const auto b = static_cast<unsigned char>(ch);
    if (b == '\n') ++line;
    if (b < 0x80) {
      out.push_back(ch);
    } else if (b < 0xA0) {
      std::uint32_t cp = kCp1252High[b - 0x80];
      if (cp == 0) {
        cp = b;
        if (last_warned_line != line) {
          char hex[8];
          std::snprintf(hex, sizeof hex, "%02X", b);
          add_issue(
              issues, Severity::Warning, "unassigned-cp1252-byte",
              std::string("byte 0x") + hex + " is unassigned in Windows-1252; kept as U+00" + hex + " as Windows does",
              line);
          last_warned_line = line;
        }
      }
      append_utf8(out, cp);
    } else {
      append_utf8(out, b);
    }
  }
  return out;
}

bool decode_utf16le(std::string_view bytes, std::string& out) {
  if (bytes.size() % 2 != 0) return false;
  out.reserve(bytes.size());
  for (std::size_t i = 0; i < bytes.size(); i += 2) {
    std::uint32_t u = static_cast<unsigned char>(bytes[i]) | (static_cast<unsigned char>(bytes[i + 1]) << 8);
    if (u >= 0xD800 && u <= 0xDBFF) {
      if (i + 3 >= bytes.size()) return false;
      const std::uint32_t lo =
          static_cast<unsigned char>(bytes[i + 2]) | (static_cast<unsigned char>(bytes[i + 3]) << 8);
      if (lo < 0xDC00 || lo > 0xDFFF) return false;
      u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
      i += 2;
    } else if (u >= 0xDC00 && u <= 0xDFFF) {
      return false;
    }
    append_utf8(out, u);
  }
  return true;
}

int line_of_nul(std::string_view text) {
  const void* nul = std::memchr(text.data(), '\0', text.size());  // nearly always none: one fast scan
  if (nul == nullptr) return 0;
  const auto at = static_cast<std::size_t>(static_cast<const char*>(nul) - text.data());
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
}

}  // namespace

bool is_valid_utf8(std::string_view s, bool* has_multibyte) {
  bool multi = false;
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      ++i;
      continue;
    }
    int len;
    std::uint32_t cp;
    if (b >= 0xC2 && b <= 0xDF) {
      len = 2;
      cp = b & 0x1F;
    } else if (b >= 0xE0 && b <= 0xEF) {
      len = 3;
      cp = b & 0x0F;
    } else if (b >= 0xF0 && b <= 0xF4) {
      len = 4;
      cp = b & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (int k = 1; k < len; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    multi = true;
    i += len;
  }
  if (has_multibyte) *has_multibyte = multi;
  return true;
}

namespace {

/// No byte of 0x80 or above; eight bytes at a time (this runs over every file).
bool is_ascii(std::string_view bytes) {
  std::size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    std::uint64_t word;
    std::memcpy(&word, bytes.data() + i, sizeof word);
    if (word & 0x8080808080808080ULL) return false;
  }
  for (; i < bytes.size(); ++i) {
    if (static_cast<unsigned char>(bytes[i]) >= 0x80) return false;
  }
  return true;
}

}  // namespace

DecodedText decode_text(std::string_view bytes, Issues& issues) {
  DecodedText out;
  if (bytes.size() >= 3 && bytes.substr(0, 3) == "\xEF\xBB\xBF") {
    out.encoding = SourceEncoding::Utf8Bom;
    const std::string_view body = bytes.substr(3);
    if (!is_valid_utf8(body)) {
      add_issue(issues, Severity::Error, "bad-encoding",
                "the file starts with a UTF-8 byte order mark but is not valid UTF-8");
      return out;
    }
    out.as_given = body;
  } else if (bytes.size() >= 2 && bytes.substr(0, 2) == "\xFF\xFE") {
    out.encoding = SourceEncoding::Utf16Le;
    if (!decode_utf16le(bytes.substr(2), out.decoded)) {
      add_issue(issues, Severity::Error, "bad-encoding",
                bytes.size() % 2 != 0
                    ? "the file starts with a UTF-16LE byte order mark but has an odd number of bytes"
                    : "the file starts with a UTF-16LE byte order mark but holds an unpaired surrogate");
      return out;
    }
    out.converted = true;
  } else if (is_ascii(bytes)) {
    out.encoding = SourceEncoding::Windows1252;  // plain ASCII reads the same in every candidate encoding
    out.as_given = bytes;
  } else {
    bool multibyte = false;
    if (is_valid_utf8(bytes, &multibyte) && multibyte) {
      out.encoding = SourceEncoding::Utf8;
      out.as_given = bytes;
      add_issue(issues, Severity::Info, "decoded-as-utf8",
                "no byte order mark; the bytes are valid UTF-8 with non-ASCII characters, read as UTF-8");
    } else {
      out.encoding = SourceEncoding::Windows1252;
      out.decoded = decode_cp1252(bytes, issues);
      out.converted = true;
    }
  }
  if (const int line = line_of_nul(out.utf8()); line != 0) {
    add_issue(issues, Severity::Error, "binary-content", "the text holds a NUL character", line);
    return out;
  }
  out.ok = true;
  return out;
}

}  // namespace kms::core
