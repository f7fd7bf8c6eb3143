#include "empty_store.h"

#include "text_util.h"

namespace kms::core {
namespace {

bool alnum(char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

std::string plural(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

bool is_short_name(std::string_view name) {
  const std::size_t tilde = name.find('~');
  const std::size_t dot = name.rfind('.');
  if (tilde == std::string_view::npos || tilde == 0 || dot == std::string_view::npos || dot < tilde + 2) return false;
  if (dot > 8 || name.size() - dot - 1 > 3) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (i == tilde || i == dot) continue;
    if (i > tilde && i < dot ? !(c >= '0' && c <= '9') : !alnum(c)) return false;
  }
  return true;
}

void SkippedNames::add(std::string_view name) {
  // The 8.3 alias of a record file: "M" and ".INI" around it (any case).
  if (!is_short_name(name) || (name[0] != 'M' && name[0] != 'm') || !iequals(name.substr(name.size() - 4), ".ini")) {
    return;
  }
  if (short_names_++ == 0) short_name_ = std::string(name);
}

std::optional<std::string> no_record_failure(const Counts& c, const SkippedNames& skipped) {
  if (c.migrated + c.normalized > 0) {
    if (skipped.short_names() == 0) return std::nullopt;
    // Some records kept their names, others lost them: those would be left out without a word.
    return plural(skipped.short_names(), "entry has", "entries have") + " an 8.3 name like " + skipped.short_name() +
           ": the copy lost the long names of the records they hold, which would not be migrated; copy the store "
           "again with its long names";
  }
  const std::string short_hint =
      skipped.short_names() == 0
          ? ""
          : "; names like " + skipped.short_name() +
                " are 8.3 names (the copy lost the long names): copy the store again with its long names";
  if (c.files_seen == 0) {
    return "no record to migrate: the Clients folder is empty; check that the copy finished and that the source is "
           "the store's Security\\Mgrent\\Clients folder";
  }
  if (c.rejected == 0) {
    return "no record to migrate: " + plural(c.files_seen, "entry, skipped", "entries, all skipped") +
           " (none is a record file, named M, 12 letters or digits and .ini)" +
           (short_hint.empty() ? "; check that the source is the store's Security\\Mgrent\\Clients folder"
                               : short_hint);
  }
  return "no record to migrate: " + plural(c.rejected, "record file, rejected", "record files, all rejected") +
         (c.skipped ? " (and " + plural(c.skipped, "entry", "entries") + " skipped)" : std::string()) +
         "; fix the rejected files (every one is listed with its reasons)" + short_hint;
}

}  // namespace kms::core
