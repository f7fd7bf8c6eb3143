// Bytes of a record file to UTF-8 text (docs/legacy-store.md section 2).
#pragma once
#include <string>
#include <string_view>

#include "issue.h"

namespace kms::core {

enum class SourceEncoding { Utf8Bom, Utf16Le, Utf8, Windows1252 };

struct DecodedText {
  bool ok = false;  ///< false: bad-encoding or binary-content (an error issue was added)
  SourceEncoding encoding = SourceEncoding::Windows1252;
  bool converted = false;     ///< true: the text is `decoded`; false: it is `as_given`
  std::string_view as_given;  ///< the bytes given, BOM removed, when they already were UTF-8
  std::string decoded;        ///< the text converted from UTF-16LE or Windows-1252
  /// The text, BOM removed.
  std::string_view utf8() const { return converted ? std::string_view(decoded) : as_given; }
};

/// Decide the encoding per section 2, decode, and add the issues it finds
/// (bad-encoding, binary-content, decoded-as-utf8, unassigned-cp1252-byte).
/// Text that is already UTF-8 (ASCII, UTF-8 with or without a BOM) is not copied:
/// the result then views `bytes`, which must outlive it.
DecodedText decode_text(std::string_view bytes, Issues& issues);

/// True when `s` is well-formed UTF-8 (no overlongs, surrogates or values past U+10FFFF).
bool is_valid_utf8(std::string_view s, bool* has_multibyte = nullptr);

}  // namespace kms::core
