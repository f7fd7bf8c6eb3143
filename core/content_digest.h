// content_digest: SHA-256 over a canonical serialization of what was migrated
// (contract.md section 2; the byte layout is in docs/database.md).
#pragma once
#include <string>

#include "hashing.h"
#include "record.h"
#include "sqlite_handle.h"

namespace kms::core {

/// Feeds one record, canonically, into the digest.
void digest_record(Sha256& h, const ClientRecord& rec);

/// The digest of every client in the database, in record_id order, read through DbReader.
std::string content_digest(Db& db);

}  // namespace kms::core
