// docs/legacy-store.md section 2: encodings, decided per file.
#include "text_decoder.h"

#include <gtest/gtest.h>

namespace kms::core {
namespace {

std::string codes(const Issues& issues) {
  std::string out;
  for (const auto& i : issues) out += (out.empty() ? "" : ",") + i.code;
  return out;
}

struct DecodeCase {
  const char* name;
  std::string bytes;
  bool ok;
  std::string utf8;
  std::string issues;
};

TEST(TextDecoder, EncodingsOfSection2) {
  const std::vector<DecodeCase> cases = {
      {"plain ASCII is Windows-1252, no note", "State=1", true, "State=1", ""},
      {"UTF-8 BOM is removed", "\xEF\xBB\xBFX=\xC3\xA9", true, "X=\xC3\xA9", ""},
      {"UTF-16LE with BOM", std::string("\xFF\xFEX\0=\0\xE9\0", 8), true, "X=\xC3\xA9", ""},
      {"UTF-16LE surrogate pair", std::string("\xFF\xFE\x3D\xD8\x00\xDE", 6), true, "\xF0\x9F\x98\x80", ""},
      {"valid UTF-8 without BOM gets a note", "X=J\xC3\xBCrgen", true, "X=J\xC3\xBCrgen", "decoded-as-utf8"},
      {"Windows-1252 e-acute",
       "X=Ren\xE9"
       "e",
       true,
       "X=Ren\xC3\xA9"
       "e",
       ""},
      {"Windows-1252 euro sign 0x80", "X=\x80", true, "X=\xE2\x82\xAC", ""},
      {"unassigned 0x81 maps to U+0081", "X=\x81", true, "X=\xC2\x81", "unassigned-cp1252-byte"},
      {"unassigned 0x8D 0x8F 0x90 0x9D on one line warn once", "X=\x8D\x8F\x90\x9D", true,
       "X=\xC2\x8D\xC2\x8F\xC2\x90\xC2\x9D", "unassigned-cp1252-byte"},
      {"invalid UTF-8 after BOM", "\xEF\xBB\xBFX=\xC3\x28", false, "", "bad-encoding"},
      {"overlong UTF-8 after BOM", "\xEF\xBB\xBF\xC0\xAF", false, "", "bad-encoding"},
      {"odd-length UTF-16", std::string("\xFF\xFEX\0=", 5), false, "", "bad-encoding"},
      {"unpaired UTF-16 surrogate", std::string("\xFF\xFE\x3D\xD8X\0", 6), false, "", "bad-encoding"},
      {"NUL in Windows-1252 text", std::string("X=1\0", 4), false, "", "binary-content"},
      {"NUL in UTF-16 text", std::string("\xFF\xFEX\0\0\0", 6), false, "", "binary-content"},
      {"invalid UTF-8 without BOM falls back to Windows-1252", "X=\xC3\x28", true, "X=\xC3\x83(", ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Issues issues;
    const DecodedText d = decode_text(c.bytes, issues);
    EXPECT_EQ(d.ok, c.ok);
    if (c.ok) {
      EXPECT_EQ(d.utf8(), c.utf8);
    }
    EXPECT_EQ(codes(issues), c.issues);
  }
}

TEST(TextDecoder, UnassignedByteWarningNamesItsLine) {
  Issues issues;
  decode_text("[Client]\r\nA=1\r\nB=\x9D\r\n", issues);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].line, 3);
  EXPECT_EQ(issues[0].severity, Severity::Warning);
}

TEST(TextDecoder, NulNamesItsLine) {
  Issues issues;
  decode_text(std::string("[Client]\nState=1\0\n", 18), issues);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].code, "binary-content");
  EXPECT_EQ(issues[0].line, 2);
}

}  // namespace
}  // namespace kms::core
