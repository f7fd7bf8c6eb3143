// Differential libFuzzer target: the fast DER walker (read_x509_der) must give
// exactly OpenSSL's answer (read_x509_openssl) for any bytes.
#include <cstdint>
#include <cstdlib>

#include "der_x509.h"
#include "x509_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kms::core;
  const Bytes der(data, data + size);
  const auto fast = read_x509_der(der);
  const auto ref = read_x509_openssl(der);
  if (fast.has_value() != ref.has_value()) std::abort();
  if (fast && (fast->serial != ref->serial || fast->subject != ref->subject || fast->issuer != ref->issuer ||
               fast->not_before != ref->not_before || fast->not_after != ref->not_after)) {
    std::abort();
  }
  return 0;
}
