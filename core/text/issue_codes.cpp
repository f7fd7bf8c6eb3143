#include "issue_codes.h"

#include <iterator>

#include "failure.h"

namespace kms::core {

namespace {

using S = Severity;
using Where = IssueScope;

// The table itself: data, one entry a code.
const IssueCode kTable[] = {
    {IssueId::Unreadable, "unreadable", S::Error, Where::File, false, false,
     "The entry could not be read as a file: a device, a socket, a pipe, or a read error.",
     "replace it with the record file"},
    {IssueId::Symlink, "symlink", S::Error, Where::File, true, false,
     "The entry is a symbolic link; the KMS keeps records as plain files.", "replace the link with the file itself"},
    {IssueId::EmptyFile, "empty-file", S::Error, Where::File, true, false, "The file holds nothing, or only comments.",
     "restore the record from a backup, or accept its loss"},
    {IssueId::TooLarge, "too-large", S::Error, Where::File, true, false,
     "The file is larger than the record size limit and was not read.",
     "check what it is; raise --max-record-size only if it is a real record"},
    {IssueId::BadEncoding, "bad-encoding", S::Error, Where::File, true, false,
     "The file's bytes are not text in the encoding it announces.", "re-save the file in one encoding"},
    {IssueId::BinaryContent, "binary-content", S::Error, Where::File, true, true,
     "The file holds a NUL byte: it is damaged.", "the file is damaged: restore it"},
    {IssueId::MalformedLine, "malformed-line", S::Error, Where::File, true, true,
     "A line is neither a section, a key=value pair nor a comment.", "restore or complete the line"},
    {IssueId::WrappedValue, "wrapped-value", S::Error, Where::File, true, true,
     "A value continues on the next line(s); the KMS reads one line only.",
     "join the lines: the value must be on one line"},
    {IssueId::Truncated, "truncated", S::Error, Where::File, true, true,
     "The file ends in the middle of a line: the copy was cut short.",
     "copy the file again from the server and compare its sha256 (--manifest)"},
    {IssueId::MissingSection, "missing-section", S::Error, Where::File, true, false,
     "The file has no [Client] section.", "restore the record"},
    {IssueId::MissingKey, "missing-key", S::Error, Where::File, true, false, "A key the record needs is absent.",
     "restore the key from a backup"},
    {IssueId::BadValue, "bad-value", S::Error, Where::File, true, true,
     "A value is not one the KMS accepts for its key.", "correct the value"},
    {IssueId::CountMismatch, "count-mismatch", S::Error, Where::File, true, true,
     "A certificate count differs from the sections present.", "correct the count or restore the section"},
    {IssueId::BadCertificate, "bad-certificate", S::Error, Where::File, true, true,
     "A certificate is not valid base64 DER.", "restore the certificate"},
    {IssueId::SerialMismatch, "serial-mismatch", S::Error, Where::File, true, true,
     "A section's Serial is not its certificate's serial number.", "correct Serial"},
    {IssueId::BadKeyBlob, "bad-key-blob", S::Error, Where::File, true, true,
     "An escrowed key is not valid base64 of a key blob.", "restore the key: it cannot be re-created"},
    {IssueId::InconsistentState, "inconsistent-state", S::Error, Where::File, true, true,
     "The State contradicts the certificates present.", "correct the state"},
    {IssueId::AmbiguousRecovery, "ambiguous-recovery", S::Error, Where::File, true, true,
     "State 4 without NumSCerts but with signing certificates: never enrolled or not, the tool does not guess.",
     "decide and set NumSCerts"},
    {IssueId::DuplicateMailbox, "duplicate-mailbox", S::Error, Where::Store, true, true,
     "Two or more files hold the same mailbox (any case).",
     "keep one record per mailbox; all of them are rejected until then"},
    {IssueId::DuplicateRecordId, "duplicate-record-id", S::Error, Where::Store, true, false,
     "Two files have names that differ only in case: the same record id.", "remove the stray copy"},
    {IssueId::DuplicateKey, "duplicate-key", S::Warning, Where::File, true, true,
     "A key appears twice in a section; the first is what the KMS read.",
     "check that the first value is the right one"},
    {IssueId::DuplicateSection, "duplicate-section", S::Warning, Where::File, true, true,
     "A section appears twice; the keys of the first are what the KMS read.",
     "check that the first section is the right one"},
    {IssueId::KeyOutsideSection, "key-outside-section", S::Warning, Where::File, true, true,
     "A key stands before any section; the KMS never read it.", "nothing, unless the key belongs in [Client]"},
    {IssueId::UnknownKey, "unknown-key", S::Warning, Where::File, true, true,
     "A key the schema does not know; kept as an extra attribute.",
     "nothing; check it if the name looks like a mistyped known key"},
    {IssueId::BadTimestamp, "bad-timestamp", S::Warning, Where::File, true, true,
     "A date is not of the expected form; the column is NULL and the raw text is kept.",
     "correct the date later in the KM administrator program if it matters"},
    {IssueId::RevokedWithoutDate, "revoked-without-date", S::Warning, Where::File, true, true,
     "A revoked certificate has no revocation date.", "nothing; the certificate stays revoked"},
    {IssueId::UnassignedCp1252Byte, "unassigned-cp1252-byte", S::Warning, Where::File, true, true,
     "A byte that Windows-1252 does not assign was kept as the character of the same number.",
     "check the name it appears in"},
    {IssueId::RecoveryNeverEnrolled, "recovery-never-enrolled", S::Warning, Where::File, true, true,
     "State 4 (Recovery) with no NumSCerts: the user never enrolled (KB Q198709); set to New.",
     "recover the mailbox in the KM administrator program and give the user the new token"},
    {IssueId::NumberReadLeniently, "number-read-leniently", S::Warning, Where::File, true, true,
     "A number with trailing text, read as the KMS read it.", "nothing; correct the value later if it matters"},
    {IssueId::TokenLength, "token-length", S::Warning, Where::File, true, true, "A Token is not 12 characters long.",
     "check it against the KM administrator program"},
    {IssueId::CommentBadEncoding, "comment-bad-encoding", S::Warning, Where::File, true, true,
     "A comment line the encoding cannot decode; nothing reads comments.", "nothing"},
    {IssueId::DecodedAsUtf8, "decoded-as-utf8", S::Info, Where::File, true, true,
     "The file was UTF-8 (a BOM, or valid UTF-8 with non-ASCII text).", "nothing"},
    {IssueId::CertificateExpired, "certificate-expired", S::Info, Where::File, true, true,
     "A certificate's validity has ended.", "nothing; the user renews it as usual"},
    {IssueId::IssuesNotListed, "issues-not-listed", S::Info, Where::File, false, false,
     "The file has more issues than the 100 every output lists; this one counts the rest by severity.",
     "fix the file from the issues listed (often one cause), then rehearse again"},
    {IssueId::NotARecord, "not-a-record", S::Info, Where::File, true, false,
     "The entry is not a record file (its name or type); it was never read.",
     "nothing, unless it should have been a record"},
    {IssueId::FieldMismatch, "field-mismatch", S::Error, Where::Run, false, false,
     "A field read back from the database differs from the store.",
     "do not use the database: run the upgrade again from the same store"},
    {IssueId::MissingInTarget, "missing-in-target", S::Error, Where::Run, false, false,
     "A record of the store is not in the database.",
     "check --source and --target; run the upgrade again if they are right"},
    {IssueId::UnexpectedInTarget, "unexpected-in-target", S::Error, Where::Run, false, false,
     "The database holds a record the store does not.",
     "check --source and --target; the database was made from another store or changed"},
    {IssueId::SourceChanged, "source-changed", S::Error, Where::Run, false, false,
     "A file's bytes are not those read before: changed during the upgrade, or since it (verify).",
     "upgrade: stop the KM service, copy the store again, and rerun; verify: find out who changed the store "
     "since the upgrade before trusting either"},
};

}  // namespace

static_assert(std::size(kTable) == static_cast<std::size_t>(IssueId::Count), "one row a code");

const std::vector<IssueCode>& issue_codes() {
  static const std::vector<IssueCode> table(std::begin(kTable), std::end(kTable));
  return table;
}

const IssueCode& issue_code(IssueId id) {
  const IssueCode& c = kTable[static_cast<std::size_t>(id)];
  if (c.id != id) throw InternalError("issue_codes.cpp: the table is not in the order of IssueId");
  return c;
}

const IssueCode* find_issue_code(std::string_view name) {
  for (const auto& c : issue_codes()) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

}  // namespace kms::core
