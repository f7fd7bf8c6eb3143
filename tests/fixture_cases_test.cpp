// fixtures/cases/*: every issue code and dialect rule has a file, and each
// file's outcome and issue codes are exactly those in its expected.tsv.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "cross_checks.h"
#include "file_analysis.h"
#include "store_walker.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace kms::core {
namespace {

const std::time_t kNow = 1'800'000'000;

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
  for (const auto& e : list_store(dir)) files.push_back(analyze_entry(dir, e, 1 << 20, kNow).summary);
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
      if (i.severity == Severity::Error && i.code != "symlink" && i.code != "empty-file" && i.code != "missing-section" &&
          i.code != "bad-encoding" && i.code != "duplicate-record-id" && i.code != "missing-key") {
        EXPECT_GT(i.line, 0) << i.code << " should name its line";
      }
    }
    expected.erase(it);
  }
  EXPECT_TRUE(expected.empty()) << "files listed in expected.tsv but not seen: " << expected.begin()->first;
}

INSTANTIATE_TEST_SUITE_P(Stores, FixtureCases, ::testing::Values("single", "duplicate-mailbox", "duplicate-record-id"));

TEST(FixtureCases, EveryIssueCodeOfTheSpecHasAFixture) {
  const char* spec_codes[] = {"symlink", "empty-file", "bad-encoding", "binary-content", "malformed-line",
                              "missing-section", "missing-key", "bad-value", "count-mismatch", "bad-certificate",
                              "serial-mismatch", "bad-key-blob", "wrapped-value", "inconsistent-state", "ambiguous-recovery",
                              "duplicate-mailbox", "duplicate-record-id", "duplicate-key", "duplicate-section",
                              "key-outside-section", "unknown-key", "bad-timestamp", "revoked-without-date",
                              "unassigned-cp1252-byte", "decoded-as-utf8", "certificate-expired",
                              "recovery-never-enrolled"};
  std::string all;
  for (const char* store : {"single", "duplicate-mailbox", "duplicate-record-id"}) {
    all += test::read_file(fs::path(KMS_FIXTURES_DIR) / "cases" / store / "expected.tsv");
  }
  for (const char* code : spec_codes) EXPECT_NE(all.find(code), std::string::npos) << "no fixture for " << code;
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
  for (const char* good : {"Mxclfr4zqvktn.ini", "mXCLFR4ZQVKTN.INI", "M0a9b8c7d6e5f.Ini"}) EXPECT_TRUE(is_record_file_name(good)) << good;
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

TEST(StoreLayout, FileThatVanishedIsUnreadable) {
  test::TempDir tmp;
  StoreEntry e;
  e.name = "Mgone00000001.ini";
  e.record_id = "mgone00000001";
  e.kind = EntryKind::RecordFile;
  const auto a = analyze_entry(StoreDir(tmp.path()), e, 1000, kNow);
  ASSERT_EQ(a.summary.issues.size(), 1u);
  EXPECT_EQ(a.summary.issues[0].code, "unreadable");
  EXPECT_EQ(a.summary.outcome, RecordOutcome::Rejected);
}

}  // namespace
}  // namespace kms::core
