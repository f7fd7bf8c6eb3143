#include "x509_reader.h"

#include <gtest/gtest.h>

#include "base64.h"
#include "cert_factory.h"
#include "hashing.h"

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

#include <random>

#include "der_x509.h"

namespace kms::core {
namespace {

std::string describe(const std::optional<X509Facts>& f) {
  if (!f) return "rejected";
  return f->serial + " | " + f->subject + " | " + f->issuer + " | " + f->not_before + " | " + f->not_after + " | " +
         f->sha1_thumbprint;
}

// The fast DER walker must give OpenSSL's answer: same acceptance, same facts.
TEST(X509FastPath, AgreesWithOpenSslOnCertificatesAndEveryMutation) {
  std::mt19937 rng(1998);
  std::vector<Bytes> certs;
  for (const char* serial : {"1", "7F", "80", "00FF", "A1B2C3D4E5F60718293A4B5C6D7E8F90", "0000000000001"}) {
    fixtures::CertSpec spec;
    spec.serial_hex = serial;
    // Names that need escaping go to OpenSSL; plain ones take der_text's fast path: both are mutated.
    const bool plain = certs.size() % 2 == 1;
    spec.common_name = plain ? std::string("user ") + serial
                             : std::string(
                                   "Ren\xC3\xA9"
                                   "e, \"Q\" + <x>; #") +
                                   serial;
    spec.not_before = "19500101000000Z";
    spec.not_after = std::string(serial) == "1" ? "20500101000000Z" : "20491231235959Z";
    certs.push_back(fixtures::make_certificate(spec));
  }
  int disagreements = 0, mutations = 0;
  const auto check = [&](const Bytes& der, const std::string& what) {
    ++mutations;
    const auto fast = read_x509_der(der);
    const auto ref = read_x509_openssl(der);
    if (describe(fast) != describe(ref) && ++disagreements <= 10) {
      ADD_FAILURE() << what << "\n  fast:    " << describe(fast) << "\n  openssl: " << describe(ref);
    }
  };
  for (std::size_t c = 0; c < certs.size(); ++c) {
    const Bytes& der = certs[c];
    check(der, "certificate " + std::to_string(c));
    for (std::size_t i = 0; i < der.size(); ++i) {
      for (std::uint8_t x : {0x01, 0x80, 0xFF}) {
        Bytes m = der;
        m[i] ^= x;
        check(m, "cert " + std::to_string(c) + " byte " + std::to_string(i) + " xor " + std::to_string(x));
      }
    }
    for (std::size_t n = 0; n < der.size(); n += 7)
      check(Bytes(der.begin(), der.begin() + static_cast<std::ptrdiff_t>(n)), "truncated to " + std::to_string(n));
    for (int r = 0; r < 300; ++r) {
      Bytes m = der;
      for (int k = 0; k < 3; ++k) m[rng() % m.size()] = static_cast<std::uint8_t>(rng());
      check(m, "random mutation " + std::to_string(r));
    }
  }
  EXPECT_EQ(disagreements, 0) << "of " << mutations << " inputs";
}

}  // namespace
}  // namespace kms::core

#include "test_util.h"

namespace kms::core {
namespace {

// Every input on which the differential fuzzer once found the two readers disagreeing.
TEST(X509FastPath, AgreesOnEveryFuzzerFinding) {
  const auto dir = std::filesystem::path(KMS_FIXTURES_DIR) / "fuzz-regressions-x509";
  int n = 0;
  for (std::filesystem::directory_iterator it(dir), end; it != end; ++it, ++n) {
    const std::string bytes = test::read_file(it->path());
    const Bytes der(bytes.begin(), bytes.end());
    EXPECT_EQ(describe(read_x509_der(der)), describe(read_x509_openssl(der))) << it->path();
  }
  EXPECT_GE(n, 2);
}

}  // namespace
}  // namespace kms::core
