// Fast paths for the common shapes of certificate fields, decided from the DER
// alone. Each answers only when the field is plainly valid and its text is
// certain to equal OpenSSL's; otherwise it returns nullopt/false and the caller
// asks OpenSSL, whose answer is the reference (differential tests and the
// x509 fuzzer hold the two to the same results).
#pragma once
#include <optional>
#include <string>

#include "der_tlv.h"

namespace kms::core::der {

/// RFC 2253 text of a Name whose RDNs each hold one attribute of a common type
/// (CN, OU, O, L, ST, C, DC, emailAddress) with printable ASCII that needs no escaping.
std::optional<std::string> simple_name_text(const Tlv& name);

/// ISO 8601 text of a UTCTime "YYMMDDHHMMSSZ" or GeneralizedTime "YYYYMMDDHHMMSSZ" that is a real date.
std::optional<std::string> simple_time_text(const Tlv& time);

/// A positive INTEGER in minimal encoding (what OpenSSL accepts without question).
bool simple_positive_integer(const Tlv& t);

/// AlgorithmIdentifier: SEQUENCE { well-formed OID [, NULL] }.
bool simple_algorithm(const Tlv& t);

/// BIT STRING with no unused bits.
bool simple_bit_string(const Tlv& t);

}  // namespace kms::core::der
