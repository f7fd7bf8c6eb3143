// What kms-migrate reads from an X.509 certificate, by either reader.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace kms::core {

struct X509Facts {
  std::string serial;   ///< upper-case hex, no leading zeros ("0" for zero)
  std::string subject;  ///< RFC 2253 text
  std::string issuer;
  std::string not_before;  ///< ISO 8601 UTC
  std::string not_after;
  std::string sha1_thumbprint;  ///< lower-case hex of SHA-1 over the DER bytes
};

/// Normalise a hex serial: upper-case, leading zeros removed; nullopt if not hex.
std::optional<std::string> normalize_serial(std::string_view hex);

}  // namespace kms::core
