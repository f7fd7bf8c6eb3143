#include "manifest.h"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <iterator>

#include "hashing.h"
#include "text_util.h"

namespace kms::core {
namespace {

constexpr std::uintmax_t kMaxManifestBytes = 256u << 20;  // some 3 million lines

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool parse_hash(std::string_view hex, std::array<std::uint8_t, 32>& out) {
  if (hex.size() != 64) return false;
  for (std::size_t i = 0; i < 32; ++i) {
    const int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return true;
}

bool space(char c) { return c == ' ' || c == '\t'; }

std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

/// The whitespace-separated words of a line.
std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && space(s[i])) ++i;
    const std::size_t start = i;
    while (i < s.size() && !space(s[i])) ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

/// The fields of a CSV line as Export-Csv writes it ("a","b"; quotes doubled inside); nullopt when malformed.
std::optional<std::vector<std::string>> csv_fields(std::string_view s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (true) {
    std::string field;
    if (i < s.size() && s[i] == '"') {
      ++i;
      while (true) {
        if (i >= s.size()) return std::nullopt;
        if (s[i] == '"') {
          if (i + 1 < s.size() && s[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field += s[i++];
      }
    } else {
      while (i < s.size() && s[i] != ',') field += s[i++];
    }
    out.push_back(std::move(field));
    if (i >= s.size()) return out;
    if (s[i] != ',') return std::nullopt;
    ++i;
  }
}

/// sha256sum's escaped name (a line that starts with '\'): "\\" and "\n", "\r".
std::optional<std::string> unescape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out += s[i];
      continue;
    }
    if (++i >= s.size()) return std::nullopt;
    if (s[i] == '\\')
      out += '\\';
    else if (s[i] == 'n')
      out += '\n';
    else if (s[i] == 'r')
      out += '\r';
    else
      return std::nullopt;
  }
  return out;
}

enum class Form { Unknown, Sums, Table, List, Csv };

const char* form_name(Form f) {
  switch (f) {
    case Form::Sums:
      return "sha256sum";
    case Form::Table:
      return "Get-FileHash table";
    case Form::List:
      return "Get-FileHash list";
    case Form::Csv:
      return "Get-FileHash CSV";
    case Form::Unknown:
      break;
  }
  return "unknown";
}

/// Reads one manifest, line by line.
class ManifestParser {
 public:
  ManifestParser(Manifest& m, const std::string& where) : m_(m), where_(where) {}

  Status line(std::string_view s, std::uint32_t n) {
    line_ = n;
    if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
    if (s.find('\0') != std::string_view::npos) return fail("a NUL byte: this is not a text file");
    if (form_ == Form::List && !s.empty() && space(s.front()) && !pending_path_.empty()) {
      pending_path_ += std::string(trim_spaces(s));  // Format-List wraps a long value onto indented lines
      return Status::success();
    }
    if (Status st = flush_list(); !st.ok()) return st;
    const std::string_view t = trim_spaces(s);
    if (t.empty() || t.front() == '#') return Status::success();  // blank, a comment, Export-Csv's #TYPE
    if (form_ == Form::Unknown) return first(t, s);
    switch (form_) {
      case Form::Sums:
        return sums(s);
      case Form::Table:
        return table(t);
      case Form::List:
        return list(t);
      case Form::Csv:
        return csv(t);
      case Form::Unknown:
        break;
    }
    return Status::success();
  }

  Status end() {
    if (Status st = flush_list(); !st.ok()) return st;
    if (form_ == Form::List && (!pending_hash_.empty())) return fail("a Hash without its Path");
    if (m_.size() == 0) {
      return fail(
          m_.outside ? "it lists no file of the Clients folder (only files of other folders)" : "it lists no file", 0);
    }
    m_.format = form_name(form_);
    return m_.finish();
  }

 private:
  static bool unescape_into(std::string& name) {
    const auto u = unescape(name);
    if (u) name = *u;
    return u.has_value();
  }

  Status fail(const std::string& rule, int line = -1) {
    const int at = line < 0 ? static_cast<int>(line_) : line;
    Error e{ExitCode::Usage,
            "manifest " + where_ + (at > 0 ? ", line " + std::to_string(at) : std::string()) + ": " + rule, where_, at};
    return e;
  }

  Status first(std::string_view t, std::string_view raw) {
    const auto w = words(t);
    if (w.size() == 3 && iequals(w[0], "Algorithm") && iequals(w[1], "Hash") && iequals(w[2], "Path")) {
      form_ = Form::Table;
      return Status::success();
    }
    if (w.size() >= 2 && iequals(w[0], "Algorithm") && w[1] == ":") {
      form_ = Form::List;
      return list(t);
    }
    if (const auto f = csv_fields(t); f && f->size() == 3 && iequals((*f)[0], "Algorithm")) {
      if (!iequals((*f)[1], "Hash") || !iequals((*f)[2], "Path"))
        return fail("a CSV header other than Algorithm,Hash,Path");
      form_ = Form::Csv;
      return Status::success();
    }
    form_ = Form::Sums;
    return sums(raw);
  }

  Status add(std::string_view algorithm, std::string_view hex, std::string_view name) {
    if (!iequals(algorithm, "SHA256")) {
      return fail("the hash is " + std::string(algorithm.substr(0, 16)) +
                  ", not SHA256 (Get-FileHash -Algorithm SHA256)");
    }
    std::array<std::uint8_t, 32> h{};
    if (!parse_hash(hex, h)) return fail("the hash is not 64 hexadecimal digits");
    if (name.empty()) return fail("no file name after the hash");
    if (name.size() >= 3 && (name.substr(name.size() - 3) == "..." || name.substr(name.size() - 3) == "\xE2\x80\xA6")) {
      return fail(
          "the path ends in '...': the table was cut to the window's width; write the manifest with "
          "Format-List or Export-Csv, or as sha256sum does");
    }
    m_.add(name, h, line_);
    return Status::success();
  }

  // "<64 hex>  name" (text mode) or "<64 hex> *name" (binary), "\<hex>  name" escaped;
  // the BSD form "SHA256 (name) = <hex>" (sha256sum --tag) and "SHA256(name)= <hex>" (openssl dgst).
  Status sums(std::string_view s) {
    const bool escaped = !s.empty() && s.front() == '\\';
    if (escaped) s.remove_prefix(1);
    if (s.size() > 66 && hex_digit(s[0]) >= 0 && s[64] == ' ' && (s[65] == ' ' || s[65] == '*')) {
      std::string name(s.substr(66));
      if (escaped && !unescape_into(name)) return fail("a name escaped as sha256sum does not escape it");
      if (name.rfind("./", 0) == 0) name.erase(0, 2);
      return add("SHA256", s.substr(0, 64), name);
    }
    const std::size_t open = s.find('('), close = s.rfind(")");
    if (open != std::string_view::npos && close != std::string_view::npos && close > open) {
      const std::string_view algorithm = trim_spaces(s.substr(0, open));
      std::string_view rest = trim_spaces(s.substr(close + 1));
      if (!rest.empty() && rest.front() == '=') {
        rest = trim_spaces(rest.substr(1));
        std::string_view alg = algorithm;
        if (iequals(alg, "SHA2-256")) alg = "SHA256";
        std::string name(s.substr(open + 1, close - open - 1));
        if (escaped && !unescape_into(name)) return fail("a name escaped as sha256sum --tag does not escape it");
        return add(alg, rest, name);
      }
    }
    return fail("not a line of a sha256sum list ('<64 hexadecimal digits>  <file name>') nor of Get-FileHash output");
  }

  Status table(std::string_view t) {
    if (t.find_first_not_of("- \t") == std::string_view::npos) return Status::success();  // the ---- line
    const auto w = words(t);
    if (w.size() < 3) return fail("a row of the Get-FileHash table without Algorithm, Hash and Path");
    const std::size_t path_at = static_cast<std::size_t>(w[2].data() - t.data());
    return add(w[0], w[1], t.substr(path_at));
  }

  Status list(std::string_view t) {
    const std::size_t colon = t.find(':');
    if (colon == std::string_view::npos) return fail("a line of a Get-FileHash list without 'Name : value'");
    const std::string_view key = trim_spaces(t.substr(0, colon));
    const std::string_view value = trim_spaces(t.substr(colon + 1));
    if (iequals(key, "Algorithm")) {
      if (!pending_hash_.empty()) return fail("a Hash without its Path");
      algorithm_ = std::string(value);
    } else if (iequals(key, "Hash")) {
      pending_hash_ = std::string(value);
    } else if (iequals(key, "Path")) {
      if (pending_hash_.empty()) return fail("a Path without its Hash");
      pending_path_ = std::string(value);
      path_line_ = line_;
    } else {
      return fail("a field other than Algorithm, Hash and Path");
    }
    return Status::success();
  }

  /// A Get-FileHash list entry is complete once its Path (and the lines it wrapped onto) ended.
  Status flush_list() {
    if (pending_path_.empty()) return Status::success();
    const std::uint32_t now = line_;
    line_ = path_line_;
    const Status st = add(algorithm_, pending_hash_, pending_path_);
    line_ = now;
    pending_hash_.clear();
    pending_path_.clear();
    return st;
  }

  Status csv(std::string_view t) {
    const auto f = csv_fields(t);
    if (!f || f->size() != 3) return fail("a CSV row without exactly Algorithm, Hash and Path");
    return add((*f)[0], (*f)[1], (*f)[2]);
  }

  Manifest& m_;
  const std::string& where_;
  Form form_ = Form::Unknown;
  std::uint32_t line_ = 0;
  std::string algorithm_ = "SHA256", pending_hash_, pending_path_;
  std::uint32_t path_line_ = 0;
};

void put_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

/// UTF-16 (after its BOM) to UTF-8; nullopt on an odd length or a lone surrogate.
std::optional<std::string> from_utf16(std::string_view b, bool big_endian) {
  if (b.size() % 2) return std::nullopt;
  std::string out;
  out.reserve(b.size() / 2);
  const auto unit = [&](std::size_t i) {
    const auto lo = static_cast<unsigned char>(b[i + (big_endian ? 1 : 0)]);
    const auto hi = static_cast<unsigned char>(b[i + (big_endian ? 0 : 1)]);
    return static_cast<std::uint32_t>(hi << 8 | lo);
  };
  for (std::size_t i = 0; i < b.size(); i += 2) {
    std::uint32_t u = unit(i);
    if (u >= 0xD800 && u < 0xDC00) {
      if (i + 2 >= b.size()) return std::nullopt;
      const std::uint32_t low = unit(i + 2);
      if (low < 0xDC00 || low >= 0xE000) return std::nullopt;
      u = 0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00);
      i += 2;
    } else if (u >= 0xDC00 && u < 0xE000) {
      return std::nullopt;
    }
    put_utf8(out, u);
  }
  return out;
}

}  // namespace

std::size_t Manifest::find(std::string_view name) const {
  const auto it = std::lower_bound(entries_.begin(), entries_.end(), name,
                                   [&](const Entry& e, std::string_view n) { return ascii_ci_less(this->name(e), n); });
  if (it == entries_.end() || !iequals(this->name(*it), name)) return SIZE_MAX;
  return static_cast<std::size_t>(it - entries_.begin());
}

void Manifest::add(std::string_view name, const std::array<std::uint8_t, 32>& sha256, std::uint32_t line) {
  const std::size_t slash = name.find_last_of("/\\");
  if (slash != std::string_view::npos) {
    const std::string_view folder_path = name.substr(0, slash);
    const std::size_t up = folder_path.find_last_of("/\\");
    const std::string_view folder = up == std::string_view::npos ? folder_path : folder_path.substr(up + 1);
    if (!iequals(folder, "Clients") && folder != "." && !folder.empty()) {
      ++outside;  // a file of Security, Mgrent or a sub-folder of Clients: not an entry of the store
      return;
    }
    name.remove_prefix(slash + 1);
  }
  name = name.substr(0, 0xFFFF);
  Entry e;
  e.name_at = static_cast<std::uint32_t>(names_.size());
  e.name_length = static_cast<std::uint16_t>(name.size());
  e.line = line;
  e.sha256 = sha256;
  names_.append(name);
  entries_.push_back(e);
}

Status Manifest::finish() {
  std::stable_sort(entries_.begin(), entries_.end(),
                   [&](const Entry& a, const Entry& b) { return ascii_ci_less(name(a), name(b)); });
  std::vector<Entry> unique;
  unique.reserve(entries_.size());
  for (const Entry& e : entries_) {
    if (!unique.empty() && iequals(name(unique.back()), name(e))) {
      if (unique.back().sha256 == e.sha256) continue;  // the same file listed twice
      return Error{ExitCode::Usage,
                   "manifest " + path.string() + ", line " + std::to_string(e.line) + ": " + std::string(name(e)) +
                       " is listed twice (also line " + std::to_string(unique.back().line) +
                       ") with two different hashes",
                   path.string(), static_cast<int>(e.line)};
    }
    unique.push_back(e);
  }
  entries_ = std::move(unique);
  return Status::success();
}

Result<Manifest> parse_manifest(std::string_view text, const std::string& where) {
  Manifest m;
  m.path = where;
  ManifestParser p(m, where);
  std::uint32_t n = 0;
  // Lines end at LF, CR LF, CR alone (and CR CR LF, as a text-mode copy of a CR LF file leaves them).
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t nl = text.find_first_of("\r\n", at);
    const std::size_t end = nl == std::string_view::npos ? text.size() : nl;
    if (Status st = p.line(text.substr(at, end - at), ++n); !st.ok()) return st.error();
    at = end + 1;
    if (end < text.size() && text[end] == '\r' && at < text.size() && text[at] == '\n') ++at;  // CR LF: one end
  }
  if (Status st = p.end(); !st.ok()) return st.error();
  return m;
}

Result<Manifest> read_manifest(const std::filesystem::path& path) {
  const std::string where = path.string();
  const auto usage = [&](const std::string& why) {
    return Error{ExitCode::Usage, "manifest " + where + ": " + why, where, 0};
  };
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return usage("not a readable file");
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return usage(ec.message());
  if (size > kMaxManifestBytes) return usage("larger than 256 MiB: not a manifest of one store");
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad() || (!in.eof() && in.fail())) return usage("cannot be read");
  const std::string file_sha256 = sha256_hex(bytes);
  struct stat st {};
  const bool stated = ::stat(path.c_str(), &st) == 0;
  std::string text;
  if (bytes.rfind("\xFF\xFE", 0) == 0 || bytes.rfind("\xFE\xFF", 0) == 0) {
    auto u = from_utf16(std::string_view(bytes).substr(2), bytes[0] == '\xFE');
    if (!u) return usage("UTF-16 that does not decode (an odd length or a lone surrogate)");
    text = std::move(*u);
  } else {
    text = bytes.rfind("\xEF\xBB\xBF", 0) == 0 ? bytes.substr(3) : std::move(bytes);
  }
  auto m = parse_manifest(text, where);
  if (m.ok()) {
    m.value().file_sha256 = file_sha256;
    if (stated) {
      m.value().device = static_cast<std::uint64_t>(st.st_dev);
      m.value().inode = static_cast<std::uint64_t>(st.st_ino);
    }
  }
  return m;
}

}  // namespace kms::core
