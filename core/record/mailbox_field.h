// A record's MailboxDN or Alias as the tool carries it past the analysis of
// its file: the shown form only (safe_text.h, the shown-field rule), so that
// no output built from a file's summary can show what the rule hides. What the
// rule hid still counts where two names are compared (the duplicate-mailbox
// rule, `scan --mailbox`), through a digest of the whole name.
#pragma once
#include <string>
#include <string_view>

namespace kms::core {

struct MailboxField {
  std::string text;    ///< shown_field() of the name as read: what any output shows
  std::string hidden;  ///< SHA-256 (hex) of the whole name in ASCII lower case, when the rule hid part of it; else ""

  static MailboxField of(std::string_view name);
  bool empty() const { return text.empty(); }
  /// Equal for two names that differ only in ASCII case; "" for no name.
  std::string match_key() const;
  /// Whether `name` (as typed, say) is this name, ASCII case aside.
  bool matches(std::string_view name) const { return !empty() && of(name).match_key() == match_key(); }
};

}  // namespace kms::core
