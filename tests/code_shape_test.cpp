// The shape of the code itself (docs/architecture.md, CONTRIBUTING.md): who may
// include whom, and no include cycle between stages or modules. (No function
// over 60 lines is clang-tidy's readability-function-size: scripts/tidy.)
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

const fs::path kRoot = KMS_SOURCE_DIR;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<fs::path> sources_under(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    const auto ext = e.path().extension();
    if (e.is_regular_file() && (ext == ".h" || ext == ".cpp")) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> quoted_includes(const std::string& text) {
  static const std::regex include(R"re(^\s*#\s*include\s+"([^"]+)")re", std::regex::multiline);
  std::vector<std::string> out;
  for (std::sregex_iterator it(text.begin(), text.end(), include), end; it != end; ++it) out.push_back((*it)[1]);
  return out;
}

/// Each stage of core/ and the stages it declares it may use (its kms_stage(... DEPS ...)).
std::map<std::string, std::set<std::string>> declared_stages() {
  std::map<std::string, std::set<std::string>> deps;
  for (const auto& e : fs::directory_iterator(kRoot / "core")) {
    if (!e.is_directory()) continue;
    const std::string text = slurp(e.path() / "CMakeLists.txt");
    std::smatch m;
    std::set<std::string>& d = deps[e.path().filename().string()];
    if (std::regex_search(text, m, std::regex(R"(DEPS([a-z0-9_\s]*?)(\)|LIBS))"))) {
      std::istringstream words(m[1].str());
      for (std::string w; words >> w;) d.insert(w);
    }
  }
  return deps;
}

std::set<std::string> closure(const std::map<std::string, std::set<std::string>>& deps, const std::string& stage) {
  std::set<std::string> seen;
  std::vector<std::string> todo{stage};
  while (!todo.empty()) {
    const std::string s = todo.back();
    todo.pop_back();
    if (!seen.insert(s).second) continue;
    const auto it = deps.find(s);
    if (it != deps.end()) todo.insert(todo.end(), it->second.begin(), it->second.end());
  }
  return seen;
}

/// Header name -> the stage (folder of core/) that holds it.
std::map<std::string, std::string> header_stages() {
  std::map<std::string, std::string> where;
  for (const auto& p : sources_under(kRoot / "core")) {
    if (p.extension() == ".h") where[p.filename().string()] = p.parent_path().filename().string();
  }
  return where;
}

TEST(CodeShape, EveryIncludeGoesDownTheStages) {
  const auto deps = declared_stages();
  const auto where = header_stages();
  ASSERT_GE(deps.size(), 8u);
  std::vector<std::string> wrong;
  for (const auto& [stage, _] : deps) {
    const std::set<std::string> allowed = closure(deps, stage);
    for (const auto& file : sources_under(kRoot / "core" / stage)) {
      for (const auto& inc : quoted_includes(slurp(file))) {
        const auto it = where.find(inc);
        if (it == where.end()) continue;  // generated (schema_sql.h)
        if (!allowed.count(it->second)) {
          wrong.push_back(fs::relative(file, kRoot).string() + " includes " + inc + " of core/" + it->second +
                          ", which core/" + stage + " may not use");
        }
      }
    }
  }
  for (const auto& w : wrong) ADD_FAILURE() << w;
}

TEST(CodeShape, TheStagesFormNoCycle) {
  const auto deps = declared_stages();
  for (const auto& [stage, uses] : deps) {
    for (const auto& u : uses) {
      EXPECT_FALSE(closure(deps, u).count(stage)) << "core/" << stage << " uses core/" << u << ", which uses it back";
    }
  }
}

/// Modules: a header and its .cpp are one ("core/db/db_writer"). No module may
/// include (through its header or its source) a module that includes it back.
TEST(CodeShape, NoIncludeCycleBetweenModules) {
  std::map<std::string, std::string> module_of_header;  // "db_writer.h" -> "core/db/db_writer"
  std::vector<fs::path> files;
  for (const char* dir : {"core", "migrate"}) {
    for (const auto& p : sources_under(kRoot / dir)) {
      files.push_back(p);
      if (p.extension() == ".h") {
        module_of_header[p.filename().string()] = fs::relative(p, kRoot).replace_extension().string();
      }
    }
  }
  std::map<std::string, std::set<std::string>> edges;
  for (const auto& p : files) {
    const std::string from = fs::relative(p, kRoot).replace_extension().string();
    for (const auto& inc : quoted_includes(slurp(p))) {
      const auto it = module_of_header.find(inc);
      if (it != module_of_header.end() && it->second != from) edges[from].insert(it->second);
    }
  }
  std::map<std::string, int> state;  // 1 on the path, 2 done
  std::vector<std::string> path;
  std::function<void(const std::string&)> visit = [&](const std::string& m) {
    state[m] = 1;
    path.push_back(m);
    for (const auto& n : edges[m]) {
      if (state[n] == 1) {
        std::string cycle;
        for (auto it = std::find(path.begin(), path.end(), n); it != path.end(); ++it) cycle += *it + " -> ";
        ADD_FAILURE() << "include cycle: " << cycle << n;
      } else if (state[n] == 0) {
        visit(n);
      }
    }
    path.pop_back();
    state[m] = 2;
  };
  for (const auto& [m, _] : edges) {
    if (state[m] == 0) visit(m);
  }
}

}  // namespace
