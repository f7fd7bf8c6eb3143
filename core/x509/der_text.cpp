#include "der_text.h"

#include <cstring>
#include <string_view>

#include "timestamp.h"

namespace kms::core::der {
namespace {

constexpr std::uint8_t kOid = 0x06, kNull = 0x05, kSet = 0x31;
constexpr std::uint8_t kUtf8String = 0x0C, kPrintableString = 0x13, kIa5String = 0x16;

struct KnownAttribute {
  std::string_view oid;  // content octets
  const char* short_name;
};
// OpenSSL's short names for the attribute types of the KMS era's directory names.
const KnownAttribute kAttributes[] = {
    {std::string_view("\x55\x04\x03", 3), "CN"},
    {std::string_view("\x55\x04\x0B", 3), "OU"},
    {std::string_view("\x55\x04\x0A", 3), "O"},
    {std::string_view("\x55\x04\x07", 3), "L"},
    {std::string_view("\x55\x04\x08", 3), "ST"},
    {std::string_view("\x55\x04\x06", 3), "C"},
    {std::string_view("\x09\x92\x26\x89\x93\xF2\x2C\x64\x01\x19", 10), "DC"},
    {std::string_view("\x2A\x86\x48\x86\xF7\x0D\x01\x09\x01", 9), "emailAddress"},
};

const char* short_name(const Tlv& oid) {
  const std::string_view content(reinterpret_cast<const char*>(oid.content), oid.length);
  for (const auto& a : kAttributes) {
    if (a.oid == content) return a.short_name;
  }
  return nullptr;
}

/// Printable ASCII that RFC 2253 prints as is: no special character anywhere,
/// no '#' or space first, no space last.
bool plain_value(const Tlv& v) {
  if (v.tag != kUtf8String && v.tag != kPrintableString && v.tag != kIa5String) return false;
  if (v.length == 0 || v.content[0] == '#' || v.content[0] == ' ' || v.content[v.length - 1] == ' ') return false;
  for (std::size_t i = 0; i < v.length; ++i) {
    const std::uint8_t c = v.content[i];
    if (c < 0x20 || c > 0x7E || std::strchr(",+\"\\<>;=", c) != nullptr) return false;
  }
  return true;
}

bool digits(const std::uint8_t* p, std::size_t n, int& out) {
  out = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (p[i] < '0' || p[i] > '9') return false;
    out = out * 10 + (p[i] - '0');
  }
  return true;
}

bool well_formed_oid(const Tlv& t) {
  if (t.tag != kOid || t.length == 0 || (t.content[t.length - 1] & 0x80)) return false;
  for (std::size_t i = 0; i < t.length; ++i) {
    const bool starts_subidentifier = i == 0 || !(t.content[i - 1] & 0x80);
    if (starts_subidentifier && t.content[i] == 0x80) return false;  // a leading zero septet
  }
  return true;
}

}  // namespace

std::optional<std::string> simple_name_text(const Tlv& name) {
  if (name.tag != 0x30) return std::nullopt;
  constexpr std::size_t kMaxParts = 16;  // more RDNs than this: OpenSSL's turn
  const char* types[kMaxParts];
  Tlv values[kMaxParts];
  std::size_t count = 0;
  Cursor rdns = inside(name);
  while (!rdns.empty()) {
    Tlv set, atv, oid, value;
    if (count == kMaxParts || !rdns.next(set, kSet)) return std::nullopt;
    Cursor s = inside(set);
    if (!s.next(atv, 0x30) || !s.empty()) return std::nullopt;  // exactly one attribute
    Cursor a = inside(atv);
    if (!a.next(oid, kOid) || !a.next(value) || !a.empty() || !plain_value(value)) return std::nullopt;
    const char* type = short_name(oid);
    if (type == nullptr) return std::nullopt;
    types[count] = type;
    values[count++] = value;
  }
  if (count == 0) return std::nullopt;
  std::string text;  // RFC 2253 lists the RDNs last first
  for (std::size_t i = count; i-- > 0;) {
    text.append(types[i]).append("=").append(reinterpret_cast<const char*>(values[i].content), values[i].length);
    if (i > 0) text.push_back(',');
  }
  return text;
}

std::optional<std::string> simple_time_text(const Tlv& t) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  const std::uint8_t* p = t.content;
  if (t.tag == kUtcTime && t.length == 13 && p[12] == 'Z') {
    if (!digits(p, 2, year)) return std::nullopt;
    year += year < 50 ? 2000 : 1900;
    p += 2;
  } else if (t.tag == kGeneralizedTime && t.length == 15 && p[14] == 'Z') {
    if (!digits(p, 4, year)) return std::nullopt;
    p += 4;
  } else {
    return std::nullopt;
  }
  if (!digits(p, 2, month) || !digits(p + 2, 2, day) || !digits(p + 4, 2, hour) || !digits(p + 6, 2, minute) ||
      !digits(p + 8, 2, second)) {
    return std::nullopt;
  }
  static const int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return std::nullopt;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (day > kDays[month - 1] + (month == 2 && leap ? 1 : 0)) return std::nullopt;
  return format_iso(year, month, day, hour, minute, second);
}

bool simple_positive_integer(const Tlv& t) {
  if (t.tag != kInteger || t.length == 0 || (t.content[0] & 0x80)) return false;
  return !(t.length > 1 && t.content[0] == 0 && !(t.content[1] & 0x80));  // minimal
}

bool simple_algorithm(const Tlv& t) {
  if (t.tag != 0x30) return false;
  Cursor c = inside(t);
  Tlv oid, params;
  if (!c.next(oid) || !well_formed_oid(oid)) return false;
  if (c.empty()) return true;
  return c.next(params) && params.tag == kNull && params.length == 0 && c.empty();
}

bool simple_bit_string(const Tlv& t) { return t.tag == kBitString && t.length >= 1 && t.content[0] == 0; }

}  // namespace kms::core::der
