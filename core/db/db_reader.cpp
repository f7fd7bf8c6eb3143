#include "db_reader.h"

#include <algorithm>
#include <utility>

#include "text_util.h"

namespace kms::core {

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

// Column layouts shared by the keyed reader and the scanner; `c` is the first column.
void read_client_row(const Stmt& q, int c, ClientRecord& r) {
  r.mailbox_dn = q.text(c);
  r.display_name = q.opt_text(c + 1);
  r.alias = q.opt_text(c + 2);
  bool ok = true;
  r.state = state_from(q.text(c + 3), ok);
  r.legacy_state = static_cast<int>(q.integer(c + 4));
  if (!ok) r.legacy_state = -1;  // an unknown state name never compares equal
  r.token = q.opt_text(c + 5);
  r.created_at = q.opt_text(c + 6);
  r.modified_at = q.opt_text(c + 7);
}

Certificate read_cert_row(const Stmt& s, int c) {
  Certificate cert;
  const std::string_view kind = s.text_view(c);
  cert.kind = kind == "signing" ? CertKind::Signing : CertKind::Encryption;
  cert.seq = kind == "signing" || kind == "encryption" ? static_cast<int>(s.integer(c + 1)) : -1;
  cert.serial = s.text(c + 2);
  cert.subject = s.text(c + 3);
  cert.issuer = s.text(c + 4);
  cert.not_before = s.text(c + 5);
  cert.not_after = s.text(c + 6);
  cert.sha1_thumbprint = s.text(c + 7);
  cert.revoked = s.integer(c + 8) != 0;
  cert.revoked_at = s.opt_text(c + 9);
  cert.der = s.blob(c + 10);
  return cert;
}

constexpr const char* kClientColumns =
    "mailbox_dn, display_name, alias, state, legacy_state, token, created_at, modified_at";
constexpr const char* kCertColumns =
    "kind, seq, serial, subject, issuer, not_before, not_after, sha1_thumbprint, revoked, revoked_at, der";

}  // namespace

struct DbReader::Statements {
  explicit Statements(Db& db)
      : client(db, (std::string("SELECT ") + kClientColumns + " FROM clients WHERE record_id = ?1").c_str()),
        certs(db, (std::string("SELECT ") + kCertColumns +
                   " FROM certificates WHERE record_id = ?1 ORDER BY CASE kind WHEN 'signing' THEN 0 ELSE 1 END, seq")
                      .c_str()),
        keys(db, "SELECT seq, key_blob FROM escrowed_keys WHERE record_id = ?1 ORDER BY seq"),
        extras(db, "SELECT section, key, value FROM extra_attributes WHERE record_id = ?1 ORDER BY rowid") {}
  Stmt client, certs, keys, extras;
};

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
  read_client_row(c, 0, r);
  c.reset();

  Stmt& s = st_->certs;
  s.bind(1, record_id);
  while (s.step()) r.certificates.push_back(read_cert_row(s, 0));
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

struct DbScanner::Cursors {
  explicit Cursors(Db& db)
      : client(db, (std::string("SELECT record_id, ") + kClientColumns + " FROM clients ORDER BY rowid").c_str()),
        certs(db, (std::string("SELECT record_id, ") + kCertColumns + " FROM certificates ORDER BY rowid").c_str()),
        keys(db, "SELECT record_id, seq, key_blob FROM escrowed_keys ORDER BY rowid"),
        extras(db, "SELECT record_id, section, key, value FROM extra_attributes ORDER BY rowid") {}
  Stmt client, certs, keys, extras;
  bool has_client = false, has_cert = false, has_key = false, has_extra = false;
};

DbScanner::DbScanner(Db& db) : c_(std::make_unique<Cursors>(db)) {
  c_->has_client = c_->client.step();
  c_->has_cert = c_->certs.step();
  c_->has_key = c_->keys.step();
  c_->has_extra = c_->extras.step();
}

DbScanner::~DbScanner() = default;

bool DbScanner::at_end() const { return !c_->has_client; }

bool DbScanner::all_taken() const { return !c_->has_client && !c_->has_cert && !c_->has_key && !c_->has_extra; }

std::optional<ClientRecord> DbScanner::take(const std::string& record_id) {
  Cursors& c = *c_;
  if (!c.has_client || c.client.text_view(0) != record_id) return std::nullopt;
  ClientRecord r;
  r.record_id = record_id;
  read_client_row(c.client, 1, r);
  c.has_client = c.client.step();
  for (; c.has_cert && c.certs.text_view(0) == record_id; c.has_cert = c.certs.step()) {
    r.certificates.push_back(read_cert_row(c.certs, 1));
  }
  for (; c.has_key && c.keys.text_view(0) == record_id; c.has_key = c.keys.step()) {
    r.keys.push_back(EscrowedKey{static_cast<int>(c.keys.integer(1)), c.keys.blob(2)});
  }
  for (; c.has_extra && c.extras.text_view(0) == record_id; c.has_extra = c.extras.step()) {
    r.extras.push_back(ExtraAttribute{c.extras.text(1), c.extras.text(2), c.extras.text(3)});
  }
  // The keyed reader's order: signing before encryption, each by seq; keys by seq.
  std::stable_sort(r.certificates.begin(), r.certificates.end(), [](const Certificate& a, const Certificate& b) {
    return std::make_pair(a.kind == CertKind::Signing ? 0 : 1, a.seq) <
           std::make_pair(b.kind == CertKind::Signing ? 0 : 1, b.seq);
  });
  std::stable_sort(r.keys.begin(), r.keys.end(),
                   [](const EscrowedKey& a, const EscrowedKey& b) { return a.seq < b.seq; });
  return r;
}

}  // namespace kms::core
