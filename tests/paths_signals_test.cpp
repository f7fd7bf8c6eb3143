// What no command may destroy, follow or write, every signal at several moments,
// and the strict command line (docs/commands.md, guarantees 9-11). The
// signal tests use the tool's stop points (core/util/test_stop_point.h) as a
// handshake: the signal is sent when the run stands at a known point, never
// after a sleep.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <regex>
#include <thread>

#include "report_sink.h"
#include "run_control.h"
#include "sqlite_handle.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace kms::test {
namespace {

const fs::path kFixtures = KMS_FIXTURES_DIR;

ProcessResult tool(const std::vector<std::string>& args, const fs::path& log) {
  ProcessResult r;
  r.exit_code = wait_process(spawn_tool(args, log));
  r.out = read_file(log);
  return r;
}

class PathsAndSignals : public ::testing::Test {
 protected:
  TempDir tmp;
  fs::path store = tmp / "store";
  fs::path security = store / "Security";
  fs::path clients = security / "Mgrent" / "Clients";
  fs::path out = tmp / "out";
  int runs = 0;

  void SetUp() override {
    copy_tree(kFixtures / "sample-store", store);
    fs::create_directories(out);
  }
  ProcessResult kms(const std::vector<std::string>& args) {
    return tool(args, tmp / ("log" + std::to_string(++runs) + ".txt"));
  }
  /// A good database at `db`, upgraded from the sample store.
  void good_database(const fs::path& db) {
    const auto r = kms({"upgrade", "--source", security.string(), "--target", db.string(), "--yes"});
    ASSERT_EQ(r.exit_code, 0) << r.out;
  }
  /// Everything under the store, for "nothing was written there".
  std::vector<std::string> store_entries() {
    std::vector<std::string> names;
    for (fs::recursive_directory_iterator it(store), end; it != end; ++it) names.push_back(it->path().string());
    std::sort(names.begin(), names.end());
    return names;
  }
};

TEST_F(PathsAndSignals, NoOutputMayBeTheTargetTheVerifiedDatabaseOrAnotherOutput) {
  const fs::path db = out / "x.jsonl";
  // upgrade --target x.jsonl --report x.jsonl: refused before any work, nothing created
  auto r = kms({"upgrade", "--source", security.string(), "--target", db.string(), "--report", db.string(), "--yes"});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_FALSE(fs::exists(db));
  EXPECT_NE(r.out.find("is the same file as the target"), std::string::npos) << r.out;
  // ... and with --force over a good database, the database survives.
  good_database(db);
  const std::string before = read_file(db);
  r = kms(
      {"upgrade", "--source", security.string(), "--target", db.string(), "--report", db.string(), "--yes", "--force"});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_EQ(read_file(db), before);
  // through another spelling of the same path, and through a hard link
  r = kms({"upgrade", "--source", security.string(), "--target", db.string(), "--report",
           (out / ".." / "out" / "x.jsonl").string(), "--yes", "--force"});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  fs::create_hard_link(db, out / "alias.csv");
  r = kms({"upgrade", "--source", security.string(), "--target", db.string(), "--report", (out / "alias.csv").string(),
           "--yes", "--force"});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_EQ(read_file(db), before);
  // verify --target db.jsonl --report db.jsonl: the database being checked is not overwritten
  r = kms({"verify", "--source", security.string(), "--target", db.string(), "--report", db.string()});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("the database being verified"), std::string::npos) << r.out;
  EXPECT_EQ(read_file(db), before);
  // rehearse --keep-db k.jsonl --report k.jsonl
  r = kms({"rehearse", "--source", security.string(), "--keep-db", (out / "k.jsonl").string(), "--report",
           (out / "k.jsonl").string()});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_FALSE(fs::exists(out / "k.jsonl"));
}

TEST_F(PathsAndSignals, NothingIsWrittenInsideTheSource) {
  const auto before = store_entries();
  for (const fs::path& report : {clients / "r.jsonl", security / "r.csv", clients / ".." / "r.jsonl"}) {
    auto r = kms({"upgrade", "--source", security.string(), "--target", (out / "t.db").string(), "--report",
                  report.string(), "--yes"});
    EXPECT_EQ(r.exit_code, 2) << report << "\n" << r.out;
    EXPECT_NE(r.out.find("inside the source store"), std::string::npos) << r.out;
    r = kms({"rehearse", "--source", clients.string(), "--report", report.string()});
    EXPECT_EQ(r.exit_code, 2) << report << "\n" << r.out;
  }
  // A link to a folder inside the store is resolved.
  fs::create_directory_symlink(security / "Mgrent", tmp / "into-store");
  auto r = kms({"rehearse", "--source", security.string(), "--report", (tmp / "into-store" / "r.jsonl").string()});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  r = kms({"rehearse", "--source", security.string(), "--keep-db", (clients / "k.db").string()});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  // TMPDIR inside the store: the scratch database would be written there.
  const std::string env = "TMPDIR=" + clients.string();
  const int pid = spawn_tool({"rehearse", "--source", security.string()}, tmp / "tmpdir.txt", env);
  EXPECT_EQ(wait_process(pid), 2) << read_file(tmp / "tmpdir.txt");
  EXPECT_NE(read_file(tmp / "tmpdir.txt").find("TMPDIR"), std::string::npos);
  EXPECT_EQ(store_entries(), before);
  EXPECT_FALSE(fs::exists(out / "t.db"));
}

TEST_F(PathsAndSignals, PlantedLinksAreNeverFollowed) {
  const fs::path victim = tmp / "victim.txt";
  write_file(victim, "precious");
  // The lock beside the target, as a symbolic link and as a hard link.
  const fs::path db = out / "kms55.db";
  fs::create_symlink(victim, out / ".kms55.db.kms-migrate.lock");
  auto r = kms({"upgrade", "--source", security.string(), "--target", db.string(), "--yes"});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_EQ(read_file(victim), "precious");
  fs::remove(out / ".kms55.db.kms-migrate.lock");
  fs::create_hard_link(victim, out / ".kms55.db.kms-migrate.lock");
  r = kms({"upgrade", "--source", security.string(), "--target", db.string(), "--yes"});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_EQ(read_file(victim), "precious");
  EXPECT_FALSE(fs::exists(db));
  // The report's temporary file: a link at its name is stepped around, never written through.
  const fs::path report = out / "r.jsonl";
  const fs::path planted = out / (".r.jsonl.kms-migrate-" + std::to_string(::getpid()) + ".partial");
  fs::create_symlink(victim, planted);
  {
    core::ReportSink sink(report);
    core::RunReport rep;
    rep.command = core::Command::Scan;
    sink.finish(rep);
  }
  EXPECT_EQ(read_file(victim), "precious");
  EXPECT_TRUE(fs::is_symlink(planted));
  EXPECT_NE(read_file(report).find("\"type\":\"summary\""), std::string::npos);
  // The report path itself a link or a special file: refused.
  fs::create_symlink(victim, out / "link.jsonl");
  r = kms({"rehearse", "--source", security.string(), "--report", (out / "link.jsonl").string()});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_EQ(read_file(victim), "precious");
}

TEST_F(PathsAndSignals, OnlyARegularFileIsEverReplaced) {
  ASSERT_EQ(::mkfifo((out / "fifo.db").c_str(), 0600), 0);
  std::vector<fs::path> targets{out / "fifo.db"};
  // A device node of the test's own (never the system's /dev/null: code that
  // gets this wrong would replace it); root only.
  if (::mknod((out / "null.db").c_str(), S_IFCHR | 0600, makedev(1, 3)) == 0) targets.push_back(out / "null.db");
  for (const fs::path& target : targets) {
    const auto r = kms({"upgrade", "--source", security.string(), "--target", target.string(), "--yes", "--force"});
    EXPECT_EQ(r.exit_code, 2) << r.out;
    EXPECT_EQ(r.out.find("use --force"), std::string::npos) << r.out;
  }
  struct stat st {};
  ASSERT_EQ(::stat((out / "fifo.db").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  if (targets.size() > 1) {
    ASSERT_EQ(::stat((out / "null.db").c_str(), &st), 0);
    EXPECT_TRUE(S_ISCHR(st.st_mode));
  }
  // rehearse --keep-db over an existing file: refused, without suggesting a --force it does not have.
  write_file(out / "kept.db", "old");
  const auto r = kms({"rehearse", "--source", security.string(), "--keep-db", (out / "kept.db").string()});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_EQ(r.out.find("--force"), std::string::npos) << r.out;
  EXPECT_EQ(read_file(out / "kept.db"), "old");
}

TEST_F(PathsAndSignals, AReportThatCannotBeWrittenIsFoundBeforeAnyWork) {
  fs::create_directories(out / "folder.jsonl");
  for (const fs::path& report : {out / "folder.jsonl", out / "missing" / "r.jsonl"}) {
    const auto r = kms({"upgrade", "--source", security.string(), "--target", (out / "t.db").string(), "--report",
                        report.string(), "--yes"});
    EXPECT_EQ(r.exit_code, 2) << r.out;
    EXPECT_EQ(r.out.find("succeeded"), std::string::npos) << r.out;
    EXPECT_FALSE(fs::exists(out / "t.db"));
  }
}

TEST_F(PathsAndSignals, TheCommandLineIsStrict) {
  const std::string s = security.string(), db = (out / "t.db").string();
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const Case refused[] = {
      {{"upgrade", "--source", s, "--target", db, "--allow-rejected", "no", "--yes"}, "unexpected argument 'no'"},
      {{"upgrade", "--source", s, "--target", db, "--allow-rejected=no", "--yes"}, "does not take any arguments"},
      {{"scan", "--source", s, "extra"}, "unexpected argument 'extra'"},
      {{"rehearse", "--source", s, "other.db"}, "unexpected argument 'other.db'"},
      {{"upgrade", "--source", s, "--target", "", "--yes"}, "--target must not be empty"},
      {{"scan", "--source", ""}, "--source must not be empty"},
      {{"scan", "--sorce", s}, "did you mean --source?"},
      {{"scan", "--sour", s}, "did you mean --source?"},  // no abbreviations
      {{"upgrde", "--source", s}, "did you mean upgrade?"},
  };
  for (const auto& c : refused) {
    const auto r = kms(c.args);
    EXPECT_EQ(r.exit_code, 2) << ::testing::PrintToString(c.args) << "\n" << r.out;
    EXPECT_NE(r.out.find(c.says), std::string::npos) << ::testing::PrintToString(c.args) << "\n" << r.out;
  }
  // The usage shown is the command's own.
  const auto r = kms({"scan", "--source", s, "extra"});
  EXPECT_NE(r.out.find("kms-migrate scan "), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("kms-migrate upgrade "), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(db));
  // Short forms, and the folder spelled as tab completion and cd leave it.
  EXPECT_EQ(kms({"-h"}).exit_code, 0);
  EXPECT_EQ(kms({"-V"}).exit_code, 0);
  EXPECT_EQ(kms({"scan", "-h"}).exit_code, 0);
  EXPECT_EQ(kms({"scan", "--source", clients.string() + "/"}).exit_code, 0);
  EXPECT_EQ(kms({"scan", "--source", (clients / ".").string()}).exit_code, 0);
  EXPECT_EQ(kms({"scan", "--source", (security / "Mgrent" / "Clients" / "..").string() + "/"}).exit_code, 0);
}

TEST_F(PathsAndSignals, WithoutATerminalAnUpgradeNeedsYes) {
  const auto r = kms({"upgrade", "--source", security.string(), "--target", (out / "t.db").string()});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("no terminal to confirm on; pass --yes"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(out / "t.db"));
}

TEST_F(PathsAndSignals, AClosedStdoutNeverKillsTheRun) {
  // | head -1 after the commit, and a progress line into a pipe closed after 10 bytes.
  for (const std::string& pipe :
       {std::string(" | head -1 > /dev/null"), std::string(" --progress always 2>&1 | head -c10 > /dev/null")}) {
    const fs::path db = out / "piped.db";
    fs::remove(db);
    const std::string cmd = std::string("'") + KMS_MIGRATE_BIN + "' upgrade --source '" + security.string() +
                            "' --target '" + db.string() + "' --yes" + pipe + "; exit ${PIPESTATUS[0]}";
    const auto r = run_process("/bin/bash", {"-c", cmd});
    // Never killed by SIGPIPE (141). Once a write to the closed pipe failed, the
    // committed run says so with exit 4; `head -1` may read the one buffered
    // write of the summary whole before it exits (then exit 0), the progress
    // line's many writes always outlive `head -c10`.
    if (pipe.find("head -1 ") != std::string::npos) {
      EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 4) << pipe << "\n" << r.exit_code << "\n" << r.out;
    } else {
      EXPECT_EQ(r.exit_code, 4) << pipe << "\n" << r.out;
    }
    EXPECT_TRUE(fs::exists(db)) << pipe;
    EXPECT_EQ(files_containing(out, "kms-migrate"), std::vector<std::string>{}) << pipe;
    const auto v = kms({"verify", "--source", security.string(), "--target", db.string()});
    EXPECT_EQ(v.exit_code, 0) << v.out;
  }
}

TEST_F(PathsAndSignals, EverySignalAtEveryMomentCancelsCleanly) {
  const fs::path fifo = tmp / "stop.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) {
    for (const std::string point : {"start", "reading", "cross-file checks", "verifying", "report", "integrity check",
                                    "fsync and rename", "before-rename"}) {
      SCOPED_TRACE(std::string(strsignal(sig)) + " at " + point);
      const fs::path dir = out / (std::to_string(sig) + "-" + point);
      fs::create_directories(dir);
      const fs::path log = dir / "log.txt", report = dir / "r.jsonl", db = dir / "kms55.db";
      const std::vector<std::string> args = {"upgrade",  "--source",      security.string(), "--target", db.string(),
                                             "--report", report.string(), "--yes",           "--jobs",   "1"};
      int code;
      if (point == "start") {
        code = wait_process(spawn_tool(args, log, "", sig));  // the signal waits for the first instruction
      } else {
        const int pid = start_at_stop_point(args, log, fifo, point);
        ASSERT_GT(pid, 0);
        ::kill(pid, sig);
        code = wait_process(pid);
      }
      const std::string said = read_file(log);
      EXPECT_EQ(code, 130) << said;
      EXPECT_FALSE(fs::exists(db)) << said;
      EXPECT_EQ(files_containing(dir, "kms-migrate"), std::vector<std::string>{}) << said;
      EXPECT_EQ(said.find("succeeded"), std::string::npos) << said;
      // It says what was done before the cancel, never counts of files it did not report.
      EXPECT_EQ(said.find(" seen:"), std::string::npos) << said;
      if (point == "reading") {
        // The signal is named where it struck, in the first clause.
        EXPECT_TRUE(std::regex_search(said, std::regex(R"(cancelled after reading 1 of 39 files \(SIG[A-Z]+[^;]*\); )"
                                                       R"(nothing was written at the target)")))
            << said;
      }
      if (point == "verifying") {
        EXPECT_NE(said.find("cancelled while verifying, after 1 of 39 files"), std::string::npos) << said;
      }
      if (point == "cross-file checks") {
        EXPECT_NE(said.find("cancelled during the cross-file checks"), std::string::npos) << said;
      }
      EXPECT_EQ(said.substr(said.rfind("kms-migrate upgrade: cancelled")).find('\n'),
                said.size() - said.rfind("kms-migrate upgrade: cancelled") - 1)
          << "the status line is last:\n"
          << said;
      ASSERT_TRUE(fs::exists(report)) << said;
      const auto lines = read_jsonl(report);
      ASSERT_FALSE(lines.empty());
      EXPECT_EQ(lines.back()["status"], "cancelled");
    }
  }
}

TEST_F(PathsAndSignals, AHungUpRehearsalLeavesNoScratch) {
  const fs::path fifo = tmp / "stop.fifo", tmpdir = tmp / "tmpdir";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  fs::create_directories(tmpdir);
  for (const std::string point : {"reading", "verifying", "before-rename"}) {
    SCOPED_TRACE(point);
    const fs::path log = out / ("rehearse-" + point + ".txt");
    ::setenv("TMPDIR", tmpdir.c_str(), 1);
    const int pid = start_at_stop_point({"rehearse", "--source", security.string()}, log, fifo, point);
    ::unsetenv("TMPDIR");
    ASSERT_GT(pid, 0);
    ::kill(pid, SIGHUP);
    EXPECT_EQ(wait_process(pid), 130) << read_file(log);
    EXPECT_EQ(files_containing(tmpdir, "kms-migrate"), std::vector<std::string>{}) << read_file(log);
    EXPECT_NE(read_file(log).find("SIGHUP"), std::string::npos) << read_file(log);
    EXPECT_EQ(read_file(log).find("at the target"), std::string::npos)
        << "a rehearsal has no target: " << read_file(log);
    if (point == "reading") {
      EXPECT_NE(
          read_file(log).find("cancelled after reading 1 of 39 files (SIGHUP: the terminal or the SSH session closed); "
                              "the rehearsal's scratch database was deleted"),
          std::string::npos)
          << read_file(log);
    }
  }
}

// At every step of verify, SQLite's checks included: a cancel is never a verdict.
TEST_F(PathsAndSignals, AVerifyCancelledAtAnyStepEndsCleanly) {
  const fs::path fifo = tmp / "stop.fifo", db = out / "kms55.db";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  good_database(db);
  const auto before = store_entries();
  for (const std::string point : {"verifying", "report", "integrity check"}) {
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) {
      SCOPED_TRACE(std::string(strsignal(sig)) + " at " + point);
      const fs::path log = out / ("verify-" + std::to_string(sig) + ".txt"), report = out / "v.jsonl";
      const int pid = start_at_stop_point(
          {"verify", "--source", security.string(), "--target", db.string(), "--report", report.string()}, log, fifo,
          point);
      ASSERT_GT(pid, 0);
      ::kill(pid, sig);
      EXPECT_EQ(wait_process(pid), 130) << read_file(log);
      EXPECT_EQ(read_jsonl(report).back()["status"], "cancelled");
      EXPECT_EQ(read_file(log).find("succeeded"), std::string::npos) << read_file(log);
      if (point == "verifying") {
        EXPECT_TRUE(
            std::regex_search(read_file(log), std::regex(R"(cancelled after checking 1 of 39 files \(SIG[^;]*\); the )"
                                                         R"(database and the store were not changed)")))
            << read_file(log);
      }
      std::vector<std::string> beside = files_containing(out, "kms55.db");
      EXPECT_EQ(beside, std::vector<std::string>{"kms55.db"}) << read_file(log);
    }
  }
  EXPECT_EQ(store_entries(), before);
}

// A file held open is opened by SQLite through /proc/self/fd/N as it is: never
// turned back into a name (which another user could have swapped meanwhile),
// whether N is the file itself (verify) or the private folder holding it.
TEST(SqliteOpen, AHeldFileIsOpenedThroughItsDescriptorNotItsName) {
  TempDir tmp;
  {
    core::Db make((tmp / "held.db").string(), core::OpenMode::ReadWriteCreate);
    make.exec("CREATE TABLE t (x); INSERT INTO t VALUES ('the held one')");
  }
  const int file = ::open((tmp / "held.db").c_str(), O_RDONLY | O_CLOEXEC);
  const int folder = ::open(tmp.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(file, 0);
  ASSERT_GE(folder, 0);
  for (const std::string& name :
       {"/proc/self/fd/" + std::to_string(file), "/proc/self/fd/" + std::to_string(folder) + "/held.db"}) {
    for (const auto mode : {core::OpenMode::ReadOnlyImmutable, core::OpenMode::ReadOnly}) {
      core::Db db(name, mode);
      EXPECT_EQ(std::string(sqlite3_db_filename(db.get(), "main")), name) << "SQLite resolved the name";
      core::Stmt q(db, "SELECT x FROM t");
      ASSERT_TRUE(q.step()) << name;
      EXPECT_EQ(q.text(0), "the held one");
    }
  }
  ::close(file);
  ::close(folder);
}

TEST(SqliteInterrupt, ACancelStopsAnEndlessQuery) {
  core::CancelFlag flag;
  core::interrupt_sqlite_on(&flag);
  {
    core::Db db(":memory:", core::OpenMode::ReadWriteCreate);
    // The query never ends by itself: only the cancel, from another thread at any moment, can end it.
    std::thread canceller([&] { flag.request(); });
    bool interrupted = false;
    try {
      core::Stmt q(db, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c");
      q.step();
    } catch (const core::DbError& e) {
      interrupted = core::is_interrupt(e);
    }
    canceller.join();
    EXPECT_TRUE(interrupted);
  }
  core::interrupt_sqlite_on(nullptr);
}

}  // namespace
}  // namespace kms::test
