#include "der_x509.h"

#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "der_text.h"
#include "der_tlv.h"
#include "x509_text.h"

namespace kms::core {
namespace {

using namespace der;

// The pieces are checked by OpenSSL's own decoders for each small type: cheap
// (no provider look-ups), and they accept exactly what d2i_X509 accepts.
template <typename T, typename Free>
bool decodes_exactly(const Tlv& t, T* (*d2i)(T**, const unsigned char**, long), Free free_fn) {
  const unsigned char* p = t.start;
  T* obj = d2i(nullptr, &p, static_cast<long>(t.total()));
  const bool ok = obj != nullptr && p == t.start + t.total();
  if (obj) free_fn(obj);
  return ok;
}

bool valid_algorithm(const Tlv& t) {
  return simple_algorithm(t) || (t.tag == kSequence && decodes_exactly(t, d2i_X509_ALGOR, X509_ALGOR_free));
}

bool valid_bit_string(const Tlv& t) {
  return simple_bit_string(t) || (t.tag == kBitString && decodes_exactly(t, d2i_ASN1_BIT_STRING, ASN1_BIT_STRING_free));
}

bool valid_integer(const Tlv& t) {
  return simple_positive_integer(t) || (t.tag == kInteger && decodes_exactly(t, d2i_ASN1_INTEGER, ASN1_INTEGER_free));
}

// [1]/[2] IMPLICIT BIT STRING: the content is a BIT STRING's.
bool valid_unique_id(const Tlv& t) {
  if (t.tag & 0x20) return false;  // IMPLICIT BIT STRING is primitive in DER
  Bytes universal{kBitString};     // the same content under the universal tag
  if (t.length < 0x80) {
    universal.push_back(static_cast<std::uint8_t>(t.length));
  } else {
    Bytes len;
    for (std::size_t n = t.length; n > 0; n >>= 8) len.insert(len.begin(), static_cast<std::uint8_t>(n & 0xFF));
    universal.push_back(static_cast<std::uint8_t>(0x80 | len.size()));
    universal.insert(universal.end(), len.begin(), len.end());
  }
  universal.insert(universal.end(), t.content, t.content + t.length);
  Cursor c(universal.data(), universal.size());
  Tlv u;
  return c.next(u) && valid_bit_string(u);
}

struct X509NameFree {
  void operator()(X509_NAME* p) const { X509_NAME_free(p); }
};
struct TimeFree {
  void operator()(ASN1_TIME* p) const { ASN1_TIME_free(p); }
};
struct IntegerFree {
  void operator()(ASN1_INTEGER* p) const { ASN1_INTEGER_free(p); }
};

std::optional<std::string> decode_name(const Tlv& t) {
  const unsigned char* p = t.start;
  std::unique_ptr<X509_NAME, X509NameFree> name(d2i_X509_NAME(nullptr, &p, static_cast<long>(t.total())));
  if (!name || p != t.start + t.total()) return std::nullopt;
  return x509_name_text(name.get());
}

// Decoding and printing a Name costs more than the rest of the certificate; the
// issuer is the same CA for nearly every certificate, and a user's certificates
// share a subject, so a small per-thread cache keyed by the Name's DER pays.
constexpr std::size_t kNameCacheEntries = 256;  // per thread; emptied when full

std::optional<std::string> name_text(const Tlv& t) {
  if (auto simple = simple_name_text(t)) return simple;
  thread_local std::unordered_map<std::string, std::string> cache;
  std::string key(reinterpret_cast<const char*>(t.start), t.total());
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  auto text = decode_name(t);
  if (text) {
    if (cache.size() >= kNameCacheEntries) cache.clear();
    cache.emplace(std::move(key), *text);
  }
  return text;
}

std::optional<std::string> time_text(const Tlv& t) {
  if (t.tag != kUtcTime && t.tag != kGeneralizedTime) return std::nullopt;
  if (auto simple = simple_time_text(t)) return simple;
  const unsigned char* p = t.start;
  std::unique_ptr<ASN1_TIME, TimeFree> time(d2i_ASN1_TIME(nullptr, &p, static_cast<long>(t.total())));
  if (!time || p != t.start + t.total()) return std::nullopt;
  return asn1_time_text(time.get());
}

std::optional<std::string> serial_text(const Tlv& t) {
  if (t.tag != kInteger) return std::nullopt;
  if (simple_positive_integer(t)) return normalize_serial(hex_lower(t.content, t.length));
  const unsigned char* p = t.start;
  std::unique_ptr<ASN1_INTEGER, IntegerFree> i(d2i_ASN1_INTEGER(nullptr, &p, static_cast<long>(t.total())));
  if (!i || p != t.start + t.total()) return std::nullopt;
  if (!(t.content[0] & 0x80))
    return normalize_serial(hex_lower(t.content, t.length));  // the common case, without a BIGNUM
  return asn1_serial_text(i.get());
}

// [3] EXPLICIT Extensions
bool valid_extensions(const Tlv& explicit3) {
  Cursor outer = inside(explicit3);
  Tlv seq;
  if (!outer.next(seq, kSequence) || !outer.empty()) return false;
  const unsigned char* p = seq.start;
  STACK_OF(X509_EXTENSION)* exts = d2i_X509_EXTENSIONS(nullptr, &p, static_cast<long>(seq.total()));
  const bool ok = exts != nullptr && p == seq.start + seq.total();
  if (exts) sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
  return ok;
}

}  // namespace

std::optional<X509Facts> read_x509_der(const Bytes& der) {
  Cursor top(der.data(), der.size());
  Tlv cert, tbs, sig_alg, sig;
  if (!top.next(cert, kSequence) || !top.empty()) return std::nullopt;
  Cursor c = inside(cert);
  if (!c.next(tbs, kSequence) || !c.next(sig_alg) || !valid_algorithm(sig_alg) || !c.next(sig) ||
      !valid_bit_string(sig) || !c.empty()) {
    return std::nullopt;
  }
  Cursor t = inside(tbs);
  Tlv f;
  if (!t.next(f)) return std::nullopt;
  if (f.tag == 0xA0) {  // [0] EXPLICIT Version
    Cursor v = inside(f);
    Tlv ver;
    if (!v.next(ver, kInteger) || !v.empty() || !valid_integer(ver)) {
      return std::nullopt;  // OpenSSL takes any value
    }
    if (!t.next(f)) return std::nullopt;
  }
  auto serial = serial_text(f);
  Tlv alg, issuer, validity, subject, spki;
  // OpenSSL's Name decoder takes the primitive form of the SEQUENCE tag (0x10) too; d2i_X509_NAME decides.
  const auto name_tag = [](const Tlv& n) { return n.tag == kSequence || n.tag == 0x10; };
  if (!serial || !t.next(alg) || !valid_algorithm(alg) || !t.next(issuer) || !name_tag(issuer) ||
      !t.next(validity, kSequence) || !t.next(subject) || !name_tag(subject) || !t.next(spki, kSequence)) {
    return std::nullopt;
  }
  Cursor k = inside(spki);
  Tlv key_alg, key_bits;
  if (!k.next(key_alg) || !valid_algorithm(key_alg) || !k.next(key_bits) || !valid_bit_string(key_bits) || !k.empty()) {
    return std::nullopt;
  }
  std::uint8_t last_optional = 0;
  while (!t.empty()) {  // [1] issuerUniqueID, [2] subjectUniqueID, [3] extensions, in order, each once
    Tlv o;
    if (!t.next(o)) return std::nullopt;
    const bool unique_id = o.tag == 0x81 || o.tag == 0x82 || o.tag == 0xA1 || o.tag == 0xA2;
    const std::uint8_t number = o.tag & 0x1F;
    if (number <= last_optional) return std::nullopt;
    last_optional = number;
    if (unique_id) {
      if (!valid_unique_id(o)) return std::nullopt;
      continue;
    }
    if (o.tag != 0xA3 || !valid_extensions(o)) return std::nullopt;
  }
  Cursor v = inside(validity);
  Tlv nb, na;
  if (!v.next(nb) || !v.next(na) || !v.empty()) return std::nullopt;
  return make_x509_facts(std::move(serial), name_text(subject), name_text(issuer), time_text(nb), time_text(na), der);
}

}  // namespace kms::core
