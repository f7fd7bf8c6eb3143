// What the outputs show of a record: its fields cut by the shown-field rule
// (safe_text.h) and redacted of the file's secrets. A summary carries its
// MailboxDN and Alias in that form only, so that no output built from it can
// show what the rule hides; where two names are compared (the
// duplicate-mailbox rule, `scan --mailbox`), a digest of the whole name is.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "record.h"
#include "safe_text.h"

namespace kms::core {

struct MailboxField {
  std::string text;  ///< the name as outputs show it
  /// SHA-256 (32 bytes) of the whole name in ASCII lower case, whatever `text`
  /// shows of it: equal for two names that differ only in ASCII case; "" for no name.
  std::string key;

  /// The name cut by the shown-field rule, then redacted of a file's secrets.
  static MailboxField of(std::string_view name, const SecretPieces& secrets = SecretPieces({}));
  bool empty() const { return key.empty(); }
  /// Whether `name` (as typed, say) is this name, ASCII case aside.
  bool matches(std::string_view name) const { return !empty() && of(name).key == key; }
};

/// A copy of `r` for display: MailboxDN, display name, alias, each
/// certificate's subject and issuer, and the names of the extra attributes cut
/// by the shown-field rule and redacted of `secrets` (file_secrets()).
ClientRecord shown_record(const ClientRecord& r, const std::vector<std::string>& secrets);

}  // namespace kms::core
