// The Win32 profile dialect (docs/legacy-store.md section 3), parsed with inih.
// What inih is told and what is corrected around it: docs/dialect.md.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "issue.h"

namespace kms::core {

/// Longest physical line inih is handed as it is; a longer one (lines of any
/// length up to the size limit are read exactly) reaches it as a short stand-in
/// of the same kind, since every key line is split again from its raw text.
inline constexpr std::size_t kInihLineBytes = 64 * 1024;

// Keys and values view the text given to parse_profile(): a
// ParsedProfile must not outlive that text. (Copying them cost two allocations
// of 1-2 KB per record file: the certificates' and keys' base64.)
struct ProfileEntry {
  std::string_view key;    ///< as written (first occurrence)
  std::string_view value;  ///< trimmed, one pair of matching quotes removed
  int line = 0;
  bool quoted = false;  ///< a pair of quotes was removed (the profile API's number reading cuts it otherwise)
};

/// Past this many names, look-ups go through a hash index (ASCII case-insensitive),
/// so that a record of many distinct keys or sections costs linear time, while
/// the usual dozen stays a short scan with no allocation.
inline constexpr std::size_t kIndexFrom = 16;

/// Names to positions, by ascii_ci_key; filled once a list grows past kIndexFrom.
using NameIndex = std::unordered_multimap<std::uint64_t, std::uint32_t>;

struct ProfileSection {
  std::string name;  ///< as written in its first header, trimmed (short: no allocation)
  int line = 0;
  std::vector<ProfileEntry> entries;  ///< first occurrence of each key only
  NameIndex index;                    ///< of entries, once they are many

  /// Case-insensitive key look-up; nullptr when absent.
  const ProfileEntry* find(std::string_view key) const;
  /// Appends an entry whose key find() does not know.
  void add(ProfileEntry e);
};

struct ParsedProfile {
  std::vector<ProfileSection> sections;  ///< first occurrence of each name, in file order
  NameIndex index;                       ///< of sections, once they are many
  bool has_content = false;              ///< any line other than blanks and comments
  /// Text that is or may be secret, wherever it sits: the values of every
  /// Token and EscrowedKey line (repeats included), what follows "Token=" or
  /// "EscrowedKey=" inside another line (a lost line end), and the lines of a
  /// wrapped value. Messages are redacted against it (redact_secrets).
  std::vector<std::string_view> secrets;

  const ProfileSection* find(std::string_view name) const;
  /// Appends a section whose name find() does not know.
  void add(ProfileSection s);
};

/// Parse decoded text (which must outlive the result). Adds malformed-line and wrapped-value (errors)
/// and duplicate-key, duplicate-section, key-outside-section (warnings), each with its line.
ParsedProfile parse_profile(std::string_view text, Issues& issues);

}  // namespace kms::core
