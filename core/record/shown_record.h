// What the outputs show of a record: its fields cut by the shown-field rule
// (safe_text.h) and redacted of the file's own secrets. A summary carries its
// MailboxDN and Alias in that form only, so that no output built from it can
// show what the rule hides; what the rule hid still counts where two names are
// compared (the duplicate-mailbox rule, `scan --mailbox`), through a digest of
// the whole name.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "record.h"

namespace kms::core {

struct MailboxField {
  std::string text;    ///< the name as outputs show it
  std::string hidden;  ///< SHA-256 (hex) of the whole name in ASCII lower case, when `text` hides part of it; else ""

  /// The name cut by the shown-field rule, then redacted of `secrets` (ParsedProfile::secrets).
  static MailboxField of(std::string_view name, const std::vector<std::string_view>& secrets = {});
  bool empty() const { return text.empty(); }
  /// Equal for two names that differ only in ASCII case; "" for no name.
  std::string match_key() const;
  /// Whether `name` (as typed, say) is this name, ASCII case aside.
  bool matches(std::string_view name) const { return !empty() && of(name).match_key() == match_key(); }
};

/// A copy of `r` for display: MailboxDN, display name, alias and each
/// certificate's subject and issuer cut by the shown-field rule and redacted
/// of the record's own token and keys (in base64, as the file held them).
ClientRecord shown_record(const ClientRecord& r);

}  // namespace kms::core
