// X.509 certificate facts through OpenSSL's libcrypto.
#pragma once
#include <optional>
#include <string>

#include "text_util.h"

namespace kms::core {

struct X509Facts {
  std::string serial;  ///< upper-case hex, no leading zeros ("0" for zero)
  std::string subject;  ///< RFC 2253 text
  std::string issuer;
  std::string not_before;  ///< ISO 8601 UTC
  std::string not_after;
  std::string sha1_thumbprint;  ///< lower-case hex of SHA-1 over the DER bytes
};

/// nullopt when `der` is not exactly one parseable DER certificate.
/// This is the fast DER walker, read_x509_der (der_x509.h); tests and a fuzz
/// target hold it to the same answers as read_x509_openssl.
std::optional<X509Facts> read_x509(const Bytes& der);

/// OpenSSL's d2i_X509: the reference the fast path is tested against.
std::optional<X509Facts> read_x509_openssl(const Bytes& der);

/// Normalise a hex serial: upper-case, leading zeros removed; nullopt if not hex.
std::optional<std::string> normalize_serial(std::string_view hex);

}  // namespace kms::core
