// The streamed report (docs/reports.md): each record line exactly as the
// JSON library writes it, the summary last, lists cut for the terminal only.
#include <gtest/gtest.h>

#include "report_html.h"
#include "report_html_page_one.h"
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
  f.mailbox_dn = MailboxField::of(mailbox_dn);
  f.sha256 = std::string(64, 'a');
  f.outcome = RecordOutcome::Migrated;
  f.legacy_state = 2;
  f.state = ClientState::Active;
  return f;
}

// jsonl_record writes plain ASCII itself and hands anything else to nlohmann;
// either way the line must be the library's own dump of record_json.
// Page one of a cancelled run says the word once and draws nothing as written;
// a verify against another store counts the store's side apart from the
// database's own, and draws nothing of it as written either.
TEST(Report, PageOneOfACancelledRunAndOfAnotherStoresVerify) {
  RunReport c;
  c.command = Command::Upgrade;
  c.status = RunStatus::Cancelled;
  c.message = "cancelled at the confirmation prompt (answered no); nothing was written at the target";
  c.totals.files_seen = c.totals.migrated = 5;
  EXPECT_EQ(html_verdict(c).second,
            "Cancelled at the confirmation prompt (answered no); nothing was written at the target");
  EXPECT_NE(html_counts(c).find(">not written: would migrate</text>"), std::string::npos) << html_counts(c);
  RunReport v;
  v.command = Command::Verify;
  v.status = RunStatus::Failed;
  v.wrong_store = "this database was made from 'a' ...";
  v.totals.files_seen = 12;
  v.totals.migrated = 12;
  v.totals.verified_failed = 12;
  v.database_only.files_seen = v.database_only.migrated = v.database_only.verified_failed = 4;
  const std::string counts = html_counts(v);
  EXPECT_NE(counts.find("id=\"count-files_seen\">8<"), std::string::npos) << counts;
  EXPECT_NE(counts.find("id=\"count-verified_failed\">8<"), std::string::npos) << counts;
  EXPECT_NE(counts.find("Not counted above: 4 more file(s) in the database"), std::string::npos) << counts;
  EXPECT_EQ(counts.find(">migrated</text>"), std::string::npos) << counts;
}

// verify's verdict: amber when the store has rejected files the upgrade
// accepted; in counts, not the wall of messages, when the two differ.
TEST(Report, VerifysVerdictSaysTheAcceptedRejectsAndCountsTheDifferences) {
  RunReport v;
  v.command = Command::Verify;
  v.status = RunStatus::Succeeded;
  v.totals.files_seen = 12;
  v.totals.migrated = v.totals.verified_passed = 10;
  v.totals.rejected = 2;
  const auto ok = html_verdict(v);
  EXPECT_STREQ(ok.first, "warn");
  EXPECT_NE(ok.second.find("2 rejected file(s) of the store were not migrated (accepted at the upgrade"),
            std::string::npos)
      << ok.second;
  v.status = RunStatus::Failed;
  v.totals.verified_passed = 9;
  v.totals.verified_failed = 1;
  v.table_difference_count = 3;
  v.message = "verification failed: 1 file(s) differ; migration_meta migrated is 9; the store implies 10; ...";
  const auto bad = html_verdict(v);
  EXPECT_STREQ(bad.first, "bad");
  EXPECT_EQ(bad.second,
            "The database does not match the store: 1 file(s) differ; 3 difference(s) in its tables (each one below).");
}

// A run that stopped before it reported every file it counted says so
// above its lists, and its summary says how many it lists.
TEST(Report, ListsShortOfTheCountsSaySo) {
  RunReport r;
  r.command = Command::Upgrade;
  r.status = RunStatus::Cancelled;
  r.message = "cancelled at the confirmation prompt (SIGHUP: the terminal or the SSH session closed); ...";
  r.totals.files_seen = r.totals.rejected = 7;
  r.files_listed = 0;
  HtmlPage page;
  std::string html;
  page.write(r, [&](std::string_view s) { html += s; });
  EXPECT_NE(html.find("id=\"lists-partial\">The lists name 0 of the 7 files counted above"), std::string::npos);
  EXPECT_EQ(html.find("no file has an issue"), std::string::npos);
  EXPECT_EQ(summary_json(r)["files_listed"], 0);
  r.files_listed = 7;
  std::string whole;
  page.write(r, [&](std::string_view s) { whole += s; });
  EXPECT_EQ(whole.find("lists-partial"), std::string::npos);
}

TEST(Report, RecordLineIsTheJsonLibrarysOwn) {
  std::vector<FileSummary> cases;
  for (const std::string odd : {"plain", "quote\"d", "back\\slash", "tab\there", "new\nline", "del\x7f",
                                ("Ren\xC3\xA9"
                                 "e"),
                                "bad \xC3\x28 utf8", "\xFF\xFE", ""}) {
    cases.push_back(summary("M" + odd + ".ini", "/o=Contoso/cn=" + odd));
  }
  FileSummary skipped = summary("desktop.ini", "");
  skipped.record_id.clear();
  skipped.sha256.clear();
  skipped.outcome = RecordOutcome::Skipped;
  skipped.legacy_state.reset();
  skipped.state.reset();
  add_issue(skipped.issues, IssueId::NotARecord, "not a client record file: \"x\"");
  cases.push_back(skipped);
  FileSummary rejected = summary("Mbad.ini", "/o=x");
  rejected.outcome = RecordOutcome::Rejected;
  rejected.issues.push_back(
      Issue{Severity::Error, "bad-state", "State=9 is not 1-4", 3});  // any code: the report does not judge it
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

// The lines of docs/reports.md, written out: the fields, their order, null for
// what is unknown, the CSV quoting and the issue text.
TEST(Report, RecordLinesAreExactlyTheDocumentedOnes) {
  FileSummary f = summary("Mxclfr4zqvktn.ini", "/o=Contoso/ou=Redmond/cn=Recipients/cn=JaneD");
  f.record_id = "mxclfr4zqvktn";
  f.outcome = RecordOutcome::Normalized;
  f.legacy_state = 4;
  f.state = ClientState::New;
  add_issue(f.issues, IssueId::RecoveryNeverEnrolled,
            "State 4 (Recovery) with NumSCerts missing: never enrolled; set to New", 5);
  const std::string sha(64, 'a');
  EXPECT_EQ(jsonl_record(f, Verification::Passed),
            R"({"type":"record","path":"Mxclfr4zqvktn.ini","record_id":"mxclfr4zqvktn",)"
            R"("mailbox_dn":"/o=Contoso/ou=Redmond/cn=Recipients/cn=JaneD","sha256":")" +
                sha +
                R"(",)"
                R"("outcome":"normalized","legacy_state":4,"state":"new",)"
                R"("issues":[{"severity":"warning","code":"recovery-never-enrolled",)"
                R"("message":"State 4 (Recovery) with NumSCerts missing: never enrolled; set to New","line":5}],)"
                R"("verification":"passed"})"
                "\n");
  f.display_name = MailboxField::of("Jane Doe");
  f.alias = MailboxField::of("JaneD");
  add_issue(f.issues, IssueId::UnknownKey, "unknown key \"Colour\" in [Client]", 9);
  EXPECT_EQ(csv_record(f, Verification::Passed),
            "Mxclfr4zqvktn.ini,mxclfr4zqvktn,/o=Contoso/ou=Redmond/cn=Recipients/cn=JaneD,Jane Doe,JaneD," + sha +
                ",normalized,4,new,\"recovery-never-enrolled, unknown-key\",\"warning recovery-never-enrolled (line "
                "5): State 4 (Recovery) with NumSCerts missing: never enrolled; set to New | warning unknown-key "
                "(line 9): unknown key \"\"Colour\"\" in [Client]\",passed\r\n");  // quoted only for a comma or a quote
  f.issues.pop_back();
  FileSummary skipped;
  skipped.path = "desktop.ini";
  skipped.outcome = RecordOutcome::Skipped;
  add_issue(skipped.issues, IssueId::NotARecord, "not a client record file: \"x, y\"");
  EXPECT_EQ(
      jsonl_record(skipped, std::nullopt),
      R"({"type":"record","path":"desktop.ini","record_id":null,"mailbox_dn":null,"sha256":null,)"
      R"("outcome":"skipped","legacy_state":null,"state":null,)"
      R"("issues":[{"severity":"info","code":"not-a-record","message":"not a client record file: \"x, y\"","line":null}],)"
      R"("verification":null})"
      "\n");
  EXPECT_EQ(
      csv_record(skipped, std::nullopt),
      "desktop.ini,,,,,,skipped,,,not-a-record,\"info not-a-record: not a client record file: \"\"x, y\"\"\",\r\n");
  EXPECT_EQ(report_head(ReportFormat::Csv),
            "\xEF\xBB\xBFpath,record_id,mailbox_dn,display_name,alias,sha256,outcome,legacy_state,state,codes,issues,"
            "verification\r\n");
}

TEST(Report, SinkStreamsEveryFileAndKeepsShortListsForTheTerminal) {
  test::TempDir tmp;
  const auto path = tmp / "r.jsonl";
  RunReport r;
  r.command = Command::Rehearse;
  {
    ReportSink sink(path);
    for (int i = 0; i < 40; ++i) {
      FileSummary f = summary("M" + std::to_string(1000 + i) + ".ini", "/o=x/cn=" + std::to_string(i));
      f.outcome = RecordOutcome::Rejected;
      f.issues.push_back(Issue{Severity::Error, "bad-state", "State=9 is not 1-4", 2});
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
