// Sections 4 and 5 of docs/legacy-store.md: from a parsed profile to a client record.
#pragma once
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>

#include "issue.h"
#include "outcome.h"
#include "profile_parser.h"
#include "record.h"

namespace kms::core {

struct RuleResult {
  /// Set when the record has no error of its own (cross-file checks come later).
  std::optional<ClientRecord> record;
  bool normalized = false;   ///< the broken-Recovery rule applied
  std::string mailbox_dn;    ///< as read, even from a rejected record ("" when absent)
  std::string alias;         ///< as read, even from a rejected record ("" when absent)
  std::string display_name;  ///< as read, even from a rejected record ("" when absent)
  int mailbox_line = 0;
  std::optional<int> legacy_state;  ///< when State was readable
};

/// Apply every rule of sections 4 and 5 to one record; every issue found is added.
/// `now` decides certificate-expired.
RuleResult apply_record_rules(const ParsedProfile& profile, const std::string& record_id, std::time_t now,
                              Issues& issues);

}  // namespace kms::core
