#include "text_decoder.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <utility>
#include <vector>

#include "text_util.h"

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
              issues, IssueId::UnassignedCp1252Byte,
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

constexpr std::uint32_t kReplacement = 0xFFFD;

/// UTF-16LE to UTF-8; an unpaired surrogate becomes U+FFFD, its offset in `out` noted in `bad`.
bool decode_utf16le(std::string_view bytes, std::string& out, std::vector<std::size_t>& bad) {
  if (bytes.size() % 2 != 0) return false;
  out.reserve(bytes.size());
  const auto unit = [&](std::size_t i) -> std::uint32_t {
    return static_cast<unsigned char>(bytes[i]) | (static_cast<unsigned char>(bytes[i + 1]) << 8);
  };
  for (std::size_t i = 0; i < bytes.size(); i += 2) {
    std::uint32_t u = unit(i);
    if (u >= 0xD800 && u <= 0xDBFF && i + 3 < bytes.size() && unit(i + 2) >= 0xDC00 && unit(i + 2) <= 0xDFFF) {
      u = 0x10000 + ((u - 0xD800) << 10) + (unit(i + 2) - 0xDC00);
      i += 2;
    } else if (u >= 0xD800 && u <= 0xDFFF) {
      bad.push_back(out.size());
      u = kReplacement;
    }
    append_utf8(out, u);
  }
  return true;
}

/// Length of the well-formed UTF-8 sequence at s[i], 0 when there is none.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  std::size_t len = 1;
  while (len < 4 && i + len <= s.size() && !is_valid_utf8(s.substr(i, len))) ++len;
  return i + len <= s.size() && is_valid_utf8(s.substr(i, len)) ? len : 0;
}

/// UTF-8 with every ill-formed byte replaced by U+FFFD, its offset in `out` noted in `bad`.
std::string repair_utf8(std::string_view s, std::vector<std::size_t>& bad) {
  std::string out;
  out.reserve(s.size() + 16);
  for (std::size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      out.push_back(s[i++]);
      continue;
    }
    const std::size_t n = utf8_sequence(s, i);
    if (n == 0) {
      bad.push_back(out.size());
      append_utf8(out, kReplacement);
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

/// The line holding offset `at` of `text` (lines end as the profile API ends them) and its 1-based number.
std::pair<std::string_view, int> line_at(std::string_view text, std::size_t at) {
  int line = 1;
  std::size_t start = 0;
  for (std::size_t i = 0; i < at; ++i) {
    if (text[i] == '\n' || (text[i] == '\r' && (i + 1 >= text.size() || text[i + 1] != '\n'))) {
      ++line;
      start = i + 1;
    }
  }
  std::size_t end = text.find_first_of("\r\n", at);
  if (end == std::string_view::npos) end = text.size();
  return {text.substr(start, end - start), line};
}

bool is_comment_line(std::string_view line) {
  const std::string_view t = trim(line);
  return !t.empty() && t.front() == ';';
}

/// Decoding faults at `bad` (offsets in `text`): in a comment line, which the profile API
/// never reads, a warning per line; elsewhere false (the caller rejects the file).
bool only_in_comments(std::string_view text, const std::vector<std::size_t>& bad, const char* what, Issues& issues) {
  int warned = 0;
  for (std::size_t at : bad) {
    const auto [line, number] = line_at(text, at);
    if (!is_comment_line(line)) return false;
    if (number == warned) continue;
    add_issue(issues, IssueId::CommentBadEncoding,
              std::string(what) + " inside a comment; the API never reads comments, the bytes are kept as they are",
              number);
    warned = number;
  }
  return true;
}

/// Offsets of the NUL characters of `text` (nearly always none: one fast scan).
std::vector<std::size_t> nuls(std::string_view text) {
  std::vector<std::size_t> out;
  for (std::size_t at = 0;;) {
    const void* nul = std::memchr(text.data() + at, '\0', text.size() - at);
    if (nul == nullptr) return out;
    at = static_cast<std::size_t>(static_cast<const char*>(nul) - text.data());
    out.push_back(at++);
  }
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

/// The lines that are not comments are valid UTF-8, and at least one of them
/// has a multi-byte character: the file is UTF-8 whatever its comments hold (a
/// sequence never spans lines: CR and LF are never part of one).
bool utf8_outside_comments(std::string_view bytes) {
  bool any_multibyte = false;
  for (std::size_t start = 0; start < bytes.size();) {
    std::size_t end = bytes.find_first_of("\r\n", start);
    if (end == std::string_view::npos) end = bytes.size();
    const std::string_view line = bytes.substr(start, end - start);
    if (!is_comment_line(line)) {
      bool multibyte = false;
      if (!is_valid_utf8(line, &multibyte)) return false;
      any_multibyte = any_multibyte || multibyte;
    }
    start = end + 1;
  }
  return any_multibyte;
}

/// No byte order mark: ASCII, UTF-8 (decoded-as-utf8), or else Windows-1252.
void decode_without_bom(std::string_view bytes, DecodedText& out, Issues& issues) {
  bool multibyte = false;
  if (is_ascii(bytes)) {
    out.encoding = SourceEncoding::Windows1252;  // plain ASCII reads the same in every candidate encoding
    out.as_given = bytes;
  } else if (is_valid_utf8(bytes, &multibyte) && multibyte) {
    out.encoding = SourceEncoding::Utf8;
    out.as_given = bytes;
    add_issue(issues, IssueId::DecodedAsUtf8,
              "no byte order mark; the bytes are valid UTF-8 with non-ASCII characters, read as UTF-8");
  } else if (utf8_outside_comments(bytes)) {
    // A byte that is not UTF-8 in a comment does not make the keys cp1252.
    out.encoding = SourceEncoding::Utf8;
    out.as_given = bytes;
    std::vector<std::size_t> bad;
    out.decoded = repair_utf8(bytes, bad);
    out.converted = true;
    only_in_comments(out.decoded, bad, "a byte that is not UTF-8", issues);
    add_issue(issues, IssueId::DecodedAsUtf8,
              "no byte order mark; the lines other than comments are valid UTF-8 with non-ASCII characters, read as "
              "UTF-8");
  } else {
    out.encoding = SourceEncoding::Windows1252;
    out.decoded = decode_cp1252(bytes, issues);
    out.converted = true;
  }
}

}  // namespace

DecodedText decode_text(std::string_view bytes, Issues& issues) {
  DecodedText out;
  if (bytes.size() >= 3 && bytes.substr(0, 3) == "\xEF\xBB\xBF") {
    out.encoding = SourceEncoding::Utf8Bom;
    const std::string_view body = bytes.substr(3);
    out.as_given = body;
    if (!is_valid_utf8(body)) {
      std::vector<std::size_t> bad;
      out.decoded = repair_utf8(body, bad);
      out.converted = true;
      if (!only_in_comments(out.decoded, bad, "a byte that is not UTF-8", issues)) {
        add_issue(issues, IssueId::BadEncoding, "the file starts with a UTF-8 byte order mark but is not valid UTF-8",
                  line_at(out.decoded, bad.front()).second);
        return out;
      }
    }
  } else if (bytes.size() >= 2 && bytes.substr(0, 2) == "\xFF\xFE") {
    out.encoding = SourceEncoding::Utf16Le;
    std::vector<std::size_t> bad;
    if (!decode_utf16le(bytes.substr(2), out.decoded, bad)) {
      add_issue(issues, IssueId::BadEncoding,
                "the file starts with a UTF-16LE byte order mark but has an odd number of bytes");
      return out;
    }
    out.converted = true;
    if (!only_in_comments(out.decoded, bad, "an unpaired UTF-16 surrogate", issues)) {
      add_issue(issues, IssueId::BadEncoding,
                "the file starts with a UTF-16LE byte order mark but holds an unpaired surrogate",
                line_at(out.decoded, bad.front()).second);
      return out;
    }
  } else {
    decode_without_bom(bytes, out, issues);
  }
  if (const auto at = nuls(out.utf8()); !at.empty() && !only_in_comments(out.utf8(), at, "a NUL character", issues)) {
    add_issue(issues, IssueId::BinaryContent, "the text holds a NUL character", line_at(out.utf8(), at.front()).second);
    return out;
  }
  out.ok = true;
  return out;
}

}  // namespace kms::core
