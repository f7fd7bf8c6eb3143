// The shape of the code itself (docs/architecture.md, CONTRIBUTING.md): who may
// include whom, no include cycle between modules, and no function over 60 lines.
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
constexpr int kMaxFunctionLines = 60;

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

/// The text with comments, string and character literals blanked (newlines kept).
std::string code_only(const std::string& s) {
  std::string out = s;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const auto blank_to = [&](std::size_t end) {
      for (; i < end && i < out.size(); ++i) {
        if (out[i] != '\n') out[i] = ' ';
      }
      --i;
    };
    if (out.compare(i, 2, "//") == 0) {
      blank_to(out.find('\n', i) == std::string::npos ? out.size() : out.find('\n', i));
    } else if (out.compare(i, 2, "/*") == 0) {
      blank_to(out.find("*/", i) == std::string::npos ? out.size() : out.find("*/", i) + 2);
    } else if (out.compare(i, 3, "R\"(") == 0 || out.compare(i, 5, "R\"re(") == 0) {
      const bool re = out[i + 2] == 'r';
      blank_to(out.find(re ? ")re\"" : ")\"", i) + (re ? 4 : 2));
    } else if (out[i] == '"' || (out[i] == '\'' && !(i > 0 && std::isxdigit(static_cast<unsigned char>(out[i - 1]))))) {
      const char q = out[i];
      std::size_t j = i + 1;
      while (j < out.size() && out[j] != q && out[j] != '\n') j += out[j] == '\\' ? 2 : 1;
      blank_to(j + 1);
    }
  }
  return out;
}

struct LongFunction {
  std::string where;
  int lines;
};

/// Function bodies: a brace opened at namespace or class level after a ")".
std::vector<LongFunction> long_functions(const fs::path& file) {
  const std::string code = code_only(slurp(file));
  std::vector<LongFunction> found;
  static const std::regex container(R"(\b(namespace|class|struct|union|enum)\b|extern\s*$)");
  std::vector<char> kinds;  // per open brace: 'c' container, 'f' function, 'o' other
  std::size_t head_start = 0;
  int line = 1, open_line = 0;
  std::size_t fn_depth = 0;
  for (std::size_t i = 0; i < code.size(); ++i) {
    const char c = code[i];
    if (c == '\n') ++line;
    if (c != '{' && c != '}' && c != ';') continue;
    const bool at_container_level = std::all_of(kinds.begin(), kinds.end(), [](char k) { return k == 'c'; });
    if (c == '{') {
      const std::string head = code.substr(head_start, i - head_start);
      char kind = 'o';
      if (at_container_level) {
        if (std::regex_search(head, container) && head.find('(') == std::string::npos) {
          kind = 'c';
        } else if (head.find(')') != std::string::npos) {
          kind = 'f';
          open_line = line;
          fn_depth = kinds.size();
        }
      }
      kinds.push_back(kind);
    } else if (c == '}' && !kinds.empty()) {
      const char kind = kinds.back();
      kinds.pop_back();
      if (kind == 'f' && kinds.size() == fn_depth && line - open_line + 1 > kMaxFunctionLines) {
        found.push_back({fs::relative(file, kRoot).string() + ":" + std::to_string(open_line), line - open_line + 1});
      }
    }
    if (std::all_of(kinds.begin(), kinds.end(), [](char k) { return k == 'c'; })) head_start = i + 1;
  }
  return found;
}

TEST(CodeShape, NoFunctionIsOverSixtyLines) {
  for (const char* dir : {"core", "migrate", "fixtures/tools", "fuzz"}) {
    for (const auto& p : sources_under(kRoot / dir)) {
      for (const auto& f : long_functions(p)) {
        ADD_FAILURE() << f.where << ": a function of " << f.lines << " lines (at most " << kMaxFunctionLines << ")";
      }
    }
  }
}

}  // namespace
