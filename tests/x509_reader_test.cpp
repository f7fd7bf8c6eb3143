#include <gtest/gtest.h>

#include "base64.h"
#include "cert_factory.h"
#include "hashing.h"
#include "x509_reader.h"

namespace kms::core {
namespace {

TEST(X509Reader, ReadsSerialNamesValidityAndThumbprint) {
  fixtures::CertSpec spec;
  spec.serial_hex = "00C0FFEE";
  spec.common_name = "Jane Doe";
  spec.not_before = "19980314091255Z";
  spec.not_after = "20351231235959Z";
  const Bytes der = fixtures::make_certificate(spec);
  const auto f = read_x509(der);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->serial, "C0FFEE");
  EXPECT_EQ(f->subject, "CN=Jane Doe,O=Contoso");
  EXPECT_EQ(f->issuer, "CN=Contoso KM Server CA,O=Contoso");
  EXPECT_EQ(f->not_before, "1998-03-14T09:12:55Z");
  EXPECT_EQ(f->not_after, "2035-12-31T23:59:59Z");
  EXPECT_EQ(f->sha1_thumbprint, sha1_hex(der));
  EXPECT_EQ(f->sha1_thumbprint.size(), 40u);
}

TEST(X509Reader, RejectsNonCertificatesAndTrailingBytes) {
  fixtures::CertSpec spec;
  spec.serial_hex = "1";
  spec.common_name = "x";
  Bytes der = fixtures::make_certificate(spec);
  EXPECT_FALSE(read_x509(Bytes{0x30, 0x03, 0x02, 0x01, 0x01}));
  EXPECT_FALSE(read_x509(Bytes{}));
  der.push_back(0);
  EXPECT_FALSE(read_x509(der));
  der.pop_back();
  der.resize(der.size() / 2);
  EXPECT_FALSE(read_x509(der));
}

}  // namespace
}  // namespace kms::core
