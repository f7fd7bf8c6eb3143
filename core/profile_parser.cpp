#include "profile_parser.h"

#include <ini.h>

#include <algorithm>
#include <cstring>
#include <mutex>

#include "text_util.h"

namespace kms::core {
namespace {

// Debian's inih exports its options as process-wide globals. They are set
// once, before any parse, and never changed: parses may then run on any thread.
void configure_inih_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    static char comment_prefixes[] = ";";
    ini_allow_multiline = false;        // indented lines are keys, not continuations
    ini_allow_inline_comments = false;  // "Smith ; Jones" is one value
    ini_start_comment_prefixes = comment_prefixes;  // '#' is not a comment
    ini_allow_bom = false;              // the decoder removed the BOM already
    ini_allow_no_value = true;          // a line without '=' reaches the handler, so every one is reported
    ini_use_stack = false;
    ini_allow_realloc = false;
    ini_max_line = static_cast<int>(kMaxLineBytes) + 3;  // "\r\n\0", see ini.h
    ini_initial_alloc = ini_max_line;
    ini_stop_on_first_error = false;
  });
}

enum class LineKind { Other, SectionHeader, Malformed };

// The state shared by the line reader and the key handler. The reader hands
// inih one physical line at a time, so when the handler runs, `raw_line` and
// `line_no` describe the line inih is looking at.
struct ParseState {
  std::string_view rest;
  int line_no = 0;
  std::string_view raw_line;
  std::string buffer;
  ParsedProfile* out = nullptr;
  Issues* issues = nullptr;
  // The section keys go to, as an index into out->sections (which grows);
  // kNone before any header and in a repeated section.
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  std::size_t current = kNone;
  bool in_repeated_section = false;
  bool seen_section = false;
};

ProfileSection* find_section(ParsedProfile& p, std::string_view name) {
  for (auto& s : p.sections) {
    if (iequals(s.name, name)) return &s;
  }
  return nullptr;
}

void start_section(ParseState& st, std::string_view name) {
  st.seen_section = true;
  if (ProfileSection* first = find_section(*st.out, name)) {
    add_issue(*st.issues, Severity::Warning, "duplicate-section",
              "section [" + std::string(name) + "] repeats the one at line " + std::to_string(first->line) +
                  "; its keys are ignored, as the profile API ignores them",
              st.line_no);
    st.current = ParseState::kNone;
    st.in_repeated_section = true;
    return;
  }
  st.out->sections.push_back(ProfileSection{std::string(name), st.line_no, {}});
  st.current = st.out->sections.size() - 1;
  st.in_repeated_section = false;
}

// Lines inih would get wrong are handled here, before inih sees them:
// section headers (inih neither trims nor reports them, and cuts names at 50
// bytes), unterminated '[' lines, and lines longer than the limit.
LineKind pre_classify(ParseState& st, std::string_view line) {
  const std::string_view t = trim(line);
  if (line.size() > kMaxLineBytes) {
    add_issue(*st.issues, Severity::Error, "malformed-line",
              "line is " + std::to_string(line.size()) + " bytes long; the limit is " +
                  std::to_string(kMaxLineBytes),
              st.line_no);
    st.out->has_content = true;
    return LineKind::Malformed;
  }
  if (t.empty() || t.front() == ';') return LineKind::Other;
  st.out->has_content = true;
  if (t.front() != '[') return LineKind::Other;
  const auto close = t.find(']');
  if (close == std::string_view::npos) {
    add_issue(*st.issues, Severity::Error, "malformed-line",
              "section header without a closing ']'", st.line_no);
    return LineKind::Malformed;
  }
  start_section(st, trim(t.substr(1, close - 1)));
  return LineKind::SectionHeader;
}

char* read_line(char* str, int num, void* stream) {
  auto& st = *static_cast<ParseState*>(stream);
  if (st.rest.empty()) return nullptr;
  const auto nl = st.rest.find('\n');
  std::string_view line = st.rest.substr(0, nl);
  st.rest = nl == std::string_view::npos ? std::string_view{} : st.rest.substr(nl + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  ++st.line_no;
  st.raw_line = line;
  // Lines handled above reach inih as a comment, so it neither misreads nor counts them twice.
  const LineKind kind = pre_classify(st, line);
  const std::string_view handed = kind == LineKind::Other ? line : std::string_view(";");
  const std::size_t n = std::min(handed.size(), static_cast<std::size_t>(num - 1));
  std::memcpy(str, handed.data(), n);
  str[n] = '\0';
  return str;
}

std::string_view strip_matching_quotes(std::string_view v) {
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
    return v.substr(1, v.size() - 2);
  }
  return v;
}

// inih calls this for each line it takes as a key. inih splits at the first
// '=' OR ':'; the dialect splits at the first '=' only, so the split is
// redone here from the raw line.
int on_key(void* user, const char* /*section*/, const char* /*name*/, const char* /*value*/) {
  auto& st = *static_cast<ParseState*>(user);
  const std::string_view raw = st.raw_line;
  const auto eq = raw.find('=');
  if (eq == std::string_view::npos) {
    add_issue(*st.issues, Severity::Error, "malformed-line",
              "line is not a section header, a Key=Value pair or a comment (cut short?)", st.line_no);
    return 1;
  }
  const std::string_view key = trim(raw.substr(0, eq));
  if (key.empty()) {
    add_issue(*st.issues, Severity::Error, "malformed-line", "'=' with no key name before it",
              st.line_no);
    return 1;
  }
  const std::string_view value = strip_matching_quotes(trim(raw.substr(eq + 1)));
  if (!st.seen_section) {
    add_issue(*st.issues, Severity::Warning, "key-outside-section",
              "key " + quoted(key) + " comes before any section header; ignored", st.line_no);
    return 1;
  }
  if (st.current == ParseState::kNone) return 1;  // inside a repeated section: ignored (warned at its header)
  ProfileSection& section = st.out->sections[st.current];
  if (const ProfileEntry* first = section.find(key)) {
    add_issue(*st.issues, Severity::Warning, "duplicate-key",
              "key " + quoted(key) + " repeats in [" + section.name + "]; the first, at line " +
                  std::to_string(first->line) + ", is used",
              st.line_no);
    return 1;
  }
  section.entries.push_back(ProfileEntry{key, value, st.line_no});
  return 1;
}

}  // namespace

const ProfileEntry* ProfileSection::find(std::string_view key) const {
  for (const auto& e : entries) {
    if (iequals(e.key, key)) return &e;
  }
  return nullptr;
}

const ProfileSection* ParsedProfile::find(std::string_view name) const {
  for (const auto& s : sections) {
    if (iequals(s.name, name)) return &s;
  }
  return nullptr;
}

ParsedProfile parse_profile(std::string_view text, Issues& issues) {
  configure_inih_once();
  ParsedProfile out;
  ParseState st;
  st.rest = text;
  st.out = &out;
  st.issues = &issues;
  out.sections.reserve(8);  // a client record has [Client] and a few certificate sections
  ini_parse_stream(read_line, &st, on_key, &st);
  return out;
}

}  // namespace kms::core
