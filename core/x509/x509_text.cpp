#include "x509_text.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>

#include <ctime>
#include <memory>

#include "hashing.h"
#include "timestamp.h"

namespace kms::core {
namespace {

struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};

}  // namespace

std::optional<std::string> x509_name_text(const X509_NAME* name) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!bio || name == nullptr || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0) {
    return std::nullopt;
  }
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::optional<std::string> asn1_time_text(const ASN1_TIME* time) {
  std::tm tm{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) return std::nullopt;
  return format_iso(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::optional<std::string> asn1_serial_text(const ASN1_INTEGER* serial) {
  std::unique_ptr<BIGNUM, BnFree> bn(ASN1_INTEGER_to_BN(serial, nullptr));
  if (!bn) return std::nullopt;
  char* hex = BN_bn2hex(bn.get());
  if (!hex) return std::nullopt;
  std::string text = hex;
  OPENSSL_free(hex);
  if (!text.empty() && text[0] == '-') text.erase(0, 1);
  return normalize_serial(text);
}

std::optional<X509Facts> make_x509_facts(std::optional<std::string> serial, std::optional<std::string> subject,
                                         std::optional<std::string> issuer, std::optional<std::string> not_before,
                                         std::optional<std::string> not_after, const Bytes& der) {
  if (!serial || !subject || !issuer || !not_before || !not_after) return std::nullopt;
  X509Facts f;
  f.serial = std::move(*serial);
  f.subject = std::move(*subject);
  f.issuer = std::move(*issuer);
  f.not_before = std::move(*not_before);
  f.not_after = std::move(*not_after);
  f.sha1_thumbprint = sha1_hex(der);
  return f;
}

std::optional<std::string> normalize_serial(std::string_view hex) {
  if (hex.empty()) return std::nullopt;
  std::size_t first = 0;  // leading zeros dropped
  while (first < hex.size() && hex[first] == '0') ++first;
  std::string out;
  out.reserve(hex.size() - first);
  for (std::size_t i = 0; i < hex.size(); ++i) {
    const char c = hex[i];
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!ok) return std::nullopt;
    if (i >= first) out.push_back(c >= 'a' ? static_cast<char>(c - 'a' + 'A') : c);
  }
  if (out.empty()) out = "0";
  return out;
}

}  // namespace kms::core
