// The streamed report (docs/reports.md): each record line exactly as the
// JSON library writes it, the summary last, lists cut for the terminal only.
#include <gtest/gtest.h>

#include "report_json.h"
#include "report_sink.h"
#include "safe_text.h"
#include "test_util.h"

namespace kms::core {
namespace {

FileSummary summary(std::string path, std::string mailbox_dn) {
  FileSummary f;
  f.path = std::move(path);
  f.record_id = "m0a9b8c7d6e5f";
  f.mailbox_dn = std::move(mailbox_dn);
  f.sha256 = std::string(64, 'a');
  f.outcome = RecordOutcome::Migrated;
  f.legacy_state = 2;
  f.state = ClientState::Active;
  return f;
}

// jsonl_record writes plain ASCII itself and hands anything else to nlohmann;
// either way the line must be the library's own dump of record_json.
TEST(Report, RecordLineIsTheJsonLibrarysOwn) {
  std::vector<FileSummary> cases;
  for (const std::string odd : {"plain", "quote\"d", "back\\slash", "tab\there", "new\nline", "del\x7f",
                                "Ren\xC3\xA9" "e", "bad \xC3\x28 utf8", "\xFF\xFE", ""}) {
    cases.push_back(summary("M" + odd + ".ini", "/o=Contoso/cn=" + odd));
  }
  FileSummary skipped = summary("desktop.ini", "");
  skipped.record_id.clear();
  skipped.sha256.clear();
  skipped.outcome = RecordOutcome::Skipped;
  skipped.legacy_state.reset();
  skipped.state.reset();
  add_issue(skipped.issues, Severity::Info, "not-a-record", "not a client record file: \"x\"");
  cases.push_back(skipped);
  FileSummary rejected = summary("Mbad.ini", "/o=x");
  rejected.outcome = RecordOutcome::Rejected;
  add_issue(rejected.issues, Severity::Error, "bad-state", "State=9 is not 1-4", 3);
  cases.push_back(rejected);
  for (const auto& f : cases) {
    for (auto v : {std::optional<Verification>(), std::optional<Verification>(Verification::Passed),
                   std::optional<Verification>(Verification::NotApplicable)}) {
      // The library's JSON, with DEL and C1 escaped too (json_inert: still exact JSON).
      const std::string expected =
          json_inert(record_json(f, v).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)) + "\n";
      EXPECT_EQ(jsonl_record(f, v), expected) << "path: " << ::testing::PrintToString(f.path);
    }
  }
}

TEST(Report, SinkStreamsEveryFileAndKeepsShortListsForTheTerminal) {
  test::TempDir tmp;
  const auto path = tmp / "r.jsonl";
  RunReport r;
  r.command = "rehearse";
  {
    ReportSink sink(path);
    for (int i = 0; i < 40; ++i) {
      FileSummary f = summary("M" + std::to_string(1000 + i) + ".ini", "/o=x/cn=" + std::to_string(i));
      f.outcome = RecordOutcome::Rejected;
      add_issue(f.issues, Severity::Error, "bad-state", "State=9 is not 1-4", 2);
      sink.add(f, std::nullopt);
    }
    EXPECT_FALSE(std::filesystem::exists(path)) << "the report appears only when finished";
    sink.fill(r);
    sink.finish(r);
  }
  EXPECT_EQ(r.totals.files_seen, 40u);
  EXPECT_EQ(r.totals.rejected, 40u);
  EXPECT_EQ(r.lists.problems.size(), TerminalLists::kLimit);
  EXPECT_EQ(r.lists.problems_more, 40u - TerminalLists::kLimit);
  EXPECT_EQ(r.lists.problems.front(), "M1000.ini:2: bad-state: State=9 is not 1-4");
  const auto lines = test::read_jsonl(path);
  ASSERT_EQ(lines.size(), 41u);
  EXPECT_EQ(lines.back()["type"], "summary");
  EXPECT_EQ(lines.back()["rejected"], 40);
  EXPECT_EQ(lines[39]["verification"], "not-applicable");
  EXPECT_FALSE(std::filesystem::exists(tmp / "r.jsonl.partial"));
}

TEST(Report, UnfinishedReportLeavesNothing) {
  test::TempDir tmp;
  {
    ReportSink sink(tmp / "r.csv");
    sink.add(summary("M1.ini", "/o=x"), Verification::Passed);
  }
  EXPECT_TRUE(test::files_containing(tmp.path(), "r.").empty());
}

}  // namespace
}  // namespace kms::core
