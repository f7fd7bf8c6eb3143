// The oracle: what the Win32 profile API (Wine's, which its own test suite
// checks against Windows) reads from each file of a generated corpus, against
// what kms-migrate reads (decode_text, then parse_profile). Any disagreement
// fails, printing the case's bytes and both readings, unless the case is one
// of the dialect's documented departures (docs/dialect.md), where the tool's
// own rule is checked instead. Skipped, with a message, without Wine or the
// mingw-w64 cross compiler.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>

#include "profile_int.h"
#include "profile_parser.h"
#include "test_util.h"
#include "text_decoder.h"
#include "text_util.h"

namespace fs = std::filesystem;

namespace kms::test {
namespace {

struct Case {
  std::string name;
  std::string bytes;
  std::string departure;  ///< "" when the tool must read what the API reads; else the issue code it gives instead
};

/// The syntax of lines, sections, keys and values.
std::vector<Case> syntax_cases() {
  return {
      {"plain", "[Client]\nMailboxDN=/o=X/cn=A\nState=4\n", ""},
      {"blanks around key and value", "[Client]\n  State   =   4  \n\tAlias\t=\tx\t\n", ""},
      {"value after the first =", "[Client]\nMailboxDN=/o=X/cn=a=b\n", ""},
      {"colon in a key", "[Client]\nCost:Center=42\n", ""},
      {"colon in a value", "[Client]\nX=a:b\n", ""},
      {"keys in any case", "[Client]\nnumscerts=2\nNUMECERTS=1\n", ""},
      {"double quotes", "[Client]\nDisplayName = \"  Jane  \"\n", ""},
      {"single quotes", "[Client]\nDisplayName = '  Jane  '\n", ""},
      {"unmatched quotes", "[Client]\nDisplayName = \"Jane'\n", ""},
      {"a lone quote", "[Client]\nDisplayName = \"\n", ""},
      {"quotes inside", "[Client]\nDisplayName = a \"b\" c\n", ""},
      {"no inline comment", "[Client]\nDisplayName = Smith ; Jones\n", ""},
      {"hash is ordinary", "[Client]\n#Note=x\nAlias=a # b\n", ""},
      {"semicolon comment", "[Client]\n;State=4\nAlias=x\n", ""},
      {"indented comment", "[Client]\n   ; State=4\nAlias=x\n", ""},
      {"blank lines", "[Client]\n\n   \n\t\nState=4\n", ""},
      {"indented key", "[Client]\nAlias=x\n   State = 4\n", ""},
      {"first key wins", "[Client]\nState=1\nState=4\n", ""},
      {"first key wins in any case", "[Client]\nState=1\nSTATE=4\n", ""},
      {"repeated section", "[Client]\nState=1\n[client]\nAlias=x\nState=2\n", ""},
      {"three sections", "[Client]\nState=1\n[SCert1]\nSerial=0A\n[ECert1]\nSerial=0B\n", ""},
      {"section in any case", "[CLIENT]\nState=4\n", ""},
      {"blanks inside brackets", "[  Client  ]\nState=4\n", ""},
      {"text after the bracket", "[Client] ; old comment = x\nState=4\n", ""},
  };
}

/// Values of every length and edge, encodings, and large files.
std::vector<Case> value_cases() {
  const std::string long_a(70000, 'A'), long_b(100000, 'b');
  return {
      {"long section name", "[" + std::string(80, 'S') + "]\nK=v\n", ""},
      {"empty value", "[Client]\nAlias=\nState=1\n", ""},
      {"blank value", "[Client]\nAlias=   \nState=1\n", ""},
      {"space inside a key", "[Client]\nDisplay Name=x\n", ""},
      {"empty key name", "[Client]\n=v\nState=1\n", ""},
      {"empty key name after blanks", "[Client]\n   =  w \nState=1\n", ""},
      {"Ctrl-Z after a value", "[Client]\nState=4\x1a\n", ""},
      {"a line of Ctrl-Z", "[Client]\nState=4\n\x1a\nAlias=x\n", ""},
      {"Ctrl-Z around a key", "[Client]\n\x1a State \x1a= 4\n", ""},
      {"Ctrl-Z at the end of the file", "[Client]\nState=4\n\x1a", ""},
      {"a 70,000-byte value", "[Client]\nCertificate=" + long_a + "\nState=1\n", ""},
      {"a 100,000-byte value", "[Client]\nX=" + long_b + "\nState=1\n", ""},
      {"the last line without a line end", "[Client]\nState=4", "truncated"},
      {"cp1252 letters", "[Client]\nDisplayName=Se\xe1n \xd3 Riain\nState=1\n", ""},
      {"cp1252 unassigned bytes",
       "[Client]\nDisplayName=a\x81"
       "b\x8d"
       "c\x9d"
       "d\nState=1\n",
       ""},
      {"UTF-8 with BOM",
       "\xef\xbb\xbf[Client]\nDisplayName=Ren\xc3\xa9"
       "e\nState=1\n",
       ""},
      {"UTF-16LE with BOM", std::string("\xff\xfe[\0C\0]\0\n\0K\0=\0\xe9\0\n\0", 18), ""},
      {"many keys",
       [] {
         std::string s = "[Client]\n";
         for (int i = 0; i < 60; ++i) s += "K" + std::to_string(i) + "=v" + std::to_string(i) + "\n";
         return s;
       }(),
       ""},
      {"many sections",
       [] {
         std::string s;
         for (int i = 0; i < 40; ++i) s += "[S" + std::to_string(i) + "]\nK=v" + std::to_string(i) + "\n";
         return s;
       }(),
       ""},
      {"a key named like an unterminated section", "[Client]\n[x=y\nState=1\n", ""},
      {"an unterminated section without =", "[Client]\n[Other\nState=1\n", "malformed-line"},
  };
}

/// Numbers, as GetPrivateProfileIntW reads them (the string reading agrees too).
std::vector<Case> number_cases() {
  return {
      {"hand-edited numbers",
       "[Client]\nState=+4\nNumSCerts=-0\nNumECerts=none\n[SCert1]\nRevoked=01\n[ECert1]\nRevoked=+0\n", ""},
      {"text after a number",
       "[Client]\nState=1 (New)\nNumSCerts=0 ; never enrolled\nNumECerts=4abc\n[SCert1]\nRevoked=1 ; by admin\n", ""},
      {"comments after a number", "[Client]\nState=1 ; fixed per Q198709\nNumSCerts=1.0\nNumECerts=0.0\n", ""},
      {"prefixes", "[Client]\nState=0x4\nNumSCerts=0o17\nNumECerts=0b101\n[SCert1]\nRevoked=0X1\n", ""},
      {"prefixes without digits", "[Client]\nState=0x\nNumSCerts=0b2\nNumECerts=0o9\n[SCert1]\nRevoked=0xg\n", ""},
      {"decimals and exponents", "[Client]\nState=4.0\nNumSCerts=1e3\nNumECerts=.5\n", ""},
      {"quoted numbers", "[Client]\nState=\" 4 \"\nNumSCerts='2'\nNumECerts=\"\t3\"\n", ""},
      {"quoted numbers at the edge of the API's 29 characters",
       "[Client]\nState=\"" + std::string(27, '0') + "2\"\nNumSCerts=\"" + std::string(28, '0') + "1\"\nNumECerts='" +
           std::string(29, '0') + "3'\n[SCert1]\nRevoked=\"" + std::string(28, '0') + "1\"\n",
       ""},
      {"a no-break space after a number",
       "[Client]\nState=4\xa0\nNumSCerts=\"\xa0"
       "1\"\n",
       ""},
      {"empty and blank counts", "[Client]\nState=1\nNumSCerts=\nNumECerts=   \n[SCert1]\nRevoked=\n", ""},
      {"signs", "[Client]\nState=+-4\nNumSCerts=- 4\nNumECerts=-5\n[SCert1]\nRevoked=-1\n", ""},
      {"numbers past 31 bits", "[Client]\nState=4294967297\nNumSCerts=2147483648\nNumECerts=0xFFFFFFFF\n", ""},
      {"numbers past 32 bits", "[Client]\nState=99999999999999999999\nNumSCerts=0x100000004\n", ""},
      {"a number past the API's 29 characters",
       "[Client]\nState=" + std::string(29, '0') + "4\nNumSCerts=" + std::string(28, '0') + "12\n", ""},
      {"digits of other scripts", "\xef\xbb\xbf[Client]\nState=\xd9\xa4\nNumSCerts=\xef\xbc\x94\nNumECerts=\xc2\xb2\n",
       ""},
      {"numbers in any case of key", "[Client]\nstate=2\nNUMSCERTS=1\nnumecerts=1\n", ""},
  };
}

/// Documented departures: the tool's rule stands (docs/dialect.md).
std::vector<Case> departure_cases() {
  return {
      {"a line without =", "[Client]\nState=4\nNumSCe\n", "malformed-line"},
      {"name:value without =", "[Client]\nState:4\n", "malformed-line"},
      {"a NUL byte", std::string("[Client]\nState=4\0x\n", 19), "binary-content"},
      {"UTF-8 without BOM",
       "[Client]\nDisplayName=Ren\xc3\xa9"
       "e\nState=1\n",
       "decoded-as-utf8"},
      {"a bracket inside a section name", "[Cli]ent]\nK=v\n", "section-name"},
      {"keys before any section", "Alias=early\n[Client]\nState=1\n", "key-outside-section"},
      {"a wrapped key", "[ECert1]\nEscrowedKey=QUJDREVGR0hJ\nSktMTU5PUA==\nRevoked=0\n", "wrapped-value"},
  };
}

std::vector<Case> base_cases() {
  std::vector<Case> all = syntax_cases();
  for (auto more : {value_cases(), number_cases(), departure_cases()}) all.insert(all.end(), more.begin(), more.end());
  return all;
}

/// Every base case with LF, CR LF and CR line ends (UTF-16 and NUL cases as they are).
std::vector<Case> corpus() {
  std::vector<Case> out;
  for (const Case& c : base_cases()) {
    const bool keep = c.name.rfind("UTF-16", 0) == 0 || c.departure == "binary-content";
    for (const char* end : {"\n", "\r\n", "\r"}) {
      if (keep && std::string(end) != "\n") continue;
      Case v = c;
      if (!keep) {
        v.bytes.clear();
        for (char ch : c.bytes) v.bytes += ch == '\n' ? std::string(end) : std::string(1, ch);
      }
      v.name += std::string(end) == "\n" ? " (LF)" : std::string(end) == "\r\n" ? " (CR LF)" : " (CR)";
      out.push_back(std::move(v));
    }
  }
  // A lone CR inside a CR LF file ends a line too.
  out.push_back({"a lone CR in a CR LF file", "[Client]\r\nState=4\rAlias=x\r\nDisplayName=d\r\n", ""});
  return out;
}

std::string windows_path(const fs::path& p) {
  std::string w = "Z:";
  const std::string unix_path = fs::absolute(p).string();
  for (char c : unix_path) w += c == '/' ? '\\' : c;
  return w;
}

std::string quoted_arg(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string printable(const std::string& bytes) {
  std::string out;
  for (unsigned char c : bytes.substr(0, 300)) {
    if (c >= 0x20 && c < 0x7f)
      out += static_cast<char>(c);
    else {
      char b[8];
      std::snprintf(b, sizeof b, "\\x%02x", c);
      out += b;
    }
  }
  return bytes.size() > 300 ? out + "..." : out;
}

struct ToolReading {
  core::ParsedProfile profile;
  core::Issues issues;
  std::string text;  ///< the decoded text the profile views
};

std::unique_ptr<ToolReading> tool_reading(const std::string& bytes) {
  auto r = std::make_unique<ToolReading>();
  core::DecodedText t = core::decode_text(bytes, r->issues);
  if (!t.ok) return r;
  r->text = std::string(t.utf8());
  r->profile = core::parse_profile(r->text, r->issues);
  return r;
}

/// The keys the record rules read as numbers.
constexpr const char* kNumericKeys[] = {"State", "NumSCerts", "NumECerts", "Revoked"};
constexpr std::uint32_t kApiDefault = 777777;  ///< the default the oracle passes GetPrivateProfileIntW

/// What the tool reads as the number of `key` in `s`, as GetPrivateProfileIntW would return it.
std::uint32_t tool_number(const core::ProfileSection& s, const std::string& key) {
  const core::ProfileEntry* e = s.find(key);
  const core::ProfileInt n = core::read_profile_int(e ? e->value : std::string_view(), e && e->quoted);
  return n.present ? n.api : kApiDefault;
}

bool has_code(const core::Issues& issues, const std::string& code) {
  return std::any_of(issues.begin(), issues.end(), [&](const core::Issue& i) { return i.code == code; });
}

/// The oracle's arguments for one case: the file, then every name the tool
/// read, and every numeric key, present or not (the API's number and the tool's).
std::string api_question(const fs::path& file, const ToolReading& reading) {
  std::string a = quoted_arg(windows_path(file));
  for (const auto& s : reading.profile.sections) {
    a += " " + quoted_arg(s.name) + " ''";
    for (const auto& e : s.entries) {
      if (!e.key.empty()) a += " " + quoted_arg(s.name) + " " + quoted_arg(std::string(e.key));
    }
    for (const char* k : kNumericKeys) a += " " + quoted_arg(s.name) + " " + k;
  }
  return a;
}

/// Runs the oracle under Wine over every case's question, one Wine process
/// per batch (a command line stays under Windows' 32 KiB); one JSON line a case.
void ask_the_api(const std::string& exe, const fs::path& work, const std::vector<std::string>& args,
                 std::vector<nlohmann::json>* api) {
  const std::string env =
      "WINEDEBUG=-all WINEPREFIX=" + quoted_arg((work / "wineprefix").string()) + " LC_ALL=C.UTF-8 ";
  const fs::path errors = work / "wine-stderr.txt";
  for (std::size_t from = 0; from < args.size();) {
    std::string cmd = env + "wine " + quoted_arg(exe);
    std::size_t to = from;
    for (; to < args.size() && cmd.size() + args[to].size() < 24000; ++to) cmd += (to > from ? " -- " : " ") + args[to];
    cmd += " 2>" + quoted_arg(errors.string());
    // Wine itself (its loader, its server) fails now and then on a loaded
    // machine, before the oracle runs: its exit status is then Wine's, and
    // the batch is run again. The oracle's own answers are never retried: it
    // exits 0 whatever it reads, and every line it prints is compared.
    std::string out;
    int status = -1;
    for (int attempt = 0; attempt < 3 && status != 0; ++attempt) {
      FILE* p = ::popen(cmd.c_str(), "r");
      ASSERT_NE(p, nullptr);
      out.clear();
      char buf[65536];
      for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
      status = ::pclose(p);
    }
    ASSERT_EQ(status, 0) << cmd.substr(0, 300) << "\nwine's stderr:\n" << read_file(errors).substr(0, 2000);
    std::size_t start = 0;
    for (std::size_t nl; (nl = out.find('\n', start)) != std::string::npos; start = nl + 1) {
      api->push_back(nlohmann::json::parse(out.substr(start, nl - start)));
    }
    from = to;
  }
}

/// Every value the tool read, asked of the API by its name; how many numbers were compared.
int compare_asked(const ToolReading& tool, const nlohmann::json& a) {
  int numbers = 0;
  for (const auto& ask : a["asked"]) {
    const std::string section_name = ask[0].get<std::string>();
    const core::ProfileSection* s = tool.profile.find(section_name);
    if (!s) {
      ADD_FAILURE() << "the tool has no section [" << section_name << "]";
      continue;
    }
    const std::string key = ask[1].get<std::string>();
    EXPECT_EQ(tool_number(*s, key), ask[3].get<std::uint32_t>())
        << "GetPrivateProfileIntW of [" << s->name << "] \"" << key << "\"";
    ++numbers;
    const core::ProfileEntry* e = s->find(key);
    if (!e) {
      EXPECT_TRUE(ask[2].is_null()) << "the API has [" << s->name << "] \"" << key << "\" = " << ask[2].dump()
                                    << "; the tool has no such key";
      continue;
    }
    if (ask[2].is_null()) {
      ADD_FAILURE() << "the tool has [" << s->name << "] \"" << key << "\"; the API has not";
      continue;
    }
    EXPECT_EQ(std::string(e->value), ask[2].get<std::string>()) << "[" << s->name << "] \"" << key << "\"";
  }
  return numbers;
}

/// Every section and key the API lists, in the tool (the API's list ends at an empty name).
void compare_listed(const ToolReading& tool, const nlohmann::json& a) {
  std::vector<std::string> api_sections;
  for (const auto& s : a["sections"]) {
    const std::string name = s["name"].get<std::string>();
    if (std::none_of(api_sections.begin(), api_sections.end(),
                     [&](const std::string& n) { return core::iequals(n, name); })) {
      api_sections.push_back(name);
    }
    const core::ProfileSection* mine = tool.profile.find(name);
    if (!mine) {
      ADD_FAILURE() << "the API has section [" << name << "]; the tool has not";
      continue;
    }
    for (const auto& kv : s["keys"]) {
      const std::string key = kv[0].get<std::string>();
      const core::ProfileEntry* e = mine->find(key);
      if (!e) {
        ADD_FAILURE() << "the API has [" << name << "] \"" << key << "\"; the tool has not";
        continue;
      }
      if (!kv[1].is_null()) {
        EXPECT_EQ(std::string(e->value), kv[1].get<std::string>());
      }
    }
  }
  std::vector<std::string> tool_sections;
  for (const auto& s : tool.profile.sections) tool_sections.push_back(s.name);
  EXPECT_EQ(tool_sections, api_sections);
}

/// A documented departure: the tool gives its rule's answer instead of the API's.
void check_departure(const Case& c, const ToolReading& tool) {
  if (c.departure == "section-name") {  // the name ends at the first ']' (Wine: the last)
    ASSERT_FALSE(tool.profile.sections.empty());
    EXPECT_EQ(tool.profile.sections[0].name, "Cli");
  } else {
    EXPECT_TRUE(has_code(tool.issues, c.departure)) << "the tool should report " << c.departure;
  }
}

TEST(Oracle, TheToolReadsWhatTheProfileApiReads) {
  const std::string exe = KMS_ORACLE_EXE;
  if (exe.empty() || std::system("command -v wine > /dev/null 2>&1") != 0) {
    GTEST_SKIP()
        << "the oracle needs wine and x86_64-w64-mingw32-gcc (apt-get install wine wine64 gcc-mingw-w64-x86-64)";
  }
  const fs::path work = fs::path(KMS_ORACLE_WORK);
  fs::create_directories(work / "corpus");
  const std::vector<Case> cases = corpus();
  ASSERT_GE(cases.size(), 150u);
  std::vector<std::unique_ptr<ToolReading>> readings;
  std::vector<std::string> args;  // per case: the file, then the names the tool read, asked of the API
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const fs::path file = work / "corpus" / ("case" + std::to_string(i) + ".ini");
    write_file(file, cases[i].bytes);
    readings.push_back(tool_reading(cases[i].bytes));
    args.push_back(api_question(file, *readings.back()));
  }
  std::vector<nlohmann::json> api;
  ask_the_api(exe, work, args, &api);
  ASSERT_EQ(api.size(), cases.size());
  ASSERT_EQ(api[0]["acp"], 1252) << "the Wine prefix must use code page 1252";
  int compared = 0, departures = 0, numbers = 0;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    const ToolReading& tool = *readings[i];
    SCOPED_TRACE("case " + std::to_string(i) + ": " + c.name + "\nbytes: " + printable(c.bytes) +
                 "\nAPI: " + api[i].dump().substr(0, 600));
    if (!c.departure.empty()) {
      ++departures;
      check_departure(c, tool);
      continue;
    }
    ++compared;
    EXPECT_FALSE(core::has_error(tool.issues)) << "the tool rejects what the API reads";
    numbers += compare_asked(tool, api[i]);
    compare_listed(tool, api[i]);
  }
  EXPECT_GE(compared, 120);
  EXPECT_GE(numbers, 600);
  EXPECT_GE(departures, 15);
}

}  // namespace
}  // namespace kms::test
