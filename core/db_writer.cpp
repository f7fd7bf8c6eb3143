#include "db_writer.h"

#include "report.h"
#include "schema_sql.h"

namespace kms::core {

const char* verification_name(Verification v) {
  switch (v) {
    case Verification::Passed: return "passed";
    case Verification::Failed: return "failed";
    case Verification::NotApplicable: return "not-applicable";
  }
  return "failed";
}

struct DbWriter::Statements {
  explicit Statements(Db& db)
      : client(db,
               "INSERT OR IGNORE INTO clients (record_id, mailbox_dn, display_name, alias, state, legacy_state, token, "
               "created_at, modified_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
        cert(db,
             "INSERT INTO certificates (record_id, kind, seq, serial, subject, issuer, not_before, not_after, "
             "sha1_thumbprint, revoked, revoked_at, der) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"),
        key(db, "INSERT INTO escrowed_keys (record_id, seq, key_blob) VALUES (?1, ?2, ?3)"),
        extra(db, "INSERT INTO extra_attributes (record_id, section, key, value) VALUES (?1, ?2, ?3, ?4)"),
        file(db, "INSERT INTO legacy_files (path, record_id, size, sha256, raw, outcome) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
        report(db,
               "INSERT INTO migration_report (path, record_id, mailbox_dn, outcome, state, legacy_state, issues, "
               "verification, sha256) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
        report_update(db,
                      "UPDATE migration_report SET outcome = ?2, state = ?3, issues = ?4, verification = ?5 "
                      "WHERE path = ?1"),
        meta(db, "INSERT OR REPLACE INTO migration_meta (key, value) VALUES (?1, ?2)"),
        // Foreign keys are not enforced while the temporary database is built (a parent look-up per
        // row); the children are deleted here, and foreign_key_check proves the result before commit.
        drop_children{Stmt(db, "DELETE FROM certificates WHERE record_id = ?1"),
                      Stmt(db, "DELETE FROM escrowed_keys WHERE record_id = ?1"),
                      Stmt(db, "DELETE FROM extra_attributes WHERE record_id = ?1")},
        drop_client(db, "DELETE FROM clients WHERE record_id = ?1"),
        file_outcome(db, "UPDATE legacy_files SET outcome = ?2 WHERE path = ?1") {}
  Stmt client, cert, key, extra, file, report, report_update, meta;
  Stmt drop_children[3];
  Stmt drop_client, file_outcome;
};

namespace {

std::optional<std::string> non_empty(const std::string& s) {
  return s.empty() ? std::nullopt : std::optional<std::string>(s);
}

}  // namespace

DbWriter::DbWriter(Db& db, Schema schema) : db_(db) {
  if (schema == Schema::Create) db_.exec(schema::kSchemaSql);
  st_ = std::make_unique<Statements>(db_);
}

DbWriter::~DbWriter() = default;

bool DbWriter::write_client(const ClientRecord& rec) {
  st_->client.bind(1, rec.record_id)
      .bind(2, rec.mailbox_dn)
      .bind(3, rec.display_name)
      .bind(4, rec.alias)
      .bind(5, std::string_view(state_name(rec.state)))
      .bind(6, static_cast<std::int64_t>(rec.legacy_state))
      .bind(7, rec.token)
      .bind(8, rec.created_at)
      .bind(9, rec.modified_at)
      .run();
  if (sqlite3_changes(db_.get()) == 0) return false;  // its record id or MailboxDN is taken
  for (const Certificate& c : rec.certificates) {
    st_->cert.bind(1, rec.record_id)
        .bind(2, std::string_view(kind_name(c.kind)))
        .bind(3, static_cast<std::int64_t>(c.seq))
        .bind(4, c.serial)
        .bind(5, c.subject)
        .bind(6, c.issuer)
        .bind(7, c.not_before)
        .bind(8, c.not_after)
        .bind(9, c.sha1_thumbprint)
        .bind(10, static_cast<std::int64_t>(c.revoked ? 1 : 0))
        .bind(11, c.revoked_at)
        .bind_blob(12, c.der.data(), c.der.size())
        .run();
  }
  for (const EscrowedKey& k : rec.keys) {
    st_->key.bind(1, rec.record_id).bind(2, static_cast<std::int64_t>(k.seq)).bind_blob(3, k.key_blob.data(), k.key_blob.size()).run();
  }
  for (const ExtraAttribute& e : rec.extras) {
    st_->extra.bind(1, rec.record_id).bind(2, e.section).bind(3, e.key).bind(4, e.value).run();
  }
  return true;
}

void DbWriter::write_legacy_file(const FileSummary& f, const std::optional<std::string>& raw) {
  Stmt& s = st_->file;
  s.bind(1, f.path).bind(2, non_empty(f.record_id));
  if (f.size) s.bind(3, *f.size); else s.bind_null(3);
  s.bind(4, non_empty(f.sha256));
  if (raw) s.bind_blob(5, raw->data(), raw->size()); else s.bind_null(5);
  s.bind(6, std::string_view(outcome_name(f.outcome))).run();
}

void DbWriter::write_report_row(const FileSummary& f, std::optional<Verification> v) {
  Stmt& s = st_->report;
  s.bind(1, f.path).bind(2, non_empty(f.record_id)).bind(3, non_empty(f.mailbox_dn));
  s.bind(4, std::string_view(outcome_name(f.outcome)));
  if (f.state) s.bind(5, std::string_view(state_name(*f.state))); else s.bind_null(5);
  if (f.legacy_state) s.bind(6, static_cast<std::int64_t>(*f.legacy_state)); else s.bind_null(6);
  s.bind(7, issues_json_text(f.issues));
  if (v) s.bind(8, std::string_view(verification_name(*v))); else s.bind_null(8);
  s.bind(9, non_empty(f.sha256));
  s.run();
}

void DbWriter::update_report_row(const FileSummary& f, std::optional<Verification> v) {
  Stmt& s = st_->report_update;
  s.bind(1, f.path).bind(2, std::string_view(outcome_name(f.outcome)));
  if (f.state) s.bind(3, std::string_view(state_name(*f.state))); else s.bind_null(3);
  s.bind(4, issues_json_text(f.issues));
  if (v) s.bind(5, std::string_view(verification_name(*v))); else s.bind_null(5);
  s.run();
}

void DbWriter::delete_client(const std::string& record_id) {
  for (Stmt& s : st_->drop_children) s.bind(1, record_id).run();
  st_->drop_client.bind(1, record_id).run();
}

void DbWriter::set_legacy_outcome(const std::string& path, RecordOutcome outcome) {
  st_->file_outcome.bind(1, path).bind(2, std::string_view(outcome_name(outcome))).run();
}

void DbWriter::set_meta(const std::string& key, const std::string& value) {
  st_->meta.bind(1, key).bind(2, value).run();
}

}  // namespace kms::core
