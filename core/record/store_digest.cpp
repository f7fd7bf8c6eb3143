#include "store_digest.h"

#include <sys/stat.h>

#include "digest_fields.h"
#include "file_analysis.h"
#include "record_rules.h"

namespace kms::core {

const char* entry_kind(std::optional<std::uint32_t> type) {
  if (!type) return "unknown";
  switch (*type) {
    case S_IFREG:
      return "file";
    case S_IFDIR:
      return "folder";
    case S_IFLNK:
      return "link";
    default:
      return "other";
  }
}

void add_to(StoreDigest& digest, const FileSummary& f) {
  digest.add(f.path, f.stamp ? std::optional<std::uint32_t>(f.stamp->type) : std::nullopt, f.size, f.sha256,
             outcome_name(f.outcome));
}

void StoreDigest::add(std::string_view name, std::optional<std::uint32_t> type, std::optional<std::int64_t> size,
                      std::string_view sha256, std::string_view outcome) {
  using digest_fields::put;
  buf_.clear();
  put(buf_, "entry");
  put(buf_, name);
  put(buf_, entry_kind(type));
  put(buf_, size);
  put(buf_, sha256.empty() ? std::optional<std::string>() : std::optional<std::string>(std::string(sha256)));
  put(buf_, outcome);
  sha_.update(buf_);
}

}  // namespace kms::core
