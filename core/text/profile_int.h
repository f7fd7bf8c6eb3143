// A number as GetPrivateProfileInt reads it from a profile value
// (docs/dialect.md, "Numbers"): the value as the string API returns it, cut to
// the API's 29-character buffer, then blanks, a sign, a 0x/0o/0b prefix and
// the leading digits. What the record rules accept of it is theirs to say.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace kms::core {

struct ProfileInt {
  /// False for an empty value: the API returns the caller's default, as for an absent key.
  bool present = false;
  /// What the API returns (a 32-bit value: a negative or too large number wraps).
  std::uint32_t api = 0;
  /// The number as written, without wrapping: the sign applied, saturated at +-2^40.
  std::int64_t written = 0;
  /// The value is plain decimal digits (no sign, prefix, blanks, leading zero or trailing text).
  bool plain = false;
  /// What made the reading lenient, in words ("a '+' sign, text after the number"); "" when plain.
  std::string why;
  /// The number as written lies in 0..2^31-1 (a negative zero counts as 0).
  bool in_range() const { return written >= 0 && written <= 0x7FFFFFFF; }
};

/// Reads `value` (the string reading: trimmed, one pair of quotes removed,
/// `quoted` when they were) as the API reads a number.
ProfileInt read_profile_int(std::string_view value, bool quoted = false);

}  // namespace kms::core
