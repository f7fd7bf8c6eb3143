// The real kms-migrate binary: exit codes, reports, secrets, cancellation.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "test_util.h"

namespace kms::test {
namespace {

const fs::path kFixtures = KMS_FIXTURES_DIR;

/// Runs kms-migrate; an upgrade gets --yes (no terminal here to confirm on), unless it has it or `ask` is set.
ProcessResult kms(std::vector<std::string> args, bool ask = false) {
  if (!ask && !args.empty() && args[0] == "upgrade" && std::find(args.begin(), args.end(), "--yes") == args.end()) {
    args.push_back("--yes");
  }
  return run_process(KMS_MIGRATE_BIN, args);
}

/// Every Token and EscrowedKey value of a store.
class Cli : public ::testing::Test {
 protected:
  TempDir tmp;
  fs::path store(const std::string& fixture, const std::string& inner) {
    const fs::path p = tmp / fixture;
    if (!fs::exists(p)) copy_tree(kFixtures / fixture, p);
    return p / inner;
  }
  fs::path sample() { return store("sample-store", "Security"); }
  fs::path cases() { return store("cases/single", "Clients"); }
};

TEST_F(Cli, HelpForEveryCommand) {
  for (const char* cmd : {"scan", "rehearse", "upgrade", "verify"}) {
    const auto r = kms({cmd, "--help"});
    EXPECT_EQ(r.exit_code, 0) << cmd;
    EXPECT_NE(r.out.find("--source"), std::string::npos) << r.out;
  }
  EXPECT_EQ(kms({"--help"}).exit_code, 0);
  EXPECT_EQ(kms({"--version"}).exit_code, 0);
}

TEST_F(Cli, UsageErrorsExitTwo) {
  EXPECT_EQ(kms({}).exit_code, 2);
  EXPECT_EQ(kms({"migrate"}).exit_code, 2);
  EXPECT_EQ(kms({"upgrade", "--source", sample().string()}).exit_code, 2);  // no --target
  EXPECT_EQ(kms({"upgrade", "--source", sample().string(), "--target", (tmp / "t.db").string(), "--report",
                 (tmp / "r.txt").string()})
                .exit_code,
            2);
  const auto r = kms({"upgrade", "--source", (tmp / "nowhere").string(), "--target", (tmp / "t.db").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("no store at"), std::string::npos) << r.out;
  EXPECT_EQ(
      kms({"upgrade", "--source", sample().string(), "--target", (tmp / "no" / "such" / "t.db").string()}).exit_code,
      2);
}

TEST_F(Cli, UpgradeWritesVerifiedDatabaseAndReport) {
  const fs::path db = tmp / "kms55.db", report = tmp / "upgrade.jsonl";
  const auto r = kms({"upgrade", "--source", sample().string(), "--target", db.string(), "--report", report.string()});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("kms-migrate upgrade: succeeded"), std::string::npos) << r.out;
  const auto lines = read_jsonl(report);
  ASSERT_GE(lines.size(), 2u);
  const auto& summary = lines.back();
  EXPECT_EQ(summary["type"], "summary");
  EXPECT_EQ(summary["status"], "succeeded");
  EXPECT_EQ(summary["files_seen"].get<int>(), static_cast<int>(lines.size() - 1));
  EXPECT_EQ(summary["files_seen"].get<int>(), summary["migrated"].get<int>() + summary["normalized"].get<int>() +
                                                  summary["rejected"].get<int>() + summary["skipped"].get<int>());
  bool saw_q198709 = false;
  for (std::size_t i = 0; i + 1 < lines.size(); ++i) {
    const auto& rec = lines[i];
    EXPECT_EQ(rec["type"], "record");
    if (rec["path"] == "Mxclfr4zqvktn.ini") {
      saw_q198709 = true;
      EXPECT_EQ(rec["outcome"], "normalized");
      EXPECT_EQ(rec["legacy_state"], 4);
      EXPECT_EQ(rec["state"], "new");
      EXPECT_EQ(rec["verification"], "passed");
      EXPECT_EQ(rec["issues"][0]["code"], "recovery-never-enrolled");
      EXPECT_EQ(rec["issues"][0]["severity"], "warning");
    }
    if (rec["outcome"] == "skipped") {
      EXPECT_EQ(rec["verification"], "not-applicable");
    }
  }
  EXPECT_TRUE(saw_q198709);
  EXPECT_EQ(summary["content_digest"].get<std::string>().size(), 64u);
}

TEST_F(Cli, SecretsNeverAppearInOutputOrReports) {
  const fs::path c = cases();
  const fs::path db = tmp / "kms55.db";
  std::string everything;
  for (const char* ext : {".jsonl", ".csv"}) {
    const fs::path report = tmp / (std::string("r") + ext);
    const auto r = kms(
        {"upgrade", "--source", sample().string(), "--target", db.string(), "--report", report.string(), "--force"});
    ASSERT_EQ(r.exit_code, 0) << r.out;
    everything += r.out + read_file(report);
    const auto bad = kms({"rehearse", "--source", c.string(), "--report", report.string()});
    EXPECT_EQ(bad.exit_code, 1);
    everything += bad.out + read_file(report);
  }
  auto secrets = secrets_of(sample() / "Mgrent" / "Clients");
  const auto more = secrets_of(c);
  secrets.insert(secrets.end(), more.begin(), more.end());
  ASSERT_GT(secrets.size(), 10u);
  for (const auto& s : secrets)
    EXPECT_EQ(everything.find(s), std::string::npos) << "secret leaked: " << s.substr(0, 6) << "...";
}

TEST_F(Cli, FailClosedWritesNothingAndNamesEveryReject) {
  const fs::path db = tmp / "kms55.db", report = tmp / "r.jsonl";
  const auto r = kms({"upgrade", "--source", cases().string(), "--target", db.string(), "--report", report.string()});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_FALSE(fs::exists(db));
  EXPECT_EQ(files_containing(tmp.path(), "kms-migrate"), std::vector<std::string>{});
  const auto lines = read_jsonl(report);
  EXPECT_EQ(lines.back()["status"], "failed");
  int rejected = 0;
  for (const auto& l : lines) {
    if (l["type"] == "record" && l["outcome"] == "rejected") {
      ++rejected;
      EXPECT_FALSE(l["issues"].empty());
      EXPECT_NE(r.out.find(l["path"].get<std::string>()), std::string::npos) << "terminal does not name " << l["path"];
    }
  }
  EXPECT_EQ(rejected, lines.back()["rejected"].get<int>());
  EXPECT_GT(rejected, 10);
}

TEST_F(Cli, AllowRejectedAndForceReplaceTheTargetOnlyWhenComplete) {
  const fs::path db = tmp / "kms55.db";
  write_file(db, "previous");
  auto r = kms({"upgrade", "--source", cases().string(), "--target", db.string(), "--force"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(read_file(db), "previous");
  r = kms({"upgrade", "--source", cases().string(), "--target", db.string(), "--allow-rejected"});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("--force"), std::string::npos);
  r = kms({"upgrade", "--source", cases().string(), "--target", db.string(), "--allow-rejected", "--force", "--report",
           (tmp / "r.csv").string()});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(read_file(db), "previous");
  const std::string csv = read_file(tmp / "r.csv");
  EXPECT_EQ(csv.rfind("\xEF\xBB\xBFpath,record_id,mailbox_dn,display_name,alias,sha256,outcome,legacy_state,state,"
                      "codes,issues,verification\r\n",
                      0),
            0u);
  EXPECT_NE(csv.find("Mbadcert00001.ini,mbadcert00001,"), std::string::npos);
  // The display name and alias of every file that has them, the upgrade's CSV
  // being read back from the database as the rehearsal's is.
  for (const char* command : {"upgrade", "rehearse"}) {
    const fs::path sample_csv = tmp / (std::string(command) + "-sample.csv");
    std::vector<std::string> args = {command, "--source", sample().string(), "--report", sample_csv.string()};
    if (std::string(command) == "upgrade") args.insert(args.end(), {"--target", (tmp / "s.db").string()});
    const auto s = kms(args);
    EXPECT_EQ(s.exit_code, 0) << s.out;
    const std::string rows = read_file(sample_csv);
    EXPECT_NE(rows.find("Mxclfr4zqvktn.ini,mxclfr4zqvktn,/o=Contoso/ou=Redmond/cn=Recipients/cn=JaneD,Jane Doe,JaneD,"),
              std::string::npos)
        << command << ":\n"
        << rows;
  }
}

// The signal tests (every cancelling signal, at start-up, while reading, while
// verifying, just before the rename) are PathsAndSignals.EverySignalAtEveryMomentCancelsCleanly:
// they wait for the run at a named point instead of sleeping.

/// Every file under `dir`: path, bytes and modification time.
std::string fingerprint(const fs::path& dir) {
  std::string out;
  for (fs::recursive_directory_iterator it(dir), end; it != end; ++it) {
    const auto st = it->symlink_status();
    out += it->path().string() + "|";
    if (st.type() == fs::file_type::regular)
      out += read_file(it->path()) + "|" + std::to_string(fs::last_write_time(it->path()).time_since_epoch().count());
    if (st.type() == fs::file_type::symlink) out += fs::read_symlink(it->path()).string();
    out += "\n";
  }
  return out;
}

TEST_F(Cli, ScanFindsAMailboxByAliasAndByDn) {
  for (const char* query : {"janed", "/O=CONTOSO/ou=Redmond/cn=Recipients/cn=janed"}) {
    const auto r = kms({"scan", "--source", sample().string(), "--mailbox", query});
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_NE(r.out.find("Mxclfr4zqvktn.ini  (normalized)"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("line 5: warning recovery-never-enrolled"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("QX7RTB2MNP4K"), std::string::npos) << "token printed";
  }
  const auto json = kms({"scan", "--source", sample().string(), "--mailbox", "JaneD", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.out;
  // --mailbox --json: the query and its matches alone; with --summary, inside the inventory.
  const auto doc = nlohmann::json::parse(json.out);
  EXPECT_EQ(doc["matches"].size(), 1u) << json.out;
  EXPECT_EQ(doc["matches"][0]["record"]["legacy_state"], 4);
  EXPECT_FALSE(doc.contains("files_seen")) << "the inventory was printed too";
  EXPECT_EQ(json.out.find("QX7RTB2MNP4K"), std::string::npos);
  const auto both = kms({"scan", "--source", sample().string(), "--mailbox", "JaneD", "--json", "--summary"});
  const auto whole = nlohmann::json::parse(both.out);
  EXPECT_EQ(whole["mailbox"]["matches"].size(), 1u);
  EXPECT_EQ(whole["normalized"], 3);
  EXPECT_EQ(kms({"scan", "--source", sample().string(), "--mailbox", "nobody"}).exit_code, 1);
}

TEST_F(Cli, ScanFindsRejectedFilesToo) {
  const auto r =
      kms({"scan", "--source", cases().string(), "--mailbox", "/o=Contoso/ou=Redmond/cn=Recipients/cn=badcert"});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("Mbadcert00001.ini  (rejected)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("error bad-certificate"), std::string::npos) << r.out;
  // A rejected file shows what it said: what tells two duplicate-mailbox files apart.
  for (const char* field : {"    DisplayName   ", "    Alias         ", "    legacy State  ", "    sha256        "}) {
    EXPECT_NE(r.out.find(field), std::string::npos) << field << "\n" << r.out;
  }
  const auto dup = kms({"scan", "--source", store("cases/duplicate-mailbox", "Clients").string(), "--mailbox",
                        "/o=Contoso/ou=Redmond/cn=Recipients/cn=twin", "--json"});
  const auto doc = nlohmann::json::parse(dup.out);
  ASSERT_GE(doc["matches"].size(), 2u) << dup.out;
  for (const auto& m : doc["matches"]) {
    EXPECT_EQ(m["outcome"], "rejected") << m.dump();
    EXPECT_TRUE(m["sha256"].is_string()) << m.dump();
    EXPECT_TRUE(m.contains("display_name") && m.contains("alias") && m.contains("legacy_state")) << m.dump();
  }
  // Their dates too, as the files say them (what tells the older twin from the newer), under the message rule.
  const fs::path twins = tmp / "twins" / "Clients";
  fs::create_directories(twins);
  const std::string dn = "[Client]\r\nMailboxDN=/o=X/cn=Twin\r\nState=1\r\n";
  write_file(twins / "Mtwin00000001.ini", dn + "Created=19980314091255Z\r\nModified=19990101000000Z\r\n");
  write_file(twins / "Mtwin00000002.ini", dn + "Created=SECRETVALUE123456789\r\n");
  write_file(twins / "Mgood00000001.ini", "[Client]\r\nMailboxDN=/o=X/cn=Good\r\nState=1\r\n");
  const auto dated = kms({"scan", "--source", twins.string(), "--mailbox", "/o=X/cn=Twin"});
  EXPECT_NE(dated.out.find("    Created       \"19980314091255Z\"\n    Modified      \"19990101000000Z\"\n"),
            std::string::npos)
      << dated.out;
  EXPECT_NE(dated.out.find("    Created       a value of 20 characters (not shown)"), std::string::npos) << dated.out;
  EXPECT_EQ(dated.out.find("SECRETVALUE"), std::string::npos) << dated.out;
  const auto dated_json =
      nlohmann::json::parse(kms({"scan", "--source", twins.string(), "--mailbox", "/o=X/cn=Twin", "--json"}).out);
  EXPECT_EQ(dated_json["matches"][0]["created"], "\"19980314091255Z\"") << dated_json.dump();
  EXPECT_TRUE(dated_json["matches"][1]["modified"].is_null()) << dated_json.dump();
}

TEST_F(Cli, NoCommandWritesToTheSource) {
  const fs::path src = sample();
  const fs::path bad = cases();
  const std::string before = fingerprint(tmp / "sample-store") + fingerprint(tmp / "cases");
  const fs::path db = tmp / "kms55.db";
  kms({"scan", "--source", src.string()});
  kms({"rehearse", "--source", src.string(), "--report", (tmp / "r.jsonl").string()});
  kms({"upgrade", "--source", bad.string(), "--target", db.string()});
  kms({"upgrade", "--source", src.string(), "--target", db.string()});
  kms({"verify", "--source", src.string(), "--target", db.string()});
  kms({"verify", "--source", bad.string(), "--target", db.string()});
  EXPECT_EQ(fingerprint(tmp / "sample-store") + fingerprint(tmp / "cases"), before);
}

TEST_F(Cli, RehearsalLeavesNoScratchFilesAndKeepsOnlyWhenAsked) {
  const fs::path scratch = tmp / "scratch";
  fs::create_directories(scratch);
  ::setenv("TMPDIR", scratch.c_str(), 1);
  auto r = kms({"rehearse", "--source", sample().string()});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("would not be blocked"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::is_empty(scratch));
  r = kms({"rehearse", "--source", sample().string(), "--keep-db", (tmp / "kept.db").string()});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(fs::is_empty(scratch));
  EXPECT_TRUE(fs::exists(tmp / "kept.db"));
  r = kms({"verify", "--source", sample().string(), "--target", (tmp / "kept.db").string()});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  ::unsetenv("TMPDIR");
}

TEST_F(Cli, AnUnusableTmpdirIsExitTwoNamingItForEveryCommand) {
  // Every command keeps its per-file state in $TMPDIR: a folder that is not
  // there is the operator's to fix, said in one line, never an abort.
  const fs::path db = tmp / "kms55.db";
  ASSERT_EQ(kms({"upgrade", "--source", sample().string(), "--target", db.string()}).exit_code, 0);
  const std::string missing = (tmp / "no-such-folder").string();
  const std::vector<std::vector<std::string>> runs{
      {"scan", "--source", sample().string()},
      {"verify", "--source", sample().string(), "--target", db.string()},
      {"rehearse", "--source", sample().string(), "--report", (tmp / "r.html").string()},  // its spools too
      {"upgrade", "--source", sample().string(), "--target", (tmp / "new.db").string()},
  };
  for (const auto& args : runs) {
    std::vector<std::string> with_env{"TMPDIR=" + missing, KMS_MIGRATE_BIN};  // for the tool alone
    with_env.insert(with_env.end(), args.begin(), args.end());
    if (args[0] == "upgrade") with_env.push_back("--yes");
    const auto r = run_process("/usr/bin/env", with_env);
    EXPECT_EQ(r.exit_code, 2) << args[0] << ":\n" << r.out;
    EXPECT_NE(r.out.find(missing), std::string::npos) << args[0] << ":\n" << r.out;
    EXPECT_EQ(r.out.find("terminate called"), std::string::npos) << args[0] << ":\n" << r.out;
  }
  EXPECT_FALSE(fs::exists(tmp / "new.db"));
}

TEST_F(Cli, VerifyExitCodes) {
  const fs::path db = tmp / "kms55.db";
  ASSERT_EQ(kms({"upgrade", "--source", sample().string(), "--target", db.string()}).exit_code, 0);
  EXPECT_EQ(kms({"verify", "--source", sample().string(), "--target", db.string()}).exit_code, 0);
  write_file(sample() / "Mgrent" / "Clients" / "Mlatecomer001.ini",
             "[Client]\r\nMailboxDN=/o=x/cn=late\r\nState=1\r\n");
  const auto r =
      kms({"verify", "--source", sample().string(), "--target", db.string(), "--report", (tmp / "v.jsonl").string()});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(read_file(tmp / "v.jsonl").find("missing-in-target"), std::string::npos);
  write_file(tmp / "plain.txt", "hello");
  EXPECT_EQ(kms({"verify", "--source", sample().string(), "--target", (tmp / "plain.txt").string()}).exit_code, 2);
}

}  // namespace
}  // namespace kms::test

#include <pty.h>
#include <sys/wait.h>

namespace fs = std::filesystem;

namespace kms::test {
namespace {

/// Runs kms-migrate on a pseudo-terminal, types `answer` at its prompt, returns
/// (exit code, screen text). With `output`, its stdout and stderr go to that
/// file instead (as `upgrade > up.log 2>&1` would); `before_answering` is how
/// long the operator takes to answer once the question is on the screen.
std::pair<int, std::string> run_on_terminal(const std::vector<std::string>& args, const std::string& answer,
                                            const std::string& output = "",
                                            std::chrono::milliseconds before_answering = {},
                                            double* wall_seconds = nullptr) {
  const auto started = std::chrono::steady_clock::now();
  int master = -1;
  const pid_t pid = start_on_terminal(KMS_MIGRATE_BIN, args, &master, 80, output);
  std::string screen;
  char buf[4096];
  bool answered = false;
  for (;;) {
    const ssize_t n = ::read(master, buf, sizeof buf);
    if (n <= 0) break;  // EIO once the child has exited
    screen.append(buf, static_cast<std::size_t>(n));
    if (!answered && screen.find("Proceed? [y/N]") != std::string::npos) {
      std::this_thread::sleep_for(before_answering);  // the operator reading: not a synchronisation
      if (answer == "EOF") {
        const char eot = 4;  // Ctrl-D: end of input
        (void)!::write(master, &eot, 1);
      } else {
        (void)!::write(master, answer.data(), answer.size());
      }
      answered = true;
    }
  }
  ::close(master);
  const int code = wait_process(pid);
  if (wall_seconds) *wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return {code, screen};
}

TEST_F(Cli, OnATerminalOnlyYesProceeds) {
  for (const char* answer : {"n\n", "\n", "yes please\n", "EOF"}) {
    SCOPED_TRACE(std::string("answer: ") + answer);
    const fs::path db = tmp / "kms55.db";
    const auto [code, screen] = run_on_terminal(
        {"upgrade", "--source", sample().string(), "--target", db.string(), "--report", (tmp / "r.jsonl").string()},
        answer);
    EXPECT_EQ(code, 130) << screen;
    EXPECT_FALSE(fs::exists(db));
    EXPECT_EQ(screen.find("succeeded"), std::string::npos) << screen;
    EXPECT_NE(read_file(tmp / "r.jsonl").find("\"status\":\"cancelled\""), std::string::npos);
  }
  for (const char* answer : {"y\n", "YES\n"}) {
    const fs::path db = tmp / (std::string("ok") + (answer[0] == 'y' ? "1" : "2") + ".db");
    const auto [code, screen] =
        run_on_terminal({"upgrade", "--source", sample().string(), "--target", db.string()}, answer);
    EXPECT_EQ(code, 0) << screen;
    EXPECT_NE(screen.find("will write 38 client record(s)"), std::string::npos) << screen;
    EXPECT_TRUE(fs::exists(db));
  }
}

// A cancel at the prompt says where it happened and how (answered no, or
// Ctrl-C), that nothing was written, that an existing target is unchanged,
// and starts on a line of its own; the prompt says exactly which bytes are kept.
TEST_F(Cli, ACancelAtThePromptSaysWhereHowAndWhatWasLeft) {
  const fs::path db = tmp / "kms55.db";
  write_file(db, "previous");
  for (const std::string answer : {"n\n", "\x03", "\x04"}) {
    SCOPED_TRACE(answer == "n\n" ? "answered n" : answer == "\x03" ? "Ctrl-C" : "Ctrl-D");
    const auto [code, screen] =
        run_on_terminal({"upgrade", "--source", sample().string(), "--target", db.string(), "--force"}, answer);
    EXPECT_EQ(code, 130) << screen;
    EXPECT_EQ(read_file(db), "previous");
    EXPECT_NE(screen.find("archived in legacy_files; links,\r\nunreadable and too-large files, and skipped entries, "
                          "are not.\r\n"),
              std::string::npos)
        << screen;
    // After the prompt, at most the echo of the answer before the line ends.
    const auto asked = screen.find("Proceed? [y/N] ");
    ASSERT_NE(asked, std::string::npos) << screen;
    // Every line of the question fits 80 columns.
    const auto from = screen.find("kms-migrate upgrade is ready to commit.");
    ASSERT_NE(from, std::string::npos) << screen;
    std::istringstream question(screen.substr(from, asked - from));
    for (std::string line; std::getline(question, line);) EXPECT_LT(line.size(), 80u) << line;
    EXPECT_LE(screen.find("\r\n", asked) - asked, std::string("Proceed? [y/N] ^C").size()) << screen;
    const std::string how = answer == "n\n"    ? "(answered no)"
                            : answer == "\x03" ? "(SIGINT, Ctrl-C)"
                                               : "(end of input: no answer)";
    EXPECT_NE(screen.find("kms-migrate upgrade: cancelled at the confirmation prompt " + how +
                          "; nothing was written at the target (the existing file there is unchanged)"),
              std::string::npos)
        << screen;
    EXPECT_FALSE(std::regex_search(screen, std::regex(R"(\^C[^\r\n])"))) << "glued to ^C:\n" << screen;
  }
}

// A second upgrade says what is already there and what to do; with --force the
// prompt names what it will replace.
TEST_F(Cli, ASecondUpgradeSaysWhatIsThereAndForceNamesWhatItReplaces) {
  const fs::path db = tmp / "kms55.db";
  ASSERT_EQ(kms({"upgrade", "--source", sample().string(), "--target", db.string()}).exit_code, 0);
  const auto again = kms({"upgrade", "--source", sample().string(), "--target", db.string()});
  EXPECT_EQ(again.exit_code, 2) << again.out;
  for (const std::string& says : {std::string("exists: a kms-migrate database written at "),
                                  "from '" + sample().string() + "' (this --source), 35 migrated and 3 normalized",
                                  std::string("This store was upgraded already: nothing to do but check it with "
                                              "kms-migrate verify"),
                                  std::string("To upgrade it again over that database, add --force")}) {
    EXPECT_NE(again.out.find(says), std::string::npos) << says << "\n" << again.out;
  }
  // Another store's database, and a file that is not one: no "nothing to do", each its own advice.
  const auto other = kms({"upgrade", "--source", cases().string(), "--target", db.string()});
  EXPECT_EQ(other.exit_code, 2) << other.out;
  EXPECT_NE(other.out.find("It was made from another --source (a copy of this store, or another store): choose "
                           "another --target, or add --force"),
            std::string::npos)
      << other.out;
  // The same store named by its Clients folder is this --source.
  const auto same = kms({"upgrade", "--source", (sample() / "Mgrent" / "Clients").string(), "--target", db.string()});
  EXPECT_NE(same.out.find("(this --source)"), std::string::npos) << same.out;
  EXPECT_NE(same.out.find("This store was upgraded already"), std::string::npos) << same.out;
  // A rehearsal's kept database is no upgrade.
  const fs::path kept = tmp / "kept.db";
  ASSERT_EQ(kms({"rehearse", "--source", sample().string(), "--keep-db", kept.string()}).exit_code, 0);
  const auto over_kept = kms({"upgrade", "--source", sample().string(), "--target", kept.string()});
  EXPECT_EQ(over_kept.exit_code, 2) << over_kept.out;
  EXPECT_NE(over_kept.out.find("a rehearsal's database (rehearse --keep-db), not an upgrade, written at "),
            std::string::npos)
      << over_kept.out;
  EXPECT_NE(over_kept.out.find("No upgrade wrote it"), std::string::npos) << over_kept.out;
  write_file(tmp / "notdb.db", "hello\n");
  const auto not_ours = kms({"upgrade", "--source", sample().string(), "--target", (tmp / "notdb.db").string()});
  EXPECT_EQ(not_ours.exit_code, 2) << not_ours.out;
  EXPECT_NE(not_ours.out.find("a file of 6 bytes that is not a kms-migrate database. Choose another --target, or add "
                              "--force to replace that file"),
            std::string::npos)
      << not_ours.out;
  for (const auto* out : {&other.out, &not_ours.out}) {
    EXPECT_EQ(out->find("nothing to do"), std::string::npos) << *out;
  }
  const auto [code, screen] =
      run_on_terminal({"upgrade", "--source", sample().string(), "--target", db.string(), "--force"}, "n\n");
  EXPECT_EQ(code, 130) << screen;
  EXPECT_NE(screen.find("and REPLACE (--force) what is at the target now:\r\n  a kms-migrate database written at "),
            std::string::npos)
      << screen;
  write_file(tmp / "other.db", "not a database at all");
  const auto [code2, screen2] = run_on_terminal(
      {"upgrade", "--source", sample().string(), "--target", (tmp / "other.db").string(), "--force"}, "n\n");
  EXPECT_EQ(code2, 130) << screen2;
  EXPECT_NE(screen2.find("a file of 21 bytes that is not a kms-migrate database"), std::string::npos) << screen2;
}

TEST_F(Cli, ThePromptIsOnTheTerminalWhateverStdoutIsAndItsWaitIsNotTheRunsTime) {
  const fs::path db = tmp / "kms55.db", report = tmp / "r.jsonl", log = tmp / "up.log";
  double wall = 0;
  const auto [code, screen] =
      run_on_terminal({"upgrade", "--source", sample().string(), "--target", db.string(), "--report", report.string()},
                      "y\n", log.string(), std::chrono::milliseconds(2000), &wall);
  EXPECT_EQ(code, 0) << screen << read_file(log);
  // The question, with what the run will record, reached the terminal although stdout and stderr go to a file.
  EXPECT_NE(screen.find("Proceed? [y/N]"), std::string::npos) << screen;
  EXPECT_NE(screen.find(sample().string()), std::string::npos) << screen;
  EXPECT_NE(screen.find(db.string()), std::string::npos) << screen;
  const auto lines = read_jsonl(report);
  const std::string digest = lines.back()["content_digest"];
  EXPECT_NE(screen.find(digest), std::string::npos) << screen;
  EXPECT_NE(read_file(log).find("kms-migrate upgrade: succeeded"), std::string::npos);
  // The 2 s the operator took to answer are not the run's: its time is at most the
  // whole process's minus that wait (with the wait counted it would be at least
  // the whole minus nothing), however slow the machine.
  EXPECT_LE(lines.back()["elapsed_seconds"].get<double>(), wall - 1.0) << lines.back().dump() << " wall " << wall;
}

}  // namespace
}  // namespace kms::test
