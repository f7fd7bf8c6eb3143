// content_digest: SHA-256 over a canonical serialization of what was migrated
// (docs/database.md; the byte layout is in docs/database.md).
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hashing.h"
#include "record.h"

namespace kms::core {

/// Appends one record's canonical serialization (docs/database.md) to `out`.
void serialize_record(std::string& out, const ClientRecord& rec);

using RecordDigest = std::array<std::uint8_t, 32>;

/// SHA-256 of one record's canonical serialization.
RecordDigest record_digest(const ClientRecord& rec);

/// Collects per-record digests in any order; the result does not depend on it.
class ContentDigest {
 public:
  void add(const std::string& record_id, const RecordDigest& record_sha256);
  bool empty() const { return records_.empty(); }
  /// SHA-256 over the per-record digests in record_id order (lower-case hex).
  std::string hex();

 private:
  std::vector<std::pair<std::string, RecordDigest>> records_;
};

/// Each (record_id_part of a file's name, digest) of a run, in any order.
using DigestVisitor = std::function<void(std::string_view name_part, const RecordDigest&)>;
using EachDigest = std::function<void(const DigestVisitor&)>;

/// content_digest without holding the digests: `each` hands over every
/// client's digest with the record id part of its file's name. Hashed as they
/// come while they come in record id order (a store listed in name order
/// nearly always is); otherwise `each` is called a second time and the digests
/// are sorted on disk (48 bytes each).
std::string content_digest_streamed(const EachDigest& each);

}  // namespace kms::core
