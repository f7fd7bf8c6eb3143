#include "db_reader.h"

#include "text_util.h"

namespace kms::core {

struct DbReader::Statements {
  explicit Statements(Db& db)
      : client(db,
               "SELECT mailbox_dn, display_name, alias, state, legacy_state, token, created_at, modified_at "
               "FROM clients WHERE record_id = ?1"),
        certs(db,
              "SELECT kind, seq, serial, subject, issuer, not_before, not_after, sha1_thumbprint, revoked, "
              "revoked_at, der FROM certificates WHERE record_id = ?1 "
              "ORDER BY CASE kind WHEN 'signing' THEN 0 ELSE 1 END, seq"),
        keys(db, "SELECT seq, key_blob FROM escrowed_keys WHERE record_id = ?1 ORDER BY seq"),
        extras(db, "SELECT section, key, value FROM extra_attributes WHERE record_id = ?1 ORDER BY rowid") {}
  Stmt client, certs, keys, extras;
};

namespace {

// Unknown text in a column maps to a value that cannot equal a source record's.
ClientState state_from(const std::string& s, bool& ok) {
  ok = true;
  if (s == "new") return ClientState::New;
  if (s == "active") return ClientState::Active;
  if (s == "revoked") return ClientState::Revoked;
  if (s == "recovery") return ClientState::Recovery;
  ok = false;
  return ClientState::New;
}

}  // namespace

DbReader::DbReader(Db& db) : st_(std::make_unique<Statements>(db)) {}
DbReader::~DbReader() = default;

std::optional<ClientRecord> DbReader::read_client(const std::string& record_id) {
  Stmt& c = st_->client;
  c.bind(1, record_id);
  if (!c.step()) {
    c.reset();
    return std::nullopt;
  }
  ClientRecord r;
  r.record_id = record_id;
  r.mailbox_dn = c.text(0);
  r.display_name = c.opt_text(1);
  r.alias = c.opt_text(2);
  bool ok = true;
  r.state = state_from(c.text(3), ok);
  r.legacy_state = static_cast<int>(c.integer(4));
  if (!ok) r.legacy_state = -1;  // an unknown state name never compares equal
  r.token = c.opt_text(5);
  r.created_at = c.opt_text(6);
  r.modified_at = c.opt_text(7);
  c.reset();

  Stmt& s = st_->certs;
  s.bind(1, record_id);
  while (s.step()) {
    Certificate cert;
    cert.kind = s.text(0) == "signing" ? CertKind::Signing : CertKind::Encryption;
    if (s.text(0) != "signing" && s.text(0) != "encryption") cert.seq = -1;
    else cert.seq = static_cast<int>(s.integer(1));
    cert.serial = s.text(2);
    cert.subject = s.text(3);
    cert.issuer = s.text(4);
    cert.not_before = s.text(5);
    cert.not_after = s.text(6);
    cert.sha1_thumbprint = s.text(7);
    cert.revoked = s.integer(8) != 0;
    cert.revoked_at = s.opt_text(9);
    cert.der = s.blob(10);
    r.certificates.push_back(std::move(cert));
  }
  s.reset();

  Stmt& k = st_->keys;
  k.bind(1, record_id);
  while (k.step()) r.keys.push_back(EscrowedKey{static_cast<int>(k.integer(0)), k.blob(1)});
  k.reset();

  Stmt& e = st_->extras;
  e.bind(1, record_id);
  while (e.step()) r.extras.push_back(ExtraAttribute{e.text(0), e.text(1), e.text(2)});
  e.reset();
  return r;
}

}  // namespace kms::core
