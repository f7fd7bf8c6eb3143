// store_digest: one SHA-256 over every entry of the store as the run saw it
// (docs/database.md, "store_digest"): its name, its kind, its size, the
// SHA-256 of its bytes and its outcome, in name order. Where content_digest
// proves the clients written, this proves the copy read: a reject or a
// skipped entry that changes, appears or goes changes it.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "hashing.h"

namespace kms::core {

class StoreDigest {
 public:
  /// The next entry, in name order (bytewise). `type`: st_mode & S_IFMT when
  /// it could be examined; `size` and `sha256` ("" when not read) as recorded.
  void add(std::string_view name, std::optional<std::uint32_t> type, std::optional<std::int64_t> size,
           std::string_view sha256, std::string_view outcome);
  /// The digest, in hex; no entry may be added after it.
  std::string hex() { return sha_.hex_final(); }

 private:
  Sha256 sha_;
  std::string buf_;
};

struct FileSummary;
/// Adds a file as its summary records it.
void add_to(StoreDigest& digest, const FileSummary& f);

/// The kind of an entry, as store_digest names it ("file", "folder", "link",
/// "other"; "unknown" when it could not be examined).
const char* entry_kind(std::optional<std::uint32_t> type);

}  // namespace kms::core
