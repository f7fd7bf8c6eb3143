// The copy the administrator made is checked before anything is trusted
// (docs/commands.md, "A store with no record"): a store that yields no record
// fails every command that would migrate it, and every skipped entry is named.
#include <gtest/gtest.h>

#include "empty_store.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace kms::test {
namespace {

ProcessResult kms(const std::vector<std::string>& args) { return run_process(KMS_MIGRATE_BIN, args); }

std::string last_line(const std::string& out) {
  std::string s = out;
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s.substr(s.rfind('\n') == std::string::npos ? 0 : s.rfind('\n') + 1);
}

class CopyCheck : public ::testing::Test {
 protected:
  TempDir tmp;
  fs::path clients() {
    const fs::path c = tmp / "Security" / "Mgrent" / "Clients";
    fs::create_directories(c);
    return c;
  }
  /// Runs scan, rehearse and upgrade on `source`; each must exit 1, commit nothing and say `expected`.
  void every_command_fails(const fs::path& source, const std::string& expected) {
    const fs::path db = tmp / "kms55.db";
    const std::vector<std::vector<std::string>> runs = {
        {"scan", "--source", source.string()},
        {"scan", "--source", source.string(), "--json"},
        {"rehearse", "--source", source.string(), "--report", (tmp / "r.html").string()},
        {"upgrade", "--source", source.string(), "--target", db.string(), "--yes"},
        {"upgrade", "--source", source.string(), "--target", db.string(), "--yes", "--allow-rejected"},
    };
    for (const auto& args : runs) {
      const auto r = kms(args);
      std::string cmd;
      for (const auto& a : args) cmd += a + " ";
      EXPECT_EQ(r.exit_code, 1) << cmd << "\n" << r.out;
      // The status line is last on the terminal; with --json it goes to stderr, beside the document.
      const std::string said = args.back() == "--json" ? r.out : last_line(r.out);
      EXPECT_NE(said.find(expected), std::string::npos) << cmd << "\n" << r.out;
      EXPECT_NE(said.find("kms-migrate " + args[0] + ": "), std::string::npos) << cmd << "\n" << r.out;
      EXPECT_NE(said.find("no record to migrate"), std::string::npos) << cmd << "\n" << r.out;
      EXPECT_FALSE(fs::exists(db)) << cmd << ": a database was committed\n" << r.out;
    }
  }
};

TEST_F(CopyCheck, AnEmptyClientsFolderFailsEveryCommand) {
  clients();
  every_command_fails(tmp / "Security", "the Clients folder is empty");
  const std::string html = read_file(tmp / "r.html");
  EXPECT_EQ(html.find("class=\"verdict ok\""), std::string::npos) << "an empty store got a green verdict";
  EXPECT_NE(html.find("no record to migrate"), std::string::npos);
}

TEST_F(CopyCheck, EightDotThreeNamesAreNamedAndFailEveryCommand) {
  const fs::path c = clients();
  for (int i = 1; i <= 20; ++i) {
    write_file(c / ("M0Q0H" + std::to_string(i % 10) + "~" + std::to_string(1 + i / 10) + ".INI"),
               "[Client]\r\nMailboxDN=/o=C/cn=u" + std::to_string(i) + "\r\nState=1\r\n");
  }
  every_command_fails(c, "20 entries, all skipped");
  every_command_fails(c, "8.3 names");
  // Every skipped entry is listed with its reason: scan (terminal and JSON), and the reports.
  const auto scan = kms({"scan", "--source", c.string(), "--all"});
  const auto json = kms({"scan", "--source", c.string(), "--json"});
  const auto js = nlohmann::json::parse(json.out.substr(json.out.find('{'), json.out.rfind("}\n") + 1 - json.out.find('{')));
  ASSERT_EQ(js["skipped_entries"].size(), 20u) << json.out;
  EXPECT_NE(js["failure"].get<std::string>().find("8.3"), std::string::npos);
  for (const auto& e : js["skipped_entries"]) {
    const std::string name = e["path"];
    EXPECT_EQ(scan.out.find(name) != std::string::npos, true) << name << " is not listed by scan:\n" << scan.out;
    EXPECT_NE(e["reason"].get<std::string>().find("not named M"), std::string::npos) << e.dump();
  }
  kms({"rehearse", "--source", c.string(), "--report", (tmp / "r.csv").string(), "--report",
       (tmp / "r.jsonl").string(), "--report", (tmp / "r2.html").string()});
  const std::string html = read_file(tmp / "r2.html");
  EXPECT_NE(html.find("M0Q0H1~1.INI"), std::string::npos) << "the HTML report does not list the skipped entries";
  EXPECT_NE(read_file(tmp / "r.csv").find("M0Q0H1~1.INI"), std::string::npos);
  EXPECT_NE(read_file(tmp / "r.jsonl").find("M0Q0H1~1.INI"), std::string::npos);
  EXPECT_NE(read_jsonl(tmp / "r.jsonl").back()["store_failure"].get<std::string>().find("8.3"), std::string::npos);
}

TEST_F(CopyCheck, OtherStoresWithNoRecordFailToo) {
  const fs::path c = clients();
  // Only folders and other files: skipped, no 8.3 hint.
  fs::create_directories(c / "sub");
  write_file(c / "desktop.ini", "[.ShellClassInfo]\r\n");
  every_command_fails(c, "2 entries, all skipped");
  // Only rejected files, whatever --allow-rejected says.
  write_file(c / "Mbadbadbadbad.ini", "[Client]\r\nMailboxDN=/o=C/cn=x\r\nState=9\r\n");
  every_command_fails(c, "1 record file, rejected");
  // One record that migrates: every command succeeds.
  write_file(c / "Mgoodgoodgood.ini", "[Client]\r\nMailboxDN=/o=C/cn=y\r\nState=1\r\n");
  EXPECT_EQ(kms({"scan", "--source", c.string()}).exit_code, 0);
  EXPECT_EQ(kms({"upgrade", "--source", c.string(), "--target", (tmp / "ok.db").string(), "--yes",
                 "--allow-rejected"})
                .exit_code,
            0);
}

TEST(ShortNames, WhatAn83AliasLooksLike) {
  for (const char* yes : {"M0Q0HN~1.INI", "MXCLFR~2.ini", "M~1.INI", "AB~12.I", "MXCLF~10.INI"}) {
    EXPECT_TRUE(core::is_short_name(yes)) << yes;
  }
  for (const char* no : {"Mxclfr4zqvktn.ini", "M0Q0HN~1", "M0Q0HNX~1.INI", "~1.INI", "M0Q~X.INI", "M0Q0HN~1.INIX",
                         "M0Q0HN~.INI", "a b~1.ini"}) {
    EXPECT_FALSE(core::is_short_name(no)) << no;
  }
}

}  // namespace
}  // namespace kms::test
