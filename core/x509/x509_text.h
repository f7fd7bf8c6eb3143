// How certificate fields become text, shared by both X.509 readers so that
// the fast path and OpenSSL's d2i_X509 path print exactly the same.
#pragma once
#include <openssl/types.h>

#include <optional>
#include <string>

#include "text_util.h"
#include "x509_facts.h"

namespace kms::core {

/// RFC 2253, UTF-8 kept as is.
std::optional<std::string> x509_name_text(const X509_NAME* name);
/// ISO 8601 UTC.
std::optional<std::string> asn1_time_text(const ASN1_TIME* time);
/// Upper-case hex without leading zeros; a negative serial gives its magnitude, as OpenSSL prints it.
std::optional<std::string> asn1_serial_text(const ASN1_INTEGER* serial);

/// The facts, when every part could be read; nullopt otherwise.
std::optional<X509Facts> make_x509_facts(std::optional<std::string> serial, std::optional<std::string> subject,
                                         std::optional<std::string> issuer, std::optional<std::string> not_before,
                                         std::optional<std::string> not_after, const Bytes& der);

}  // namespace kms::core
