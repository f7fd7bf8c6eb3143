// `verify` after the fact: a clean pass, then each kind of damage, caught and named.
#include <gtest/gtest.h>

#include "report_sink.h"
#include "scan_command.h"
#include "sqlite_handle.h"
#include "test_util.h"
#include "upgrade.h"
#include "verify_command.h"

namespace fs = std::filesystem;

namespace kms::core {
namespace {

class VerifyTest : public ::testing::Test {
 protected:
  test::TempDir tmp;
  fs::path store() { return tmp / "store" / "Security"; }
  fs::path clients() { return store() / "Mgrent" / "Clients"; }
  fs::path db() { return tmp / "kms55.db"; }

  void SetUp() override {
    test::copy_tree(fs::path(KMS_FIXTURES_DIR) / "sample-store", tmp / "store");
    UpgradeOptions o;
    o.source = store();
    o.target = db();
    const auto r = run_upgrade(o, {});
    ASSERT_EQ(r.exit_code, ExitCode::Ok) << r.report.message;
  }

  /// Runs verify with a JSON Lines report; its records are kept in `records`.
  RunResult verify() {
    VerifyOptions o;
    o.source = store();
    o.target = db();
    const fs::path report = tmp / "verify.jsonl";
    ReportSink sink(report);
    RunResult r = run_verify(o, nullptr, nullptr, &sink);
    sink.finish(r.report);
    records = test::read_jsonl(report);
    records.pop_back();  // the summary
    return r;
  }
  std::vector<nlohmann::json> records;

  void damage_db(const std::string& sql) {
    Db d(db().string(), OpenMode::ReadWriteCreate);
    d.exec(sql.c_str());
  }

  /// The codes reported for `path` by the last verify().
  std::vector<std::string> codes_for(const RunResult&, const std::string& path) const {
    std::vector<std::string> out;
    for (const auto& f : records) {
      if (f["path"] != path) continue;
      for (const auto& i : f["issues"]) out.push_back(i["code"]);
    }
    return out;
  }
  /// The messages of `code` reported by the last verify().
  std::vector<std::string> messages_of(const std::string& code) const {
    std::vector<std::string> out;
    for (const auto& f : records) {
      for (const auto& i : f["issues"]) {
        if (i["code"] == code) out.push_back(i["message"]);
      }
    }
    return out;
  }
  static bool has(const std::vector<std::string>& v, const char* code) {
    return std::find(v.begin(), v.end(), code) != v.end();
  }
};

// Verify against another store says so in one line, first on the terminal,
// in the status line, the HTML verdict and the summary, with both sides and
// their digests; the terminal lists a sample of the differences, not all.
TEST_F(VerifyTest, AnotherStoreIsSaidInOneLineFirst) {
  const fs::path other = tmp / "other";
  ASSERT_EQ(test::run_process(KMS_GEN_STORE_BIN, {"store", other.string(), "300", "3"}).exit_code, 0);
  const fs::path html = tmp / "v.html", jsonl = tmp / "v.jsonl";
  const std::string cmd = std::string("'") + KMS_MIGRATE_BIN + "' verify --source '" + (other / "Security").string() +
                          "' --target '" + db().string() + "' --report '" + html.string() + "' --report '" +
                          jsonl.string() + "' 2>&1 >/dev/null";
  const auto err = test::run_process("/bin/bash", {"-c", cmd});
  EXPECT_EQ(err.exit_code, 1) << err.out;
  const std::string first = err.out.substr(0, err.out.find('\n'));
  EXPECT_EQ(first.rfind("kms-migrate verify: this database was made from '" + store().string() + "' (store digest ", 0),
            0u)
      << err.out;
  EXPECT_NE(first.find("; this store is '" + (other / "Security").string() + "' (store digest "), std::string::npos)
      << first;
  EXPECT_NE(first.find("): wrong --source? "), std::string::npos) << first;
  std::size_t listed = 0;
  for (std::size_t at = err.out.find(": missing-in-target: "); at != std::string::npos;
       at = err.out.find(": missing-in-target: ", at + 1)) {
    ++listed;
  }
  EXPECT_LE(listed, 10u) << err.out;
  const auto summary = test::read_jsonl(jsonl).back();
  EXPECT_EQ(summary["wrong_store"].get<std::string>(), first.substr(std::string("kms-migrate verify: ").size()));
  EXPECT_NE(test::read_file(html).find("The database does not match the store: this database was made from"),
            std::string::npos);
  // The counts keep the two sides apart: the store's files, then the database's own.
  EXPECT_EQ(summary["database_only_files"], 39) << summary.dump();
  const auto both = test::run_process(KMS_MIGRATE_BIN,
                                      {"verify", "--source", (other / "Security").string(), "--target", db().string()});
  EXPECT_NE(both.out.find("  files     300 seen in the store: "), std::string::npos) << both.out;
  EXPECT_NE(both.out.find("  database  39 more file(s) in the database that the store does not have"),
            std::string::npos)
      << both.out;
  // "verified" counts the store's files only, and says so.
  EXPECT_NE(both.out.find(" failed (of the store's files; the database's own above)\n"), std::string::npos) << both.out;
  EXPECT_NE(
      first.find(
          " of the store's 300 files are not the bytes the database archived, 39 file(s) are only in the database"),
      std::string::npos)
      << first;
  // The HTML's counts are the store's; the database's own are said apart.
  const std::string page = test::read_file(html);
  EXPECT_NE(page.find("id=\"count-files_seen\">300<"), std::string::npos) << page.substr(0, 4000);
  EXPECT_NE(page.find("id=\"count-database-only\">Not counted above: 39 more file(s)"), std::string::npos);
  // Its appendices list a sample of another store's files, not all of them.
  EXPECT_NE(page.find("id=\"differences-more\">... and 239 more: the JSON Lines and CSV reports list every one"),
            std::string::npos)
      << page.substr(page.find("id=\"differences\""), 2000);
  // The right store: no such line.
  EXPECT_EQ(verify().exit_code, ExitCode::Ok);
}

// The store's digest in verify is this store's, as scan gives it (the
// database's own entries are not part of it), and the summary's counts are
// the store's files: the database's own are counted apart, never twice.
TEST_F(VerifyTest, TheStoreDigestAndTheCountsAreTheStoresAlone) {
  fs::remove(clients() / "M0a9b8c7d6e5f.ini");
  const auto r = verify();
  EXPECT_EQ(r.exit_code, ExitCode::DataProblem);
  ScanOptions so;
  so.source = store();
  const auto scanned = run_scan(so, nullptr, nullptr);
  ASSERT_TRUE(r.report.store_digest);
  EXPECT_EQ(*r.report.store_digest, scanned.store_digest);
  const auto summary = test::read_jsonl(tmp / "verify.jsonl").back();
  EXPECT_EQ(summary["files_seen"], scanned.counts.files_seen) << summary.dump();
  EXPECT_EQ(summary["database_only_files"], 1) << summary.dump();
  EXPECT_EQ(summary["files_seen"].get<std::size_t>(),
            summary["migrated"].get<std::size_t>() + summary["normalized"].get<std::size_t>() +
                summary["rejected"].get<std::size_t>() + summary["skipped"].get<std::size_t>())
      << summary.dump();
  // The meta check compares the recorded counts with the store's own files.
  for (const auto& d : r.report.table_differences) {
    EXPECT_EQ(d.find("the store implies 39"), std::string::npos) << d;  // 38 files now, not 38 + the 1 gone
  }
}

// A database the upgrade wrote from a store with a duplicate-mailbox pair
// (files that expect a client until the cross-file rules reject them) is read
// in one scan, without the note about rows out of order.
TEST_F(VerifyTest, RejectsOfTheCrossFileRulesNeedNoSecondReading) {
  const std::string dup = "[Client]\r\nMailboxDN=/o=Contoso/cn=Twin\r\nState=1\r\n";
  test::write_file(clients() / "Mtwin00000001.ini", dup);
  test::write_file(clients() / "Mtwin00000002.ini", dup);
  fs::remove(db());
  UpgradeOptions o;
  o.source = store();
  o.target = db();
  o.allow_rejected = AllowRejected::Yes;
  ASSERT_EQ(run_upgrade(o, {}).exit_code, ExitCode::Ok);
  const auto r = verify();
  EXPECT_EQ(r.exit_code, ExitCode::Ok) << r.report.message;
  for (const auto& n : r.notes) EXPECT_EQ(n.find("not in the order"), std::string::npos) << n;
}

// A whole pair checked against a digest it does not give is not a damaged
// database: the sign-off says the pair matches and asks which is meant.
TEST_F(VerifyTest, OnlyAnUnexpectedDigestIsNotADamagedDatabase) {
  VerifyOptions o;
  o.source = store();
  o.target = db();
  o.expect_digest = std::string(64, 'a');
  const fs::path html = tmp / "v.html";
  ReportSink sink(html);
  RunResult r = run_verify(o, nullptr, nullptr, &sink);
  sink.finish(r.report);
  EXPECT_EQ(r.exit_code, ExitCode::DataProblem);
  EXPECT_TRUE(r.report.only_the_expected_digest_differs()) << r.report.message;
  const std::string page = test::read_file(html);
  EXPECT_NE(page.find("The database matches this store, but neither digest is the one expected"), std::string::npos);
  EXPECT_NE(page.find("Nothing in the pair is damaged"), std::string::npos);
  EXPECT_EQ(page.find("Do not put the database in service"), std::string::npos);
  // With a damaged row as well, it is the damage that speaks.
  damage_db("UPDATE clients SET display_name = 'Mallory' WHERE rowid = 1");
  EXPECT_FALSE(run_verify(o, nullptr, nullptr, nullptr).report.only_the_expected_digest_differs());
}

// A file removed from the store after the upgrade (and a verify against
// another store, where every file of the database is gone) is read in one
// scan too: the gone file's client is passed over where the scan meets it.
TEST_F(VerifyTest, AGoneFileNeedsNoSecondReading) {
  fs::remove(clients() / "M0a9b8c7d6e5f.ini");
  const auto r = verify();
  EXPECT_EQ(r.exit_code, ExitCode::DataProblem);
  for (const auto& n : r.notes) EXPECT_EQ(n.find("not in the order"), std::string::npos) << n;
  EXPECT_TRUE(has(codes_for(r, "M0a9b8c7d6e5f.ini"), "unexpected-in-target"));
  EXPECT_EQ(r.report.database_only.files_seen, 1u);
  const fs::path other = tmp / "other";
  ASSERT_EQ(test::run_process(KMS_GEN_STORE_BIN, {"store", other.string(), "50", "3"}).exit_code, 0);
  VerifyOptions o;
  o.source = other / "Security";
  o.target = db();
  const auto w = run_verify(o, nullptr, nullptr, nullptr);
  EXPECT_TRUE(w.report.wrong_store) << w.report.message;
  for (const auto& n : w.notes) EXPECT_EQ(n.find("not in the order"), std::string::npos) << n;
}

// The same folder, its store replaced by another since the upgrade: said in
// one line too, in words that fit (not "wrong --source?").
TEST_F(VerifyTest, AStoreReplacedInPlaceIsSaidInOneLine) {
  fs::remove_all(tmp / "store");
  ASSERT_EQ(test::run_process(KMS_GEN_STORE_BIN, {"store", (tmp / "store").string(), "300", "3"}).exit_code, 0);
  const auto r = verify();
  EXPECT_EQ(r.exit_code, ExitCode::DataProblem);
  ASSERT_TRUE(r.report.wrong_store) << r.report.message;
  EXPECT_EQ(r.report.wrong_store->rfind("the store at '" + fs::absolute(store()).string() +
                                            "' is not the one this database was made from (store digest then ",
                                        0),
            0u)
      << *r.report.wrong_store;
  EXPECT_NE(r.report.wrong_store->find("): replaced since the upgrade? "), std::string::npos) << *r.report.wrong_store;
}

// A copy of the same store in another folder with a few files changed is not
// "another store": its differences are listed as such, no one-line verdict.
TEST_F(VerifyTest, AFewChangesInACopyElsewhereAreNotAnotherStore) {
  const fs::path copy = tmp / "copy";
  test::copy_tree(tmp / "store", copy);
  const fs::path f = copy / "Security" / "Mgrent" / "Clients" / "M0a9b8c7d6e5f.ini";
  test::write_file(f, test::read_file(f) + "Office=Cork\r\n");
  VerifyOptions o;
  o.source = copy / "Security";
  o.target = db();
  const auto r = run_verify(o, nullptr, nullptr, nullptr);
  EXPECT_EQ(r.exit_code, ExitCode::DataProblem);
  EXPECT_FALSE(r.report.wrong_store) << *r.report.wrong_store;
  EXPECT_EQ(r.report.store_side().verified_failed, 1u) << r.report.message;
}

TEST_F(VerifyTest, UntouchedPairPasses) {
  const auto r = verify();
  EXPECT_EQ(r.exit_code, ExitCode::Ok) << r.report.message;
  const Counts c = r.report.totals;
  EXPECT_EQ(c.verified_failed, 0u);
  EXPECT_EQ(c.verified_passed, c.migrated + c.normalized);
  EXPECT_EQ(c.files_seen, c.migrated + c.normalized + c.rejected + c.skipped);
}

TEST_F(VerifyTest, EditedSourceFileIsSourceChanged) {
  const fs::path f = clients() / "M0a9b8c7d6e5f.ini";
  test::write_file(f, test::read_file(f) + "Office=Cork\r\n");
  const auto r = verify();
  EXPECT_EQ(r.exit_code, ExitCode::DataProblem);
  EXPECT_TRUE(has(codes_for(r, "M0a9b8c7d6e5f.ini"), "source-changed"));
}

TEST_F(VerifyTest, DeletedSourceFileIsNamed) {
  fs::remove(clients() / "Mxclfr4zqvktn.ini");
  const auto r = verify();
  EXPECT_EQ(r.exit_code, ExitCode::DataProblem);
  EXPECT_TRUE(has(codes_for(r, "Mxclfr4zqvktn.ini"), "unexpected-in-target"));
}

TEST_F(VerifyTest, AddedSourceFileIsNamed) {
  test::write_file(clients() / "Mnewcomer0001.ini", "[Client]\r\nMailboxDN=/o=x/cn=new\r\nState=1\r\n");
  const auto r = verify();
  EXPECT_EQ(r.exit_code, ExitCode::DataProblem);
  EXPECT_TRUE(has(codes_for(r, "Mnewcomer0001.ini"), "missing-in-target"));
}

TEST_F(VerifyTest, ChangedColumnIsFieldMismatchNamingTheField) {
  damage_db("UPDATE clients SET alias = 'someone' WHERE record_id = 'mxclfr4zqvktn'");
  const auto r = verify();
  EXPECT_EQ(r.exit_code, ExitCode::DataProblem);
  ASSERT_TRUE(has(codes_for(r, "Mxclfr4zqvktn.ini"), "field-mismatch"));
  for (const auto& m : messages_of("field-mismatch")) EXPECT_NE(m.find("alias"), std::string::npos) << m;
  EXPECT_NE(r.report.message.find("content_digest"), std::string::npos) << r.report.message;
}

// The verification scans each table in rowid order (DbScanner) and falls back to
// reading by key: a database whose rows were rewritten in another order holds the
// same content (docs/database.md) and must pass with the same digest.
TEST_F(VerifyTest, RowsInAnotherOrderStillPass) {
  const auto shuffle = [&](const std::string& t) {
    damage_db("CREATE TABLE copy AS SELECT * FROM " + t + "; DELETE FROM " + t + "; INSERT INTO " + t +
              " SELECT * FROM copy ORDER BY random(); DROP TABLE copy;");
  };
  // First the children only (each client is found in order, its rows are not), then everything.
  for (const auto& tables : {std::vector<std::string>{"certificates", "escrowed_keys"},
                             std::vector<std::string>{"clients", "extra_attributes"}}) {
    for (const auto& t : tables) shuffle(t);
    const auto r = verify();
    EXPECT_EQ(r.exit_code, ExitCode::Ok) << "after shuffling " << tables[0] << ": " << r.report.message;
    EXPECT_EQ(r.report.totals.verified_failed, 0u);
  }
}

TEST_F(VerifyTest, DeletedCertificateRowIsCaught) {
  damage_db("DELETE FROM certificates WHERE rowid = (SELECT min(rowid) FROM certificates)");
  const auto r = verify();
  EXPECT_EQ(r.exit_code, ExitCode::DataProblem);
  EXPECT_EQ(r.report.totals.verified_failed, 1u);
}

TEST_F(VerifyTest, FlippedEscrowedKeyByteIsCaughtWithoutPrintingTheKey) {
  damage_db(
      "UPDATE escrowed_keys SET key_blob = CAST(X'5A' || substr(key_blob, 2) AS BLOB) "
      "WHERE rowid = (SELECT min(rowid) FROM escrowed_keys)");
  const auto r = verify();
  EXPECT_EQ(r.exit_code, ExitCode::DataProblem);
  const auto messages = messages_of("field-mismatch");
  EXPECT_FALSE(messages.empty());
  for (const auto& m : messages) EXPECT_NE(m.find("key_blob"), std::string::npos) << m;
}

TEST_F(VerifyTest, ClientOfASkippedFileIsUnexpected) {
  damage_db(
      "INSERT INTO clients (record_id, mailbox_dn, state, legacy_state) VALUES ('mghost0000001', '/o=x/cn=ghost', "
      "'new', 1)");
  const auto r = verify();
  EXPECT_EQ(r.exit_code, ExitCode::DataProblem);
  EXPECT_NE(r.report.message.find("mghost0000001"), std::string::npos) << r.report.message;
}

TEST_F(VerifyTest, NotAKmsMigrateDatabaseIsExitTwo) {
  test::write_file(db(), "this is not SQLite");
  EXPECT_EQ(verify().exit_code, ExitCode::Usage);
  fs::remove(db());
  {
    Db other(db().string(), OpenMode::ReadWriteCreate);
    other.exec("CREATE TABLE t (x)");
  }
  const auto r = verify();
  EXPECT_EQ(r.exit_code, ExitCode::Usage);
  EXPECT_NE(r.report.message.find("not a kms-migrate database"), std::string::npos) << r.report.message;
}

TEST_F(VerifyTest, VerifyWritesNothing) {
  const std::string before = test::read_file(db());
  verify();
  EXPECT_EQ(test::read_file(db()), before);
  EXPECT_FALSE(fs::exists(db().string() + "-journal"));
}

}  // namespace
}  // namespace kms::core
