#include "profile_parser.h"

#include <ini.h>

#include <algorithm>
#include <cstring>
#include <mutex>

#include "base64.h"
#include "safe_text.h"
#include "text_util.h"

namespace kms::core {
namespace {

// Debian's inih exports its options as process-wide globals. They are set
// once, before any parse, and never changed: parses may then run on any thread.
void configure_inih_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    static char comment_prefixes[] = ";";
    ini_allow_multiline = false;                    // indented lines are keys, not continuations
    ini_allow_inline_comments = false;              // "Smith ; Jones" is one value
    ini_start_comment_prefixes = comment_prefixes;  // '#' is not a comment
    ini_allow_bom = false;                          // the decoder removed the BOM already
    ini_allow_no_value = true;                      // a line without '=' reaches the handler, so every one is reported
    ini_use_stack = false;
    ini_allow_realloc = false;
    ini_max_line = static_cast<int>(kInihLineBytes) + 3;  // "\r\n\0", see ini.h
    ini_initial_alloc = ini_max_line;
    ini_stop_on_first_error = false;
  });
}

enum class LineKind { Other, Blank, SectionHeader, Malformed };

// The state shared by the line reader and the key handler. The reader hands
// inih one physical line at a time, so when the handler runs, `raw_line` and
// `line_no` describe the line inih is looking at.
struct ParseState {
  std::string_view rest;
  int line_no = 0;
  std::string_view raw_line;
  const char* handed = nullptr;  ///< inih's buffer, holding raw_line as handed to it (nullptr: a stand-in)
  std::string buffer;
  ParsedProfile* out = nullptr;
  Issues* issues = nullptr;
  // The section keys go to, as an index into out->sections (which grows);
  // kNone before any header and in a repeated section.
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  std::size_t current = kNone;
  bool in_repeated_section = false;
  bool after_base64_value = false;  ///< the last line that was not blank held a Certificate or EscrowedKey value
  bool seen_section = false;
  // A base64 value (Certificate, EscrowedKey) whose next lines may continue it:
  // the key's line, and the first and last continuation line found so far.
  std::string_view base64_key;
  int base64_line = 0;
  int fold_last = 0;  ///< the last line of the value's continuation (fold_lines); base64_line when none
  int wrap_first = 0, wrap_last = 0;
};

bool is_base64_body_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

// Every key name the record rules know: a line "Revoked=" is that key, never a
// piece of a wrapped value.
bool is_dialect_key(std::string_view name) {
  for (const char* k : {"MailboxDN", "DisplayName", "Alias", "State", "NumSCerts", "NumECerts", "Token", "Created",
                        "Modified", "Serial", "Certificate", "Revoked", "RevokedOn", "EscrowedKey"}) {
    if (iequals(name, k)) return true;
  }
  return false;
}

bool is_base64_key(std::string_view name) { return iequals(name, "Certificate") || iequals(name, "EscrowedKey"); }

// A physical line that can only be the rest of a wrapped base64 value: nothing
// but base64 characters, perhaps ending in '=' padding, and not a known key.
bool is_base64_continuation(std::string_view t) {
  std::string_view body = t;
  int padding = 0;
  while (!body.empty() && body.back() == '=' && padding < 2) {
    body.remove_suffix(1);
    ++padding;
  }
  if (body.empty() || !std::all_of(body.begin(), body.end(), is_base64_body_char)) return false;
  return padding == 0 || !is_dialect_key(body);
}

// What follows the name Token or EscrowedKey anywhere in a line is kept as a
// secret to redact: the value of such a key, and the secret that a lost line
// end ("State=1Token=...") or a mistyped separator ("EscrowedKey:...",
// "Token-...", "EscrowedKey <blob>==") put where no key names it.
void collect_secrets(ParseState& st, std::string_view line) {
  // A name counts where any character other than an ASCII letter or digit
  // follows it (a separator, however mistyped: '=', ':', '-', '#', a blank,
  // Ctrl-Z, the first byte of a no-break space), and only there is a name
  // looked for before it. A letter or digit after the name leaves it to the
  // message rule (safe_text.h), which quotes no such text. The value of a
  // Certificate or EscrowedKey line (kilobytes of base64, never quoted by any
  // message) is not searched, only its key.
  const auto separator = [](char c) { return !is_ascii_alnum(c); };
  const void* first_eq = std::memchr(line.data(), '=', line.size());
  if (first_eq) {
    const std::size_t eq = static_cast<std::size_t>(static_cast<const char*>(first_eq) - line.data());
    if (is_base64_key(trim(line.substr(0, eq)))) {
      const std::string_view value = trim(line.substr(eq + 1));
      if (iequals(trim(line.substr(0, eq)), "EscrowedKey") && !value.empty()) st.out->secrets.push_back(value);
      line = line.substr(0, eq);  // the key part still may hide a name ("EscrowedKey:x Certificate=")
    }
  }
  // The key's own value is taken whole (a token may hold blanks); after a
  // name inside other text, the word that follows it (a secret holds no
  // blank, and prose after "Token" in a comment or a DN is no secret).
  // A take inside the last one ("Token-Token-Token-...") adds nothing: the
  // secrets of a line stay as long as the line, however many names it holds.
  const char* taken_end = nullptr;
  const auto take_rest = [&](std::size_t end, bool own_value) {
    std::string_view rest = line.substr(end);
    while (!rest.empty() && separator(rest.front())) rest.remove_prefix(1);
    if (rest.empty() || (taken_end && rest.data() < taken_end)) return;  // inside the last: its word ends there too
    if (!own_value) rest = rest.substr(0, std::find_if(rest.begin(), rest.end(), is_blank_char) - rest.begin());
    st.out->secrets.push_back(rest);
    taken_end = rest.data() + rest.size();
  };
  for (std::size_t at = 5; at < line.size(); ++at) {  // what is left is short: one pass
    const char c = line[at];
    if (!separator(c)) continue;
    for (std::string_view name : {std::string_view("Token"), std::string_view("EscrowedKey")}) {
      if (at >= name.size() && iequals(line.substr(at - name.size(), name.size()), name)) {
        take_rest(at, at == name.size());
      }
    }
  }
}

// Lines after one that ends in base64 data (a key blob, whatever its key's
// spelling; a folded piece of one) are kept as secrets until the record's
// structure resumes: a section header, a comment, or a key the dialect
// knows. A blob the reader does not join (its value looked whole, its line
// was too wide to be a fold, its key was mistyped, its last piece carries a
// quote) would otherwise be read as a key named after its last piece
// ("sNX6H0Rpjg==", "9jqet4yLYQ==\""). True when `t` was kept.
bool collect_following_piece(ParseState& st, std::string_view t) {
  if (!st.after_base64_value || t.empty()) return false;
  const auto eq = t.find('=');
  if (t.front() == '[' || t.front() == ';' || (eq != std::string_view::npos && is_dialect_key(trim(t.substr(0, eq))))) {
    st.after_base64_value = false;
    return false;
  }
  st.out->secrets.push_back(t);
  return true;
}

// Whether the line `t` (not blank) may go on with a base64 value on the next
// line: it names Certificate or EscrowedKey anywhere, followed by any
// character but an ASCII letter or digit (a lost line end, a mistyped
// separator, a stray byte before the name), or it ends
// in a run of 16 or more base64 characters with a digit, '+' or '/' in it
// (quotes, blanks and '=' padding after it aside).
void note_base64_end(ParseState& st, std::string_view t) {
  for (std::string_view name : {std::string_view("Certificate"), std::string_view("EscrowedKey")}) {
    for (std::size_t at = 0; t.size() > name.size() && at < t.size() - name.size(); ++at) {
      if (!is_ascii_alnum(t[at + name.size()]) && iequals(t.substr(at, name.size()), name)) {
        st.after_base64_value = true;
        return;
      }
    }
  }
  std::size_t end = t.size();
  while (end > 0 && (t[end - 1] == '=' || t[end - 1] == '"' || t[end - 1] == '\'' || is_blank_char(t[end - 1]))) --end;
  std::size_t start = end;
  bool data = false;
  while (start > 0 && is_base64_body_char(t[start - 1])) {
    --start;
    const char c = t[start];
    data = data || !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'));
  }
  st.after_base64_value = end - start >= 16 && data;
}

void end_wrapped_value(ParseState& st) {
  if (st.wrap_first != 0) {
    const std::string lines = st.wrap_first == st.wrap_last
                                  ? "line " + std::to_string(st.wrap_first)
                                  : "lines " + std::to_string(st.wrap_first) + "-" + std::to_string(st.wrap_last);
    add_issue(*st.issues, IssueId::WrappedValue,
              "the " + std::string(st.base64_key) + " value of line " + std::to_string(st.base64_line) +
                  " continues on " + lines +
                  " (base64 wrapped onto more than one line): the profile API reads only the first line, so the "
                  "value is cut short; put it back on one line",
              st.base64_line);
  }
  st.base64_key = {};
  st.base64_line = st.wrap_first = st.wrap_last = 0;
}

// Called for every physical line: is it the continuation of a base64 value
// (one of the lines fold_lines() found after the key's line)?
bool continues_base64_value(ParseState& st, std::string_view t) {
  if (st.base64_line == 0) return false;
  if (st.line_no > st.fold_last) {
    end_wrapped_value(st);
    return false;
  }
  if (t.empty()) return false;  // a blank line between the pieces
  if (st.wrap_first == 0) st.wrap_first = st.line_no;
  st.wrap_last = st.line_no;
  st.out->secrets.push_back(t);
  return true;
}

/// The position of the first CR or LF in `s`, npos for none.
std::size_t line_end(std::string_view s) {
  const void* lf = std::memchr(s.data(), '\n', s.size());
  const std::size_t before = lf ? static_cast<std::size_t>(static_cast<const char*>(lf) - s.data()) : s.size();
  const void* cr = std::memchr(s.data(), '\r', before);
  if (cr) return static_cast<std::size_t>(static_cast<const char*>(cr) - s.data());
  return lf ? before : std::string_view::npos;
}

/// Splits the first line off `rest` (CR LF, LF or a CR alone ends it); false when `rest` is empty.
bool next_line(std::string_view& rest, std::string_view& line) {
  if (rest.empty()) return false;
  const auto end = line_end(rest);
  line = rest.substr(0, end);
  std::size_t next = end == std::string_view::npos ? rest.size() : end + 1;
  if (end != std::string_view::npos && rest[end] == '\r' && next < rest.size() && rest[next] == '\n') ++next;
  rest = rest.substr(next);
  return true;
}

/// A certificate value that decodes to exactly one DER element (its outer
/// SEQUENCE's length covers the bytes): it stands whole, nothing continues it.
bool is_whole_der(std::string_view value) {
  const auto der = base64_decode(value);
  if (!der || der->size() < 2 || (*der)[0] != 0x30) return false;
  std::size_t len = (*der)[1], header = 2;
  if (len & 0x80) {
    const std::size_t n = len & 0x7F;
    if (n == 0 || n > 4 || der->size() < 2 + n) return false;
    len = 0;
    for (std::size_t i = 0; i < n; ++i) len = (len << 8) | (*der)[2 + i];
    header += n;
  }
  return header + len == der->size();
}

// How many lines after a Certificate or EscrowedKey line continue its value
// (0: none). A line continues it only where the value does not already stand
// whole (it ends in '=' padding; a certificate decodes to one whole DER
// element) and the value with the lines joined on is valid base64: a length
// that is a multiple of 4, padding only at its very end. Blank lines between
// the pieces are part of the fold; any other line ends it.
int fold_lines(std::string_view key, std::string_view value, std::string_view rest, std::size_t width) {
  // Folds are made by editors and mail clients at 64 to 132 columns; the KMS
  // wrote a value on one line of its own length. A key line wider than any fold
  // holds its whole value (an unpadded key then "Version=" is two lines).
  constexpr std::size_t kWidestFold = 256;
  if (width > kWidestFold) return 0;
  if (!value.empty() && value.back() == '=') return 0;
  if (!std::all_of(value.begin(), value.end(), is_base64_body_char)) return 0;
  std::size_t joined = value.size();
  int at = 0, last = 0;
  for (std::string_view line; next_line(rest, line);) {
    ++at;
    const std::string_view t = trim(line);
    if (t.empty()) continue;
    // A fold never makes a piece longer than its first line (unless the value starts on the next line).
    if (!is_base64_continuation(t) || (!value.empty() && t.size() > width)) break;
    joined += t.size();
    const bool padded = t.back() == '=';
    if (joined % 4 == 0) last = at;
    if (padded) break;  // padding ends a base64 value
  }
  if (last != 0 && iequals(key, "Certificate") && is_whole_der(value)) return 0;
  return last;
}

// After a key line: does it hold a base64 value that the next lines continue?
void note_key_line(ParseState& st, std::string_view t) {
  const auto eq = t.find('=');
  if (eq == std::string_view::npos) return;
  const std::string_view key = trim(t.substr(0, eq));
  if (!is_base64_key(key)) return;
  const int lines = fold_lines(key, trim(t.substr(eq + 1)), st.rest, t.size());
  if (lines == 0) return;
  st.base64_key = key;
  st.base64_line = st.line_no;
  st.fold_last = st.line_no + lines;
}

/// The element of `items` named `name`: through `index` when it is filled, else by a scan.
template <typename T, typename NameOf>
const T* find_named(const std::vector<T>& items, const NameIndex& index, std::string_view name, NameOf name_of) {
  if (index.empty()) {
    for (const auto& item : items) {
      if (iequals(name_of(item), name)) return &item;
    }
    return nullptr;
  }
  const auto [from, to] = index.equal_range(ascii_ci_key(name));
  for (auto it = from; it != to; ++it) {
    if (iequals(name_of(items[it->second]), name)) return &items[it->second];
  }
  return nullptr;
}

/// Appends `item`, and keeps `index` filled once the list is long.
template <typename T, typename NameOf>
void add_named(std::vector<T>& items, NameIndex& index, T item, NameOf name_of) {
  items.push_back(std::move(item));
  if (items.size() < kIndexFrom) return;
  if (index.empty()) {
    index.reserve(items.size() * 2);
    for (std::uint32_t i = 0; i < items.size(); ++i) index.emplace(ascii_ci_key(name_of(items[i])), i);
  } else {
    index.emplace(ascii_ci_key(name_of(items.back())), static_cast<std::uint32_t>(items.size() - 1));
  }
}

std::string_view section_name(const ProfileSection& s) { return s.name; }
std::string_view entry_key(const ProfileEntry& e) { return e.key; }

ProfileSection* find_section(ParsedProfile& p, std::string_view name) {
  return const_cast<ProfileSection*>(find_named(p.sections, p.index, name, section_name));
}

void start_section(ParseState& st, std::string_view name) {
  st.seen_section = true;
  if (ProfileSection* first = find_section(*st.out, name)) {
    add_issue(*st.issues, IssueId::DuplicateSection,
              "section " + section_ref(name) + " repeats the one at line " + std::to_string(first->line) +
                  "; its keys are ignored, as the profile API ignores them",
              st.line_no);
    st.current = ParseState::kNone;
    st.in_repeated_section = true;
    return;
  }
  st.out->add(ProfileSection{std::string(name), st.line_no, {}, {}});
  st.current = st.out->sections.size() - 1;
  st.in_repeated_section = false;
}

// Lines inih would get wrong are handled here, before inih sees them:
// section headers (inih neither trims nor reports them, and cuts names at 50
// bytes), unterminated '[' lines, and lines longer than the limit.
LineKind pre_classify(ParseState& st, std::string_view line) {
  const std::string_view t = trim(line);
  collect_secrets(st, t);
  if (!collect_following_piece(st, t) && !t.empty()) note_base64_end(st, t);
  if (continues_base64_value(st, t)) {
    st.out->has_content = true;
    return LineKind::Malformed;  // reported once, as wrapped-value, when the value ends
  }
  if (t.empty() || t.front() == ';') return LineKind::Blank;
  st.out->has_content = true;
  if (t.front() != '[') {
    note_key_line(st, t);
    return LineKind::Other;
  }
  const auto close = t.find(']');
  if (close == std::string_view::npos) {
    // No ']': not a header. With an '=' the profile API reads it as a key ("[x=y" is
    // the key "[x"); without one it is a line cut short.
    if (t.find('=') != std::string_view::npos) {
      note_key_line(st, t);
      return LineKind::Other;
    }
    add_issue(*st.issues, IssueId::MalformedLine, "section header without a closing ']'", st.line_no);
    return LineKind::Malformed;
  }
  start_section(st, trim(t.substr(1, close - 1)));
  return LineKind::SectionHeader;
}

char* read_line(char* str, int num, void* stream) {
  auto& st = *static_cast<ParseState*>(stream);
  // A line ends at CR LF, LF or a CR alone, as the profile API reads it. Two
  // memchr over the line, not find_first_of (a look-up in the set per byte).
  std::string_view line;
  if (!next_line(st.rest, line)) return nullptr;
  ++st.line_no;
  st.raw_line = line;
  // Lines handled above reach inih as a comment, so it neither misreads nor counts
  // them twice; a key line longer than inih's buffer reaches it as a stand-in.
  const LineKind kind = pre_classify(st, line);
  std::string_view handed = kind == LineKind::Other ? line : std::string_view(";");
  // A key line inih would misread (longer than its buffer, or starting with '[')
  // reaches it as a stand-in of the same kind.
  const bool bracket = kind == LineKind::Other && trim(line).front() == '[';
  if (handed.size() > kInihLineBytes || bracket) handed = line.find('=') != std::string_view::npos ? "k=v" : "k";
  const std::size_t n = std::min(handed.size(), static_cast<std::size_t>(num - 1));
  std::memcpy(str, handed.data(), n);
  str[n] = '\0';
  st.handed = handed.data() == line.data() && n == line.size() ? str : nullptr;
  return str;
}

std::string_view strip_matching_quotes(std::string_view v) {
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
    return v.substr(1, v.size() - 2);
  }
  return v;
}

// The key and the value of a key line, as inih split and trimmed them in its
// buffer (a copy of the raw line: the same offsets view the text), where its
// split is the dialect's. It is not, and the line is split here, where:
// - a ':' comes before the first '=': inih splits at the first '=' or ':',
//   the profile API at '=' only ("Cost:Center=42" is the key "Cost:Center");
// - the line holds Ctrl-Z: the API trims it as a blank, inih (isspace) not;
// - inih saw a stand-in (a line longer than its buffer, or one starting with
//   '[', which it would take for a section header).
// Each is a case of tests/oracle_test.cpp.
std::pair<std::string_view, std::string_view> split_key_line(const ParseState& st, std::string_view raw, std::size_t eq,
                                                             const char* name, const char* value) {
  const bool inih_agrees = st.handed && name && value && raw.find(':') > eq && raw.find('\x1a') == raw.npos;
  if (inih_agrees) {
    return {raw.substr(static_cast<std::size_t>(name - st.handed), std::strlen(name)),
            raw.substr(static_cast<std::size_t>(value - st.handed), std::strlen(value))};
  }
  return {trim(raw.substr(0, eq)), trim(raw.substr(eq + 1))};
}

// inih calls this for each line it takes as a key.
int on_key(void* user, const char* /*section*/, const char* inih_name, const char* inih_value) {
  auto& st = *static_cast<ParseState*>(user);
  const std::string_view raw = st.raw_line;
  const auto eq = raw.find('=');
  if (eq == std::string_view::npos) {
    add_issue(*st.issues, IssueId::MalformedLine,
              "line is not a section header, a Key=Value pair or a comment (cut short?)", st.line_no);
    return 1;
  }
  // "=v": a key with an empty name, as the profile API reads it (a look-up of "" returns v).
  const auto [key, unquoted] = split_key_line(st, raw, eq, inih_name, inih_value);
  const std::string_view value = strip_matching_quotes(unquoted);
  if (!st.seen_section) {
    add_issue(*st.issues, IssueId::KeyOutsideSection,
              "key " + key_name(key) + " comes before any section header; ignored", st.line_no);
    return 1;
  }
  if (st.current == ParseState::kNone) return 1;  // inside a repeated section: ignored (warned at its header)
  ProfileSection& section = st.out->sections[st.current];
  if (const ProfileEntry* first = section.find(key)) {
    add_issue(*st.issues, IssueId::DuplicateKey,
              "key " + key_name(key) + " repeats in " + section_ref(section.name) + "; the first, at line " +
                  std::to_string(first->line) + ", is used",
              st.line_no);
    return 1;
  }
  section.add(ProfileEntry{key, value, st.line_no, value.size() != unquoted.size()});
  return 1;
}

// The KMS wrote every line through the profile API, which ends each line; a
// last line without its end (and with something on it) is a file cut short,
// as an interrupted copy leaves it, or one made by hand.
void check_last_line_ended(std::string_view text, int last_line, Issues& issues) {
  if (text.empty() || text.back() == '\n' || text.back() == '\r') return;
  const std::size_t start = text.find_last_of("\r\n");
  const std::string_view last = trim(start == std::string_view::npos ? text : text.substr(start + 1));
  // A comment that ends the file without its line end is whole, unless it holds
  // NUL bytes (or what could not be decoded): the tail an interrupted copy into
  // a preallocated file leaves.
  const bool damaged = last.find('\0') != std::string_view::npos || last.find("\xEF\xBF\xBD") != std::string_view::npos;
  if (last.empty() || (last.front() == ';' && !damaged)) return;
  add_issue(issues, IssueId::Truncated,
            "the file ends inside line " + std::to_string(last_line) +
                ", which has no line end: it looks cut short, for example by an interrupted copy; compare it with "
                "the server's copy",
            last_line);
}

}  // namespace

const ProfileEntry* ProfileSection::find(std::string_view key) const {
  return find_named(entries, index, key, entry_key);
}

void ProfileSection::add(ProfileEntry e) { add_named(entries, index, std::move(e), entry_key); }

const ProfileSection* ParsedProfile::find(std::string_view name) const {
  return find_named(sections, index, name, section_name);
}

void ParsedProfile::add(ProfileSection s) { add_named(sections, index, std::move(s), section_name); }

ParsedProfile parse_profile(std::string_view text, Issues& issues) {
  configure_inih_once();
  ParsedProfile out;
  ParseState st;
  st.rest = text;
  st.out = &out;
  st.issues = &issues;
  out.sections.reserve(8);  // a client record has [Client] and a few certificate sections
  ini_parse_stream(read_line, &st, on_key, &st);
  end_wrapped_value(st);
  check_last_line_ended(text, st.line_no, issues);
  return out;
}

}  // namespace kms::core
