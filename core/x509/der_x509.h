// A strict DER walker for X.509 certificates: the structure of RFC 5280
// section 4.1 checked field by field, without OpenSSL's d2i_X509, which in
// OpenSSL 3.0 decodes the public key through the provider machinery, which
// dominated the reading of a store (docs/performance.md). Names, the serial and
// the times are still decoded by OpenSSL, from their own DER.
#pragma once
#include <optional>

#include "text_util.h"
#include "x509_facts.h"

namespace kms::core {

/// The same facts as read_x509_openssl(); nullopt unless `der` is exactly one
/// well-formed DER certificate.
std::optional<X509Facts> read_x509_der(const Bytes& der);

}  // namespace kms::core
