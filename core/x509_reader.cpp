#include "x509_reader.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>

#include <memory>

#include "der_x509.h"
#include "hashing.h"
#include "timestamp.h"

namespace kms::core {
namespace {

struct X509Free { void operator()(X509* p) const { X509_free(p); } };
struct BioFree { void operator()(BIO* p) const { BIO_free(p); } };
struct BnFree { void operator()(BIGNUM* p) const { BN_free(p); } };

std::optional<std::string> name_text(const X509_NAME* name) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!bio) return std::nullopt;
  if (X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0) {
    return std::nullopt;
  }
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::optional<std::string> time_text(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return std::nullopt;
  return format_iso(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

}  // namespace

std::optional<std::string> normalize_serial(std::string_view hex) {
  std::string out;
  for (char c : hex) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!ok) return std::nullopt;
    if (out.empty() && c == '0') continue;
    out.push_back(c);
  }
  if (hex.empty()) return std::nullopt;
  if (out.empty()) return std::string("0");
  return to_upper_ascii(out);
}

std::optional<X509Facts> read_x509_openssl(const Bytes& der) {
  const unsigned char* p = der.data();
  std::unique_ptr<X509, X509Free> cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert || p != der.data() + der.size()) return std::nullopt;  // trailing bytes: not one certificate
  X509Facts f;
  std::unique_ptr<BIGNUM, BnFree> bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr));
  if (!bn) return std::nullopt;
  char* hex = BN_bn2hex(bn.get());
  if (!hex) return std::nullopt;
  std::string hex_text = hex;
  OPENSSL_free(hex);
  if (!hex_text.empty() && hex_text[0] == '-') hex_text.erase(0, 1);  // negative serials: keep the magnitude
  auto serial = normalize_serial(hex_text);
  auto subject = name_text(X509_get_subject_name(cert.get()));
  auto issuer = name_text(X509_get_issuer_name(cert.get()));
  auto nb = time_text(X509_get0_notBefore(cert.get()));
  auto na = time_text(X509_get0_notAfter(cert.get()));
  if (!serial || !subject || !issuer || !nb || !na) return std::nullopt;
  f.serial = *serial;
  f.subject = *subject;
  f.issuer = *issuer;
  f.not_before = *nb;
  f.not_after = *na;
  f.sha1_thumbprint = sha1_hex(der);
  return f;
}

}  // namespace kms::core

namespace kms::core {

std::optional<X509Facts> read_x509(const Bytes& der) { return read_x509_der(der); }

}  // namespace kms::core
