// fixtures/cases/*: every issue code and dialect rule has a file, and each
// file's outcome and issue codes are exactly those in its expected.tsv.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "cross_checks.h"
#include "file_analysis.h"
#include "issue_codes.h"
#include "store_walker.h"
#include "test_util.h"
#include "text_util.h"

namespace fs = std::filesystem;

namespace kms::core {
namespace {

const std::time_t kNow = 1'800'000'000;
/// The size limit the fixtures are read with: small, so that a fixture of 20 KB shows too-large.
constexpr std::int64_t kFixtureLimit = 16 * 1024;

struct Expected {
  std::string outcome;
  std::vector<std::string> codes;
};

std::map<std::string, Expected> read_expected(const fs::path& tsv) {
  std::map<std::string, Expected> out;
  std::ifstream in(tsv.string());
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream s(line);
    std::string file, outcome, codes, code;
    std::getline(s, file, '\t');
    std::getline(s, outcome, '\t');
    std::getline(s, codes, '\t');
    Expected e{outcome, {}};
    std::istringstream c(codes);
    while (std::getline(c, code, ',')) {
      if (!code.empty()) e.codes.push_back(code);
    }
    std::sort(e.codes.begin(), e.codes.end());
    out[file] = e;
  }
  return out;
}

std::vector<FileSummary> analyse_store(const fs::path& clients) {
  std::vector<FileSummary> files;
  const StoreDir dir(clients);
  for (const auto& e : list_store(dir)) files.push_back(analyze_entry(dir, e, kFixtureLimit, kNow).summary);
  apply_cross_file_rules(files);
  return files;
}

class FixtureCases : public ::testing::TestWithParam<std::string> {};

TEST_P(FixtureCases, OutcomesAndIssueCodesMatchExpected) {
  const fs::path dir = fs::path(KMS_FIXTURES_DIR) / "cases" / GetParam();
  auto expected = read_expected(dir / "expected.tsv");
  ASSERT_FALSE(expected.empty());
  for (const FileSummary& f : analyse_store(dir / "Clients")) {
    SCOPED_TRACE("file: " + (dir / "Clients" / f.path).string());
    auto it = expected.find(f.path);
    ASSERT_NE(it, expected.end()) << "no expectation for " << f.path;
    std::vector<std::string> got;
    for (const auto& i : f.issues) got.push_back(i.code);
    std::sort(got.begin(), got.end());
    EXPECT_EQ(outcome_name(f.outcome), it->second.outcome);
    EXPECT_EQ(got, it->second.codes);
    for (const auto& i : f.issues) {
      const IssueCode* code = find_issue_code(i.code);
      ASSERT_NE(code, nullptr) << i.code;
      if (i.severity == Severity::Error && code->names_line) {
        EXPECT_GT(i.line, 0) << i.code << " should name its line";
      }
    }
    expected.erase(it);
  }
  EXPECT_TRUE(expected.empty()) << "files listed in expected.tsv but not seen: " << expected.begin()->first;
}

INSTANTIATE_TEST_SUITE_P(Stores, FixtureCases, ::testing::Values("single", "duplicate-mailbox", "duplicate-record-id"));

const char* const kStores[] = {"single", "duplicate-mailbox", "duplicate-record-id"};

/// The codes column of every fixture store's expected.tsv, with the file that shows each.
std::map<std::string, std::string> fixture_codes() {
  std::map<std::string, std::string> shown;
  for (const char* store : kStores) {
    for (const auto& [file, e] : read_expected(fs::path(KMS_FIXTURES_DIR) / "cases" / store / "expected.tsv")) {
      for (const auto& c : e.codes) shown.emplace(c, std::string(store) + "/" + file);
    }
  }
  return shown;
}

TEST(IssueCodes, EveryCodeOfTheTableHasAFixtureAndEveryFixtureCodeIsInTheTable) {
  const auto shown = fixture_codes();
  for (const auto& c : issue_codes()) {
    if (c.has_fixture) {
      EXPECT_TRUE(shown.count(std::string(c.name))) << "no fixture shows " << c.name;
    }
  }
  for (const auto& [code, file] : shown)
    EXPECT_NE(find_issue_code(code), nullptr) << file << ": " << code << " is not in the table";
}

// A code is named by IssueId where it is added (a misspelt one does not
// build); its row, found by the id, is that code's and no other's.
TEST(IssueCodes, EachIdFindsItsOwnRowAndEveryNameIsOnce) {
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < static_cast<std::size_t>(IssueId::Count); ++i) {
    const IssueCode& c = issue_code(static_cast<IssueId>(i));
    EXPECT_EQ(static_cast<std::size_t>(c.id), i) << c.name;
    EXPECT_TRUE(names.insert(c.name).second) << c.name << " twice";
    EXPECT_EQ(find_issue_code(c.name), &issue_codes()[i]) << c.name;
  }
  EXPECT_EQ(names.size(), issue_codes().size());
  Issues found;
  add_issue(found, IssueId::RecoveryNeverEnrolled, "m", 3);
  EXPECT_EQ(found.at(0).code, "recovery-never-enrolled");
  EXPECT_EQ(found.at(0).severity, Severity::Warning);
}

TEST(IssueCodes, EveryCodeIsDocumented) {
  // A file's codes in the description of the store; the run's own in the reports' table.
  const std::string store = test::read_file(fs::path(KMS_SOURCE_DIR) / "docs" / "legacy-store.md");
  const std::string reports = test::read_file(fs::path(KMS_SOURCE_DIR) / "docs" / "reports.md");
  for (const auto& c : issue_codes()) {
    const std::string& doc = c.scope == IssueScope::Run ? reports : store;
    EXPECT_NE(doc.find("`" + std::string(c.name) + "`"), std::string::npos)
        << c.name << " is not in docs/" << (c.scope == IssueScope::Run ? "reports.md" : "legacy-store.md");
  }
}

TEST(IssueCodes, TheDocsWhatToDoIsTheTablesThatTheSignOffShows) {
  // docs/legacy-store.md: "| `code` | example or meaning | what to do |", one row a code of a file or the store.
  const std::string doc = test::read_file(fs::path(KMS_SOURCE_DIR) / "docs" / "legacy-store.md");
  std::map<std::string, std::string> documented;
  const std::regex row(R"(\n\| `([a-z0-9-]+)` \|[^\n]*\| ([^|\n]+) \|)");
  for (std::sregex_iterator it(doc.begin(), doc.end(), row), end; it != end; ++it) {
    std::string what = (*it)[2].str();
    what.erase(std::remove(what.begin(), what.end(), '`'), what.end());
    documented[(*it)[1].str()] = what;
  }
  for (const auto& c : issue_codes()) {
    EXPECT_FALSE(c.meaning.empty()) << c.name;
    EXPECT_FALSE(c.what_to_do.empty()) << c.name;
    if (c.scope == IssueScope::Run) continue;  // the run's own codes: docs/reports.md
    const auto d = documented.find(std::string(c.name));
    ASSERT_NE(d, documented.end()) << c.name << " has no row in docs/legacy-store.md";
    EXPECT_EQ(d->second, c.what_to_do) << c.name;
  }
}

TEST(StoreLayout, SourceMayNameSecurityMgrentOrClientsInAnyCase) {
  test::TempDir tmp;
  const fs::path clients = tmp / "Security" / "MGRENT" / "clients";
  fs::create_directories(clients);
  for (const fs::path& source : {tmp / "Security", tmp / "Security" / "MGRENT", clients}) {
    const auto found = find_clients_dir(source);
    ASSERT_TRUE(found.ok()) << source << ": " << found.error().message;
    EXPECT_EQ(fs::canonical(found.value()), fs::canonical(clients)) << source;
  }
  const auto none = find_clients_dir(tmp.path());
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message.find("no store at"), std::string::npos);
}

TEST(StoreLayout, RecordNamesAreMPlusTwelveAlnumDotIni) {
  for (const char* good : {"Mxclfr4zqvktn.ini", "mXCLFR4ZQVKTN.INI", "M0a9b8c7d6e5f.Ini"})
    EXPECT_TRUE(is_record_file_name(good)) << good;
  for (const char* bad : {"desktop.ini", "Mxclfr4zqvktn.ini.bak", "~tmp1.ini", "Mxclfr4zqvkt.ini", "Mxclfr4zqvktnn.ini",
                          "Mxclfr4zq_ktn.ini", "Nxclfr4zqvktn.ini", "Mxclfr4zqvktn.txt"}) {
    EXPECT_FALSE(is_record_file_name(bad)) << bad;
  }
}

TEST(StoreLayout, TooLargeFileIsNotRead) {
  test::TempDir tmp;
  test::write_file(tmp / "Mbig000000001.ini", std::string(2000, ';'));
  test::write_file(tmp / "Mexact0000001.ini", "[Client]\r\nMailboxDN=x\r\nState=1\r\n" + std::string(1000 - 32, ';'));
  const StoreDir dir(tmp.path());
  const auto entries = list_store(dir);
  ASSERT_EQ(entries.size(), 2u);
  const auto big = analyze_entry(dir, entries[0], 1000, kNow);
  EXPECT_EQ(big.summary.issues.at(0).code, "too-large");
  EXPECT_FALSE(big.raw);
  const auto exact = analyze_entry(dir, entries[1], 1000, kNow);
  EXPECT_EQ(exact.summary.outcome, RecordOutcome::Migrated) << exact.summary.issues.at(0).message;
}

TEST(StoreLayout, AFileThatVanishedStopsTheRunAsAChangedSource) {
  test::TempDir tmp;
  StoreEntry e;
  e.name = "Mgone00000001.ini";
  e.record_id = "mgone00000001";
  e.kind = EntryKind::RecordFile;
  try {
    (void)analyze_entry(StoreDir(tmp.path()), e, 1000, kNow);
    ADD_FAILURE() << "a file listed and gone was analysed";
  } catch (const Stop& s) {
    EXPECT_EQ(s.kind(), ExitCode::DataProblem);
    EXPECT_NE(s.message().find("'Mgone00000001.ini' was listed and is gone"), std::string::npos) << s.message();
  }
}

}  // namespace
}  // namespace kms::core
