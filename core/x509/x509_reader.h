// X.509 certificate facts through OpenSSL's libcrypto.
#pragma once
#include <optional>
#include <string>

#include "text_util.h"
#include "x509_facts.h"

namespace kms::core {

/// nullopt when `der` is not exactly one parseable DER certificate.
/// This is the fast DER walker, read_x509_der (der_x509.h); tests and a fuzz
/// target hold it to the same answers as read_x509_openssl.
std::optional<X509Facts> read_x509(const Bytes& der);

/// OpenSSL's d2i_X509: the reference the fast path is tested against.
std::optional<X509Facts> read_x509_openssl(const Bytes& der);

}  // namespace kms::core
