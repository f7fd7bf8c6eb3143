// Issue 4: faults and hostile input. Nothing is lost or half-written.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "test_util.h"

namespace fs = std::filesystem;

namespace kms::test {
namespace {

const fs::path kFixtures = KMS_FIXTURES_DIR;

/// kms-migrate with a file-size limit (RLIMIT_FSIZE): the "disk" fills up at `limit` bytes.
ProcessResult run_with_file_size_limit(const std::vector<std::string>& args, rlim_t limit, const fs::path& log) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    struct rlimit rl {
      limit, limit
    };
    ::setrlimit(RLIMIT_FSIZE, &rl);
    std::freopen(log.c_str(), "w", stdout);
    ::dup2(STDOUT_FILENO, STDERR_FILENO);
    std::vector<char*> argv{const_cast<char*>(KMS_MIGRATE_BIN)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(KMS_MIGRATE_BIN, argv.data());
    ::_exit(127);
  }
  ProcessResult r;
  r.exit_code = wait_process(pid);
  r.out = read_file(log);
  return r;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

class Reliability : public ::testing::Test {
 protected:
  TempDir tmp;
  fs::path big_store(int records) { return generated_store(tmp / ("gen" + std::to_string(records)), records, 11); }
};

TEST_F(Reliability, DiskFullIsExitThreeWithTheCauseAndNothingLeft) {
  const fs::path out = tmp / "out";
  fs::create_directories(out);
  write_file(out / "kms55.db", "old target");
  const auto r = run_with_file_size_limit({"upgrade", "--source", big_store(400).string(), "--target",
                                           (out / "kms55.db").string(), "--force", "--progress", "never", "--yes"},
                                          256 * 1024, tmp / "log.txt");
  EXPECT_EQ(r.exit_code, 3) << r.out;
  EXPECT_NE(r.out.find("the file-size limit (ulimit -f) is 262144 bytes"), std::string::npos) << r.out;
  EXPECT_EQ(read_file(out / "kms55.db"), "old target");
  EXPECT_EQ(files_containing(out, "kms-migrate"), std::vector<std::string>{});
}

TEST_F(Reliability, SecondUpgradeOfTheSameTargetIsRefusedAndAKilledRunLeavesNoStuckLock) {
  const fs::path store = big_store(10000);
  const fs::path out = tmp / "out";
  fs::create_directories(out);
  const std::vector<std::string> args = {
      "upgrade",    "--source", store.string(), "--target", (out / "kms55.db").string(),
      "--progress", "never",    "--jobs",       "1",        "--yes"};
  // The first run stands at its first file: the lock taken, its temporary file made.
  const fs::path fifo = tmp / "stop.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const int first = start_at_stop_point(args, tmp / "first.txt", fifo, "reading");
  ASSERT_GT(first, 0);
  EXPECT_FALSE(files_containing(out, ".lock").empty());
  EXPECT_FALSE(files_containing(out, ".kms55.db.kms-migrate-").empty());  // its private folder
  const auto second = run_process(KMS_MIGRATE_BIN, args);
  EXPECT_EQ(second.exit_code, 2) << second.out;
  EXPECT_NE(second.out.find("another kms-migrate run"), std::string::npos) << second.out;
  ::kill(first, SIGKILL);
  EXPECT_EQ(wait_process(first), 128 + SIGKILL);
  EXPECT_FALSE(fs::exists(out / "kms55.db"));
  const auto third = run_process(KMS_MIGRATE_BIN, args);
  EXPECT_EQ(third.exit_code, 0) << third.out;
  if (!files_containing(tmp / "out", ".kms55.db.kms-migrate-").empty()) ADD_FAILURE() << "private folder still there";
  EXPECT_EQ(files_containing(out, "kms-migrate"), std::vector<std::string>{});
}

/// Names a report must quote, and entries no record is: fifos, devices, link
/// loops, a link to /, a deep folder, 3,000 noise files. Returns the entries.
std::size_t plant_odd_entries(const fs::path& clients) {
  const std::vector<std::string> odd_names = {
      "with space.ini",     "quote\"d.ini",
      "new\nline.ini",      "tab\there.ini",
      "ctrl\x01\x1f.ini",   "caf\xC3\xA9.ini",
      "latin1-\xE9.ini",    "comma,semi;colon.ini",
      "Mbackslash\\01.ini", "M\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9.ini"};
  for (const auto& n : odd_names) write_file(clients / n, "[Client]\r\nMailboxDN=x\r\nState=1\r\n");
  for (int i = 0; i < 3000; ++i) write_file(clients / ("noise" + std::to_string(i) + ".txt"), "");
  EXPECT_EQ(::mkfifo((clients / "Mfifo00000001.ini").c_str(), 0644), 0);
  EXPECT_EQ(::mknod((clients / "Mdevice000001.ini").c_str(), S_IFCHR | 0644, makedev(1, 3)), 0);  // like /dev/null
  fs::create_symlink("Mloop0000001a.ini", clients / "Mloop0000001b.ini");
  fs::create_symlink("Mloop0000001b.ini", clients / "Mloop0000001a.ini");
  fs::create_directory_symlink("/", clients / "Mrootlink0001.ini");
  fs::path deep = clients / "Mdeepfolder01.ini";
  for (int i = 0; i < 30; ++i) deep /= "d";
  fs::create_directories(deep);
  return static_cast<std::size_t>(std::distance(fs::directory_iterator(clients), fs::directory_iterator()));
}

/// One valid JSON line per entry and the summary; the odd entries' outcomes.
void check_jsonl(const fs::path& report, std::size_t entries) {
  const auto lines = lines_of(read_file(report));
  ASSERT_EQ(lines.size(), entries + 1);
  for (const auto& l : lines) EXPECT_TRUE(nlohmann::json::accept(l)) << l;
  const auto summary = nlohmann::json::parse(lines.back());
  EXPECT_EQ(summary["files_seen"].get<std::size_t>(), entries);
  const auto rec = [&](const std::string& needle) {
    for (const auto& l : lines) {
      if (l.find(needle) != std::string::npos) return nlohmann::json::parse(l);
    }
    return nlohmann::json();
  };
  EXPECT_EQ(rec("Mfifo00000001.ini")["outcome"], "skipped");
  EXPECT_EQ(rec("Mdevice000001.ini")["outcome"], "skipped");
  EXPECT_EQ(rec("Mloop0000001a.ini")["outcome"], "rejected");
  EXPECT_EQ(rec("Mloop0000001a.ini")["issues"][0]["code"], "symlink");
  EXPECT_EQ(rec("Mrootlink0001.ini")["issues"][0]["code"], "symlink");
  EXPECT_EQ(rec("Mdeepfolder01.ini")["outcome"], "skipped");
  EXPECT_EQ(rec("new\\nline.ini")["outcome"], "skipped");
}

/// A CSV reader sees one header and one row per entry: records counted, honouring quotes.
void check_csv_rows(const fs::path& report, std::size_t entries) {
  const std::string csv = read_file(report);
  std::size_t rows = 0;
  bool quoted = false;
  for (const char c : csv) {
    if (c == '"') quoted = !quoted;
    if (!quoted && c == '\n') ++rows;
  }
  EXPECT_FALSE(quoted);
  EXPECT_EQ(rows, entries + 1);
}

TEST_F(Reliability, HostileNamesAndOddEntriesAreReportedWithValidJsonAndCsv) {
  const fs::path clients = tmp / "Clients";
  fs::create_directories(clients);
  copy_tree(kFixtures / "sample-store" / "Security" / "Mgrent" / "Clients", clients);
  const std::size_t entries = plant_odd_entries(clients);
  const fs::path link_to_store = tmp / "store-link";
  fs::create_directory_symlink(clients, link_to_store);  // the store folder itself is a link
  for (const char* ext : {".jsonl", ".csv"}) {
    const fs::path report = tmp / (std::string("r") + ext);
    const auto r = run_process(KMS_MIGRATE_BIN, {"upgrade", "--source", clients.string(), "--target",
                                                 (tmp / (std::string("t") + ext + ".db")).string(), "--allow-rejected",
                                                 "--report", report.string(), "--progress", "never", "--yes"});
    ASSERT_EQ(r.exit_code, 0) << r.out;
    if (std::string(ext) == ".jsonl") {
      check_jsonl(report, entries);
    } else {
      check_csv_rows(report, entries);
    }
  }
  // The store read through a link to its folder: the same plan as the upgrade's.
  const auto via_link =
      run_process(KMS_MIGRATE_BIN, {"rehearse", "--source", link_to_store.string(), "--allow-rejected"});
  EXPECT_EQ(via_link.exit_code, 0) << via_link.out;
  EXPECT_NE(via_link.out.find("kms-migrate rehearse: succeeded"), std::string::npos) << via_link.out;
}

}  // namespace
}  // namespace kms::test
