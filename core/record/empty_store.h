// A store that yields no record is a failure, not an empty success
// (docs/commands.md, "A store with no record"): one line says what was found
// and what to check. Shared by scan, rehearse and upgrade.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "outcome.h"

namespace kms::core {

/// What the skipped entries of a store look like, fed one name at a time.
class SkippedNames {
 public:
  void add(std::string_view name);
  /// The first skipped name that is a DOS 8.3 alias ("M0Q0HN~1.INI"), "" when none.
  const std::string& short_name() const { return short_name_; }
  std::size_t short_names() const { return short_names_; }

 private:
  std::string short_name_;
  std::size_t short_names_ = 0;
};

/// True for a DOS 8.3 alias: up to 6 letters or digits, '~', digits, '.' and up to 3 of them ("M0Q0HN~1.INI").
bool is_short_name(std::string_view name);

/// nullopt when at least one record would be migrated or normalized and no
/// entry is the 8.3 alias of a record file; else the one line that says what
/// was found ("20 entries, all skipped: ...", "2 entries have an 8.3 name like
/// M0Q0HN~1.INI: ...") and what to check.
std::optional<std::string> no_record_failure(const Counts& counts, const SkippedNames& skipped);

}  // namespace kms::core
