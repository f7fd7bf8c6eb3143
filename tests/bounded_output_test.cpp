// Bounded output (docs/reports.md): a file of any number of damaged lines is
// one bounded record in every output: the first 100 issues, then one
// `issues-not-listed` that counts the rest by severity.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "file_analysis.h"
#include "issue.h"
#include "sqlite_handle.h"
#include "test_util.h"

namespace kms::test {
namespace {

using core::Severity;

std::string many_bad_lines(int n) {
  std::string text = "[Client]\r\nMailboxDN=/o=X/cn=many\r\nState=1\r\nToken=ABCDEFGHJKLM\r\n";
  for (int i = 0; i < n; ++i) text += "x\r\n";
  return text;
}

TEST(BoundedOutput, AFileOfManyIssuesListsTheFirstHundredAndCountsTheRest) {
  for (const int n : {99, 100, 101, 5000}) {
    const auto a = core::analyze_record_bytes("Mmany00000001.ini", "mmany00000001", many_bad_lines(n), 0);
    const auto& issues = a.summary.issues;
    EXPECT_EQ(a.summary.outcome, core::RecordOutcome::Rejected) << n;
    if (n <= 100) {
      EXPECT_EQ(issues.size(), static_cast<std::size_t>(n)) << n;
      continue;
    }
    ASSERT_EQ(issues.size(), core::kListedIssues + 1) << n;
    EXPECT_EQ(issues.back().code, "issues-not-listed") << n;
    EXPECT_EQ(issues.back().severity, Severity::Info) << n;
    const std::string more = std::to_string(n - 100);
    EXPECT_EQ(issues.back().message.rfind(more + " more issue(s) of this file not listed (" + more + " error(s)", 0),
              0u)
        << issues.back().message;
  }
}

TEST(BoundedOutput, AnErrorAfterAHundredWarningsStillRejectsTheFileAndIsCounted) {
  // The reader's 149 duplicate-key warnings come first; the rules' bad-value error after them.
  std::string text = "[Client]\r\nMailboxDN=/o=X/cn=w\r\nState=9\r\nToken=ABCDEFGHJKLM\r\n";
  for (int i = 0; i < 150; ++i) text += "Alias=a" + std::to_string(i) + "\r\n";
  const auto a = core::analyze_record_bytes("Mwarn00000001.ini", "mwarn00000001", text, 0);
  EXPECT_EQ(a.summary.outcome, core::RecordOutcome::Rejected);
  ASSERT_EQ(a.summary.issues.size(), core::kListedIssues + 1);
  EXPECT_NE(a.summary.issues.back().message.find("(1 error(s), 49 warning(s)"), std::string::npos)
      << a.summary.issues.back().message;
}

/// A store of one good record and Mmany00000001.ini of `bad_lines` malformed lines.
fs::path store_with_many_issues(const TempDir& tmp, int bad_lines) {
  const fs::path clients = tmp / "Clients";
  fs::create_directories(clients);
  write_file(clients / "Mgood00000001.ini", "[Client]\r\nMailboxDN=/o=X/cn=good\r\nState=1\r\n");
  write_file(clients / "Mmany00000001.ini", many_bad_lines(bad_lines));
  return clients;
}

TEST(BoundedOutput, EveryOutputOfTheRunHoldsTheSameBoundedList) {
  TempDir tmp;
  const fs::path clients = store_with_many_issues(tmp, 200000);
  const fs::path db = tmp / "k.db";
  const auto r =
      run_process(KMS_MIGRATE_BIN, {"upgrade", "--source", clients.string(), "--target", db.string(), "--yes",
                                    "--allow-rejected", "--report", (tmp / "r.jsonl").string(), "--report",
                                    (tmp / "r.csv").string(), "--report", (tmp / "r.html").string()});
  ASSERT_EQ(r.exit_code, 0) << r.out.substr(0, 3000);
  EXPECT_LT(r.out.size(), 20000u) << "the terminal holds a bounded list";
  for (const char* f : {"r.jsonl", "r.csv", "r.html"}) {
    EXPECT_LT(fs::file_size(tmp / f), 200000u) << f << " is not bounded";
  }
  std::size_t listed = 0;
  for (const auto& l : read_jsonl(tmp / "r.jsonl")) {
    if (l["type"] == "record" && l["path"] == "Mmany00000001.ini") {
      listed = l["issues"].size();
      EXPECT_EQ(l["issues"].back()["code"], "issues-not-listed");
    }
  }
  EXPECT_EQ(listed, core::kListedIssues + 1);
  core::Db d(db.string(), core::OpenMode::ReadOnly);
  core::Stmt q(d, "SELECT issues FROM migration_report WHERE path = 'Mmany00000001.ini'");
  ASSERT_TRUE(q.step());
  EXPECT_EQ(nlohmann::json::parse(q.text(0)).size(), core::kListedIssues + 1);
  const auto v = run_process(KMS_MIGRATE_BIN, {"verify", "--source", clients.string(), "--target", db.string()});
  EXPECT_EQ(v.exit_code, 0) << v.out.substr(0, 3000);
}

// The terminal's lists say what the cap left out too, and scan names each
// code of a file once (a hundred malformed-line made a line of 1,800 columns).
TEST(BoundedOutput, TheTerminalCountsWhatTheCapLeftOutAndScanNamesEachCodeOnce) {
  TempDir tmp;
  const fs::path clients = store_with_many_issues(tmp, 500);
  const auto all = run_process(KMS_MIGRATE_BIN, {"rehearse", "--source", clients.string(), "--all"});
  EXPECT_NE(all.out.find("Mmany00000001.ini: issues-not-listed: "), std::string::npos) << all.out.substr(0, 3000);
  const auto scan = run_process(KMS_MIGRATE_BIN, {"scan", "--source", clients.string()});
  const auto at = scan.out.find("Mmany00000001.ini");
  ASSERT_NE(at, std::string::npos) << scan.out;
  const std::string line = scan.out.substr(at, scan.out.find('\n', at) - at);
  EXPECT_EQ(line.find("malformed-line"), line.rfind("malformed-line")) << line;
  const auto json = run_process(KMS_MIGRATE_BIN, {"scan", "--source", clients.string(), "--json"});
  const auto doc = nlohmann::json::parse(json.out);
  for (const auto& f : doc["records_with_issues"]) {
    std::set<std::string> once;
    for (const auto& c : f["codes"]) EXPECT_TRUE(once.insert(c.get<std::string>()).second) << f.dump();
  }
}

}  // namespace
}  // namespace kms::test
