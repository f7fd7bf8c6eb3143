// Store text on its way out of the tool. Three rules live here and nowhere else:
//  - the message rule: a message describes store text it cannot vouch for
//    (its length, what was expected) instead of quoting it, so that a secret
//    that a damaged file put in the wrong place is never repeated;
//  - the shown-field rule: a field shown as it is (a MailboxDN) is cut at the
//    first name of a secret in it;
//  - the output rule: every text from a store or a database is made inert
//    for the medium it goes to (terminal, CSV, JSON).
// docs/reports.md describes both.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace kms::core {

/// The closed set of shapes in which a message may quote a value longer than
/// kMaxQuoted: what a key of that kind is expected to hold, and nothing more.
enum class ValueShape {
  None,       ///< no longer value is quoted
  Decimal,    ///< an optional sign and 1 to 10 digits (a 32-bit number)
  Timestamp,  ///< 14 digits and a Z, the legacy YYYYMMDDHHMMSSZ
  HexSerial,  ///< 1 to 40 hex digits (a certificate serial: at most 20 octets)
};

/// The message rule: true when a store value may be quoted in a message. It is
/// at most kMaxQuoted characters long (no 12-character token fits), or it has
/// the expected shape for its key; and it never holds "token" or "escrowedkey"
/// (any case), after which a damaged line may hide a secret.
bool may_quote(std::string_view value, ValueShape shape = ValueShape::None);
inline constexpr std::size_t kMaxQuoted = 8;

/// A value for a message: "\"4x\"", or "a value of 131 characters (not shown)".
std::string quoted(std::string_view value, ValueShape shape = ValueShape::None);

/// The name rule, for a section or key name in a message or a list (names are
/// what the administrator must find in the file, so they may be longer than
/// values): the shown-field rule first, then the name is quoted if it is at
/// most kMaxName characters, holds no '=' (a lost line end merges
/// "Key=Value" pairs) and no run of 12 or more base64 characters with a digit,
/// '+' or '/' among them (a piece of a key blob), unless all are hex digits.
bool may_quote_name(std::string_view name);
inline constexpr std::size_t kMaxName = 40;

/// A key name for a message: "\"Cost:Center\"", or "a key name of 60 characters (not shown)".
std::string key_name(std::string_view name);
/// A section for a message: "[SCert1]", or "[a section name of 20 characters, not shown]".
std::string section_ref(std::string_view name);

/// A section or key name in a list (scan's extra keys, verify's field names):
/// the name, or "(a name of 60 characters, not shown)".
std::string shown_name(std::string_view name);

/// The shown-field rule, for store text shown as a field (a MailboxDN, a
/// display name, an alias, a certificate's subject): everything after the
/// first "token" or "escrowedkey" in it (any case), whatever follows, becomes
/// "(not shown)". A lost line end or a mistyped separator is the only way a
/// secret gets into such a field, and it always follows one of those names.
std::string shown_field(std::string_view text);

/// Second line of defence: every run of kSecretPiece or more characters of a
/// known secret (ParsedProfile::secrets), in any ASCII letter case (a token
/// pasted in lower case is the token), is replaced in a text by
/// "(secret not shown)". Made once for a file's secrets and used for each of
/// its texts; past kHashedFrom characters of secrets in all, their pieces are
/// hashed once (8 bytes are one 64-bit key: exact), so that a file of
/// thousands of secrets costs time linear in its size.
class SecretPieces {
 public:
  explicit SecretPieces(const std::vector<std::string_view>& secrets);
  void redact(std::string& text) const;

 private:
  bool is_piece(std::string_view window, bool has_blank) const;
  std::vector<std::string> secrets_;          ///< those of kSecretPiece characters or more, in ASCII lower case
  std::unordered_set<std::uint64_t> hashed_;  ///< every window of them, once they are many
};
inline constexpr std::size_t kSecretPiece = 8;
inline constexpr std::size_t kHashedFrom = 4096;

/// SecretPieces(secrets).redact(text).
void redact_secrets(std::string& text, const std::vector<std::string_view>& secrets);

/// For a terminal: C0 controls (newline and tab included: the tool's own line
/// ends are not store text), DEL and C1 become "\x1b", "\x7f", "\u009b"; the
/// bidirectional overrides "\u202e"; invalid UTF-8 bytes "\xff". It does not
/// mask: fields are masked where they are made (shown_field), messages by the
/// message rule.
std::string terminal_text(std::string_view text);

/// One CSV cell: terminal_text, then a leading "'" where a spreadsheet would
/// evaluate the cell (it starts with = + - @, tab or CR), then quoted if needed.
std::string csv_cell(std::string_view text);

/// JSON text from nlohmann's dump (which escapes C0 and replaces invalid
/// UTF-8): DEL, C1 and the bidirectional overrides escaped as \u00XX too. Still exact JSON.
std::string json_inert(std::string json);

}  // namespace kms::core
