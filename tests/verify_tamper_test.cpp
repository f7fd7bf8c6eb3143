// verify trusts nothing in the database (docs/commands.md, the verify
// paragraph): a good database, tampered with in one way at a time, must fail,
// and verify must agree with the upgrade on every file it did not touch.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>

#include "sqlite_handle.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace kms::test {
namespace {

const fs::path kFixtures = KMS_FIXTURES_DIR;

ProcessResult kms(std::vector<std::string> args) {
  if (args[0] == "upgrade") args.push_back("--yes");
  return run_process(KMS_MIGRATE_BIN, args);
}

void exec(const fs::path& db, const std::string& sql) {
  core::Db d(db.string(), core::OpenMode::ReadWriteCreate);
  d.exec(sql.c_str());
}

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (fs::directory_iterator it(dir), end; it != end; ++it) out.push_back(it->path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

class VerifyTamper : public ::testing::Test {
 protected:
  TempDir tmp;
  fs::path security = tmp / "store" / "Security";
  fs::path clients = security / "Mgrent" / "Clients";
  fs::path good = tmp / "good" / "kms55.db";
  fs::path work = tmp / "work";

  void SetUp() override {
    copy_tree(kFixtures / "sample-store", tmp / "store");
    fs::create_directories(good.parent_path());
    fs::create_directories(work);
    const auto r = kms({"upgrade", "--source", security.string(), "--target", good.string()});
    ASSERT_EQ(r.exit_code, 0) << r.out;
  }
  /// A fresh copy of the good database, tampered with by `sql`.
  fs::path tampered(const std::string& sql) {
    const fs::path db = work / "db.sqlite";
    fs::remove(db);
    fs::copy_file(good, db);
    if (!sql.empty()) exec(db, sql);
    return db;
  }
  ProcessResult verify(const fs::path& db, const fs::path& report = {}) {
    std::vector<std::string> args = {"verify", "--source", security.string(), "--target", db.string()};
    if (!report.empty()) args.insert(args.end(), {"--report", report.string()});
    return kms(args);
  }
  void expect_fails(const std::string& sql, const std::string& says) {
    const auto r = verify(tampered(sql));
    EXPECT_EQ(r.exit_code, 1) << sql << "\n" << r.out;
    EXPECT_NE(r.out.find(says), std::string::npos) << sql << "\n" << r.out;
    EXPECT_EQ(r.out.find("0 file(s) differ"), std::string::npos) << r.out;
  }
};

TEST_F(VerifyTamper, TheGoodDatabasePassesAndNothingIsCreatedBesideIt) {
  const auto before = names_in(good.parent_path());
  const auto r = verify(good, tmp / "v.jsonl");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(names_in(good.parent_path()), before);  // no -wal, -shm or -journal
}

TEST_F(VerifyTamper, AHiddenClientIsFoundEvenWithItsDigestPatched) {
  const std::string id = "mxclfr4zqvktn";
  const std::string hide =
      "PRAGMA foreign_keys = ON; DELETE FROM clients WHERE record_id = '" + id +
      "';"
      "UPDATE legacy_files SET outcome = 'rejected', record_id = NULL WHERE path = 'Mxclfr4zqvktn.ini';"
      "UPDATE migration_report SET outcome = 'rejected', state = NULL, verification = 'not-applicable' "
      "WHERE path = 'Mxclfr4zqvktn.ini';";
  fs::path db = tampered(hide);
  // The digest the database now implies, as verify recomputes it from the tables: patched in.
  const auto first = verify(db, tmp / "first.jsonl");
  const std::string digest = read_jsonl(tmp / "first.jsonl").back()["content_digest"];
  exec(db, "UPDATE migration_meta SET value = '" + digest +
               "' WHERE key = 'content_digest';"
               "UPDATE migration_meta SET value = '34' WHERE key = 'migrated';"
               "UPDATE migration_meta SET value = '2' WHERE key = 'normalized';");
  const auto r = verify(db, tmp / "v.jsonl");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  for (const auto& j : read_jsonl(tmp / "v.jsonl")) {
    if (j["type"] != "record" || j["path"] != "Mxclfr4zqvktn.ini") continue;
    EXPECT_EQ(j["outcome"], "normalized") << j.dump();  // what the file is, not what the database says
    EXPECT_EQ(j["verification"], "failed") << j.dump();
  }
}

TEST_F(VerifyTamper, TheArchiveIsComparedWithTheFiles) {
  expect_fails("UPDATE legacy_files SET raw = X'00' WHERE path = 'M0a9b8c7d6e5f.ini'",
               "legacy_files differs from the file in: raw");
  expect_fails("UPDATE legacy_files SET raw = NULL WHERE path = 'M0a9b8c7d6e5f.ini'", "raw");
  expect_fails("UPDATE legacy_files SET size = size + 1 WHERE path = 'M0a9b8c7d6e5f.ini'", "size");
  expect_fails("UPDATE legacy_files SET outcome = 'rejected' WHERE path = 'M0a9b8c7d6e5f.ini'",
               "legacy_files says 'rejected'");
  expect_fails("DELETE FROM legacy_files WHERE path = 'M0a9b8c7d6e5f.ini'", "missing-in-target");
}

TEST_F(VerifyTamper, EveryOtherTableIsChecked) {
  expect_fails("UPDATE migration_report SET outcome = 'migrated', state = 'recovery' WHERE path = 'Mxclfr4zqvktn.ini'",
               "migration_report differs from what the file implies in: outcome, state");
  expect_fails("UPDATE migration_report SET issues = '[]' WHERE path = 'Mxclfr4zqvktn.ini'", "in: issues");
  expect_fails("UPDATE migration_report SET display_name = 'Mallory' WHERE path = 'Mxclfr4zqvktn.ini'",
               "in: display_name");
  expect_fails("UPDATE migration_report SET alias = NULL WHERE path = 'Mxclfr4zqvktn.ini'", "in: alias");
  expect_fails("DELETE FROM migration_report WHERE path = 'M0a9b8c7d6e5f.ini'", "migration_report has no row");
  expect_fails("INSERT INTO migration_report (path, outcome, issues) VALUES ('Mghost0000001.ini', 'skipped', '[]')",
               "migration_report has a row for 'Mghost0000001.ini'");
  expect_fails("DELETE FROM password_policy WHERE task = 'recover-keys'",
               "password_policy has no row for 'recover-keys'");
  expect_fails("UPDATE password_policy SET passwords_required = 2 WHERE task = 'administer'",
               "password_policy 'administer'");
  expect_fails("UPDATE migration_meta SET value = '39' WHERE key = 'migrated'", "migration_meta migrated is 39");
  expect_fails("UPDATE migration_meta SET value = upper(value) WHERE key = 'store_digest'",
               "migration_meta store_digest is");
  expect_fails("INSERT INTO migration_meta VALUES ('approved_by', 'nobody')",
               "'approved_by' that the tool never writes");
  expect_fails("DELETE FROM migration_meta WHERE key = 'operator'", "migration_meta has no operator");
  expect_fails("UPDATE migration_meta SET value = '5' WHERE key = 'max_record_size'",
               "the database records a limit of 5 bytes; this run uses 1048576");
  expect_fails("UPDATE clients SET token = 'ABCDEFGHJKLM' WHERE record_id = 'm0a9b8c7d6e5f'", "token");
}

TEST_F(VerifyTamper, EveryRowOfEveryClientTableIsAccountedFor) {
  // A row added for a client that has its own rows elsewhere: after every
  // other row (as an INSERT puts it), before every row (a low rowid), or in a
  // rowid gap; and a row of a record id no client has.
  const std::string victim = "(SELECT record_id FROM clients ORDER BY record_id LIMIT 1 OFFSET 5)";
  const std::string cert_victim = "(SELECT record_id FROM certificates ORDER BY record_id LIMIT 1 OFFSET 5)";
  const std::string cert_cols =
      "record_id, kind, seq, serial, subject, issuer, not_before, not_after, sha1_thumbprint, revoked, revoked_at, der";
  const std::string cert_of_victim =
      "SELECT " + std::string("record_id, kind, seq + 50, serial, subject, issuer, ") +
      "not_before, not_after, sha1_thumbprint, revoked, revoked_at, der FROM certificates "
      "WHERE record_id = " +
      cert_victim + " LIMIT 1";
  for (const char* rowid : {"", "-1, ", "0, "}) {
    const std::string r = rowid;
    const std::string cols = r.empty() ? "" : "(rowid, record_id, seq, key_blob) ";
    expect_fails("INSERT INTO escrowed_keys " + cols + "SELECT " + r + victim + ", 7, randomblob(600)",
                 "escrowed_keys[7] (unexpected)");
  }
  expect_fails("INSERT INTO certificates (" + cert_cols + ") " + cert_of_victim, "(unexpected)");
  expect_fails("INSERT INTO certificates (rowid, " + cert_cols + ") SELECT -5, * FROM (" + cert_of_victim + ")",
               "(unexpected)");
  expect_fails("INSERT INTO extra_attributes VALUES (" + victim + ", 'Client', 'Planted', 'x')",
               "extra_attributes[Client.Planted] (unexpected)");
  expect_fails("INSERT INTO extra_attributes (rowid, record_id, section, key, value) VALUES (-3, " + victim +
                   ", 'Client', 'Planted', 'x')",
               "extra_attributes[Client.Planted] (unexpected)");
  // The issue's own shape: a key and a certificate of the attacker's for one client, nothing else changed.
  expect_fails(
      "INSERT INTO escrowed_keys SELECT record_id, 7, randomblob(600) FROM escrowed_keys LIMIT 1;"
      "INSERT INTO certificates (" +
          cert_cols +
          ") SELECT record_id, 'encryption', 9, serial, subject, issuer, not_before, not_after, "
          "sha1_thumbprint, revoked, revoked_at, randomblob(300) FROM certificates LIMIT 1",
      "(unexpected)");
  for (const char* table : {"escrowed_keys", "extra_attributes"}) {
    const std::string t = table;
    const std::string values =
        t == "escrowed_keys" ? "'mzzzzzzzzzzzz', 1, randomblob(600)" : "'mzzzzzzzzzzzz', 'Client', 'Planted', 'x'";
    expect_fails("INSERT INTO " + t + " VALUES (" + values + ")",
                 t + " has 1 row(s) for 'mzzzzzzzzzzzz', which is no client's");
  }
  expect_fails("INSERT INTO certificates (" + cert_cols +
                   ") SELECT 'mzzzzzzzzzzzz', kind, seq, serial, subject, issuer, not_before, not_after, "
                   "sha1_thumbprint, revoked, revoked_at, der FROM certificates LIMIT 1",
               "certificates has 1 row(s) for 'mzzzzzzzzzzzz', which is no client's");
  // The same rows in another order hold the same data: verify reads every client by key and passes.
  const auto moved =
      verify(tampered("CREATE TEMP TABLE k AS SELECT * FROM escrowed_keys WHERE record_id = " + cert_victim +
                      "; DELETE FROM escrowed_keys WHERE record_id IN (SELECT record_id FROM k);"
                      "INSERT INTO escrowed_keys SELECT * FROM k"));
  EXPECT_EQ(moved.exit_code, 0) << moved.out;
  EXPECT_NE(moved.out.find("every client was read again by its key"), std::string::npos) << moved.out;
}

TEST_F(VerifyTamper, BogusRowsCostNeitherMemoryNorALongStatusLine) {
  // 300,000 rows no file accounts for, in migration_report and as orphans of
  // escrowed_keys: each counted, the first of each listed, the status line short.
  const fs::path db = tampered(
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000) "
      "INSERT INTO migration_report (path, outcome, issues) SELECT printf('Mbogus%07d.ini', i), 'skipped', '[]' "
      "FROM n;"
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000) "
      "INSERT INTO escrowed_keys SELECT printf('mbogus%07d', i), 1, randomblob(16) FROM n");
  const auto r = verify(db, tmp / "v.jsonl");
  EXPECT_EQ(r.exit_code, 1) << r.out.substr(0, 4000);
  const std::string status = r.out.substr(r.out.rfind("kms-migrate verify:"));
  EXPECT_LT(status.size(), 8000u) << status.substr(0, 4000);
  EXPECT_NE(status.find("migration_report has a row for 'Mbogus0000001.ini'"), std::string::npos) << status;
  EXPECT_NE(status.find("and 299,997 more difference(s) in migration_report"), std::string::npos) << status;
  EXPECT_NE(status.find("escrowed_keys has 1 row(s) for 'mbogus0000001', which is no client's"), std::string::npos)
      << status;
  EXPECT_NE(status.find("more difference(s) in escrowed_keys"), std::string::npos) << status;
  const auto summary = read_jsonl(tmp / "v.jsonl").back();
  // 100 and "and N more" for each of the two kinds, and SQLite's foreign key check.
  ASSERT_EQ(summary["table_differences"].size(), 203u) << summary.dump().substr(0, 4000);
  EXPECT_EQ(summary["table_difference_count"], 600001) << summary.dump().substr(0, 4000);
  EXPECT_EQ(summary["table_differences"][100], "and 299,900 more difference(s) in migration_report");
#if !defined(__SANITIZE_ADDRESS__)
  EXPECT_LT(r.peak_rss_kib, 64 * 1024) << "verify of 600,000 bogus rows took " << r.peak_rss_kib << " KiB";
#endif
}

// The same bound for every other table a database can pad: planted rows in
// migration_meta, password_policy, legacy_files and clients, 300,000 each.
TEST_F(VerifyTamper, BogusRowsInAnyTableKeepMemoryAndOutputBounded) {
  const std::string n300k = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000) ";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"INSERT INTO migration_meta SELECT printf('bogus_%07d', i), hex(randomblob(200)) FROM n",
       "more difference(s) in migration_meta"},
      {"INSERT INTO password_policy SELECT printf('task_%07d', i) || hex(randomblob(100)), 1 FROM n",
       "more difference(s) in password_policy"},
      {"INSERT INTO legacy_files (path, size, outcome) SELECT printf('zz%07d', i) || hex(randomblob(90)), 1, "
       "'skipped' FROM n",
       "more (every one is in the report"},
      {"INSERT INTO clients (record_id, mailbox_dn, state, legacy_state) SELECT printf('zz%07d', i) || "
       "hex(randomblob(60)), '/o=x/cn=' || i, 'new', 1 FROM n",
       "more difference(s) in clients"},
  };
  for (const auto& [sql, says] : cases) {
    const fs::path db = tampered("PRAGMA foreign_keys=OFF; " + n300k + sql);
    const auto r = verify(db, tmp / "v.jsonl");
    EXPECT_EQ(r.exit_code, 1) << sql << "\n" << r.out.substr(0, 3000);
    EXPECT_LT(r.out.size(), 64u * 1024) << sql << ": " << r.out.size() << " bytes of output";
    EXPECT_NE(r.out.find(says), std::string::npos) << sql << "\n" << r.out.substr(0, 3000);
#if !defined(__SANITIZE_ADDRESS__)
    EXPECT_LT(r.peak_rss_kib, 64 * 1024) << sql << ": " << r.peak_rss_kib << " KiB";
#endif
  }
}

// One planted value far longer than any record file could give is refused
// without being read whole (SQLite's length limit), in any table.
TEST_F(VerifyTamper, AHugeValueIsRefusedWithoutBeingRead) {
  for (const std::string sql :
       {"UPDATE certificates SET der = zeroblob(40000000) WHERE rowid = (SELECT min(rowid) FROM certificates)",
        "UPDATE escrowed_keys SET key_blob = zeroblob(40000000) WHERE rowid = (SELECT min(rowid) FROM escrowed_keys)",
        ("UPDATE extra_attributes SET value = printf('%.*c', 40000000, 'x') WHERE rowid = (SELECT min(rowid) FROM "
         "extra_attributes)"),
        "UPDATE migration_report SET issues = printf('%.*c', 40000000, 'x') WHERE rowid = 1",
        "UPDATE migration_meta SET value = printf('%.*c', 40000000, 'x') WHERE key = 'operator'"}) {
    // Tampered in a child of its own: the test's memory stays small, and the
    // peak measured for verify (whose process starts as a copy of this one) is verify's.
    const fs::path db = work / "db.sqlite";
    fs::remove(db);
    fs::copy_file(good, db);
    const pid_t child = ::fork();
    if (child == 0) {
      exec(db, sql);
      ::_exit(0);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << sql;
    const auto r = verify(db);
    EXPECT_EQ(r.exit_code, 1) << sql << "\n" << r.out.substr(0, 2000);
    EXPECT_EQ(r.out.find("succeeded"), std::string::npos) << sql;
#if !defined(__SANITIZE_ADDRESS__)
    EXPECT_LT(r.peak_rss_kib, 64 * 1024) << sql << ": " << r.peak_rss_kib << " KiB";
#endif
  }
}

// Paths are written as given: a newline or a tab in one is the tool's own
// database, and verifies.
TEST_F(VerifyTamper, APathWithAControlCharacterIsTheToolsOwn) {
  const fs::path odd = tmp / "new\nline\tand tab";
  fs::create_directories(odd);
  const fs::path db = odd / "t\nx.db";
  ASSERT_EQ(kms({"upgrade", "--source", security.string(), "--target", db.string()}).exit_code, 0);
  const auto r = verify(db);
  EXPECT_EQ(r.exit_code, 0) << r.out;
}

// migration_meta holds what the tool writes and nothing else, each in its form.
TEST_F(VerifyTamper, MigrationMetaHoldsTheToolsKeysInTheirForm) {
  expect_fails("INSERT INTO migration_meta VALUES ('seconds_bogus', '1.000000')", "'seconds_bogus' that the tool");
  expect_fails("DELETE FROM migration_meta WHERE key = 'seconds_verify'", "migration_meta has no seconds_verify");
  expect_fails("UPDATE migration_meta SET value = '.' WHERE key = 'seconds_report'", "seconds_report is not a time");
  expect_fails("UPDATE migration_meta SET value = 'vm' || char(0) || 'hidden' WHERE key = 'host'", "host holds a NUL");
  expect_fails("UPDATE migration_meta SET value = hex(randomblob(3000)) WHERE key = 'operator'",
               "operator holds a NUL or is too long");
  expect_fails("UPDATE migration_meta SET value = '1999-01-01T00:00:00Z' WHERE key = 'finished_at'",
               "finished_at is before started_at");
  expect_fails("UPDATE migration_meta SET value = '2026-99-99T99:99:99Z' WHERE key = 'finished_at'",
               "finished_at is not a time the tool writes");
}

TEST_F(VerifyTamper, TheSchemaMustBeExactlyTheTools) {
  expect_fails("CREATE TRIGGER t AFTER INSERT ON clients BEGIN SELECT 1; END", "added trigger 't'");
  expect_fails("CREATE VIEW v AS SELECT 1", "added view 'v'");
  expect_fails("CREATE TABLE notes (x)", "added table 'notes'");
  expect_fails("CREATE INDEX by_alias ON clients (alias)", "added index 'by_alias'");
  expect_fails("DROP INDEX clients_mailbox_dn", "lacks index 'clients_mailbox_dn'");
  // A table replaced by a view over an endless query: found from the schema alone, never queried.
  expect_fails(
      "ALTER TABLE legacy_files RENAME TO old_files;"
      "CREATE VIEW legacy_files AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
      "SELECT 'M' || x AS path, NULL AS record_id, NULL AS size, NULL AS sha256, NULL AS raw, 'skipped' AS outcome "
      "FROM c",
      "added view 'legacy_files'");
}

TEST_F(VerifyTamper, AJournalOrWalBesideTheFileIsRefused) {
  for (const char* suffix : {"-wal", "-journal"}) {
    const fs::path db = tampered("");
    write_file(db.string() + suffix, "not ours");
    const auto r = verify(db);
    EXPECT_EQ(r.exit_code, 2) << suffix << "\n" << r.out;
    EXPECT_NE(r.out.find(std::string(suffix) + "' lies beside the database"), std::string::npos) << r.out;
    fs::remove(db.string() + suffix);
  }
}

// Bytes that no query reads still count: the file is exactly what SQLite wrote.
TEST_F(VerifyTamper, TheFileIsExactlyWhatSQLiteWrote) {
  const std::string page(16384, '\0');
  const std::vector<std::pair<std::string, std::function<void(const fs::path&)>>> cases = {
      {"1 byte(s) follow the database's last page",
       [](const fs::path& db) { std::ofstream(db.string(), std::ios::app | std::ios::binary) << 'x'; }},
      {"100 byte(s) follow the database's last page",
       [](const fs::path& db) {
         std::ofstream(db.string(), std::ios::app | std::ios::binary) << std::string(100, 'k');
       }},
      {"16384 byte(s) follow the database's last page",
       [&](const fs::path& db) { std::ofstream(db.string(), std::ios::app | std::ios::binary) << page; }},
      {"(2 is WAL)",
       [](const fs::path& db) {
         std::fstream f(db.string(), std::ios::in | std::ios::out | std::ios::binary);
         f.seekp(18);
         f.put(2).put(2);
       }},
      {"(2 is WAL)",
       [](const fs::path& db) {
         std::fstream f(db.string(), std::ios::in | std::ios::out | std::ios::binary);
         f.seekp(19);
         f.put(2);
       }},
  };
  for (const auto& [says, alter] : cases) {
    const fs::path db = tampered("");
    alter(db);
    const auto r = verify(db);
    EXPECT_EQ(r.exit_code, 1) << says << "\n" << r.out;
    EXPECT_NE(r.out.find(says), std::string::npos) << r.out;
  }
  // Cut short by a page: SQLite itself may refuse it; never a success.
  const fs::path db = tampered("");
  fs::resize_file(db, fs::file_size(db) - page.size());
  const auto r = verify(db);
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out.find("succeeded"), std::string::npos) << r.out;
}

// The two digests: content_digest proves the clients, store_digest every file
// of the copy read (a reject or a skipped entry that changes changes it). scan,
// rehearse, upgrade and verify give the same; verify --expect-digest holds the
// database and the store to either.
TEST_F(VerifyTamper, EveryCommandGivesTheDigestsAndVerifyHoldsThemToTheExpected) {
  const auto scan = kms({"scan", "--json", "--source", security.string()});
  ASSERT_EQ(scan.exit_code, 0) << scan.out;
  const auto j = nlohmann::json::parse(scan.out);
  const std::string content = j["content_digest"], store = j["store_digest"];
  ASSERT_EQ(store.size(), 64u) << scan.out;
  ASSERT_NE(store, content);
  ASSERT_EQ(kms({"rehearse", "--source", security.string(), "--report", (tmp / "r.jsonl").string()}).exit_code, 0);
  EXPECT_EQ(read_jsonl(tmp / "r.jsonl").back()["store_digest"], store);
  {
    core::Db d(good.string(), core::OpenMode::ReadOnly);
    core::Stmt q(d, "SELECT value FROM migration_meta WHERE key = 'store_digest'");
    ASSERT_TRUE(q.step());
    EXPECT_EQ(q.text(0), store);
  }
  std::string upper = store;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const std::string& expect : {content, store, upper}) {
    const auto v = kms({"verify", "--source", security.string(), "--target", good.string(), "--report",
                        (tmp / "v.jsonl").string(), "--expect-digest", expect});
    EXPECT_EQ(v.exit_code, 0) << expect << "\n" << v.out;
    EXPECT_EQ(read_jsonl(tmp / "v.jsonl").back()["store_digest"], store);
  }
  // Another copy: one more file, rejected. The clients are the same; the copy is not.
  write_file(clients / "Mzzrejected01.ini", "[Client]\r\nState=1\r\n");
  const fs::path other = tmp / "other.db";
  ASSERT_EQ(kms({"upgrade", "--source", security.string(), "--target", other.string(), "--allow-rejected"}).exit_code,
            0);
  auto v = kms({"verify", "--source", security.string(), "--target", other.string(), "--expect-digest", store});
  EXPECT_EQ(v.exit_code, 1) << v.out;
  EXPECT_NE(v.out.find("neither digest is the one expected (" + store + ")"), std::string::npos) << v.out;
  v = kms({"verify", "--source", security.string(), "--target", other.string(), "--expect-digest", content});
  EXPECT_EQ(v.exit_code, 0) << v.out;
  // The database's own store_digest is held to the store's.
  v = kms({"verify", "--source", security.string(), "--target", good.string()});
  EXPECT_EQ(v.exit_code, 1) << v.out;
  EXPECT_NE(v.out.find("migration_meta store_digest is " + store), std::string::npos) << v.out;
  EXPECT_EQ(
      kms({"verify", "--source", security.string(), "--target", good.string(), "--expect-digest", "abc"}).exit_code, 2);
}

// The size limit is the operator's: the one the database records is held to
// it, never adopted (a database that lowered its own limit to turn a record
// into a too-large reject would otherwise verify).
TEST_F(VerifyTamper, TheSizeLimitIsTheOperatorsNotTheDatabases) {
  const fs::path db = tmp / "small.db";
  auto r = kms({"upgrade", "--source", security.string(), "--target", db.string(), "--max-record-size", "3000",
                "--allow-rejected"});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  r = verify(db);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("the database records a limit of 3000 bytes; this run uses 1048576: pass --max-record-size "
                       "3000 if that is what the upgrade was told"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("source-changed"), std::string::npos) << r.out;
  r = kms({"verify", "--source", security.string(), "--target", db.string(), "--max-record-size", "3000"});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  r = kms({"verify", "--source", security.string(), "--target", db.string(), "--max-record-size", "1000"});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("the database records a limit of 3000 bytes; this run uses 1000"), std::string::npos) << r.out;
  // The attack: the largest file's client deleted, its rows made a too-large reject, the limit lowered to
  // match, rejects allowed; verify with the operator's limit finds the client missing.
  const fs::path full = tmp / "full.db";
  ASSERT_EQ(kms({"upgrade", "--source", security.string(), "--target", full.string()}).exit_code, 0);
  exec(full,
       "PRAGMA foreign_keys=ON;"
       "UPDATE migration_meta SET value = (SELECT max(size) - 1 FROM legacy_files) WHERE key = 'max_record_size';"
       "UPDATE migration_meta SET value = '1' WHERE key = 'allow_rejected';"
       "DELETE FROM clients WHERE record_id = (SELECT record_id FROM legacy_files ORDER BY size DESC LIMIT 1)");
  r = verify(full);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("the database records a limit of"), std::string::npos) << r.out;
}

TEST_F(VerifyTamper, VerifyAgreesWithTheUpgradeOnCrossFileRejects) {
  const fs::path store = kFixtures / "cases" / "duplicate-mailbox" / "Clients";
  const fs::path db = tmp / "dup.db";
  ASSERT_EQ(kms({"upgrade", "--source", store.string(), "--target", db.string(), "--allow-rejected", "--report",
                 (tmp / "up.jsonl").string()})
                .exit_code,
            0);
  const auto r =
      kms({"verify", "--source", store.string(), "--target", db.string(), "--report", (tmp / "v.jsonl").string()});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  const auto up = read_jsonl(tmp / "up.jsonl"), v = read_jsonl(tmp / "v.jsonl");
  ASSERT_EQ(up.size(), v.size());
  for (std::size_t i = 0; i + 1 < up.size(); ++i) {
    for (const char* k : {"path", "outcome", "state", "legacy_state", "issues", "mailbox_dn", "record_id", "sha256"}) {
      EXPECT_EQ(up[i][k], v[i][k]) << k << ": " << up[i].dump() << "\n" << v[i].dump();
    }
  }
}

TEST_F(VerifyTamper, DifferencesComeFirstAndCompleteAfterTheAcceptedRejects) {
  // 30 rejected files accepted by the upgrade, then 3 files changed after it.
  for (int k = 0; k < 30; ++k) {
    char name[32];
    std::snprintf(name, sizeof name, "Mrejected%04d.ini", k);
    write_file(clients / name, "[Client]\r\nState=1\r\n");
  }
  const fs::path db = tmp / "many.db";
  ASSERT_EQ(kms({"upgrade", "--source", security.string(), "--target", db.string(), "--allow-rejected"}).exit_code, 0);
  for (const char* changed : {"M0a9b8c7d6e5f.ini", "Mxclfr4zqvktn.ini", "Mzz0000000001.ini"}) {
    if (fs::exists(clients / changed)) write_file(clients / changed, read_file(clients / changed) + "Extra=1\r\n");
  }
  write_file(clients / "Mzz0000000002.ini", "[Client]\r\nMailboxDN=/o=X/cn=New\r\nState=1\r\n");  // added after
  const auto r = verify(db, tmp / "v.jsonl");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  const auto first_reject = r.out.find("Mrejected0000.ini");
  for (const char* line : {"M0a9b8c7d6e5f.ini: source-changed", "Mxclfr4zqvktn.ini: source-changed",
                           "Mzz0000000002.ini: missing-in-target"}) {
    const auto at = r.out.find(line);
    EXPECT_NE(at, std::string::npos) << line << "\n" << r.out;
    EXPECT_LT(at, first_reject) << line << "\n" << r.out;
  }
  EXPECT_EQ(r.out.find("no file accounts for it"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("3 file(s) differ"), std::string::npos) << r.out;
  const auto summary = read_jsonl(tmp / "v.jsonl").back();
  EXPECT_EQ(summary["verified_failed"], 3);
}

}  // namespace
}  // namespace kms::test
