// The terminal tells the truth (docs/commands.md): results on stdout whatever
// the status, the status line last, scan bounded, progress through every
// phase, and messages that say what is wrong and what to type instead.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "test_util.h"

namespace kms::test {
namespace {

const fs::path kFixtures = KMS_FIXTURES_DIR;

ProcessResult kms(const std::vector<std::string>& args) { return run_process(KMS_MIGRATE_BIN, args); }

/// The command's stdout alone (stderr thrown away).
ProcessResult stdout_of(const std::vector<std::string>& args) {
  std::string cmd = std::string("'") + KMS_MIGRATE_BIN + "'";
  for (const auto& a : args) cmd += " '" + a + "'";
  return run_process("/bin/bash", {"-c", cmd + " 2>/dev/null"});
}

/// The command's stderr alone (stdout thrown away).
ProcessResult stderr_of(const std::vector<std::string>& args) {
  std::string cmd = std::string("'") + KMS_MIGRATE_BIN + "'";
  for (const auto& a : args) cmd += " '" + a + "'";
  return run_process("/bin/bash", {"-c", cmd + " 2>&1 >/dev/null"});
}

std::string last_line(const std::string& out) {
  const auto end = out.size() && out.back() == '\n' ? out.size() - 1 : out.size();
  const auto start = out.rfind('\n', end ? end - 1 : 0);
  return out.substr(start == std::string::npos ? 0 : start + 1, end - (start == std::string::npos ? 0 : start + 1));
}

std::size_t count_of(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

class Terminal : public ::testing::Test {
 protected:
  TempDir tmp;
  fs::path sample() {
    if (!fs::exists(tmp / "sample-store")) copy_tree(kFixtures / "sample-store", tmp / "sample-store");
    return tmp / "sample-store" / "Security";
  }
  /// A store of `n` rejected files (State=9), and one that migrates.
  fs::path rejects(int n) {
    const fs::path c = tmp / "rejects" / "Clients";
    fs::create_directories(c);
    write_file(c / "Mzzzzzzzzzzzz.ini", "[Client]\r\nMailboxDN=/o=X/cn=good\r\nState=1\r\n");
    for (int i = 0; i < n; ++i) {
      char name[32];
      std::snprintf(name, sizeof name, "M%012d.ini", i);
      write_file(c / name, "[Client]\r\nMailboxDN=/o=X/cn=u" + std::to_string(i) + "\r\nState=9\r\nFoo=1\r\n");
    }
    return c;
  }
};

TEST_F(Terminal, AFailedRunsResultsGoToStdoutItsTroubleAndStatusLineToStderr) {
  // Every command that can fail on the data: a blocked rehearsal, a blocked
  // upgrade, a verify of a database against a store it was not made from.
  const fs::path db = tmp / "kms55.db";
  ASSERT_EQ(kms({"upgrade", "--source", sample().string(), "--target", db.string(), "--yes"}).exit_code, 0);
  const std::vector<std::vector<std::string>> runs = {
      {"rehearse", "--source", rejects(3).string()},
      {"upgrade", "--source", rejects(3).string(), "--target", (tmp / "new.db").string(), "--yes"},
      {"verify", "--source", rejects(3).string(), "--target", db.string()}};
  for (const auto& args : runs) {
    const auto out = stdout_of(args), err = stderr_of(args);
    EXPECT_EQ(out.exit_code, 1) << args[0] << "\n" << out.out;
    EXPECT_NE(out.out.find("  files     "), std::string::npos) << args[0] << " stdout:\n" << out.out;
    EXPECT_EQ(out.out.find("kms-migrate " + args[0] + ":"), std::string::npos) << args[0] << " stdout:\n" << out.out;
    EXPECT_EQ(last_line(err.out).rfind("kms-migrate " + args[0] + ": failed", 0), 0u) << args[0] << " stderr:\n"
                                                                                      << err.out;
    if (args[0] != "verify") {
      EXPECT_NE(err.out.find("M000000000002.ini"), std::string::npos) << args[0] << " stderr:\n" << err.out;
      EXPECT_EQ(out.out.find("M000000000002.ini"), std::string::npos) << args[0] << " stdout:\n" << out.out;
    }
  }
  // A run that succeeds says everything, its status line last, on stdout.
  const auto ok = stdout_of({"rehearse", "--source", sample().string()});
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
  EXPECT_EQ(last_line(ok.out), "kms-migrate rehearse: succeeded") << ok.out;
  EXPECT_EQ(stderr_of({"rehearse", "--source", sample().string()}).out, "");
}

// The terminal ends on what matters: the problem lists, then the recap
// (counts, rejects by code, report paths), then the status line; a cut list
// says where the rest is, "the report" only when there is one; --all lists all.
TEST_F(Terminal, TheRecapComesLastAndACutListSaysWhereTheRestIs) {
  const fs::path store = rejects(30);
  const auto plain = kms({"rehearse", "--source", store.string()});
  EXPECT_EQ(plain.exit_code, 1) << plain.out;
  EXPECT_NE(plain.out.find("... and 5 more (--all lists every one)"), std::string::npos) << plain.out;
  EXPECT_EQ(plain.out.find("report"), std::string::npos) << "no report was asked for:\n" << plain.out;
  const auto last_problem = plain.out.rfind("M0000000000");
  const auto recap = plain.out.find("  files     31 seen");
  ASSERT_NE(recap, std::string::npos) << plain.out;
  EXPECT_LT(last_problem, recap) << plain.out;
  EXPECT_NE(plain.out.find("  rejected  bad-value 30\n", recap), std::string::npos) << plain.out;
  EXPECT_EQ(last_line(plain.out).rfind("kms-migrate rehearse: failed", 0), 0u) << plain.out;
  // Skipped entries are listed too, with why they were never read.
  write_file(store / "desktop.ini", "[.ShellClassInfo]\r\n");
  const auto with_skipped = kms({"rehearse", "--source", store.string()});
  EXPECT_NE(with_skipped.out.find("  skipped (not record files: never read):\n    desktop.ini  not a client record "
                                  "file: not named M<12 letters or digits>.ini\n"),
            std::string::npos)
      << with_skipped.out;
  fs::remove(store / "desktop.ini");
  const auto all = kms({"rehearse", "--source", store.string(), "--all"});
  EXPECT_EQ(count_of(all.out, ": bad-value: "), 30u) << all.out;
  EXPECT_EQ(all.out.find(" more ("), std::string::npos) << all.out;
  const fs::path report = tmp / "r.jsonl";
  const auto with_report = kms({"rehearse", "--source", store.string(), "--report", report.string()});
  EXPECT_NE(with_report.out.find("... and 5 more (every one is in the report; --all lists them here)"),
            std::string::npos)
      << with_report.out;
  EXPECT_NE(with_report.out.find("  report    " + report.string() + "\nkms-migrate rehearse: failed"),
            std::string::npos)
      << with_report.out;
}

/// What the program wrote to a terminal of `columns` columns (stdout and stderr both).
std::string on_a_terminal_of(unsigned short columns, const std::vector<std::string>& args) {
  int master = -1;
  const int pid = start_on_terminal(KMS_MIGRATE_BIN, args, &master, columns);
  std::string screen;
  char buf[4096];
  for (ssize_t n; (n = ::read(master, buf, sizeof buf)) > 0;) screen.append(buf, static_cast<std::size_t>(n));
  ::close(master);
  wait_process(pid);
  return screen;
}

// A scan that fails (exit 1: a store of 8.3 names, an empty store, a mailbox
// no file holds, with or without --json or --quiet) says so on stderr, its
// status line last there; stdout keeps the results and no status line.
TEST_F(Terminal, AFailedScansStatusLineIsOnStderr) {
  const fs::path short_names = tmp / "short" / "Clients", empty = tmp / "empty" / "Clients";
  fs::create_directories(short_names);
  fs::create_directories(empty);
  write_file(short_names / "M0Q0HN~1.INI", "[Client]\r\nMailboxDN=/o=X/cn=a\r\nState=1\r\n");
  const std::vector<std::vector<std::string>> failing = {
      {"scan", "--source", short_names.string()},
      {"scan", "--source", short_names.string(), "--quiet"},
      {"scan", "--source", empty.string()},
      {"scan", "--source", sample().string(), "--mailbox", "nobody"},
      {"scan", "--source", sample().string(), "--mailbox", "nobody", "--json"}};
  for (const auto& args : failing) {
    const std::string shown = ::testing::PrintToString(args);
    EXPECT_EQ(kms(args).exit_code, 1) << shown;
    const auto out = stdout_of(args), err = stderr_of(args);
    EXPECT_EQ(out.out.find("kms-migrate scan:"), std::string::npos) << shown << "\n" << out.out;
    EXPECT_EQ(last_line(err.out).rfind("kms-migrate scan: failed: ", 0), 0u) << shown << "\n" << err.out;
  }
  const auto ok = stderr_of({"scan", "--source", sample().string()});
  EXPECT_EQ(ok.out, "") << "a scan that succeeds writes nothing to stderr";
}

// The rejects by code wrap to the terminal's width, each line printed as a
// line (a line end inside one printed value came out as a literal "\x0a").
TEST_F(Terminal, TheRejectsByCodeWrapToTheWidthAsLines) {
  const fs::path c = tmp / "codes" / "Clients";
  fs::create_directories(c);
  write_file(c / "Mzzzzzzzzzzzz.ini", "[Client]\r\nMailboxDN=/o=X/cn=good\r\nState=1\r\n");
  write_file(c / "M000000000001.ini", "[Client]\r\nMailboxDN=/o=X/cn=a\r\nState=9\r\n");
  write_file(c / "M000000000002.ini", "[Other]\r\nX=1\r\n");
  write_file(c / "M000000000003.ini", "");
  write_file(c / "M000000000004.ini", "[Client]\r\nMailboxDN=/o=X/cn=d\r\nState=1\r\nthis is no key\r\n");
  write_file(c / "M000000000005.ini", "[Client]\r\nState=1\r\n");
  write_file(c / "M000000000006.ini", std::string("[Client]\r\nMailboxDN=/o=X/cn=f\0\r\nState=1\r\n", 38));
  for (const unsigned short columns : {50, 80, 132}) {
    const std::string screen = on_a_terminal_of(columns, {"rehearse", "--source", c.string()});
    EXPECT_EQ(screen.find("\\x0a"), std::string::npos) << screen;
    const auto at = screen.find("  rejected  ");
    ASSERT_NE(at, std::string::npos) << screen;
    std::istringstream lines(screen.substr(at));
    std::size_t rows = 0, codes = 0;
    for (std::string line; std::getline(lines, line) && (rows == 0 || line.rfind("            ", 0) == 0); ++rows) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      EXPECT_LT(line.size(), columns) << columns << " columns:\n" << screen;
      codes += count_of(line, " 1");
    }
    EXPECT_EQ(codes, 6u) << columns << " columns:\n" << screen;
    if (columns == 50) {
      EXPECT_GE(rows, 3u) << screen;
    }
  }
}

// The progress line fits any width: each redraw is shorter than the terminal
// is wide, so it never wraps and scrolls (it was padded to 79 under 20 columns).
TEST_F(Terminal, TheProgressLineFitsATerminalOfAnyWidth) {
  for (const unsigned short columns : {8, 15, 19, 20, 50, 80}) {
    const std::string screen =
        on_a_terminal_of(columns, {"rehearse", "--source", sample().string(), "--progress", "always"});
    std::size_t drawn = 0;
    for (std::size_t at = screen.find('\r'); at != std::string::npos; at = screen.find('\r', at + 1)) {
      const std::size_t end = screen.find_first_of("\r\n", at + 1);
      const std::size_t width = (end == std::string::npos ? screen.size() : end) - at - 1;
      if (end != std::string::npos && (screen[end] == '\n' || screen.compare(end, 2, "\r\n") == 0)) {
        continue;  // a line of the summary (its CR LF)
      }
      // Room for the terminal's "^C" after it: a Ctrl-C must not wrap the line.
      EXPECT_LE(width + 3, std::max<std::size_t>(columns, 4)) << columns << " columns: a redraw of " << width << ":\n"
                                                              << screen;
      ++drawn;
    }
    EXPECT_GT(drawn, 0u) << columns << " columns: no progress line drawn\n" << screen;
  }
}

TEST_F(Terminal, QuietPrintsTheStatusLineAlone) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"scan", "--source", sample().string(), "--quiet"},
        std::vector<std::string>{"rehearse", "--source", sample().string(), "--quiet"}}) {
    const auto r = stdout_of(args);
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_EQ(count_of(r.out, "\n"), 1u) << r.out;
    EXPECT_EQ(r.out.rfind("kms-migrate " + args[0] + ": ", 0), 0u) << r.out;
  }
}

TEST_F(Terminal, ScanListsEachFileOnceRejectsFirstAndCapsItsLists) {
  const auto r = kms({"scan", "--source", rejects(30).string()});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(count_of(r.out, "M000000000000.ini"), 1u) << r.out;
  EXPECT_NE(r.out.find("... and 5 more (--all to list every one)"), std::string::npos) << r.out;
  EXPECT_EQ(count_of(r.out, "[bad-value, unknown-key]"), 25u) << r.out;
  const auto all = kms({"scan", "--source", rejects(30).string(), "--all"});
  EXPECT_EQ(count_of(all.out, "[bad-value, unknown-key]"), 30u) << all.out;
  EXPECT_EQ(all.out.find("more (--all"), std::string::npos) << all.out;
  EXPECT_EQ(last_line(r.out),
            "kms-migrate scan: 31 files seen: 1 would migrate, 0 would be normalized, 30 rejected, 0 skipped");
  const auto sample_scan = kms({"scan", "--source", sample().string()});
  EXPECT_LT(sample_scan.out.find("rejected"), sample_scan.out.find("normalizations")) << sample_scan.out;
}

TEST_F(Terminal, ScanForAMailboxPrintsTheMatchAndTheInventoryOnlyWithSummary) {
  const auto r = kms({"scan", "--source", sample().string(), "--mailbox", "jane-d"});
  const auto found =
      kms({"scan", "--source", sample().string(), "--mailbox", "/o=Contoso/ou=Redmond/cn=Recipients/cn=JaneD"});
  EXPECT_EQ(found.exit_code, 0) << found.out;
  EXPECT_NE(found.out.find("file(s)"), std::string::npos) << found.out;
  EXPECT_EQ(found.out.find("legacy State:"), std::string::npos) << "the inventory without --summary:\n" << found.out;
  const auto both = kms({"scan", "--source", sample().string(), "--mailbox",
                         "/o=Contoso/ou=Redmond/cn=Recipients/cn=JaneD", "--summary"});
  EXPECT_NE(both.out.find("legacy State:"), std::string::npos) << both.out;
  EXPECT_NE(both.out.find("file(s)"), std::string::npos) << both.out;
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_EQ(last_line(r.out), "kms-migrate scan: failed: no file holds the mailbox \"jane-d\"") << r.out;
  EXPECT_EQ(kms({"scan", "--source", sample().string(), "--summary"}).exit_code, 2);
}

// The runbook's check that the copy upgraded is the copy rehearsed: scan shows
// the digest that a rehearsal (and the upgrade) of the same store records.
TEST_F(Terminal, ScanShowsTheDigestARehearsalRecords) {
  for (const char* store : {"sample-store/Security", "cases/single/Clients", "cases/duplicate-mailbox/Clients",
                            "cases/duplicate-record-id/Clients"}) {
    const fs::path source = kFixtures / store;
    const auto scan = kms({"scan", "--source", source.string(), "--json"});
    const auto rehearse = kms({"rehearse", "--source", source.string(), "--report", (tmp / "r.jsonl").string()});
    const std::string digest = nlohmann::json::parse(scan.out)["content_digest"].get<std::string>();
    EXPECT_EQ(digest.size(), 64u) << store;
    EXPECT_EQ(digest, read_jsonl(tmp / "r.jsonl").back()["content_digest"].get<std::string>()) << store;
    EXPECT_NE(kms({"scan", "--source", source.string()}).out.find("digest    " + digest), std::string::npos) << store;
  }
}

TEST_F(Terminal, ProgressNamesEveryPhaseAndFitsTheLine) {
  const fs::path err = tmp / "progress.txt";
  const std::string cmd = std::string("'") + KMS_MIGRATE_BIN + "' upgrade --yes --progress always --source '" +
                          sample().string() + "' --target '" + (tmp / "k.db").string() + "' 2> '" + err.string() + "'";
  ASSERT_EQ(run_process("/bin/bash", {"-c", cmd}).exit_code, 0);
  const std::string frames = read_file(err);
  for (const char* phase : {"reading", "cross-file checks...", "index build...", "verifying", "integrity check...",
                            "report...", "fsync and rename..."}) {
    EXPECT_NE(frames.find(phase), std::string::npos) << phase << " is never shown:\n" << frames;
  }
  EXPECT_EQ(frames.find(" 0/s"), std::string::npos) << frames;
  EXPECT_EQ(frames.find("ETA 0 s"), std::string::npos) << frames;
  std::istringstream in(frames);
  for (std::string frame; std::getline(in, frame, '\r');) EXPECT_LE(frame.size(), 80u) << frame;
}

TEST_F(Terminal, MessagesSayWhatIsWrongAndWhatToTypeInstead) {
  const auto missing = kms({"scan", "--source", (tmp / "nowhere").string()});
  EXPECT_NE(missing.out.find("it does not exist"), std::string::npos) << missing.out;
  write_file(tmp / "file", "x");
  const auto file = kms({"scan", "--source", (tmp / "file").string()});
  EXPECT_NE(file.out.find("it is not a folder"), std::string::npos) << file.out;
  sample();
  const auto parent = kms({"scan", "--source", (tmp / "sample-store").string()});
  EXPECT_EQ(parent.exit_code, 2);
  EXPECT_NE(parent.out.find("use --source '" + (tmp / "sample-store" / "Security").string() + "'"), std::string::npos)
      << parent.out;
  const fs::path other = tmp / "other.db";
  ASSERT_EQ(
      run_process("/usr/bin/sqlite3", {other.string(), "PRAGMA application_id = 1; CREATE TABLE t (x);"}).exit_code, 0);
  const auto v = kms({"verify", "--source", sample().string(), "--target", other.string()});
  EXPECT_EQ(v.exit_code, 2);
  EXPECT_NE(v.out.find("(application_id 0x00000001, expected 0x4B4D3535 ('KM55'))"), std::string::npos) << v.out;
}

}  // namespace
}  // namespace kms::test
