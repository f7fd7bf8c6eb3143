// Store text on its way out of the tool. Two rules live here and nowhere else:
//  - the message rule: a message describes store text it cannot vouch for
//    (its length, what was expected) instead of quoting it, so that a secret
//    that a damaged file put in the wrong place is never repeated;
//  - the output rule: every text from a store or a database is made inert
//    for the medium it goes to (terminal, CSV, JSON).
// docs/reports.md describes both.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace kms::core {

/// The message rule: true when store text may be quoted in a message. It must
/// be at most kMaxQuoted characters, hold no '=' (a lost line end merges
/// "Key=Value" pairs) and hold nothing that looks like base64 data (a run of
/// 12 or more characters of the base64 alphabet with a digit, '+' or '/' among
/// them, unless all are hex digits, as a serial number is).
bool may_quote(std::string_view text);
inline constexpr std::size_t kMaxQuoted = 40;

/// A value for a message: "\"4x\"", or "a value of 131 characters (not shown)".
std::string quoted(std::string_view value);
/// A key name for a message: "\"Cost:Center\"", or "a key name of 60 characters (not shown)".
std::string key_name(std::string_view name);
/// A section for a message: "[SCert1]", or "[a section name of 20 characters, not shown]".
std::string section_ref(std::string_view name);

/// A section or key name in a list (scan's extra keys, verify's field names):
/// the name, or "(a name of 60 characters, not shown)".
std::string shown_name(std::string_view name);

/// Store text shown as a field (a MailboxDN, a display name): where a lost
/// line end left "Token=" or "EscrowedKey=" inside it, what follows is masked.
std::string mask_embedded_secrets(std::string_view text);

/// Second line of defence: every run of kSecretPiece or more characters of a
/// known secret (the values of Token and EscrowedKey lines) is replaced in `text`.
void redact_secrets(std::string& text, const std::vector<std::string_view>& secrets);
inline constexpr std::size_t kSecretPiece = 12;

/// For a terminal: C0 controls (newline and tab included: the tool's own line
/// ends are not store text), DEL and C1 become "\x1b", "\x7f", "\u009b"; the
/// bidirectional overrides "\u202e"; invalid UTF-8 bytes "\xff". Embedded
/// secrets are masked.
std::string terminal_text(std::string_view text);

/// One CSV cell: terminal_text, then a leading "'" where a spreadsheet would
/// evaluate the cell (it starts with = + - @, tab or CR), then quoted if needed.
std::string csv_cell(std::string_view text);

/// JSON text from nlohmann's dump (which escapes C0 and replaces invalid
/// UTF-8): DEL, C1 and the bidirectional overrides escaped as \u00XX too. Still exact JSON.
std::string json_inert(std::string json);

}  // namespace kms::core
