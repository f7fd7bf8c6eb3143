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
  const auto js =
      nlohmann::json::parse(json.out.substr(json.out.find('{'), json.out.rfind("}\n") + 1 - json.out.find('{')));
  ASSERT_EQ(js["skipped_entries"].size(), 20u) << json.out;
  EXPECT_NE(js["failure"].get<std::string>().find("8.3"), std::string::npos);
  for (const auto& e : js["skipped_entries"]) {
    const std::string name = e["path"];
    EXPECT_EQ(scan.out.find(name) != std::string::npos, true) << name << " is not listed by scan:\n" << scan.out;
    EXPECT_NE(e["reason"].get<std::string>().find("not named M"), std::string::npos) << e.dump();
  }
  kms({"rehearse", "--source", c.string(), "--report", (tmp / "r.csv").string(), "--report", (tmp / "r.jsonl").string(),
       "--report", (tmp / "r2.html").string()});
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
  EXPECT_EQ(kms({"upgrade", "--source", c.string(), "--target", (tmp / "ok.db").string(), "--yes", "--allow-rejected"})
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

namespace kms::test {
namespace {

std::string sha256_of(const fs::path& p);

std::string shell_out(const std::string& cmd) { return run_process("/bin/bash", {"-c", cmd}).out; }

/// The store and the manifest as sha256sum makes it on the server: "<hex>  <name>".
class Manifests : public ::testing::Test {
 protected:
  TempDir tmp;
  fs::path store;
  std::vector<std::pair<std::string, std::string>> listed;  // name, hex
  void SetUp() override {
    store = tmp / "Security" / "Mgrent" / "Clients";
    copy_tree(fs::path(KMS_FIXTURES_DIR) / "sample-store" / "Security" / "Mgrent" / "Clients", store);
    for (const auto& e : fs::directory_iterator(store)) {
      if (e.is_regular_file()) listed.emplace_back(e.path().filename().string(), sha256_of(e.path()));
    }
    std::sort(listed.begin(), listed.end());
    // The database verify checks, upgraded from the store as it came.
    ASSERT_EQ(kms({"upgrade", "--source", store.string(), "--target", (tmp / "ok.db").string(), "--yes"}).exit_code, 0);
  }
  fs::path write_manifest(const std::string& text, const std::string& name = "manifest.sha256") {
    write_file(tmp / name, text);
    return tmp / name;
  }
  std::string sums(const std::string& sep = "  ", const std::string& eol = "\n") const {
    std::string out;
    for (const auto& [n, h] : listed) out += h + sep + n + eol;
    return out;
  }
  /// Every command with --manifest `m`: the exit codes, and the output of each.
  std::vector<ProcessResult> every_command(const fs::path& m) {
    const fs::path db = tmp / "kms55.db";
    fs::remove(db);
    std::vector<ProcessResult> out;
    out.push_back(kms({"scan", "--source", store.string(), "--manifest", m.string()}));
    out.push_back(kms({"rehearse", "--source", store.string(), "--manifest", m.string(), "--report",
                       (tmp / "r.jsonl").string(), "--report", (tmp / "r.html").string()}));
    out.push_back(kms({"upgrade", "--source", store.string(), "--target", db.string(), "--yes", "--allow-rejected",
                       "--manifest", m.string()}));
    // verify, against the database upgraded (without the manifest) in SetUp
    const fs::path ok = tmp / "ok.db";
    out.push_back(kms({"verify", "--source", store.string(), "--target", ok.string(), "--manifest", m.string()}));
    return out;
  }
};

std::string sha256_of(const fs::path& p) {
  const auto r = run_process("/usr/bin/sha256sum", {p.string()});
  return r.out.substr(0, 64);
}

TEST_F(Manifests, AMatchingCopyPassesInEveryFormTheServerWrites) {
  std::string upper_table =
      "\r\nAlgorithm       Hash                                                                   Path\r\n"
      "---------       ----                                                                   ----\r\n";
  std::string list, csv = "#TYPE Microsoft.PowerShell.Commands.FileHashInfo\r\n\"Algorithm\",\"Hash\",\"Path\"\r\n";
  std::string bsd;
  for (auto [n, h] : listed) {
    std::string up = h;
    for (char& c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    upper_table += "SHA256          " + up + "       C:\\EXCHSRVR\\KMSDATA\\SECURITY\\MGRENT\\CLIENTS\\" + n + "\r\n";
    list += "\r\nAlgorithm : SHA256\r\nHash      : " + up +
            "\r\nPath      : C:\\exchsrvr\\kmsdata\\Security\\Mgrent\\Cl\r\n"
            "            ients\\" +
            n + "\r\n";
    csv += "\"SHA256\",\"" + up + "\",\"C:\\exchsrvr\\Clients\\" + n + "\"\r\n";
    bsd += "SHA256 (" + n + ") = " + h + "\n";
  }
  std::string utf16 = "\xFF\xFE";
  for (char c : upper_table) utf16 += std::string{c, '\0'};
  const std::vector<std::pair<std::string, std::string>> forms = {
      {"sha256sum text mode", sums()},
      {"sha256sum binary mode, CR LF", sums(" *", "\r\n")},
      {"UTF-8 BOM, ./ names", "\xEF\xBB\xBF" + std::string(sums("  ./"))},
      {"sha256sum --tag", bsd},
      {"Get-FileHash | Format-Table, upper case", upper_table},
      {"Get-FileHash > file in Windows PowerShell (UTF-16LE)", utf16},
      {"Get-FileHash | Format-List, a wrapped path", list},
      {"Get-FileHash | Export-Csv", csv},
  };
  for (const auto& [form, text] : forms) {
    const fs::path m = write_manifest(text);
    SCOPED_TRACE(form);
    for (const auto& r : every_command(m)) EXPECT_EQ(r.exit_code, 0) << r.out;
    const auto summary = read_jsonl(tmp / "r.jsonl").back()["manifest"];
    EXPECT_EQ(summary["result"], "matches") << summary.dump();
    EXPECT_EQ(summary["sha256"], sha256_of(m));
    EXPECT_EQ(summary["listed"], listed.size());
  }
}

TEST_F(Manifests, EveryDifferenceIsNamedAndFailsEveryCommand) {
  const fs::path m = write_manifest(sums());
  // A file that differs (cut short, as an interrupted copy leaves it), one missing, one not listed,
  // a stray folder (passed over) and a link in place of a file.
  const std::string cut = listed[0].first, gone = listed[1].first, linked = listed[2].first;
  std::string bytes = read_file(store / cut);
  write_file(store / cut, bytes.substr(0, bytes.size() * 2 / 3));
  fs::remove(store / gone);
  write_file(store / "Mextraextra01.ini", "[Client]\r\nMailboxDN=/o=C/cn=extra\r\nState=1\r\n");
  fs::rename(store / linked, tmp / linked);
  fs::create_symlink(tmp / linked, store / linked);
  fs::create_directories(store / "subfolder");
  for (const auto& r : every_command(m)) {
    EXPECT_EQ(r.exit_code, 1) << r.out;
    for (const std::string& name : {cut, gone, linked, std::string("Mextraextra01.ini")}) {
      EXPECT_NE(r.out.find(name + ": "), std::string::npos) << name << " is not named:\n" << r.out;
    }
    EXPECT_EQ(r.out.find("subfolder: not in the manifest"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("does not match the manifest"), std::string::npos) << r.out;
  }
  EXPECT_FALSE(fs::exists(tmp / "kms55.db")) << "committed although the copy differs, --allow-rejected or not";
  const auto summary = read_jsonl(tmp / "r.jsonl").back();
  EXPECT_EQ(summary["manifest"]["result"], "differs");
  EXPECT_EQ(summary["manifest"]["differ"], 2);  // the cut file, the link
  EXPECT_EQ(summary["manifest"]["missing_from_copy"], 1);
  EXPECT_EQ(summary["manifest"]["not_in_manifest"], 1);
  EXPECT_NE(read_file(tmp / "r.html").find("Differences from the manifest"), std::string::npos);
}

TEST_F(Manifests, NamesMatchInAnyCaseButTwoCopiesOfOneNameDoNot) {
  std::string text = sums();
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const auto& r : every_command(write_manifest(text))) EXPECT_EQ(r.exit_code, 0) << r.out;
  std::string lower = listed[0].first;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  lower[0] = 'm';
  std::string upper = lower;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  upper.replace(upper.size() - 4, 4, ".ini");
  fs::copy_file(store / listed[0].first, store / (upper == listed[0].first ? lower : upper));
  const auto r = kms({"scan", "--source", store.string(), "--manifest", (tmp / "manifest.sha256").string()});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("in another case"), std::string::npos) << r.out;
}

TEST_F(Manifests, AManifestThatCannotBeReadIsAUsageErrorNamingItsLine) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"", "lists no file"},
      {"# only a comment\n\n", "lists no file"},
      {sums() + "not a line\n", "line " + std::to_string(listed.size() + 1)},
      {"0123  Mxclfr4zqvktn.ini\n", "line 1"},
      {std::string(64, 'g') + "  Mxclfr4zqvktn.ini\n", "line 1"},
      {"Algorithm Hash Path\n--------- ---- ----\nSHA1 " + std::string(40, 'a') + " C:\\x\\Mxclfr4zqvktn.ini\n",
       "not SHA256"},
      {"Algorithm Hash Path\n--------- ---- ----\nSHA256 " + std::string(64, 'a') + " C:\\exchsrvr\\kmsdata\\Secu...\n",
       "cut to the window's width"},
      {std::string(64, 'a') + "  Mxclfr4zqvktn.ini\n" + std::string(64, 'b') + "  MXCLFR4ZQVKTN.INI\n", "listed twice"},
      {"\xFF\xFE\x41", "UTF-16"},
      {std::string("a\0b\n", 4), "NUL"},
  };
  for (const auto& [text, says] : bad) {
    const fs::path m = write_manifest(text);
    for (const char* cmd : {"scan", "rehearse"}) {
      const auto r = kms({cmd, "--source", store.string(), "--manifest", m.string()});
      EXPECT_EQ(r.exit_code, 2) << cmd << " with a manifest of:\n" << text << "\n" << r.out;
      EXPECT_NE(r.out.find(says), std::string::npos) << "expected '" << says << "':\n" << r.out;
      EXPECT_NE(r.out.find(m.string()), std::string::npos) << r.out;
    }
  }
  const auto missing = kms({"scan", "--source", store.string(), "--manifest", (tmp / "nope").string()});
  EXPECT_EQ(missing.exit_code, 2) << missing.out;
}

}  // namespace
}  // namespace kms::test

namespace kms::test {
namespace {

// Shapes an adversary found next to the issue's: each failed before its fix.
TEST_F(Manifests, LineEndsOfAnyKindAreLineEnds) {
  for (const auto& [what, eol] : std::vector<std::pair<std::string, std::string>>{
           {"CR CR LF", "\r\r\n"}, {"CR alone", "\r"}, {"LF CR", "\n\r"}}) {
    const auto r = kms({"scan", "--source", store.string(), "--manifest", write_manifest(sums("  ", eol)).string()});
    EXPECT_EQ(r.exit_code, 0) << what << "\n" << r.out;
  }
}

TEST_F(Manifests, ARecursiveManifestChecksTheClientsFolderOnly) {
  // sha256sum over the whole Security folder, a desktop.ini in Mgrent and in Clients, a file in a sub-folder.
  const fs::path security = store.parent_path().parent_path();
  write_file(security / "Mgrent" / "desktop.ini", "[.ShellClassInfo]\r\nother\r\n");
  fs::create_directories(store / "old");
  write_file(store / "old" / "note.txt", "kept aside");
  const auto sums_all =
      shell_out("cd " + security.string() + " && find . -type f -print0 | sort -z | xargs -0 sha256sum");
  const fs::path m = write_manifest(sums_all);
  const auto r = kms({"scan", "--source", store.string(), "--manifest", m.string()});
  EXPECT_EQ(r.exit_code, 0) << sums_all << "\n" << r.out;
}

TEST_F(Manifests, AManifestKeptInTheClientsFolderIsNotAnEntryToCheck) {
  write_file(store / "SHA256SUMS", sums());
  const auto r = kms({"scan", "--source", store.string(), "--manifest", (store / "SHA256SUMS").string()});
  EXPECT_EQ(r.exit_code, 0) << r.out;
}

TEST_F(Manifests, OneRecordUnderAn83NameFailsTheRun) {
  const std::string victim = listed[5].first;
  fs::rename(store / victim, store / "M0QS6G~1.INI");
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"scan", "--source", store.string()},
        std::vector<std::string>{"rehearse", "--source", store.string()},
        std::vector<std::string>{"upgrade", "--yes", "--allow-rejected", "--source", store.string(), "--target",
                                 (tmp / "short.db").string()}}) {
    const auto r = kms(args);
    EXPECT_EQ(r.exit_code, 1) << args[0] << "\n" << r.out;
    EXPECT_NE(r.out.find("8.3 name like M0QS6G~1.INI"), std::string::npos) << r.out;
  }
  EXPECT_FALSE(fs::exists(tmp / "short.db"));
}

}  // namespace
}  // namespace kms::test
