#include "file_analysis.h"

#include "hashing.h"
#include "profile_parser.h"
#include "safe_text.h"
#include "text_decoder.h"

namespace kms::core {

AnalyzedFile analyze_record_bytes(const std::string& path, const std::string& record_id, std::string bytes,
                                  std::time_t now) {
  AnalyzedFile a;
  FileSummary& s = a.summary;
  s.path = path;
  s.record_id = record_id;
  s.size = static_cast<std::int64_t>(bytes.size());
  s.sha256 = sha256_hex(bytes);
  s.outcome = RecordOutcome::Rejected;
  if (bytes.empty()) {
    add_issue(s.issues, IssueId::EmptyFile, "the file is empty (0 bytes)");
  } else {
    DecodedText text = decode_text(bytes, s.issues);
    if (text.ok) {
      const ParsedProfile profile = parse_profile(text.utf8(), s.issues);
      const SecretPieces pieces(profile.secrets);
      if (!profile.has_content) {
        add_issue(s.issues, IssueId::EmptyFile, "the file holds nothing but blank lines and comments");
      } else {
        RuleResult r = apply_record_rules(profile, record_id, now, s.issues);
        s.mailbox_dn = MailboxField::of(r.mailbox_dn, pieces);
        s.alias = MailboxField::of(r.alias, pieces);
        s.display_name = MailboxField::of(r.display_name, pieces);
        s.mailbox_line = r.mailbox_line;
        s.legacy_state = r.legacy_state;
        if (r.record && !has_error(s.issues)) {
          s.outcome = r.normalized ? RecordOutcome::Normalized : RecordOutcome::Migrated;
          s.state = r.record->state;
          a.record = std::move(r.record);
        }
      }
      // The messages follow the message rule already (safe_text.h); this is the second line of defence.
      for (Issue& i : s.issues) pieces.redact(i.message);
    }
  }
  cap_issues(s.issues);  // the outcome is decided: what is left is what the outputs list
  a.raw = std::move(bytes);
  return a;
}

std::vector<std::string> file_secrets(const std::string& bytes) {
  Issues ignored;
  DecodedText text = decode_text(bytes, ignored);
  if (!text.ok) return {};
  const ParsedProfile profile = parse_profile(text.utf8(), ignored);
  return {profile.secrets.begin(), profile.secrets.end()};
}

FileDates file_dates(const std::string& bytes) {
  Issues ignored;
  DecodedText text = decode_text(bytes, ignored);
  FileDates d;
  if (!text.ok) return d;
  const ParsedProfile profile = parse_profile(text.utf8(), ignored);
  const ProfileSection* client = profile.find("Client");
  if (!client) return d;
  for (auto [key, out] : {std::pair{"Created", &d.created}, std::pair{"Modified", &d.modified}}) {
    if (const ProfileEntry* e = client->find(key)) *out = quoted(e->value, ValueShape::Timestamp);
  }
  return d;
}

namespace {

/// A failure of the system names the entry's full path.
template <typename F>
auto in_store(const StoreDir& clients, const std::string& name, F&& f) {
  try {
    return f();
  } catch (const SystemError& e) {
    throw SystemError(e.operation(), (clients.path() / name).string(), e.error_number());
  }
}

}  // namespace

AnalyzedFile analyze_entry(const StoreDir& clients, const StoreEntry& entry, std::int64_t max_record_bytes,
                           std::time_t now, const CancelFlag* cancel) {
  AnalyzedFile a;
  FileSummary& s = a.summary;
  s.path = entry.name;
  s.record_id = entry.record_id;
  if (entry.kind != EntryKind::RecordFile) {  // a record file is stamped from its open descriptor below
    s.stamp = in_store(clients, entry.name, [&] { return stamp_of(clients.fd(), entry.name); });
    if (s.stamp && entry.kind == EntryKind::NotRecord) s.size = s.stamp->size;
  }
  if (entry.kind == EntryKind::NotRecord) {
    s.outcome = RecordOutcome::Skipped;
    add_issue(s.issues, IssueId::NotARecord, "not a client record file: " + entry.skip_reason);
    return a;
  }
  s.outcome = RecordOutcome::Rejected;
  if (entry.kind == EntryKind::RecordSymlink) {
    add_issue(s.issues, IssueId::Symlink, "a symbolic link; never followed");
    return a;
  }
  ReadResult rr = in_store(clients, entry.name,
                           [&] { return read_record_file(clients.fd(), entry.name, max_record_bytes, cancel); });
  switch (rr.status) {
    case ReadResult::Status::Symlink:
    case ReadResult::Status::NotRegular:
      // The listing showed a regular file here: it was swapped since (a link, a pipe, a folder).
      throw Stop(ExitCode::DataProblem,
                 "source changed during the run: '" + entry.name + "' was a file when listed and is now " +
                     (rr.status == ReadResult::Status::Symlink ? "a symbolic link" : "not a file"));
    case ReadResult::Status::TooLarge:
      s.stamp = rr.stamp;
      s.size = rr.stamp.size;
      s.sha256 = rr.sha256;  // streamed: the file is never read whole
      add_issue(s.issues, IssueId::TooLarge,
                std::to_string(rr.stamp.size) + " bytes is over the limit of " + std::to_string(max_record_bytes) +
                    " bytes (--max-record-size)");
      return a;
    case ReadResult::Status::Ok:
      break;
  }
  AnalyzedFile done = analyze_record_bytes(entry.name, entry.record_id, std::move(rr.bytes), now);
  done.summary.stamp = rr.stamp;
  return done;
}

std::optional<Verification> effective_verification(const FileSummary& f, std::optional<Verification> v) {
  if (v) return v;
  if (f.outcome == RecordOutcome::Rejected || f.outcome == RecordOutcome::Skipped) return Verification::NotApplicable;
  return std::nullopt;
}

}  // namespace kms::core
