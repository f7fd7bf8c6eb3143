// Source record -> 5.5 database -> read back: every field survives, and the
// digest depends on content only.
#include <gtest/gtest.h>

#include "content_digest.h"
#include "db_reader.h"
#include "db_writer.h"
#include "record_compare.h"
#include "row_batch.h"
#include "sqlite_handle.h"
#include "test_util.h"

namespace kms::core {
namespace {

ClientRecord sample_record(const std::string& id) {
  ClientRecord r;
  r.record_id = id;
  r.mailbox_dn = "/o=Contoso/cn=" + id;
  r.display_name =
      "Ren\xC3\xA9"
      "e \"Q\" ; x";
  r.alias = std::nullopt;
  r.state = ClientState::New;
  r.legacy_state = 4;
  r.token = "QX7RTB2MNP4K";
  r.created_at = "1998-03-14T09:12:55Z";
  Certificate c;
  c.kind = CertKind::Encryption;
  c.seq = 1;
  c.serial = "A1";
  c.subject = "CN=x";
  c.issuer = "CN=ca";
  c.not_before = "1998-01-01T00:00:00Z";
  c.not_after = "2035-01-01T00:00:00Z";
  c.sha1_thumbprint = "00";
  c.revoked = true;
  c.revoked_at = "1999-01-01T00:00:00Z";
  c.der = Bytes{0x30, 0x00, 0xFF, 0x00};
  r.certificates.push_back(c);
  r.keys.push_back(EscrowedKey{1, Bytes{0x00, 0x01, 0x00, 0xFE}});
  r.keys.push_back(EscrowedKey{2, Bytes{}});
  r.extras.push_back(ExtraAttribute{"Client", "Cost:Center", "42"});
  return r;
}

TEST(DatabaseRoundTrip, EveryFieldReadsBackEqual) {
  test::TempDir tmp;
  Db db((tmp / "t.db").string(), OpenMode::ReadWriteCreate);
  db.exec("PRAGMA foreign_keys = ON");
  DbWriter w(db);
  const ClientRecord r = sample_record("mabc000000001");
  w.write_client(r);
  w.flush();
  DbReader reader(db);
  const auto back = reader.read_client(r.record_id);
  ASSERT_TRUE(back);
  EXPECT_EQ(compare_records(r, *back), std::vector<std::string>{});
  EXPECT_FALSE(reader.read_client("nobody"));
}

TEST(DatabaseRoundTrip, ComparisonNamesTheFieldThatDiffers) {
  ClientRecord a = sample_record("m1");
  ClientRecord b = a;
  b.keys[0].key_blob[0] ^= 1;
  b.token = "other";
  b.certificates[0].der.push_back(0);
  EXPECT_EQ(compare_records(a, b),
            (std::vector<std::string>{"token", "certificates[encryption 1].der", "escrowed_keys[1].key_blob"}));
}

TEST(DatabaseRoundTrip, SchemaHasApplicationIdVersionAndPolicy) {
  test::TempDir tmp;
  Db db((tmp / "t.db").string(), OpenMode::ReadWriteCreate);
  DbWriter w(db);
  Stmt app(db, "PRAGMA application_id");
  ASSERT_TRUE(app.step());
  EXPECT_EQ(app.integer(0), kApplicationId);
  Stmt ver(db, "PRAGMA user_version");
  ASSERT_TRUE(ver.step());
  EXPECT_EQ(ver.integer(0), kSchemaVersion);
  Stmt pol(db, "SELECT task, passwords_required FROM password_policy ORDER BY task");
  std::vector<std::string> tasks;
  while (pol.step()) {
    tasks.push_back(pol.text(0));
    EXPECT_EQ(pol.integer(1), 1);
  }
  EXPECT_EQ(tasks,
            (std::vector<std::string>{"administer", "recover-keys", "revoke-certificates", "trust-ca-certificate"}));
  Stmt strict(
      db, "SELECT count(*) FROM pragma_table_list WHERE schema = 'main' AND name NOT LIKE 'sqlite_%' AND strict = 0");
  ASSERT_TRUE(strict.step());
  EXPECT_EQ(strict.integer(0), 0) << "every table is STRICT";
}

TEST(ContentDigest, SameContentSameDigestAnyInsertOrder) {
  test::TempDir tmp;
  std::string digests[2];
  for (int run = 0; run < 2; ++run) {
    Db db((tmp / ("d" + std::to_string(run) + ".db")).string(), OpenMode::ReadWriteCreate);
    DbWriter w(db);
    const char* ids[2] = {"ma", "mb"};
    w.write_client(sample_record(ids[run]));
    w.write_client(sample_record(ids[1 - run]));
    w.flush();
    digests[run] = test::content_digest(db);
  }
  EXPECT_EQ(digests[0], digests[1]);
  EXPECT_EQ(digests[0].size(), 64u);
}

TEST(ContentDigest, AnyFieldChangeChangesTheDigest) {
  const auto digest_of = [](const ClientRecord& r) { return record_digest(r); };
  const ClientRecord base = sample_record("m1");
  ClientRecord r = base;
  r.keys[1].key_blob.push_back(0);
  EXPECT_NE(digest_of(base), digest_of(r));
  r = base;
  r.alias = "";  // NULL and empty differ
  EXPECT_NE(digest_of(base), digest_of(r));
  r = base;
  r.extras[0].value = "43";
  EXPECT_NE(digest_of(base), digest_of(r));
}

}  // namespace
}  // namespace kms::core

#include "integrity_check.h"

namespace kms::core {
namespace {

TEST(SqliteChecks, ForeignKeyViolationIsReported) {
  test::TempDir tmp;
  const std::string path = (tmp / "t.db").string();
  {
    Db db(path, OpenMode::ReadWriteCreate);
    DbWriter w(db);
    db.exec("PRAGMA foreign_keys = OFF");
    db.exec("INSERT INTO escrowed_keys (record_id, seq, key_blob) VALUES ('orphan', 1, X'00')");
  }
  Db db(path, OpenMode::ReadOnly);
  EXPECT_EQ(check_tables(db, {"clients"}), std::vector<std::string>{});
  const auto whole = check_tables(db, {});
  ASSERT_EQ(whole.size(), 1u);
  EXPECT_NE(whole[0].find("escrowed_keys"), std::string::npos) << whole[0];
  BackgroundCheck bg(path, {"escrowed_keys"});
  EXPECT_EQ(bg.result().size(), 1u);
}

}  // namespace
}  // namespace kms::core

namespace kms::core {
namespace {

// RowBatch inserts `rows` rows per statement and the rest one by one at flush():
// every row must arrive once, in order, with its values (NULL, integer, text, blob).
TEST(RowBatch, EveryRowOnceInOrderAtEveryBatchBoundary) {
  const int kRows = DbTuning{}.rows_per_insert;
  for (int n : {0, 1, kRows - 1, kRows, kRows + 1, 2 * kRows + 1}) {
    test::TempDir tmp;
    Db db((tmp / "b.db").string(), OpenMode::ReadWriteCreate);
    db.exec("CREATE TABLE t (i INTEGER, s TEXT, b BLOB, z TEXT) STRICT");
    {
      RowBatch batch(db, "INSERT INTO t (i, s, b, z)", 4, kRows);
      for (int i = 0; i < n; ++i) {
        const std::string s = "row " + std::to_string(i);
        const unsigned char bytes[2] = {static_cast<unsigned char>(i), 0};
        batch.integer(i).text(s).blob(bytes, 2).null().end_row();
      }
      batch.flush();
    }
    Stmt q(db, "SELECT i, s, b, z IS NULL FROM t ORDER BY rowid");
    int i = 0;
    for (; q.step(); ++i) {
      ASSERT_EQ(q.integer(0), i) << "rows " << n;
      EXPECT_EQ(q.text(1), "row " + std::to_string(i));
      EXPECT_EQ(q.blob(2), (Bytes{static_cast<std::uint8_t>(i), 0}));
      EXPECT_EQ(q.integer(3), 1);
    }
    EXPECT_EQ(i, n);
  }
}

}  // namespace
}  // namespace kms::core
