// Every repository path named in the docs, the READMEs, CONTRIBUTING, the
// packaging texts and the code (its comments and its strings) exists: a file
// that moves takes every mention of it along.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "test_util.h"

namespace {

namespace fs = std::filesystem;

const fs::path kRoot = KMS_SOURCE_DIR;

/// The texts that name paths: prose and code, never the fixtures' data.
std::vector<fs::path> texts() {
  std::vector<fs::path> out = {kRoot / "README.md",       kRoot / "CONTRIBUTING.md",   kRoot / "CMakeLists.txt",
                               kRoot / "packaging.cmake", kRoot / "CMakePresets.json", kRoot / ".clang-tidy",
                               kRoot / ".clang-format",   kRoot / ".ci" / "run"};
  static const std::set<std::string> kinds = {
      ".md", ".h", ".cpp", ".c", ".sh", ".txt", ".cmake", ".sql", ".1", ".in", ".py", ".json", ".bash-completion", ""};
  for (const char* dir : {"docs", "core", "migrate", "tests", "schema", "scripts", "packaging", "fuzz"}) {
    for (const auto& e : fs::recursive_directory_iterator(kRoot / dir)) {
      if (e.is_regular_file() && kinds.count(e.path().extension().string())) out.push_back(e.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

/// Whether `named` (relative to the root; `*` matches within one name; a
/// module by its stem, "core/db/db_writer" for its .h and .cpp) exists.
bool exists_in_repo(const std::string& named) {
  if (named.find('*') == std::string::npos) {
    return fs::exists(kRoot / named) || fs::exists(kRoot / (named + ".h")) || fs::exists(kRoot / (named + ".cpp"));
  }
  const fs::path p(named);
  std::string glob;
  for (char c : p.filename().string()) glob += c == '*' ? std::string("[^/]*") : c == '.' ? "\\." : std::string(1, c);
  const std::regex name(glob);
  if (!fs::is_directory(kRoot / p.parent_path())) return false;
  for (const auto& e : fs::directory_iterator(kRoot / p.parent_path())) {
    if (std::regex_match(e.path().filename().string(), name)) return true;
  }
  return false;
}

struct Stale {
  std::string file;
  std::size_t line;
  std::string named;
};

/// `line` with the spellings of the repository's root ("${CMAKE_SOURCE_DIR}/",
/// "$root/") and of the file's own folder ("${CMAKE_CURRENT_SOURCE_DIR}/")
/// made plain: the path after them is then read as any other.
std::string rooted(std::string line, const std::string& folder) {
  const std::pair<std::string, std::string> spellings[] = {{"${CMAKE_SOURCE_DIR}/", " "},
                                                           {"$root/", " "},
                                                           {"${root}/", " "},
                                                           {"${CMAKE_CURRENT_SOURCE_DIR}/", " " + folder + "/"}};
  for (const auto& [from, to] : spellings) {
    for (std::size_t at = line.find(from); at != std::string::npos; at = line.find(from, at + to.size())) {
      line.replace(at, from.size(), to);
    }
  }
  return line;
}

/// The paths `line` names: from a top-level folder of the repository, or from
/// a stage of core/ ("util/safe_text.h" is core/util/safe_text.h); not inside
/// a longer path or a URL; over the characters of file names.
std::vector<std::string> named_paths(const std::string& line) {
  static const std::regex path(
      R"((^|[^A-Za-z0-9_./$-])((core|migrate|tests|docs|schema|fixtures|scripts|packaging|fuzz)/[A-Za-z0-9_.*/-]*))");
  static const std::regex stage(
      R"((^|[^A-Za-z0-9_./$-])((util|text|record|store|db|verify|report|target|commands|x509)/[a-z0-9_]+\.(h|cpp)))");
  std::vector<std::string> out;
  // std::regex is slow: a line is searched only when it holds a folder's name and a '/'.
  static const char* const kFolders[] = {
      "core/", "migrate/", "tests/", "docs/", "schema/", "fixtures/", "scripts/", "packaging/", "fuzz/", "util/",
      "text/", "record/",  "store/", "db/",   "verify/", "report/",   "target/",  "commands/",  "x509/"};
  if (std::none_of(std::begin(kFolders), std::end(kFolders),
                   [&](const char* f) { return line.find(f) != std::string::npos; })) {
    return out;
  }
  for (std::sregex_iterator it(line.begin(), line.end(), path), end; it != end; ++it) {
    std::string named = (*it)[2];
    while (!named.empty() && (named.back() == '.' || named.back() == '/' || named.back() == '-')) named.pop_back();
    out.push_back(named);
  }
  for (std::sregex_iterator it(line.begin(), line.end(), stage), end; it != end; ++it) {
    out.push_back("core/" + (*it)[2].str());
  }
  return out;
}

std::vector<Stale> stale_paths() {
  std::vector<Stale> out;
  for (const fs::path& f : texts()) {
    const std::string folder = fs::relative(f.parent_path(), kRoot).string();
    std::istringstream in(kms::test::read_file(f));
    std::size_t n = 0;
    for (std::string line; std::getline(in, line);) {
      ++n;
      for (const std::string& named : named_paths(rooted(line, folder))) {
        if (!exists_in_repo(named)) out.push_back({fs::relative(f, kRoot).string(), n, named});
      }
    }
  }
  return out;
}

TEST(RepoPaths, EveryPathNamedInTheDocsAndTheCodeExists) {
  const auto stale = stale_paths();
  std::string listed;
  for (const auto& s : stale) listed += "  " + s.file + ":" + std::to_string(s.line) + ": " + s.named + "\n";
  EXPECT_TRUE(stale.empty()) << stale.size() << " path(s) named that the repository does not have:\n" << listed;
}

// The scanner finds what it is for: a moved file, a glob that matches nothing,
// a folder that is not there. (The names below are split in two literals so
// that the scanner, reading this file, does not take them for stale paths.)
TEST(RepoPaths, TheScannerSeesAMovedFile) {
  EXPECT_TRUE(exists_in_repo("core/util/safe_text.h"));
  EXPECT_TRUE(exists_in_repo("core/db/db_writer"));
  EXPECT_FALSE(
      exists_in_repo("core/"
                     "safe_text.h"));
  EXPECT_FALSE(
      exists_in_repo("core/db/"
                     "db_writ"));
  EXPECT_TRUE(exists_in_repo("tests/oracle/*.c"));
  EXPECT_FALSE(
      exists_in_repo("tests/oracle/"
                     "*.rs"));
  EXPECT_FALSE(
      exists_in_repo("docs/"
                     "nowhere/"));
  // Its readings: a root spelt by CMake or a script, a folder's own, a stage's path.
  EXPECT_EQ(named_paths(rooted("  ${CMAKE_SOURCE_DIR}/scripts/"
                               "gone.sh x",
                               "tests")),
            std::vector<std::string>{"scripts/"
                                     "gone.sh"});
  EXPECT_EQ(named_paths(rooted("\"$root/docs/"
                               "x.md\"",
                               "scripts")),
            std::vector<std::string>{"docs/"
                                     "x.md"});
  EXPECT_EQ(named_paths(rooted("${CMAKE_CURRENT_SOURCE_DIR}/oracle/"
                               "p.c",
                               "tests")),
            std::vector<std::string>{"tests/oracle/"
                                     "p.c"});
  EXPECT_EQ(named_paths("see `util/"
                        "safe_text.h`"),
            std::vector<std::string>{"core/util/"
                                     "safe_text.h"});
  EXPECT_EQ(named_paths("https://example.org/docs/"
                        "x and core/util/"
                        "y.h"),
            std::vector<std::string>{"core/util/"
                                     "y.h"});
}

}  // namespace
