#include "safe_text.h"

#include <algorithm>
#include <cstdint>

#include "text_util.h"

namespace kms::core {
namespace {

bool is_base64_char(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

bool is_hex_char(unsigned char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

std::size_t char_count(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

/// A piece of a key blob as a name may hold one: 12 or more base64 characters.
constexpr std::size_t kBase64Run = 12;

bool base64_like_run(std::string_view run) {
  if (run.size() < kBase64Run) return false;
  bool marker = false, all_hex = true;
  for (unsigned char c : run) {
    marker = marker || (c >= '0' && c <= '9') || c == '+' || c == '/';
    all_hex = all_hex && is_hex_char(c);
  }
  return marker && !all_hex;
}

/// A run of kBase64Run or more base64 characters with a digit, '+' or '/' in it (and
/// not all hex digits) anywhere in the text: it may be a piece of a key.
bool holds_base64_data(std::string_view s) {
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i < s.size() && is_base64_char(static_cast<unsigned char>(s[i]))) continue;
    if (base64_like_run(s.substr(start, i - start))) return true;
    start = i + 1;
  }
  return false;
}

/// One UTF-8 sequence at s[i]: its code point and length, or length 0 when invalid.
struct Decoded {
  std::uint32_t cp = 0;
  std::size_t len = 0;
};

Decoded decode_utf8(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return {c, 1};
  std::size_t len = 0;
  std::uint32_t cp = 0, min = 0;
  if (c >= 0xC2 && c <= 0xDF)
    len = 2, cp = c & 0x1F, min = 0x80;
  else if (c >= 0xE0 && c <= 0xEF)
    len = 3, cp = c & 0x0F, min = 0x800;
  else if (c >= 0xF0 && c <= 0xF4)
    len = 4, cp = c & 0x07, min = 0x10000;
  else
    return {};
  if (i + len > s.size()) return {};
  for (std::size_t k = 1; k < len; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return {};
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {};
  return {cp, len};
}

/// Code points a terminal may act on although they are printable: C1, and the
/// bidirectional controls that reorder what follows them on the line.
bool is_inert_unsafe(std::uint32_t cp) {
  return (cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E || cp == 0x200F || cp == 0x061C;
}

const char kHex[] = "0123456789abcdef";

void append_x(std::string& out, unsigned char c) {
  out += "\\x";
  out.push_back(kHex[c >> 4]);
  out.push_back(kHex[c & 0xF]);
}

void append_u(std::string& out, std::uint32_t cp) {
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) out.push_back(kHex[(cp >> shift) & 0xF]);
}

bool iequal_at(std::string_view text, std::size_t i, std::string_view word) {
  if (i + word.size() > text.size()) return false;
  for (std::size_t k = 0; k < word.size(); ++k) {
    char c = text[i + k];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != word[k]) return false;
  }
  return true;
}

std::string described(std::string_view text, const char* what) {
  return std::string(what) + " of " + std::to_string(char_count(text)) + " characters (not shown)";
}

bool all_digits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool has_shape(std::string_view v, ValueShape shape) {
  switch (shape) {
    case ValueShape::None:
      return false;
    case ValueShape::Decimal:
      if (!v.empty() && (v.front() == '-' || v.front() == '+')) v.remove_prefix(1);
      return !v.empty() && v.size() <= 10 && all_digits(v);
    case ValueShape::Timestamp:
      return v.size() == 15 && v.back() == 'Z' && all_digits(v.substr(0, 14));
    case ValueShape::HexSerial:
      return !v.empty() && v.size() <= 40 &&
             std::all_of(v.begin(), v.end(), [](char c) { return is_hex_char(static_cast<unsigned char>(c)); });
  }
  return false;
}

/// Where `word` (lower-case ASCII) ends if it is spelled at text[i] in any
/// case, the two letters Unicode case folding also reaches from outside ASCII
/// included (U+212A KELVIN SIGN folds to k, U+017F LONG S to s); npos if not.
std::size_t end_of_word_at(std::string_view text, std::size_t i, std::string_view word) {
  for (const char w : word) {
    if (iequal_at(text, i, std::string_view(&w, 1))) {
      ++i;
    } else if (w == 'k' && text.substr(i, 3) == "\xE2\x84\xAA") {
      i += 3;
    } else if (w == 's' && text.substr(i, 2) == "\xC5\xBF") {
      i += 2;
    } else {
      return std::string_view::npos;
    }
  }
  return i;
}

/// Where the first "token" or "escrowedkey" (any case) in `text` ends, npos for none.
std::size_t end_of_secret_name(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    for (std::string_view word : {std::string_view("token"), std::string_view("escrowedkey")}) {
      const std::size_t end = end_of_word_at(text, i, word);
      if (end != std::string_view::npos) return end;
    }
  }
  return std::string_view::npos;
}

}  // namespace

bool may_quote(std::string_view value, ValueShape shape) {
  if (end_of_secret_name(value) != std::string_view::npos) return false;
  return char_count(value) <= kMaxQuoted || has_shape(value, shape);
}

std::string quoted(std::string_view value, ValueShape shape) {
  if (!may_quote(value, shape)) return described(value, "a value");
  return "\"" + std::string(value) + "\"";
}

bool may_quote_name(std::string_view name) {
  return char_count(name) <= kMaxName && name.find('=') == std::string_view::npos && !holds_base64_data(name);
}

std::string key_name(std::string_view name) {
  const std::string shown = shown_field(name);
  if (!may_quote_name(shown)) return described(name, "a key name");
  return "\"" + shown + "\"";
}

std::string section_ref(std::string_view name) {
  const std::string shown = shown_field(name);
  if (!may_quote_name(shown))
    return "[a section name of " + std::to_string(char_count(name)) + " characters, not shown]";
  return "[" + shown + "]";
}

std::string shown_name(std::string_view name) {
  const std::string shown = shown_field(name);
  if (!may_quote_name(shown)) return "(" + described(name, "a name") + ")";
  return shown;
}

std::string shown_field(std::string_view text) {
  const std::size_t end = end_of_secret_name(text);
  if (end == std::string_view::npos || end == text.size()) return std::string(text);
  return std::string(text.substr(0, end)) + "(not shown)";
}

namespace {

std::uint64_t window_key(std::string_view w) {
  std::uint64_t k = 0;
  for (const char c : w) k = (k << 8) | static_cast<unsigned char>(c);
  return k;
}

}  // namespace

SecretPieces::SecretPieces(const std::vector<std::string_view>& secrets) {
  std::size_t total = 0;
  for (const std::string_view s : secrets) {
    if (s.size() < kSecretPiece) continue;  // shorter is no piece a message could give away
    secrets_.push_back(to_lower_ascii(s));
    total += s.size();
  }
  if (total < kHashedFrom) return;
  for (const std::string& s : secrets_) {
    for (std::size_t i = 0; i + kSecretPiece <= s.size(); ++i) {
      hashed_.insert(window_key(std::string_view(s).substr(i, kSecretPiece)));
    }
  }
}

bool SecretPieces::is_piece(std::string_view window, bool has_blank) const {
  if (!hashed_.empty()) return hashed_.count(window_key(window)) != 0;
  for (const std::string& s : secrets_) {
    // Tokens and keys hold no blank, as a rule: a window across one is looked
    // for only in a secret that has one (most of a message is words between blanks).
    if (has_blank && s.find(' ') == std::string::npos) continue;
    if (s.find(window) != std::string::npos) return true;
  }
  return false;
}

void redact_secrets(std::string& text, const std::vector<std::string_view>& secrets) {
  SecretPieces(secrets).redact(text);
}

void SecretPieces::redact(std::string& text) const {
  if (secrets_.empty() || text.size() < kSecretPiece) return;
  std::vector<bool> hidden;
  std::vector<std::size_t> next_blank(text.size() + 1, text.size());
  for (std::size_t i = text.size(); i-- > 0;) next_blank[i] = text[i] == ' ' ? i : next_blank[i + 1];
  const std::string lower = to_lower_ascii(text);  // the secrets are held in lower case: any case matches
  for (std::size_t i = 0; i + kSecretPiece <= text.size(); ++i) {
    if (!is_piece(std::string_view(lower).substr(i, kSecretPiece), next_blank[i] < i + kSecretPiece)) continue;
    if (hidden.empty()) hidden.assign(text.size(), false);
    std::fill(hidden.begin() + static_cast<std::ptrdiff_t>(i),
              hidden.begin() + static_cast<std::ptrdiff_t>(i + kSecretPiece), true);
  }
  if (hidden.empty()) return;
  // A hidden run covers whole characters: never half of a UTF-8 sequence.
  const auto continuation = [&](std::size_t i) { return (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80; };
  for (std::size_t i = 1; i < text.size(); ++i) {
    if (!hidden[i] && hidden[i - 1] && continuation(i)) hidden[i] = true;
  }
  for (std::size_t i = text.size(); i-- > 1;) {
    if (hidden[i] && !hidden[i - 1] && continuation(i)) hidden[i - 1] = true;
  }
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (!hidden[i]) {
      out.push_back(text[i]);
    } else if (i == 0 || !hidden[i - 1]) {
      out += "(secret not shown)";
    }
  }
  text = std::move(out);
}

std::string terminal_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const Decoded d = decode_utf8(text, i);
    if (d.len == 0) {
      append_x(out, static_cast<unsigned char>(text[i]));
      ++i;
      continue;
    }
    if (d.cp < 0x20 || d.cp == 0x7F) {
      append_x(out, static_cast<unsigned char>(d.cp));
    } else if (is_inert_unsafe(d.cp)) {
      append_u(out, d.cp);
    } else {
      out.append(text.substr(i, d.len));
    }
    i += d.len;
  }
  return out;
}

std::string csv_cell(std::string_view text) {
  std::string cell = terminal_text(text);
  if (!text.empty() && std::string_view("=+-@\t\r").find(text.front()) != std::string_view::npos) {
    cell.insert(cell.begin(), '\'');
  }
  if (cell.find_first_of(",\"") == std::string::npos) return cell;
  std::string out = "\"";
  for (char c : cell) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string json_inert(std::string json) {
  const bool plain = std::all_of(json.begin(), json.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x7F;
  });
  if (plain) return json;
  std::string out;
  out.reserve(json.size() + 16);
  for (std::size_t i = 0; i < json.size();) {
    const Decoded d = decode_utf8(json, i);
    if (d.len == 0) {  // not written by nlohmann's dump with replace; kept as it is
      out.push_back(json[i++]);
      continue;
    }
    if (d.cp == 0x7F || is_inert_unsafe(d.cp)) {
      append_u(out, d.cp);
    } else {
      out.append(json, i, d.len);
    }
    i += d.len;
  }
  return out;
}

}  // namespace kms::core
