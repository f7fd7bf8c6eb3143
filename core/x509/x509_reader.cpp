#include "x509_reader.h"

#include <openssl/x509.h>

#include <memory>

#include "der_x509.h"
#include "x509_text.h"

namespace kms::core {
namespace {

struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};

}  // namespace

std::optional<X509Facts> read_x509_openssl(const Bytes& der) {
  const unsigned char* p = der.data();
  std::unique_ptr<X509, X509Free> cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert || p != der.data() + der.size()) return std::nullopt;  // trailing bytes: not one certificate
  return make_x509_facts(
      asn1_serial_text(X509_get0_serialNumber(cert.get())), x509_name_text(X509_get_subject_name(cert.get())),
      x509_name_text(X509_get_issuer_name(cert.get())), asn1_time_text(X509_get0_notBefore(cert.get())),
      asn1_time_text(X509_get0_notAfter(cert.get())), der);
}

std::optional<X509Facts> read_x509(const Bytes& der) { return read_x509_der(der); }

}  // namespace kms::core
