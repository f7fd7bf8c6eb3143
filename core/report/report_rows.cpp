#include "report_rows.h"

#include "issue_json.h"
#include "report.h"

namespace kms::core {
namespace {

constexpr const char* kColumns =
    "SELECT r.path, r.record_id, r.mailbox_dn, r.sha256, r.outcome, r.legacy_state, r.state, r.issues, "
    "r.verification, r.display_name, r.alias FROM migration_report r";

template <typename E>
std::optional<E> named(const std::string& text, std::initializer_list<E> values, const char* (*name)(E)) {
  for (E v : values) {
    if (text == name(v)) return v;
  }
  return std::nullopt;
}

FileSummary summary_of(const Stmt& q) {
  FileSummary f;
  f.path = q.text(0);
  f.record_id = q.text(1);
  f.mailbox_dn = MailboxField::of(q.text(2));  // written in its shown form
  f.sha256 = q.text(3);
  // Text that no run writes (a tampered row) reads as rejected, the outcome that migrates nothing.
  f.outcome = outcome_from_name(q.text_view(4)).value_or(RecordOutcome::Rejected);
  if (!q.is_null(5)) f.legacy_state = static_cast<int>(q.integer(5));
  if (!q.is_null(6)) {
    f.state = named(q.text(6), {ClientState::New, ClientState::Active, ClientState::Revoked, ClientState::Recovery},
                    state_name);
  }
  f.issues = issues_from_json(q.text(7));
  f.display_name = MailboxField::of(q.text(9));  // written in their shown forms too
  f.alias = MailboxField::of(q.text(10));
  return f;
}

std::optional<Verification> verification_of(const Stmt& q) {
  if (q.is_null(8)) return std::nullopt;
  return named(q.text(8), {Verification::Passed, Verification::Failed, Verification::NotApplicable}, verification_name);
}

}  // namespace

std::optional<FileSummary> read_report_row(Db& db, const std::string& path) {
  Stmt q(db, (std::string(kColumns) + " WHERE r.path = ?1").c_str());
  q.bind(1, path);
  if (!q.step()) return std::nullopt;
  return summary_of(q);
}

void for_each_report_row(Db& db, RowFilter filter,
                         const std::function<void(const FileSummary&, std::optional<Verification>)>& fn) {
  const char* where = filter == RowFilter::WithIssues ? " WHERE r.issues <> '[]'" : "";
  Stmt q(db, (std::string(kColumns) + where + " ORDER BY r.rowid").c_str());
  while (q.step()) fn(summary_of(q), verification_of(q));
}

}  // namespace kms::core
