#include <gtest/gtest.h>

#include "base64.h"
#include "timestamp.h"
#include "x509_reader.h"

namespace kms::core {
namespace {

TEST(Base64, RoundTripsEveryLength) {
  for (std::size_t n = 0; n < 40; ++n) {
    Bytes b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(i * 37 + n);
    const auto back = base64_decode(base64_encode(b));
    ASSERT_TRUE(back) << "length " << n;
    EXPECT_EQ(*back, b) << "length " << n;
  }
}

TEST(Base64, RejectsDamagedText) {
  for (const char* bad : {"@@@@", "QUJD=", "QU=D", "QUJ", "Q===", "QUI=QUJD", "QR==", "QUJD\n"}) {
    EXPECT_FALSE(base64_decode(bad)) << "input: " << bad;
  }
}

TEST(Timestamp, LegacyToIso) {
  EXPECT_EQ(legacy_time_to_iso("19980314091255Z"), std::optional<std::string>("1998-03-14T09:12:55Z"));
  EXPECT_EQ(legacy_time_to_iso("20000229000000Z"), std::optional<std::string>("2000-02-29T00:00:00Z"));
  for (const char* bad : {"19990229000000Z", "19981301000000Z", "19980314091255", "1998031409125Z", "19980314241255Z",
                          "1998-03-14T09:12:55Z", "19980314091260Z", ""}) {
    EXPECT_FALSE(legacy_time_to_iso(bad)) << "input: " << bad;
  }
}

TEST(Serial, NormalizedUpperCaseWithoutLeadingZeros) {
  EXPECT_EQ(normalize_serial("00a1b2"), std::optional<std::string>("A1B2"));
  EXPECT_EQ(normalize_serial("000"), std::optional<std::string>("0"));
  EXPECT_FALSE(normalize_serial("12G4"));
  EXPECT_FALSE(normalize_serial(""));
}

}  // namespace
}  // namespace kms::core
