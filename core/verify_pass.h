// Record-by-record verification of a database against the store: the
// upgrade's check before commit, and the heart of `verify`.
#pragma once
#include <ctime>
#include <optional>
#include <vector>

#include "db_writer.h"
#include "file_analysis.h"
#include "run_control.h"
#include "sqlite_handle.h"
#include "store_analysis.h"

namespace kms::core {

/// Each migrated/normalized file is re-read, checked against its SHA-256 from
/// the analysis, re-analysed, and compared field by field with the record read
/// back from `db` (its own connection, its own queries). Rejected and skipped
/// files must be absent from `clients`, and `clients` must hold nothing else.
/// Problems are added to the files' issues (source-changed, missing-in-target,
/// field-mismatch, unexpected-in-target). Returns one verdict per file; the
/// second member lists record ids in the database that no file accounts for.
struct VerifyResult {
  std::vector<std::optional<Verification>> verdicts;
  std::vector<std::string> unexpected_record_ids;
  std::size_t failed = 0;
  std::string content_digest;  ///< over every client read back (content_digest.h)
};
/// How a record read back is held to its source: by reading and parsing the
/// file again (verify, after the fact), or, when the upgrade has just parsed it,
/// by the SHA-256 of that parse (FileSummary::written_digest); on a difference
/// the file is read again to name the fields.
enum class SourceCheck { Reread, WrittenDigest };

/// `include`, when given, names the files to check; the others are only
/// accounted for (their client is expected and digested) and keep no verdict.
VerifyResult verify_against_store(Db& db, const StoreDir& clients, std::vector<FileSummary>& files,
                                  const PassSettings& s, SourceCheck mode = SourceCheck::Reread,
                                  const std::vector<bool>* include = nullptr);

}  // namespace kms::core
