// Every issue code kms-migrate reports, in one table (docs/legacy-store.md,
// docs/database.md): the rules add issues by these names, and the tests hold
// the table to the code, the docs and the fixtures.
#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

#include "severity.h"

namespace kms::core {

/// Every code, named in the code: a misspelt code is a build error, and a
/// code carries its severity and what to do (its row of the table).
enum class IssueId : std::uint8_t {
  Unreadable,
  Symlink,
  EmptyFile,
  TooLarge,
  BadEncoding,
  BinaryContent,
  MalformedLine,
  WrappedValue,
  Truncated,
  MissingSection,
  MissingKey,
  BadValue,
  CountMismatch,
  BadCertificate,
  SerialMismatch,
  BadKeyBlob,
  InconsistentState,
  AmbiguousRecovery,
  DuplicateMailbox,
  DuplicateRecordId,
  DuplicateKey,
  DuplicateSection,
  KeyOutsideSection,
  UnknownKey,
  BadTimestamp,
  RevokedWithoutDate,
  UnassignedCp1252Byte,
  RecoveryNeverEnrolled,
  NumberReadLeniently,
  TokenLength,
  CommentBadEncoding,
  DecodedAsUtf8,
  CertificateExpired,
  IssuesNotListed,
  NotARecord,
  FieldMismatch,
  MissingInTarget,
  UnexpectedInTarget,
  SourceChanged,
  Count  ///< not a code: how many there are
};

/// Where a code is found.
enum class IssueScope {
  File,   ///< reading one file of the store
  Store,  ///< comparing the files of the store with each other (cross-file rules)
  Run,    ///< comparing the database with the store (verification, the source re-check)
};

struct IssueCode {
  IssueId id;
  std::string_view name;
  Severity severity;
  IssueScope scope;
  /// A fixture store (fixtures/cases) shows it. False only where a fixture
  /// cannot: an unreadable file (the tests run as root), and the run's own codes.
  bool has_fixture;
  /// Always names its line (a code of the whole file, or of a key that may be
  /// absent, names none: missing-key of an absent key names no line).
  bool names_line;
  /// What it means, in one sentence (the sign-off's summary by code).
  std::string_view meaning;
  /// What to do about it (docs/legacy-store.md's tables are checked against it).
  std::string_view what_to_do;
};

/// The table, in the order of docs/legacy-store.md.
const std::vector<IssueCode>& issue_codes();

/// The entry of `id` (the table is in the order of IssueId: a test holds it so).
const IssueCode& issue_code(IssueId id);

/// The entry of `name`; nullptr when there is none.
const IssueCode* find_issue_code(std::string_view name);

}  // namespace kms::core
