// A fault of the machine is never a fault of the data (docs/commands.md,
// "System errors"): descriptor limits, closed and full standard streams, a
// store that changes under the run, a sparse file, the root as --source. Each
// run that could hang is waited for with a deadline and a handshake, never a sleep.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utime.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <regex>

#include "test_util.h"

namespace fs = std::filesystem;

namespace kms::test {
namespace {

ProcessResult kms(const std::vector<std::string>& args) { return run_process(KMS_MIGRATE_BIN, args); }

ProcessResult shell(const std::string& cmd) { return run_process("/bin/bash", {"-c", cmd}); }

std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

/// A descriptor that becomes readable when process `pid` ends (pidfd): waiting on it is a handshake.
int exit_fd(int pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

/// Looks at `seen()` until it is true or process `pid` has ended; between two
/// looks, a wait on the process's exit (1 ms at most), which returns at once if
/// it ended. True when `seen()` became true: the handshake, never a sleep.
bool seen_before_exit(int pid, const std::function<bool()>& seen) {
  const int fd = exit_fd(pid);
  bool yes = false, ended = false;
  for (int i = 0; i < 600000 && !yes && !ended; ++i) {
    yes = seen();
    pollfd p{fd, POLLIN, 0};
    ended = !yes && ::poll(&p, 1, 1) > 0;
  }
  ::close(fd);
  return yes;
}

class SystemFaults : public ::testing::Test {
 protected:
  TempDir tmp;
  fs::path store(int records) { return generated_store(tmp / ("store" + std::to_string(records)), records); }
  fs::path clients(int records) { return store(records) / "Mgrent" / "Clients"; }
  std::vector<std::string> left_beside(const fs::path& folder) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(folder)) {
      const std::string n = e.path().filename().string();
      if (n.find("kms-migrate") != std::string::npos) out.push_back(n);
    }
    return out;
  }
};

// Every descriptor limit from too few to start to enough: the run either
// migrates every record or stops with exit 3 naming the cause; never a record
// rejected for the machine's fault, never a database with records missing.
TEST_F(SystemFaults, ADescriptorLimitNeverRejectsARecord) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer's own runtime needs descriptors: the limits are tried in the release build";
#endif
  const fs::path src = store(300);
  int stopped = 0, done = 0;
  for (int limit = 8; limit <= 40; limit += 2) {
    const fs::path db = tmp / ("n" + std::to_string(limit) + ".db");
    const auto r =
        shell("ulimit -n " + std::to_string(limit) + " && exec " + q(KMS_MIGRATE_BIN) +
              " upgrade --yes --allow-rejected --progress never --jobs 8 --source " + q(src) + " --target " + q(db));
    SCOPED_TRACE("ulimit -n " + std::to_string(limit) + ":\n" + r.out);
    ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 3 || r.exit_code == 2) << r.exit_code;
    EXPECT_FALSE(std::regex_search(r.out, std::regex("[1-9][0-9]* rejected")));
    EXPECT_EQ(r.out.find("unreadable"), std::string::npos);
    if (r.exit_code == 0) {
      ++done;
      EXPECT_NE(r.out.find("300 seen: "), std::string::npos);
      EXPECT_NE(r.out.find(" 0 rejected"), std::string::npos);
    } else {
      ++stopped;
      EXPECT_FALSE(fs::exists(db));
      EXPECT_TRUE(r.out.find("Too many open files") != std::string::npos || r.exit_code == 2);
    }
    EXPECT_EQ(left_beside(tmp.path()), std::vector<std::string>{});
  }
  EXPECT_GT(stopped, 0) << "no limit was tight enough to matter";
  EXPECT_GT(done, 0) << "no limit was loose enough to run";
}

TEST_F(SystemFaults, TheRootAsSourceEndsAtOnce) {
  for (const auto& [dir, source] : std::vector<std::pair<std::string, std::string>>{
           {"/", "/"}, {"/", "/."}, {"/", "//"}, {"/", ".."}, {"/", "."}, {"/tmp", "/tmp/../.."}}) {
    const fs::path log = tmp / "root.txt";
    const int pid = spawn_tool({"scan", "--source", source, "--progress", "never"}, log);
    (void)dir;
    const int code = wait_at_most(pid, 60);
    EXPECT_EQ(code, 2) << "--source " << source << " (-1: still running after a minute)\n" << read_file(log);
  }
}

// Started in `/` as its working folder: "." and ".." are the root.
TEST_F(SystemFaults, TheRootReachedByRelativeNamesEndsAtOnce) {
  for (const std::string source : {".", "..", "./.."}) {
    const auto r = shell("cd / && exec timeout -s KILL 60 " + q(KMS_MIGRATE_BIN) + " scan --source " + source);
    EXPECT_EQ(r.exit_code, 2) << source << "\n" << r.out;
    EXPECT_NE(r.out.find("no store at"), std::string::npos) << r.out;
  }
}

/// Bytes the process has read so far (/proc/PID/io): the handshake that it is hashing.
std::int64_t bytes_read(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/io");
  std::string key;
  std::int64_t value = 0;
  while (in >> key >> value) {
    if (key == "rchar:") return value;
  }
  return -1;
}

TEST_F(SystemFaults, HashingASparseTerabyteAnswersACancel) {
  const fs::path c = clients(20);
  const fs::path big = c / "Mbigbigbigbig.ini";
  { std::ofstream(big.string()).put('x'); }
  fs::resize_file(big, std::uintmax_t{1} << 40);  // sparse: no disk used
  for (const char* cmd : {"scan", "rehearse"}) {
    const fs::path log = tmp / "sparse.txt";
    const int pid = spawn_tool({cmd, "--source", c.string(), "--progress", "never"}, log);
    // Wait until it has read 64 MiB more than any record file holds: it is inside the hash.
    const bool hashing = seen_before_exit(pid, [&] { return bytes_read(pid) > (std::int64_t{64} << 20); });
    ASSERT_TRUE(hashing) << cmd << ": never started hashing\n" << read_file(log);
    ::kill(pid, SIGTERM);
    EXPECT_EQ(wait_at_most(pid, 20), 130) << cmd << " went on hashing after SIGTERM\n" << read_file(log);
  }
}

TEST_F(SystemFaults, AClosedStderrNeverReceivesTheProgressLine) {
  const fs::path src = store(200);
  const fs::path report = tmp / "r.jsonl";
  const auto r = shell("exec " + q(KMS_MIGRATE_BIN) + " rehearse --progress always --source " + q(src) + " --report " +
                       q(report) + " 2>&-");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  std::ifstream in(report);
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    EXPECT_TRUE(nlohmann::json::accept(line)) << "line " << lines << ": " << line;
    EXPECT_EQ(line.find("reading"), std::string::npos) << line;
  }
  EXPECT_EQ(lines, 201);
}

TEST_F(SystemFaults, AFullStandardOutputIsExit3OrAfterTheCommit4) {
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  const fs::path src = store(30);
  for (const std::string& args : std::vector<std::string>{"scan --json --source " + q(src), "scan --source " + q(src),
                                                          "--help", "scan --help", "rehearse --source " + q(src)}) {
    const auto r = shell("exec " + q(KMS_MIGRATE_BIN) + " " + args + " > /dev/full");
    EXPECT_EQ(r.exit_code, 3) << args << "\n" << r.out;
    EXPECT_NE(r.out.find("cannot write to standard output: No space left on device"), std::string::npos)
        << args << " (the cause of the first failed write, not a later one's)\n"
        << r.out;
  }
  const fs::path db = tmp / "full.db";
  const auto up =
      shell("exec " + q(KMS_MIGRATE_BIN) + " upgrade --yes --source " + q(src) + " --target " + q(db) + " > /dev/full");
  EXPECT_EQ(up.exit_code, 4) << up.out;
  EXPECT_TRUE(fs::exists(db));
  EXPECT_NE(up.out.find("committed and verified"), std::string::npos) << up.out;
  // A rehearsal commits nothing: its --keep-db copy goes when its result cannot be told.
  const fs::path kept = tmp / "kept.db";
  const auto re =
      shell("exec " + q(KMS_MIGRATE_BIN) + " rehearse --source " + q(src) + " --keep-db " + q(kept) + " > /dev/full");
  EXPECT_EQ(re.exit_code, 3) << re.out;
  EXPECT_FALSE(fs::exists(kept)) << re.out;
  EXPECT_NE(re.out.find("the --keep-db copy '" + kept.string() + "' was removed"), std::string::npos) << re.out;
}

TEST_F(SystemFaults, AnEntrySwappedDuringTheRunIsNamed) {
  const fs::path c = clients(50);
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(c)) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  const fs::path same = files[3];
  // A folder named like a record, replaced by a record file.
  const fs::path folder = c / "Mfolderfolder.ini";
  fs::create_directories(folder);
  const std::vector<std::pair<std::string, std::function<void()>>> swaps = {
      {same.filename().string(),
       [&] {  // another file of the same size and modification time in its place
         struct stat st {};
         ::stat(same.c_str(), &st);
         std::string bytes = read_file(same);
         bytes[bytes.size() / 2] = bytes[bytes.size() / 2] == 'A' ? 'B' : 'A';
         const fs::path other = same.string() + ".new";
         write_file(other, bytes);
         const timespec times[2] = {st.st_atim, st.st_mtim};
         ::utimensat(AT_FDCWD, other.c_str(), times, 0);
         fs::rename(other, same);
       }},
      {"Mfolderfolder.ini",
       [&] {
         fs::remove(folder);
         write_file(folder, "[Client]\r\nMailboxDN=/o=C/cn=planted\r\nState=1\r\n");
       }},
      {"Mnewnewnewnew.ini", [&] { write_file(c / "Mnewnewnewnew.ini", "[Client]\r\nMailboxDN=/o=C/cn=new\r\n"); }},
  };
  for (const auto& [name, swap] : swaps) {
    const fs::path db = tmp / "swapped.db";
    const auto r = with_change_at(tmp.path(),
                                  {"upgrade", "--yes", "--allow-rejected", "--progress", "always", "--source",
                                   c.string(), "--target", db.string()},
                                  "verifying", swap);
    EXPECT_EQ(r.exit_code, 1) << name << "\n" << r.out;
    EXPECT_NE(r.out.find("source changed during the run"), std::string::npos) << name << "\n" << r.out;
    EXPECT_NE(r.out.find("'" + name + "'"), std::string::npos) << name << " is not named\n" << r.out;
    EXPECT_FALSE(fs::exists(db)) << name;
    // The next run starts from the store as it is now.
    fs::remove(c / "Mnewnewnewnew.ini");
    if (fs::is_regular_file(folder)) {
      fs::remove(folder);
      fs::create_directories(folder);
    }
  }
}

TEST_F(SystemFaults, TheInstalledBinaryHasNoTestHook) {
  const auto strings = shell("grep -c KMS_MIGRATE_TEST_STOP " + q(KMS_MIGRATE_BIN) + " || true");
  EXPECT_EQ(strings.out, "0\n") << "kms-migrate holds the test hook";
  const auto test_build = shell("grep -c KMS_MIGRATE_TEST_STOP " + q(KMS_MIGRATE_TEST_BIN) + " || true");
  EXPECT_NE(test_build.out, "0\n") << "the test build lost its hook";
  // The variable set for the real binary: the file it names is left alone and the run does not stall.
  const fs::path victim = tmp / "victim.txt";
  write_file(victim, "precious");
  const auto r = shell("KMS_MIGRATE_TEST_STOP=reading:" + victim.string() + " exec timeout -s KILL 60 " +
                       q(KMS_MIGRATE_BIN) + " scan --progress always --source " + q(store(20)));
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(read_file(victim), "precious");
}

TEST_F(SystemFaults, MaxRecordSizeHasACeiling) {
  const fs::path src = store(5);
  const auto over = kms({"scan", "--source", src.string(), "--max-record-size", "67108865"});
  EXPECT_EQ(over.exit_code, 2) << over.out;
  EXPECT_NE(over.out.find("at most 67108864"), std::string::npos) << over.out;
  EXPECT_EQ(kms({"scan", "--source", src.string(), "--max-record-size", "67108864"}).exit_code, 0);
  EXPECT_EQ(kms({"scan", "--source", src.string(), "--max-record-size", "9223372036854775807"}).exit_code, 2);
}

// Descriptors used up by the run's own reports before the store is looked for:
// every count from "no report can be made" to "the store cannot be listed" is a
// failure of the machine (exit 3, "Too many open files"), never "no store" (exit 2).
TEST_F(SystemFaults, TooFewDescriptorsAnywhereBeforeReadingIsExit3) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer's own runtime needs descriptors: the limits are tried in the release build";
#endif
  const fs::path src = store(20);
  int looked = 0;
  // Each report takes two descriptors (its private folder and the file), and the
  // descriptors inherited from the test runner vary: both parities of the limit.
  for (int reports = 4; reports <= 24; ++reports) {
    for (const char* limit : {"24", "25"}) {
      const fs::path folder = tmp / ("r" + std::to_string(reports));
      fs::create_directories(folder);
      std::string args;
      for (int i = 0; i < reports; ++i) args += " --report " + q(folder / ("r" + std::to_string(i) + ".jsonl"));
      for (const char* cmd : {"rehearse", "scan-as-verify"}) {
        const bool verify = std::string(cmd) != "rehearse";
        const auto r = shell(std::string("ulimit -n ") + limit + " && exec " + q(KMS_MIGRATE_BIN) +
                             (verify ? " verify --target /nonexistent.db" : " rehearse") +
                             " --progress never --source " + q(src) + args);
        SCOPED_TRACE(std::to_string(reports) + " reports, ulimit -n " + limit + ", " + cmd + ":\n" + r.out);
        if (r.out.find("look for the store") != std::string::npos) ++looked;
        if (r.exit_code == 0 || (verify && r.exit_code == 2 && r.out.find("no database at") != std::string::npos))
          continue;
        EXPECT_EQ(r.exit_code, 3);
        EXPECT_NE(r.out.find("Too many open files"), std::string::npos);
        EXPECT_EQ(r.out.find("no store at"), std::string::npos);
      }
      EXPECT_EQ(left_beside(folder), std::vector<std::string>{});
    }
  }
  EXPECT_GT(looked, 0) << "no count of reports left the search for the store without a descriptor";
}

// A too-large file that grows while it is hashed: hashed up to the size it had,
// then a changed source (exit 1), in scan as in the upgrade.
TEST_F(SystemFaults, AFileThatGrowsWhileHashedIsAChangedSource) {
  const fs::path c = clients(20);
  const fs::path big = c / "Mgrowinggrowi.ini";
  write_file(big, std::string(300000, 'x'));
  for (const std::string cmd : {"scan", "upgrade"}) {
    std::vector<std::string> args = {cmd, "--source", c.string(), "--progress", "never", "--max-record-size", "65536"};
    if (cmd == "upgrade") args.insert(args.end(), {"--yes", "--allow-rejected", "--target", (tmp / "g.db").string()});
    const auto r = with_change_at(tmp.path(), args, "hashing",
                                  [&] { std::ofstream(big.string(), std::ios::app) << std::string(100000, 'y'); });
    EXPECT_EQ(r.exit_code, 1) << cmd << "\n" << r.out;
    EXPECT_NE(r.out.find("source changed during the run: 'Mgrowinggrowi.ini' changed while it was read (size"),
              std::string::npos)
        << cmd << "\n"
        << r.out;
    EXPECT_FALSE(fs::exists(tmp / "g.db"));
  }
}

// The store's folder renamed while the run reads it (the run holds the old
// one open): the path --source named no longer holds what was read.
TEST_F(SystemFaults, AStoreFolderMovedDuringTheRunIsAChangedSource) {
  const fs::path src = store(40);
  const fs::path c = src / "Mgrent" / "Clients";
  const std::vector<std::pair<std::string, std::function<void()>>> moves = {
      {"renamed away", [&] { fs::rename(c, src / "Mgrent" / "Clients.old"); }},
      {"replaced by a copy",
       [&] {
         fs::rename(c, src / "Mgrent" / "Clients.old");
         fs::copy(src / "Mgrent" / "Clients.old", c);
       }},
      {"its parent renamed", [&] { fs::rename(src, src.parent_path() / "Security.old"); }},
  };
  for (const auto& [what, move] : moves) {
    const fs::path db = tmp / "moved.db";
    const auto r = with_change_at(
        tmp.path(),
        {"upgrade", "--yes", "--jobs", "1", "--progress", "always", "--source", src.string(), "--target", db.string()},
        "reading", move);
    EXPECT_EQ(r.exit_code, 1) << what << "\n" << r.out;
    EXPECT_NE(r.out.find("source changed during the run: the folder '" + c.string() + "' was"), std::string::npos)
        << what << "\n"
        << r.out;
    EXPECT_FALSE(fs::exists(db)) << what;
    // Back as it was, for the next shape.
    if (fs::exists(src.parent_path() / "Security.old")) fs::rename(src.parent_path() / "Security.old", src);
    if (fs::exists(src / "Mgrent" / "Clients.old")) {
      fs::remove_all(c);
      fs::rename(src / "Mgrent" / "Clients.old", c);
    }
  }
}

/// The kernel function process `pid` waits in (/proc/PID/wchan).
std::string waiting_in(int pid) { return read_file("/proc/" + std::to_string(pid) + "/wchan"); }

// Standard output a pipe nobody reads: the run blocks writing to it; a SIGTERM
// then ends it with exit 130 at once (nothing more is waited for than a second).
TEST_F(SystemFaults, ACancelIsAnsweredWhileStdoutIsAFullPipe) {
  const fs::path c = clients(8000);                  // more than a pipe holds (64 KiB) in either view
  for (const auto& e : fs::directory_iterator(c)) {  // a warning each: --all lists every file
    std::ofstream(e.path(), std::ios::app | std::ios::binary) << "Colour=blue\r\n";
  }
  for (const char* view : {"--all", "--json"}) {
    const fs::path fifo = tmp / "out.fifo";
    fs::remove(fifo);
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);  // held, never read
    const fs::path log = tmp / "err.txt";
    const pid_t pid = ::fork();
    if (pid == 0) {
      const int out = ::open(fifo.c_str(), O_WRONLY);
      const int err = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(out, 1);
      ::dup2(err, 2);
      ::execl(KMS_MIGRATE_BIN, KMS_MIGRATE_BIN, "scan", view, "--progress", "never", "--source", c.c_str(),
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    // Handshake: the run is blocked writing to the full pipe (or has ended, which fails below).
    const bool blocked = seen_before_exit(pid, [&] { return waiting_in(pid).find("pipe_write") != std::string::npos; });
    ASSERT_TRUE(blocked) << view << ": never blocked on the pipe\n" << read_file(log);
    ::kill(pid, SIGTERM);
    EXPECT_EQ(wait_at_most(pid, 20), 130) << view << ": SIGTERM not answered while writing\n" << read_file(log);
    EXPECT_NE(read_file(log).find("cancelled"), std::string::npos) << read_file(log);
    ::close(reader);
  }
}

// A complete report that could not be put in place (a folder took its name at
// the last moment) is left in its private folder, read-only, and said so; the
// next run for the same report keeps it (only a dead run's unfinished ones go).
TEST_F(SystemFaults, AReportThatCouldNotBePutInPlaceIsKeptByTheNextRun) {
  const fs::path src = store(20);
  const fs::path report = tmp / "kept.jsonl";
  const auto r = with_change_at(
      tmp.path(), {"rehearse", "--progress", "always", "--source", src.string(), "--report", report.string()},
      "before-rename", [&] {
        fs::create_directories(report);
        write_file(report / "x", "");
      });
  EXPECT_EQ(r.exit_code, 3) << r.out;
  EXPECT_NE(r.out.find("the complete report is in"), std::string::npos) << r.out;
  std::vector<fs::path> kept;
  for (const auto& e : fs::directory_iterator(tmp.path())) {
    if (e.path().filename().string().rfind(".kept.jsonl.kms-migrate-", 0) == 0) kept.push_back(e.path() / "kept.jsonl");
  }
  ASSERT_EQ(kept.size(), 1u) << r.out;
  const std::string bytes = read_file(kept[0]);
  EXPECT_NE(bytes.find("\"status\""), std::string::npos) << bytes.substr(0, 300);
  fs::remove_all(report);
  const auto again = kms({"rehearse", "--progress", "never", "--source", src.string(), "--report", report.string()});
  EXPECT_EQ(again.exit_code, 0) << again.out;
  EXPECT_TRUE(fs::exists(kept[0])) << "the next run removed the only complete report of the first";
  EXPECT_EQ(read_file(kept[0]), bytes);
}

// An output whose temporary name beside it would be too long for the folder is
// refused before any work (exit 2), not found out by the last step of the run.
TEST_F(SystemFaults, AnOutputNameTooLongForItsTemporaryIsRefusedAtOnce) {
  const fs::path src = store(20);
  for (const std::string option : {"--keep-db", "--report", "--target"}) {
    const fs::path out = tmp / (std::string(230, 'k') + (option == "--report" ? ".jsonl" : ".db"));
    std::vector<std::string> args = {option == "--target" ? "upgrade" : "rehearse",
                                     "--progress",
                                     "never",
                                     "--source",
                                     src.string(),
                                     option,
                                     out.string()};
    if (option == "--target") args.push_back("--yes");
    const auto r = kms(args);
    EXPECT_EQ(r.exit_code, 2) << option << "\n" << r.out;
    EXPECT_NE(r.out.find("choose a shorter name"), std::string::npos) << option << "\n" << r.out;
    EXPECT_EQ(r.out.find("reading"), std::string::npos) << option << "\n" << r.out;
    EXPECT_FALSE(fs::exists(out));
  }
  const fs::path fits = tmp / (std::string(200, 'k') + ".db");
  const auto ok = kms({"rehearse", "--progress", "never", "--source", src.string(), "--keep-db", fits.string()});
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
  EXPECT_TRUE(fs::exists(fits));
}

// A cancel while the rehearsal copies its database to --keep-db: said as such,
// and no --keep-db file (not even a partial one) is left.
TEST_F(SystemFaults, ACancelDuringTheKeepDbCopyIsSaidAndLeavesNoCopy) {
  const fs::path src = store(30);
  const fs::path kept = tmp / "kept.db";
  const fs::path fifo = tmp / "copy.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const fs::path log = tmp / "copy.txt";
  const int pid =
      start_at_stop_point({"rehearse", "--progress", "always", "--source", src.string(), "--keep-db", kept.string()},
                          log, fifo, "copying to --keep-db");
  ASSERT_GT(pid, 0);
  ::kill(pid, SIGTERM);
  EXPECT_EQ(wait_at_most(pid, 60), 130) << read_file(log);
  const std::string out = read_file(log);
  EXPECT_NE(out.find("cancelled during the copying to --keep-db"), std::string::npos) << out;
  EXPECT_NE(out.find("no --keep-db file was made"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(kept));
  EXPECT_EQ(left_beside(tmp.path()), std::vector<std::string>{});
}

}  // namespace
}  // namespace kms::test

namespace kms::test {
namespace {

// A record file swapped, between the listing and its reading, for a pipe, a
// folder or a link: a changed source (exit 1), never a reject that
// --allow-rejected would commit past.
TEST_F(SystemFaults, ARecordSwappedBeforeItIsReadIsAChangedSource) {
  const fs::path c = clients(300);
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(c)) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  const fs::path last = files.back();  // read long after the first file, where the run stops
  const std::string bytes = read_file(last);
  const std::vector<std::pair<std::string, std::function<void()>>> swaps = {
      {"a pipe",
       [&] {
         fs::remove(last);
         ::mkfifo(last.c_str(), 0644);
       }},
      {"a folder",
       [&] {
         fs::remove(last);
         fs::create_directories(last);
       }},
      {"a link",
       [&] {
         fs::remove(last);
         write_file(tmp / "elsewhere.ini", bytes);
         fs::create_symlink(tmp / "elsewhere.ini", last);
       }},
  };
  for (const auto& [what, swap] : swaps) {
    const fs::path db = tmp / "swapped.db";
    const auto r = with_change_at(tmp.path(),
                                  {"upgrade", "--yes", "--allow-rejected", "--jobs", "1", "--progress", "always",
                                   "--source", c.string(), "--target", db.string()},
                                  "reading", swap);
    EXPECT_EQ(r.exit_code, 1) << what << "\n" << r.out;
    EXPECT_NE(r.out.find("source changed during the run: '" + last.filename().string() + "'"), std::string::npos)
        << what << "\n"
        << r.out;
    EXPECT_FALSE(fs::exists(db)) << what;
    fs::remove_all(last);
    write_file(last, bytes);
  }
}

// SIGKILL during the --keep-db copy: the copy was made in a private folder, so
// nothing is at the --keep-db name; the next rehearsal removes the folder, says
// so, and keeps its own copy there.
TEST_F(SystemFaults, AKilledKeepDbCopyLeavesNothingAtTheName) {
  const fs::path src = store(30);
  const fs::path kept = tmp / "killed.db";
  const fs::path fifo = tmp / "kill.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const int pid =
      start_at_stop_point({"rehearse", "--progress", "always", "--source", src.string(), "--keep-db", kept.string()},
                          tmp / "kill.txt", fifo, "keep-db copy");
  ASSERT_GT(pid, 0);
  ::kill(pid, SIGKILL);
  EXPECT_EQ(wait_at_most(pid, 60), 128 + SIGKILL);
  EXPECT_FALSE(fs::exists(fs::symlink_status(kept)));
  std::vector<std::string> left = left_beside(tmp.path());
  ASSERT_EQ(left.size(), 2u) << "the killed run's lock and private folder";
  EXPECT_EQ(std::count_if(left.begin(), left.end(),
                          [](const std::string& n) { return n.rfind(".killed.db.kms-migrate-", 0) == 0; }),
            1);
  const auto again = kms({"rehearse", "--progress", "never", "--source", src.string(), "--keep-db", kept.string()});
  EXPECT_EQ(again.exit_code, 0) << again.out;
  EXPECT_NE(
      again.out.find("removed the temporary file left by an earlier run that was stopped: .killed.db.kms-migrate-"),
      std::string::npos)
      << again.out;
  EXPECT_TRUE(fs::is_regular_file(kept));
  EXPECT_EQ(left_beside(tmp.path()), std::vector<std::string>{});
}

}  // namespace
}  // namespace kms::test
