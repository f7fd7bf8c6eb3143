// What the administrator hands over and reads (docs/reports.md, docs/runbook.md):
// the HTML sign-off report rendered by a real browser, the man page against
// --help, the bash completion, and the summary's facts.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "test_util.h"

namespace kms::test {
namespace {

const fs::path kFixtures = KMS_FIXTURES_DIR;
const fs::path kSource = KMS_SOURCE_DIR;

ProcessResult kms(const std::vector<std::string>& args) { return run_process(KMS_MIGRATE_BIN, args); }

std::string chromium() {
  for (const char* c : {"/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
    if (fs::exists(c)) return c;
  }
  return "";
}

/// The number in the element with id `id` of an HTML text ("<td ... id="ID">123</td>").
std::optional<long long> number_with_id(const std::string& html, const std::string& id) {
  std::smatch m;
  if (!std::regex_search(html, m, std::regex("id=\"" + id + "\"[^>]*>([0-9]+)<"))) return std::nullopt;
  return std::stoll(m[1].str());
}

class SignOff : public ::testing::Test {
 protected:
  TempDir tmp;
  fs::path store() {
    const fs::path p = tmp / "sample-store";
    if (!fs::exists(p)) copy_tree(kFixtures / "sample-store", p);
    return p / "Security";
  }
};

TEST_F(SignOff, EveryReportOfARunComesFromTheSameDataAndTheSummaryHasTheFacts) {
  const fs::path db = tmp / "kms55.db";
  const auto r =
      kms({"upgrade", "--source", store().string(), "--target", db.string(), "--yes", "--report",
           (tmp / "r.jsonl").string(), "--report", (tmp / "r.csv").string(), "--report", (tmp / "r.html").string()});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto lines = read_jsonl(tmp / "r.jsonl");
  const auto& summary = lines.back();
  for (const char* key : {"tool_version", "started_at", "finished_at", "host", "operator", "max_record_size"}) {
    ASSERT_TRUE(summary.contains(key)) << key;
    EXPECT_FALSE(summary[key].is_null()) << key;
  }
  EXPECT_EQ(summary["max_record_size"].get<long long>(), 1 << 20);
  EXPECT_EQ(summary["tool_version"].get<std::string>(),
            kms({"--version"}).out.substr(12, summary["tool_version"].get<std::string>().size()));
  // The CSV has a row per file, as the JSON Lines has a line per file.
  std::size_t rows = 0;
  for (char c : read_file(tmp / "r.csv")) rows += c == '\n';
  EXPECT_EQ(rows - 1, lines.size() - 1);
  // The terminal names the reports it wrote, and the status line is last.
  for (const char* f : {"r.jsonl", "r.csv", "r.html"}) {
    EXPECT_NE(r.out.find("report    " + (tmp / f).string()), std::string::npos) << r.out;
  }
  EXPECT_EQ(r.out.substr(r.out.rfind('\n', r.out.size() - 2) + 1), "kms-migrate upgrade: succeeded\n") << r.out;
}

TEST_F(SignOff, TheHtmlReportIsSelfContainedInertAndCountsWhatTheJsonLinesCount) {
  const fs::path db = tmp / "kms55.db";
  const auto r = kms({"upgrade", "--source", store().string(), "--target", db.string(), "--yes", "--report",
                      (tmp / "r.jsonl").string(), "--report", (tmp / "r.html").string()});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const std::string html = read_file(tmp / "r.html");
  const auto summary = read_jsonl(tmp / "r.jsonl").back();
  for (const char* key :
       {"files_seen", "migrated", "normalized", "rejected", "skipped", "verified_passed", "verified_failed"}) {
    EXPECT_EQ(number_with_id(html, std::string("count-") + key), summary[key].get<long long>()) << key;
  }
  for (const char* outside : {"http:", "https:", "//", "<script", "src=", "url(", "@import"}) {
    if (std::string(outside) == "//") continue;  // the CSS has none either, but a DN may
    EXPECT_EQ(html.find(outside), std::string::npos) << "the page refers outside itself: " << outside;
  }
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("@media print"), std::string::npos);
  for (const auto& s : secrets_of(store() / "Mgrent" / "Clients")) {
    EXPECT_EQ(html.find(s), std::string::npos) << "a secret is in the page: " << s.substr(0, 6) << "...";
  }
  EXPECT_NE(html.find(summary["content_digest"].get<std::string>()), std::string::npos);
  EXPECT_NE(html.find(summary["host"].get<std::string>()), std::string::npos);
}

TEST_F(SignOff, StoreTextIsEscapedInTheHtmlReport) {
  const fs::path clients = tmp / "Clients";
  fs::create_directories(clients);
  write_file(clients / "M0000000000a1.ini", "[Client]\r\nMailboxDN=/o=<script>alert(1)</script>&\"x'\r\nState=9\r\n");
  write_file(clients / "M0000000000a2.ini", "[Client]\r\nMailboxDN=/o=\x1b]0;owned\x07\r\nState=9\r\n");
  write_file(clients / "M0000000000a3.ini", "[Client]\r\nState=9\r\n");  // two reasons, one file
  const auto r = kms({"rehearse", "--source", clients.string(), "--report", (tmp / "r.html").string()});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  const std::string html = read_file(tmp / "r.html");
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_NE(html.find("State is &quot;9&quot;"), std::string::npos) << "every reason is listed";
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;x&#39;"), std::string::npos) << html;
  EXPECT_EQ(html.find('\x1b'), std::string::npos);
  EXPECT_EQ(number_with_id(html, "rejected-count"), 3) << "rejected files, not reasons";
}

/// The verdict paragraph of an HTML report: its class and its text.
std::pair<std::string, std::string> verdict_of(const std::string& html) {
  std::smatch m;
  if (!std::regex_search(html, m, std::regex("<p class=\"verdict ([a-z]+)\" id=\"verdict\">([^<]*)</p>"))) return {};
  return {m[1].str(), m[2].str()};
}

// The one decision the sign-off owns: rejected files accepted with
// --allow-rejected. The rehearsal can model it, and every output of both runs
// says it: the verdict (amber, never plain green), the facts (the command line
// as typed), the JSON Lines summary and the terminal's status line.
TEST_F(SignOff, AcceptedRejectsAreTheDecisionInEveryOutputOfTheRehearsalAndTheUpgrade) {
  const fs::path clients = tmp / "Clients";
  fs::create_directories(clients);
  write_file(clients / "Mzzzzzzzzzzzz.ini", "[Client]\r\nMailboxDN=/o=X/cn=good\r\nState=1\r\n");
  for (const char* name : {"M0000000000a1.ini", "M0000000000a2.ini"}) {
    write_file(clients / name, std::string("[Client]\r\nMailboxDN=/o=X/cn=") + name + "\r\nState=9\r\n");
  }
  const fs::path db = tmp / "with space.db";
  const std::vector<std::vector<std::string>> runs = {
      {"rehearse", "--source", clients.string(), "--allow-rejected"},
      {"upgrade", "--source", clients.string(), "--target", db.string(), "--allow-rejected", "--yes"}};
  for (auto args : runs) {
    const std::string jsonl = (tmp / (args[0] + ".jsonl")).string(), html_path = (tmp / (args[0] + ".html")).string();
    for (const std::string& r : {jsonl, html_path}) args.insert(args.end(), {"--report", r});
    const auto r = kms(args);
    ASSERT_EQ(r.exit_code, 0) << args[0] << ": " << r.out;
    const auto summary = read_jsonl(jsonl).back();
    EXPECT_EQ(summary["allow_rejected"], true) << summary.dump();
    EXPECT_EQ(summary["rejected_accepted"], 2) << summary.dump();
    const std::string typed = summary["command_line"].get<std::string>();
    EXPECT_EQ(typed.rfind("kms-migrate " + args[0] + " --source ", 0), 0u) << typed;
    EXPECT_NE(typed.find(" --allow-rejected"), std::string::npos) << typed;
    if (args[0] == "upgrade") {
      EXPECT_NE(typed.find("'" + db.string() + "'"), std::string::npos) << typed;
    }
    const std::string html = read_file(html_path);
    const auto [tone, sentence] = verdict_of(html);
    EXPECT_EQ(tone, "warn") << sentence;
    EXPECT_NE(sentence.find("2 rejected file(s) accepted with --allow-rejected"), std::string::npos) << sentence;
    EXPECT_NE(sentence.find(args[0] == "upgrade" ? "Committed 1 records" : "the upgrade would commit 1 records"),
              std::string::npos)
        << sentence;
    EXPECT_TRUE(std::regex_search(html, std::regex("id=\"fact-allow-rejected\"[^>]*>accepted"))) << html;
    EXPECT_NE(r.out.find("2 rejected file(s) accepted with --allow-rejected"), std::string::npos) << r.out;
  }
  // Without the option the same rehearsal is blocked, and says so.
  const auto blocked = kms({"rehearse", "--source", clients.string(), "--report", (tmp / "b.jsonl").string()});
  EXPECT_EQ(blocked.exit_code, 1) << blocked.out;
  const auto summary = read_jsonl(tmp / "b.jsonl").back();
  EXPECT_EQ(summary["allow_rejected"], false);
  EXPECT_EQ(summary["rejected_accepted"], 0);
  EXPECT_EQ(summary["blocked"], true);
}

// verify of a database whose upgrade accepted rejected files says so too,
// the same in its summary and its HTML, and claims no bytes it did not keep.
TEST_F(SignOff, VerifyOfAnUpgradeThatAcceptedRejectsSaysSoEverywhere) {
  const fs::path clients = tmp / "Clients";
  fs::create_directories(clients);
  write_file(clients / "Mzzzzzzzzzzzz.ini", "[Client]\r\nMailboxDN=/o=X/cn=good\r\nState=1\r\n");
  write_file(clients / "M0000000000a1.ini", "[Client]\r\nMailboxDN=/o=X/cn=bad\r\nState=9\r\n");
  fs::create_symlink("Mzzzzzzzzzzzz.ini", clients / "M0000000000a2.ini");
  const fs::path db = tmp / "k.db";
  ASSERT_EQ(
      kms({"upgrade", "--source", clients.string(), "--target", db.string(), "--allow-rejected", "--yes"}).exit_code,
      0);
  const auto v = kms({"verify", "--source", clients.string(), "--target", db.string(), "--report",
                      (tmp / "v.jsonl").string(), "--report", (tmp / "v.html").string()});
  ASSERT_EQ(v.exit_code, 0) << v.out;
  const auto summary = read_jsonl(tmp / "v.jsonl").back();
  EXPECT_EQ(summary["allow_rejected"], true) << summary.dump();
  EXPECT_EQ(summary["rejected_accepted"], 2) << summary.dump();
  const auto [tone, sentence] = verdict_of(read_file(tmp / "v.html"));
  EXPECT_EQ(tone, "warn") << sentence;
  EXPECT_NE(sentence.find("2 rejected file(s) of the store were not migrated (accepted at the upgrade with "
                          "--allow-rejected; the bytes of those that could be read are in legacy_files)"),
            std::string::npos)
      << sentence;
}

TEST_F(SignOff, AnUpgradeWithoutRejectsIsPlainGreen) {
  const auto r = kms({"upgrade", "--source", store().string(), "--target", (tmp / "k.db").string(), "--yes", "--report",
                      (tmp / "r.html").string()});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto [tone, sentence] = verdict_of(read_file(tmp / "r.html"));
  EXPECT_EQ(tone, "ok") << sentence;
  EXPECT_EQ(sentence.find("accepted"), std::string::npos) << sentence;
}

// A real browser: the page renders to a PNG and prints to a PDF, and the DOM it
// builds holds the counts of the JSON Lines summary.
TEST_F(SignOff, ChromiumRendersAndPrintsTheHtmlReport) {
  const std::string browser = chromium();
  if (browser.empty()) GTEST_SKIP() << "chromium is not installed (scripts/setup-test-tools installs it)";
  const auto r = kms({"rehearse", "--source", store().string(), "--report", (tmp / "r.jsonl").string(), "--report",
                      (tmp / "r.html").string()});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const std::string url = "file://" + fs::absolute(tmp / "r.html").string();
  const std::vector<std::string> common = {"--headless",
                                           "--no-sandbox",
                                           "--disable-gpu",
                                           "--no-first-run",
                                           "--user-data-dir=" + (tmp / "profile").string(),
                                           "--window-size=1200,1500"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = common;
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(url);
    return run_process(browser, args);
  };
  const auto png = with({"--screenshot=" + (tmp / "r.png").string()});
  const auto pdf = with({"--print-to-pdf=" + (tmp / "r.pdf").string(), "--no-pdf-header-footer"});
  const auto dom = with({"--dump-dom"});
  ASSERT_TRUE(fs::exists(tmp / "r.png")) << png.out;
  ASSERT_TRUE(fs::exists(tmp / "r.pdf")) << pdf.out;
  EXPECT_EQ(read_file(tmp / "r.png").substr(1, 3), "PNG");
  const std::string pdf_bytes = read_file(tmp / "r.pdf");
  EXPECT_EQ(pdf_bytes.substr(0, 4), "%PDF");
  EXPECT_NE(pdf_bytes.find("/MediaBox [0 0 594.9"), std::string::npos) << "the print CSS asks for A4 (595 x 842 pt)";
  EXPECT_GT(fs::file_size(tmp / "r.png"), 10000u);
  const auto summary = read_jsonl(tmp / "r.jsonl").back();
  for (const char* key : {"files_seen", "migrated", "normalized", "rejected", "skipped", "verified_passed"}) {
    EXPECT_EQ(number_with_id(dom.out, std::string("count-") + key), summary[key].get<long long>())
        << key << "\n"
        << dom.out.substr(0, 400);
  }
  for (const auto& secret : secrets_of(store() / "Mgrent" / "Clients")) {
    EXPECT_EQ(dom.out.find(secret), std::string::npos) << "a secret is in the DOM: " << secret.substr(0, 6) << "...";
  }
  for (const char* outside : {"http:", "https:", "src=", "url("})
    EXPECT_EQ(dom.out.find(outside), std::string::npos) << outside;
  if (const char* keep = std::getenv("KMS_KEEP_SCREENSHOT"))
    fs::copy_file(tmp / "r.png", keep, fs::copy_options::overwrite_existing);
}

/// The text of `pages` ("1" or "1-3") of a PDF, and its page count, by poppler's tools.
std::string pdf_text(const fs::path& pdf, int first, int last) {
  return run_process("/usr/bin/pdftotext",
                     {"-layout", "-f", std::to_string(first), "-l", std::to_string(last), pdf.string(), "-"})
      .out;
}
int pdf_pages(const fs::path& pdf) {
  const auto info = run_process("/usr/bin/pdfinfo", {pdf.string()});
  std::smatch m;
  return std::regex_search(info.out, m, std::regex("Pages:\\s+([0-9]+)")) ? std::stoi(m[1].str()) : -1;
}

// The night at scale: a 20,000-record store with the damage real stores have
// (26 rejects, about 600 KB Q198709 normalizations, files with warnings),
// upgraded with --allow-rejected, its sign-off printed to A4 by a real browser.
// Page one is the whole sign-off; the rest are appendices, within 15 pages.
TEST_F(SignOff, TheSignOffOfATwentyThousandRecordUpgradePrintsPageOneCompleteWithinFifteenPages) {
  const std::string browser = chromium();
  if (browser.empty()) GTEST_SKIP() << "chromium is not installed (scripts/setup-test-tools installs it)";
  if (!fs::exists("/usr/bin/pdftotext") || !fs::exists("/usr/bin/pdfinfo"))
    GTEST_SKIP() << "poppler-utils is not installed (scripts/setup-test-tools installs it)";
  ASSERT_EQ(run_process(KMS_GEN_STORE_BIN, {"store", (tmp / "big").string(), "20000", "7"}).exit_code, 0);
  const fs::path clients = tmp / "big" / "Security" / "Mgrent" / "Clients";
  for (int i = 0; i < 26; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "Mbad%09d.ini", i);
    write_file(clients / name, "[Client]\r\nMailboxDN=/o=Contoso/cn=bad" + std::to_string(i) +
                                   "\r\nState=" + (i % 2 ? "9" : "2") + "\r\n");
  }
  for (int i = 0; i < 10; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "Mwarn%08d.ini", i);
    write_file(clients / name, "[Client]\r\nMailboxDN=/o=Contoso/cn=warn" + std::to_string(i) +
                                   "\r\nState=1\r\nToken=ABCDEFGHJKLM\r\nFavouriteColour=blue\r\n");
  }
  const fs::path html = tmp / "night.html", jsonl = tmp / "night.jsonl", pdf = tmp / "night.pdf";
  const auto r = kms({"upgrade", "--source", (tmp / "big" / "Security").string(), "--target", (tmp / "k.db").string(),
                      "--yes", "--allow-rejected", "--report", html.string(), "--report", jsonl.string()});
  ASSERT_EQ(r.exit_code, 0) << r.out.substr(0, 2000);
  const auto summary = read_jsonl(jsonl).back();
  ASSERT_EQ(summary["rejected"], 26);
  ASSERT_GT(summary["normalized"].get<int>(), 500);
  const auto printed =
      run_process(browser, {"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                            "--user-data-dir=" + (tmp / "profile").string(), "--print-to-pdf=" + pdf.string(),
                            "--no-pdf-header-footer", "file://" + fs::absolute(html).string()});
  ASSERT_TRUE(fs::exists(pdf)) << printed.out;
  const int pages = pdf_pages(pdf);
  EXPECT_GT(pages, 1);
  EXPECT_LE(pages, 15) << "the sign-off of 20,000 records prints to " << pages << " A4 pages";
  std::string one = pdf_text(pdf, 1, 1);
  std::string flat;  // the page's words with every run of blanks and line ends as one blank
  for (char c : one) {
    if (c == ' ' || c == '\n' || c == '\t') {
      if (!flat.empty() && flat.back() != ' ') flat.push_back(' ');
    } else {
      flat.push_back(c);
    }
  }
  for (const std::string& want :
       {std::string("Committed 20,010 records"), std::string("26 rejected file(s) accepted with --allow-rejected"),
        summary["content_digest"].get<std::string>(), summary["store_digest"].get<std::string>(),
        std::string("Findings by code"), std::string("recovery-never-enrolled"), std::string("Next steps"),
        std::string("Prepared by"), std::string("Approved by"), std::string("--allow-rejected --report")}) {
    EXPECT_NE(flat.find(want), std::string::npos) << "page 1 lacks \"" << want << "\":\n" << one;
  }
  EXPECT_EQ(pdf_text(pdf, 2, 2).find("Approved by"), std::string::npos) << "the signature block is on page one only";
}

/// `html` printed to `pdf` on A4 by Chromium; false when it could not be.
bool print_to_pdf(const std::string& browser, const fs::path& html, const fs::path& pdf, const fs::path& profile) {
  run_process(browser,
              {"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=" + profile.string(),
               "--print-to-pdf=" + pdf.string(), "--no-pdf-header-footer", "file://" + fs::absolute(html).string()});
  return fs::exists(pdf);
}

// Page one keeps the signature block whatever the run's texts: a command line
// of a thousand characters (long paths, three reports) and a verify against
// another store, whose one line is long, both print it on page one.
TEST_F(SignOff, PageOneKeepsTheSignatureBlockWhateverTheCommandLineAndTheVerdict) {
  const std::string browser = chromium();
  if (browser.empty()) GTEST_SKIP() << "chromium is not installed (scripts/setup-test-tools installs it)";
  if (!fs::exists("/usr/bin/pdftotext")) GTEST_SKIP() << "poppler-utils is not installed";
  const fs::path deep = tmp / std::string(90, 'a') / std::string(90, 'b') / std::string(90, 'c');
  fs::create_directories(deep);
  copy_tree(kFixtures / "sample-store", deep / "store");
  const fs::path db = deep / "kms55.db", up = deep / "up.html";
  const auto r =
      kms({"upgrade", "--source", (deep / "store" / "Security").string(), "--target", db.string(), "--yes", "--report",
           up.string(), "--report", (deep / "up.jsonl").string(), "--report", (deep / "up.csv").string()});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  ASSERT_EQ(run_process(KMS_GEN_STORE_BIN, {"store", (deep / "other").string(), "300", "3"}).exit_code, 0);
  const fs::path wrong = deep / "wrong.html";
  const auto v = kms({"verify", "--source", (deep / "other" / "Security").string(), "--target", db.string(), "--report",
                      wrong.string()});
  ASSERT_EQ(v.exit_code, 1) << v.out.substr(0, 2000);
  for (const fs::path& html : {up, wrong}) {
    const fs::path pdf = fs::path(html).replace_extension(".pdf");
    ASSERT_TRUE(print_to_pdf(browser, html, pdf, tmp / "profile")) << html;
    const std::string one = pdf_text(pdf, 1, 1);
    EXPECT_NE(one.find("Approved by"), std::string::npos) << html.filename() << ": page 1 lacks the signature:\n"
                                                          << one;
  }
  EXPECT_NE(read_file(up).find(" characters in all: the JSON Lines summary"), std::string::npos);
}

// A run that wrote nothing labels its bars with what it would have written.
TEST_F(SignOff, ABlockedUpgradeAndARehearsalLabelWhatWasNotWritten) {
  const fs::path clients = tmp / "Clients";
  fs::create_directories(clients);
  write_file(clients / "Mzzzzzzzzzzzz.ini", "[Client]\r\nMailboxDN=/o=X/cn=good\r\nState=1\r\n");
  write_file(clients / "M0000000000a1.ini", "[Client]\r\nMailboxDN=/o=X/cn=bad\r\nState=9\r\n");
  const auto blocked = kms({"upgrade", "--source", clients.string(), "--target", (tmp / "k.db").string(), "--yes",
                            "--report", (tmp / "b.html").string(), "--report", (tmp / "b.jsonl").string()});
  ASSERT_EQ(blocked.exit_code, 1) << blocked.out;
  // The blocked upgrade keeps the digests it made: the decision about --allow-rejected is signed on them.
  const auto summary = read_jsonl(tmp / "b.jsonl").back();
  EXPECT_TRUE(summary["content_digest"].is_string()) << summary.dump();
  EXPECT_TRUE(summary["store_digest"].is_string()) << summary.dump();
  EXPECT_EQ(summary["files_listed"], summary["files_seen"]) << summary.dump();
  EXPECT_NE(blocked.out.find("(what upgrade --allow-rejected will record; nothing was committed)"), std::string::npos)
      << blocked.out;
  // ... and it is the digest that upgrade then records.
  const auto done_before =
      kms({"rehearse", "--source", clients.string(), "--allow-rejected", "--report", (tmp / "a.jsonl").string()});
  EXPECT_EQ(read_jsonl(tmp / "a.jsonl").back()["content_digest"], summary["content_digest"]);
  const auto rehearsal = kms({"rehearse", "--source", clients.string(), "--report", (tmp / "r.html").string()});
  ASSERT_EQ(rehearsal.exit_code, 1) << rehearsal.out;
  const auto done = kms({"upgrade", "--source", clients.string(), "--target", (tmp / "k.db").string(), "--yes",
                         "--allow-rejected", "--report", (tmp / "d.html").string()});
  ASSERT_EQ(done.exit_code, 0) << done.out;
  const auto label = [](const std::string& html, const std::string& name) {
    return html.find(">" + name + "</text>") != std::string::npos;
  };
  const std::string b = read_file(tmp / "b.html"), rh = read_file(tmp / "r.html"), d = read_file(tmp / "d.html");
  EXPECT_TRUE(label(b, "not written: would migrate")) << b;
  EXPECT_FALSE(label(b, "migrated")) << b;
  EXPECT_TRUE(label(rh, "would migrate")) << rh;
  EXPECT_FALSE(label(rh, "migrated")) << rh;
  EXPECT_TRUE(label(d, "migrated")) << d;
  EXPECT_NE(b.find("Nothing was written at the target"), std::string::npos) << b;
}

std::set<std::string> long_options(const std::string& text) {
  std::set<std::string> out;
  const std::regex re(R"((?:^|[^a-z-])(--[a-z][a-z-]*[a-z]))");
  for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end; ++it) out.insert((*it)[1]);
  return out;
}

TEST(ManPage, ListsTheOptionsThatHelpLists) {
  std::string help;
  for (const char* cmd : {"scan", "rehearse", "upgrade", "verify"}) help += kms({cmd, "--help"}).out;
  std::string man = read_file(kSource / "docs" / "kms-migrate.1");
  man = std::regex_replace(man, std::regex(R"(\\-)"), "-");
  const auto in_help = long_options(help), in_man = long_options(man);
  for (const auto& o : in_help) EXPECT_TRUE(in_man.count(o)) << o << " is in --help but not in the man page";
  for (const auto& o : in_man) EXPECT_TRUE(in_help.count(o)) << o << " is in the man page but in no --help";
  EXPECT_GE(in_help.size(), 15u);
  // Every exit code of the contract is in it.
  for (const char* code : {".B 0", ".B 1", ".B 2", ".B 3", ".B 4", ".B 130"})
    EXPECT_NE(man.find(code), std::string::npos) << code;
  EXPECT_NE(man.find("TMPDIR"), std::string::npos);
}

TEST(Help, NamesValuesAndGroupsWithoutBoostPlaceholders) {
  const auto r = kms({"upgrade", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.find(" arg "), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("upgrade: upgrade"), std::string::npos) << r.out;
  for (const char* s :
       {"--source DIR", "--target FILE", "--report FILE", "--jobs N", "Options of upgrade:", "Common options:"}) {
    EXPECT_NE(r.out.find(s), std::string::npos) << s << "\n" << r.out;
  }
}

/// What bash completion offers for the words of a command line (the last one being completed).
std::string complete(const std::string& line) {
  const std::string script = "source '" + (kSource / "migrate" / "kms-migrate.bash-completion").string() +
                             "'; COMP_WORDS=(" + line + "); COMP_CWORD=$((${#COMP_WORDS[@]}-1)); " + "[[ \"" + line +
                             "\" == *' ' ]] && { COMP_WORDS+=(''); COMP_CWORD=$((COMP_CWORD+1)); }; " +
                             "_kms_migrate; [ ${#COMPREPLY[@]} -eq 0 ] || printf '%s\\n' \"${COMPREPLY[@]}\"";
  return run_process("/bin/bash", {"-c", script}).out;
}

TEST(BashCompletion, CompletesCommandsOptionsAndValues) {
  EXPECT_EQ(complete("kms-migrate up"), "upgrade\n");
  EXPECT_EQ(complete("kms-migrate upgrade --so"), "--source\n");
  EXPECT_EQ(complete("kms-migrate scan --mai"), "--mailbox\n");
  EXPECT_EQ(complete("kms-migrate scan --ma"), "--mailbox\n--max-record-size\n--manifest\n");
  EXPECT_EQ(complete("kms-migrate verify --progress al"), "always\n");
  EXPECT_EQ(complete("kms-migrate rehearse --al"), "--allow-rejected\n--all\n") << "rehearse models the approved plan";
  EXPECT_EQ(complete("kms-migrate verify --al"), "") << "verify has no --allow-rejected";
  const std::string in_folder = complete("kms-migrate upgrade --source " + (kFixtures / "sample-st").string());
  EXPECT_EQ(in_folder, (kFixtures / "sample-store").string() + "\n");
}

// docs/runbook.md's recipe for a rejected file, run as written (the database
// and the file name put in): the bytes come back whole, and owner-only even
// under a umask of 022, since they hold the mailbox's token and key.
TEST(Runbook, TheRecoveryRecipeWritesTheRawBytesOwnerOnly) {
  TempDir tmp;
  const fs::path clients = tmp / "Security" / "Mgrent" / "Clients", db = tmp / "kms55.db";
  fs::create_directories(clients);
  const std::string name = "Mrecover00001.ini";
  const std::string bytes = "[Client]\r\nMailboxDN=/o=R/cn=Jane\r\nState=7\r\nToken=K4PN2MBTRQX7\r\n";
  write_file(clients / name, bytes);
  write_file(clients / "Mrecover00002.ini", "[Client]\r\nMailboxDN=/o=R/cn=John\r\nState=1\r\n");
  ASSERT_EQ(
      kms({"upgrade", "--source", (tmp / "Security").string(), "--target", db.string(), "--allow-rejected", "--yes"})
          .exit_code,
      0);
  const std::string runbook = read_file(kSource / "docs" / "runbook.md");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(runbook, m, std::regex("```sh\n(umask 077\n[^`]*writefile[^`]*)```")))
      << "docs/runbook.md has no recovery recipe that starts with umask 077";
  std::string recipe = m[1].str();
  for (const auto& [from, to] : {std::pair<std::string, std::string>{"/srv/kms55/kms55.db", db.string()},
                                 std::pair<std::string, std::string>{"Mabc123def456.ini", name}}) {
    for (std::size_t at; (at = recipe.find(from)) != std::string::npos;) recipe.replace(at, from.size(), to);
  }
  const auto r = run_process("/usr/bin/env", {"HOME=" + tmp.path().string(), "bash", "-ec", "umask 022\n" + recipe});
  ASSERT_EQ(r.exit_code, 0) << recipe << "\n" << r.out;
  const fs::path out = tmp / "kms-recovered" / name;
  EXPECT_EQ(read_file(out), bytes);
  EXPECT_EQ(fs::status(out).permissions(), fs::perms::owner_read | fs::perms::owner_write) << out;
  EXPECT_EQ(fs::status(out.parent_path()).permissions(), fs::perms::owner_all) << out.parent_path();
}

}  // namespace
}  // namespace kms::test
