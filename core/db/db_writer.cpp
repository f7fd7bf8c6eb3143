#include "db_writer.h"

#include "issue_json.h"
#include "row_batch.h"
#include "safe_text.h"
#include "schema_sql.h"

namespace kms::core {

struct DbWriter::Statements {
  Statements(Db& db, int rows)
      // A taken record id is ignored, children included (OR IGNORE): such a record has a
      // duplicate, and the cross-file rules reject and delete them all.
      : client(db,
               "INSERT OR IGNORE INTO clients (record_id, mailbox_dn, display_name, alias, state, legacy_state, token, "
               "created_at, modified_at)",
               9, rows),
        cert(
            db,
            "INSERT OR IGNORE INTO certificates (record_id, kind, seq, serial, subject, issuer, not_before, not_after, "
            "sha1_thumbprint, revoked, revoked_at, der)",
            12, rows),
        key(db, "INSERT OR IGNORE INTO escrowed_keys (record_id, seq, key_blob)", 3, rows),
        extra(db, "INSERT OR IGNORE INTO extra_attributes (record_id, section, key, value)", 4, rows),
        file(db, "INSERT INTO legacy_files (path, record_id, size, sha256, raw, outcome)", 6, rows),
        report(db,
               "INSERT INTO migration_report (path, record_id, mailbox_dn, outcome, state, legacy_state, issues, "
               "verification, sha256, display_name, alias)",
               11, rows),
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
  RowBatch client, cert, key, extra, file, report;
  Stmt report_update, meta;
  Stmt drop_children[3];
  Stmt drop_client, file_outcome;
};

namespace {

std::optional<std::string> non_empty(const std::string& s) {
  return s.empty() ? std::nullopt : std::optional<std::string>(s);
}

}  // namespace

DbWriter::DbWriter(Db& db, Schema schema, const DbTuning& tuning) : db_(db), tuning_(tuning) {
  if (schema == Schema::Create) db_.exec(schema::kSchemaSql);
  st_ = std::make_unique<Statements>(db_, tuning.rows_per_insert);
}

DbWriter::~DbWriter() = default;

void DbWriter::create_indexes() {
  flush();
  // A small cache keeps the index's sort below the run's peak of memory
  // (DbTuning). The connection keeps it: it writes only the meta rows after this.
  db_.exec(("PRAGMA cache_size = -" + std::to_string(tuning_.index_cache_kib)).c_str());
  db_.exec(schema::kIndexSql);
}

void DbWriter::write_client(const ClientRecord& rec) {
  st_->client.text(rec.record_id)
      .text(rec.mailbox_dn)
      .text(rec.display_name)
      .text(rec.alias)
      .text(state_name(rec.state))
      .integer(rec.legacy_state)
      .text(rec.token)
      .text(rec.created_at)
      .text(rec.modified_at)
      .end_row();
  for (const Certificate& c : rec.certificates) {
    st_->cert.text(rec.record_id)
        .text(kind_name(c.kind))
        .integer(c.seq)
        .text(c.serial)
        .text(c.subject)
        .text(c.issuer)
        .text(c.not_before)
        .text(c.not_after)
        .text(c.sha1_thumbprint)
        .integer(c.revoked ? 1 : 0)
        .text(c.revoked_at)
        .blob(c.der.data(), c.der.size())
        .end_row();
  }
  for (const EscrowedKey& k : rec.keys) {
    st_->key.text(rec.record_id).integer(k.seq).blob(k.key_blob.data(), k.key_blob.size()).end_row();
  }
  for (const ExtraAttribute& e : rec.extras)
    st_->extra.text(rec.record_id).text(e.section).text(e.key).text(e.value).end_row();
}

void DbWriter::write_legacy_file(const FileSummary& f, const std::optional<std::string>& raw) {
  RowBatch& r = st_->file;
  r.text(f.path).text(non_empty(f.record_id));
  if (f.size)
    r.integer(*f.size);
  else
    r.null();
  r.text(non_empty(f.sha256));
  if (raw)
    r.blob(raw->data(), raw->size());
  else
    r.null();
  r.text(outcome_name(f.outcome)).end_row();
}

void DbWriter::write_report_row(const FileSummary& f, std::optional<Verification> v) {
  RowBatch& r = st_->report;
  r.text(f.path).text(non_empty(f.record_id)).text(non_empty(f.mailbox_dn.text)).text(outcome_name(f.outcome));
  if (f.state)
    r.text(state_name(*f.state));
  else
    r.null();
  if (f.legacy_state)
    r.integer(*f.legacy_state);
  else
    r.null();
  r.text(issues_json_text(f.issues));
  if (v)
    r.text(verification_name(*v));
  else
    r.null();
  r.text(non_empty(f.sha256)).text(non_empty(f.display_name.text)).text(non_empty(f.alias.text)).end_row();
}

void DbWriter::flush() {
  for (RowBatch* b : {&st_->client, &st_->cert, &st_->key, &st_->extra, &st_->file, &st_->report}) b->flush();
}

void DbWriter::update_report_row(const FileSummary& f, std::optional<Verification> v) {
  Stmt& s = st_->report_update;
  s.bind(1, f.path).bind(2, std::string_view(outcome_name(f.outcome)));
  if (f.state)
    s.bind(3, std::string_view(state_name(*f.state)));
  else
    s.bind_null(3);
  s.bind(4, issues_json_text(f.issues));
  if (v)
    s.bind(5, std::string_view(verification_name(*v)));
  else
    s.bind_null(5);
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
