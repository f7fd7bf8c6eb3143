#include "base64.h"

#include <gtest/gtest.h>

#include <cstdio>

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

// The straightforward decoder the fast one replaced (one character at a time, RFC 4648
// with canonical padding bits), kept as the reference for the differential test below.
std::optional<Bytes> reference_decode(const std::string& text) {
  static const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  if (text.size() % 4 != 0) return std::nullopt;
  Bytes out;
  for (std::size_t i = 0; i < text.size(); i += 4) {
    int v[4], pad = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = text[i + k];
      if (c == '=' && i + 4 == text.size() && k >= 2) {
        v[k] = 0;
        ++pad;
        continue;
      }
      const auto pos = alphabet.find(c);
      if (pad > 0 || pos == std::string::npos || c == '\0') return std::nullopt;
      v[k] = static_cast<int>(pos);
    }
    if ((pad == 1 && (v[2] & 3) != 0) || (pad == 2 && (v[1] & 15) != 0)) return std::nullopt;
    const int n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    out.push_back(static_cast<std::uint8_t>(n >> 16));
    if (pad < 2) out.push_back(static_cast<std::uint8_t>(n >> 8));
    if (pad < 1) out.push_back(static_cast<std::uint8_t>(n));
  }
  return out;
}

TEST(Base64, AgreesWithTheReferenceDecoderOnMutatedText) {
  std::uint32_t seed = 12345;
  auto next = [&] { return seed = seed * 1103515245u + 12345u, (seed >> 8); };
  const std::string specials("=+/\0\n @\xff", 8);
  for (int round = 0; round < 20000; ++round) {
    Bytes b(next() % 24);
    for (auto& x : b) x = static_cast<std::uint8_t>(next());
    std::string text = base64_encode(b);
    const int edits = static_cast<int>(next() % 3);
    for (int e = 0; e < edits && !text.empty(); ++e) {
      text[next() % text.size()] = next() % 2 ? specials[next() % specials.size()] : static_cast<char>(next());
    }
    EXPECT_EQ(base64_decode(text), reference_decode(text)) << "input: " << ::testing::PrintToString(text);
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

// format_iso writes digits itself; it must print what printf("%04d-%02d-...") prints.
TEST(Timestamp, FormatIsoIsPrintfs) {
  for (int year : {0, 7, 99, 1950, 1998, 2049, 9999, 10000, -1}) {
    for (int v : {0, 1, 9, 10, 59, 99, 100}) {
      char buf[80];
      std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", year, v, v, v, v, v);
      EXPECT_EQ(format_iso(year, v, v, v, v, v), buf) << year << " " << v;
    }
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
