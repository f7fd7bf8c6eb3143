#include "summary_codec.h"

#include <cstring>
#include <stdexcept>

#include "failure.h"

namespace kms::core {
namespace {

// Optional values carry a presence bit in one flags word.
enum Flag : std::uint64_t { kSize = 1, kStamp = 2, kLegacy = 4, kState = 8, kDigest = 16 };

void need(const std::string_view& in, std::size_t n) {
  if (in.size() < n) throw InternalError("a spooled file summary is truncated");
}

// Signed numbers zigzagged, so that small negatives stay short.
std::int64_t get_i64(std::string_view& in) {
  const std::uint64_t u = get_u64(in);
  return static_cast<std::int64_t>(u >> 1) ^ -static_cast<std::int64_t>(u & 1);
}
void put_i64(std::string& out, std::int64_t v) {
  put_u64(out, (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63));
}

}  // namespace

// Numbers as LEB128 varints: most are small (lengths, lines, flags).
void put_u64(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void put_text(std::string& out, std::string_view s) {
  put_u64(out, s.size());
  out.append(s);
}

std::uint64_t get_u64(std::string_view& in) {
  std::uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    need(in, 1);
    const auto b = static_cast<std::uint8_t>(in.front());
    in.remove_prefix(1);
    v |= static_cast<std::uint64_t>(b & 0x7F) << shift;
    if (!(b & 0x80)) return v;
  }
  throw InternalError("a spooled file summary has a malformed number");
}

std::string get_text(std::string_view& in) {
  const std::uint64_t n = get_u64(in);
  need(in, n);
  std::string s(in.substr(0, n));
  in.remove_prefix(n);
  return s;
}

void put_issues(std::string& out, const Issues& issues) {
  put_u64(out, issues.size());
  for (const Issue& i : issues) {
    put_u64(out, static_cast<std::uint64_t>(i.severity));
    put_text(out, i.code);
    put_text(out, i.message);
    put_i64(out, i.line);
  }
}

Issues get_issues(std::string_view& in) {
  Issues issues;
  const std::uint64_t n = get_u64(in);
  for (std::uint64_t k = 0; k < n; ++k) {
    Issue i;
    i.severity = static_cast<Severity>(get_u64(in));
    i.code = get_text(in);
    i.message = get_text(in);
    i.line = static_cast<int>(get_i64(in));
    issues.push_back(std::move(i));
  }
  return issues;
}

void put_digest(std::string& out, const std::array<std::uint8_t, 32>& d) {
  out.append(reinterpret_cast<const char*>(d.data()), d.size());
}

std::array<std::uint8_t, 32> get_digest(std::string_view& in) {
  std::array<std::uint8_t, 32> d;
  need(in, d.size());
  std::memcpy(d.data(), in.data(), d.size());
  in.remove_prefix(d.size());
  return d;
}

void encode_summary(std::string& out, const FileSummary& f) {
  std::uint64_t flags = 0;
  if (f.size) flags |= kSize;
  if (f.stamp) flags |= kStamp;
  if (f.legacy_state) flags |= kLegacy;
  if (f.state) flags |= kState;
  if (f.written_digest) flags |= kDigest;
  put_u64(out, flags);
  put_text(out, f.path);
  put_text(out, f.record_id);
  put_u64(out, static_cast<std::uint64_t>(f.outcome));
  put_issues(out, f.issues);
  if (f.size) put_i64(out, *f.size);
  put_text(out, f.sha256);
  if (f.stamp) {
    put_i64(out, f.stamp->size);
    put_i64(out, f.stamp->mtime_ns);
    put_i64(out, f.stamp->ctime_ns);
    put_u64(out, f.stamp->inode);
    put_u64(out, f.stamp->type);
  }
  for (const MailboxField* m : {&f.mailbox_dn, &f.alias, &f.display_name}) {
    put_text(out, m->text);
    put_text(out, m->key);
  }
  put_i64(out, f.mailbox_line);
  if (f.legacy_state) put_i64(out, *f.legacy_state);
  if (f.state) put_u64(out, static_cast<std::uint64_t>(*f.state));
  if (f.written_digest) put_digest(out, *f.written_digest);
}

FileSummary decode_summary(std::string_view& in) {
  FileSummary f;
  const std::uint64_t flags = get_u64(in);
  f.path = get_text(in);
  f.record_id = get_text(in);
  f.outcome = static_cast<RecordOutcome>(get_u64(in));
  f.issues = get_issues(in);
  if (flags & kSize) f.size = get_i64(in);
  f.sha256 = get_text(in);
  if (flags & kStamp) {
    FileStamp s;
    s.size = get_i64(in);
    s.mtime_ns = get_i64(in);
    s.ctime_ns = get_i64(in);
    s.inode = get_u64(in);
    s.type = static_cast<std::uint32_t>(get_u64(in));
    f.stamp = s;
  }
  for (MailboxField* m : {&f.mailbox_dn, &f.alias, &f.display_name}) {
    m->text = get_text(in);
    m->key = get_text(in);
  }
  f.mailbox_line = static_cast<int>(get_i64(in));
  if (flags & kLegacy) f.legacy_state = static_cast<int>(get_i64(in));
  if (flags & kState) f.state = static_cast<ClientState>(get_u64(in));
  if (flags & kDigest) f.written_digest = get_digest(in);
  return f;
}

}  // namespace kms::core
