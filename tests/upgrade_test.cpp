// The upgrade pipeline through the library: fail-closed, verification that
// can fail, atomic target, rehearsal digest, --jobs.
#include "upgrade.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <cctype>

#include "content_digest.h"
#include "report_sink.h"
#include "sqlite_handle.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace kms::core {
namespace {

const fs::path kFixtures = KMS_FIXTURES_DIR;

/// Runs an upgrade; with `report`, writes its JSON Lines report there.
RunResult upgrade(const fs::path& source, const fs::path& target, AllowRejected allow = AllowRejected::No,
                  std::function<void(Db&)> after_write = nullptr, int jobs = 1, Overwrite force = Overwrite::No,
                  const std::optional<fs::path>& report = std::nullopt) {
  UpgradeOptions o;
  o.source = source;
  o.target = target;
  o.allow_rejected = allow;
  o.workers.jobs = jobs;
  o.force = force;
  UpgradeHooks h;
  h.after_write = std::move(after_write);
  ReportSink sink(report);
  h.report = &sink;
  RunResult r = run_upgrade(o, h);
  sink.finish(r.report);
  return r;
}

std::int64_t count(const fs::path& db_path, const char* sql) {
  Db db(db_path.string(), OpenMode::ReadOnly);
  Stmt s(db, sql);
  return s.step() ? s.integer(0) : -1;
}

class UpgradeTest : public ::testing::Test {
 protected:
  test::TempDir tmp;
  fs::path sample() {
    const fs::path p = tmp / "store";
    if (!fs::exists(p)) test::copy_tree(kFixtures / "sample-store", p);
    return p / "Security";
  }
  fs::path cases() {
    const fs::path p = tmp / "cases";
    if (!fs::exists(p)) test::copy_tree(kFixtures / "cases" / "single", p);
    return p / "Clients";
  }
  fs::path target() { return tmp / "out" / "kms55.db"; }
  void SetUp() override { fs::create_directories(tmp / "out"); }
  void expect_nothing_at_target() {
    EXPECT_FALSE(fs::exists(target()));
    EXPECT_EQ(test::files_containing(tmp / "out", "kms-migrate"), std::vector<std::string>{}) << "temporary file left";
  }
};

TEST_F(UpgradeTest, SampleStoreMigratesAndVerifies) {
  const auto r = upgrade(sample(), target());
  ASSERT_EQ(r.exit_code, ExitCode::Ok) << r.report.message;
  const Counts c = r.report.totals;
  EXPECT_EQ(c.files_seen, c.migrated + c.normalized + c.rejected + c.skipped);
  EXPECT_EQ(c.verified_passed, c.migrated + c.normalized);
  EXPECT_EQ(count(target(), "SELECT count(*) FROM clients"), static_cast<std::int64_t>(c.migrated + c.normalized));
  EXPECT_EQ(count(target(), "SELECT count(*) FROM legacy_files"), static_cast<std::int64_t>(c.files_seen));
  EXPECT_EQ(count(target(), "SELECT count(*) FROM migration_report"), static_cast<std::int64_t>(c.files_seen));
  EXPECT_EQ(
      count(target(),
            "SELECT count(*) FROM clients WHERE record_id = 'mxclfr4zqvktn' AND state = 'new' AND legacy_state = 4"),
      1);
  EXPECT_EQ(
      count(target(),
            "SELECT count(*) FROM legacy_files WHERE path = 'desktop.ini' AND raw IS NULL AND outcome = 'skipped'"),
      1);
  EXPECT_EQ(count(target(), "SELECT count(*) FROM extra_attributes WHERE key = 'AdminNote'"), 1);
  EXPECT_EQ(count(target(), "SELECT count(*) FROM clients WHERE display_name = 'Se\xC3\xA1n \xC3\x93 Riain'"), 1);
  EXPECT_EQ(test::files_containing(tmp / "out", "kms-migrate"), std::vector<std::string>{});
  EXPECT_FALSE(fs::exists(target().string() + "-journal"));
}

// docs/commands.md, guarantee 3 (source untouched): reading the store does not
// even move the files' access times (O_NOATIME, allowed to the files' owner).
TEST_F(UpgradeTest, ReadingTheStoreLeavesAccessTimesAlone) {
  const fs::path clients = sample() / "Mgrent" / "Clients";
  const struct timespec long_ago[2] = {{946684800, 0}, {UTIME_OMIT, 0}};  // atime 2000-01-01, mtime kept
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(clients)) {
    if (!fs::is_regular_file(e.status())) continue;
    ASSERT_EQ(::utimensat(AT_FDCWD, e.path().c_str(), long_ago, 0), 0) << e.path();
    names.push_back(e.path().string());
  }
  ASSERT_FALSE(names.empty());
  const auto r = upgrade(sample(), target());
  ASSERT_EQ(r.exit_code, ExitCode::Ok) << r.report.message;
  for (const auto& n : names) {
    struct stat st {};
    ASSERT_EQ(::stat(n.c_str(), &st), 0) << n;
    EXPECT_EQ(st.st_atim.tv_sec, 946684800) << n << ": its access time moved";
  }
}

TEST_F(UpgradeTest, RejectedRecordsBlockTheUpgrade) {
  const auto r = upgrade(cases(), target());
  EXPECT_EQ(r.exit_code, ExitCode::DataProblem);
  EXPECT_EQ(r.report.status, RunStatus::Failed);
  EXPECT_TRUE(r.report.blocked);
  EXPECT_GT(r.report.totals.rejected, 0u);
  expect_nothing_at_target();
}

TEST_F(UpgradeTest, AllowRejectedMigratesTheRestAndArchivesEveryFile) {
  const auto r = upgrade(cases(), target(), AllowRejected::Yes);
  ASSERT_EQ(r.exit_code, ExitCode::Ok) << r.report.message;
  const Counts c = r.report.totals;
  EXPECT_EQ(count(target(), "SELECT count(*) FROM clients"), static_cast<std::int64_t>(c.migrated + c.normalized));
  // Rejected files that were read keep their bytes; links and skipped files have none.
  EXPECT_EQ(count(target(),
                  "SELECT count(*) FROM legacy_files WHERE path = 'Mbadcert00001.ini' AND raw IS NOT NULL AND outcome "
                  "= 'rejected'"),
            1);
  EXPECT_EQ(count(target(), "SELECT count(*) FROM legacy_files WHERE path = 'Mempty0000001.ini' AND length(raw) = 0"),
            1);
  EXPECT_EQ(count(target(), "SELECT count(*) FROM legacy_files WHERE path = 'Msymlink00001.ini' AND raw IS NULL"), 1);
  EXPECT_EQ(count(target(), "SELECT count(*) FROM clients WHERE record_id = 'mbadcert00001'"), 0);
  EXPECT_EQ(count(target(), "SELECT count(*) FROM legacy_files WHERE sha256 IS NOT NULL AND length(sha256) <> 64"), 0);
}

TEST_F(UpgradeTest, DuplicateMailboxesAreAllRejectedAndNoneWritten) {
  for (const char* store : {"duplicate-mailbox", "duplicate-record-id"}) {
    SCOPED_TRACE(store);
    const fs::path copy = tmp / store;
    test::copy_tree(kFixtures / "cases" / store, copy);
    const fs::path db = tmp / "out" / (std::string(store) + ".db");
    const auto r = upgrade(copy / "Clients", db, AllowRejected::Yes);
    ASSERT_EQ(r.exit_code, ExitCode::Ok) << r.report.message;
    EXPECT_EQ(r.report.totals.rejected, 2u);
    EXPECT_EQ(count(db, "SELECT count(*) FROM clients"), 1);  // the one other record of each store
    EXPECT_EQ(count(db, "SELECT count(*) FROM legacy_files WHERE outcome = 'rejected' AND raw IS NOT NULL"), 2);
    EXPECT_EQ(
        count(db, "SELECT count(*) FROM migration_report WHERE outcome = 'rejected' AND issues LIKE '%duplicate-%'"),
        2);
  }
}

// docs/database.md: clients.mailbox_dn is unique, case-insensitive. The
// index that holds it is built after the load (schema/kms55_indexes.sql); the
// written database must refuse a second client whose MailboxDN differs only in case.
TEST_F(UpgradeTest, WrittenDatabaseKeepsMailboxDnUniqueCaseInsensitively) {
  const auto r = upgrade(sample(), target());
  ASSERT_EQ(r.exit_code, ExitCode::Ok) << r.report.message;
  Db db(target().string(), OpenMode::ReadWriteCreate);
  Stmt dn(db, "SELECT mailbox_dn FROM clients LIMIT 1");
  ASSERT_TRUE(dn.step());
  const std::string existing = dn.text(0);
  std::string other_case = existing;
  for (char& c : other_case)
    c = static_cast<char>(std::isupper(static_cast<unsigned char>(c)) ? std::tolower(c) : std::toupper(c));
  ASSERT_NE(other_case, existing);
  Stmt insert(
      db, "INSERT INTO clients (record_id, mailbox_dn, state, legacy_state) VALUES ('mnew000000001', ?1, 'new', 1)");
  insert.bind(1, other_case);
  try {
    insert.step();
    ADD_FAILURE() << "a second client with MailboxDN '" << other_case << "' (first: '" << existing << "') was accepted";
  } catch (const DbError& e) {
    EXPECT_EQ(e.code(), SQLITE_CONSTRAINT_UNIQUE) << e.what();
  }
  EXPECT_EQ(count(target(), "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = 'clients_mailbox_dn'"),
            1);
}

TEST_F(UpgradeTest, VerificationFailsWhenARowIsCorruptedBeforeCommit) {
  const std::vector<std::pair<const char*, const char*>> damage = {
      {"flip one byte of an escrowed key",
       "UPDATE escrowed_keys SET key_blob = CAST(X'00' || substr(key_blob, 2) AS BLOB) WHERE rowid = 1"},
      {"delete a certificate", "DELETE FROM certificates WHERE rowid = 1"},
      {"change a display name", "UPDATE clients SET display_name = 'Mallory' WHERE rowid = 1"},
      {"change a token",
       "UPDATE clients SET token = 'X' WHERE token IS NOT NULL AND rowid IN (SELECT rowid FROM clients WHERE token IS "
       "NOT NULL LIMIT 1)"},
      {"add a client no file accounts for",
       "INSERT INTO clients (record_id, mailbox_dn, state, legacy_state) VALUES ('mghost0000001', '/o=x/cn=ghost', "
       "'new', 1)"},
  };
  for (const auto& [what, sql] : damage) {
    SCOPED_TRACE(what);
    const std::string stmt = sql;
    const auto r = upgrade(sample(), target(), AllowRejected::No, [&](Db& db) { db.exec(stmt.c_str()); });
    EXPECT_EQ(r.exit_code, ExitCode::DataProblem) << r.report.message;
    EXPECT_EQ(r.report.status, RunStatus::Failed);
    EXPECT_NE(r.report.message.find("verification failed"), std::string::npos) << r.report.message;
    expect_nothing_at_target();
  }
}

TEST_F(UpgradeTest, SourceChangedDuringTheRunFailsIt) {
  const fs::path store = sample();
  const fs::path victim = store / "Mgrent" / "Clients" / "Mxclfr4zqvktn.ini";
  const fs::path report = tmp / "r.jsonl";
  const auto r = upgrade(
      store, target(), AllowRejected::No,
      [&](Db&) { test::write_file(victim, test::read_file(victim) + "Alias=changed\r\n"); }, 1, Overwrite::No, report);
  EXPECT_EQ(r.exit_code, ExitCode::DataProblem);
  EXPECT_NE(r.report.message.find("source changed during the run"), std::string::npos) << r.report.message;
  bool named = false;
  for (const auto& f : test::read_jsonl(report)) {
    for (const auto& i : f.value("issues", nlohmann::json::array())) {
      named |= f["path"] == "Mxclfr4zqvktn.ini" && i["code"] == "source-changed";
    }
  }
  EXPECT_TRUE(named);
  expect_nothing_at_target();
}

// docs/commands.md, guarantee 3: a file added to or removed from the store between the
// read and the commit fails the run too, whatever the file.
TEST_F(UpgradeTest, FileAddedOrRemovedDuringTheRunFailsIt) {
  const fs::path clients = sample() / "Mgrent" / "Clients";
  for (const auto& [what, change] : std::vector<std::pair<std::string, std::function<void()>>>{
           {"added", [&] { test::write_file(clients / "Mnew000000001.ini", "[Client]\r\n"); }},
           {"removed", [&] { fs::remove(clients / "desktop.ini"); }},
           {"renamed", [&] { fs::rename(clients / "Mxclfr4zqvktn.ini", clients / "Mxclfr4zqvktm.ini"); }}}) {
    const std::function<void()>& act = change;  // a lambda may not capture a structured binding (C++17)
    const auto r = upgrade(sample(), target(), AllowRejected::No, [&](Db&) { act(); });
    EXPECT_EQ(r.exit_code, ExitCode::DataProblem) << what;
    EXPECT_NE(r.report.message.find("source changed during the run"), std::string::npos)
        << what << ": " << r.report.message;
    expect_nothing_at_target();
    fs::remove_all(tmp / "store");  // a fresh copy for the next change
  }
}

TEST_F(UpgradeTest, ExistingTargetNeedsForceAndSurvivesAFailedRun) {
  test::write_file(target(), "old database bytes");
  auto r = upgrade(sample(), target());
  EXPECT_EQ(r.exit_code, ExitCode::Usage);
  EXPECT_NE(r.report.message.find("--force"), std::string::npos);
  r = upgrade(cases(), target(), AllowRejected::No, nullptr, 1, Overwrite::Yes);
  EXPECT_EQ(r.exit_code, ExitCode::DataProblem);
  EXPECT_EQ(test::read_file(target()), "old database bytes");
  r = upgrade(
      sample(), target(), AllowRejected::No, [](Db& db) { db.exec("DELETE FROM escrowed_keys WHERE rowid = 1"); }, 1,
      Overwrite::Yes);
  EXPECT_EQ(r.exit_code, ExitCode::DataProblem);
  EXPECT_EQ(test::read_file(target()), "old database bytes");
  r = upgrade(sample(), target(), AllowRejected::No, nullptr, 1, Overwrite::Yes);
  EXPECT_EQ(r.exit_code, ExitCode::Ok) << r.report.message;
  EXPECT_GT(count(target(), "SELECT count(*) FROM clients"), 0);
}

TEST_F(UpgradeTest, TargetInsideTheSourceIsRefused) {
  const fs::path store = sample();
  const auto r = upgrade(store, store / "Mgrent" / "kms55.db");
  EXPECT_EQ(r.exit_code, ExitCode::Usage);
  EXPECT_FALSE(fs::exists(store / "Mgrent" / "kms55.db"));
}

TEST_F(UpgradeTest, NoStoreIsAUsageError) {
  const auto r = upgrade(tmp / "out", target());
  EXPECT_EQ(r.exit_code, ExitCode::Usage);
  EXPECT_NE(r.report.message.find("no store at"), std::string::npos);
}

TEST_F(UpgradeTest, RehearsalPredictsTheUpgradeDigestAndLeavesNothing) {
  UpgradeOptions o;
  o.mode = RunMode::Rehearse;
  o.source = sample();
  const auto rehearsal = run_upgrade(o, {});
  ASSERT_EQ(rehearsal.exit_code, ExitCode::Ok) << rehearsal.report.message;
  const auto real = upgrade(sample(), target());
  ASSERT_EQ(real.exit_code, ExitCode::Ok);
  ASSERT_TRUE(rehearsal.report.content_digest);
  EXPECT_EQ(rehearsal.report.content_digest, real.report.content_digest);

  const fs::path victim = sample() / "Mgrent" / "Clients" / "M0a9b8c7d6e5f.ini";
  test::write_file(victim, test::read_file(victim) + "Office=Cork\r\n");
  const auto changed = run_upgrade(o, {});
  ASSERT_EQ(changed.exit_code, ExitCode::Ok);
  EXPECT_NE(changed.report.content_digest, real.report.content_digest);
}

TEST_F(UpgradeTest, RehearsalOfABlockedStoreExitsOneWithTheDigest) {
  UpgradeOptions o;
  o.mode = RunMode::Rehearse;
  o.source = cases();
  o.keep_db = tmp / "out" / "kept.db";
  const auto r = run_upgrade(o, {});
  EXPECT_EQ(r.exit_code, ExitCode::DataProblem);
  EXPECT_TRUE(r.report.blocked);
  EXPECT_TRUE(r.report.content_digest);
  const auto allowed = upgrade(cases(), target(), AllowRejected::Yes);
  EXPECT_EQ(r.report.content_digest, allowed.report.content_digest);
  EXPECT_GT(count(tmp / "out" / "kept.db", "SELECT count(*) FROM clients"), 0);
}

// The upgrade computes content_digest from the digests it verified, ordered by
// record id without building the ids; it must equal the digest recomputed from
// the tables (docs/database.md), also when upper-case names put path order
// and record-id order apart.
TEST_F(UpgradeTest, DigestEqualsTheOneRecomputedFromTheTables) {
  const fs::path clients = sample() / "Mgrent" / "Clients";
  fs::rename(clients / "Mzun34pl6bmrj.ini", clients / "MZUN34PL6BMRJ.ini");
  fs::rename(clients / "M0a9b8c7d6e5f.ini", clients / "m0A9B8C7D6E5F.INI");
  const auto r = upgrade(sample(), target());
  ASSERT_EQ(r.exit_code, ExitCode::Ok) << r.report.message;
  Db db(target().string(), OpenMode::ReadOnly);
  EXPECT_EQ(r.report.content_digest, test::content_digest(db));
}

TEST_F(UpgradeTest, OutputIsTheSameForAnyNumberOfJobs) {
  const auto one =
      upgrade(cases(), tmp / "out" / "one.db", AllowRejected::Yes, nullptr, 1, Overwrite::No, tmp / "one.jsonl");
  const auto four =
      upgrade(cases(), tmp / "out" / "four.db", AllowRejected::Yes, nullptr, 4, Overwrite::No, tmp / "four.jsonl");
  ASSERT_EQ(one.exit_code, ExitCode::Ok);
  ASSERT_EQ(four.exit_code, ExitCode::Ok);
  EXPECT_EQ(one.report.content_digest, four.report.content_digest);
  auto a = test::read_jsonl(tmp / "one.jsonl"), b = test::read_jsonl(tmp / "four.jsonl");
  for (auto* lines : {&a, &b}) {  // the summary differs only in times and the target
    for (const char* k : {"elapsed_seconds", "phase_seconds", "target", "started_at", "finished_at"})
      lines->back().erase(k);
  }
  EXPECT_EQ(a, b);
}

}  // namespace
}  // namespace kms::core
