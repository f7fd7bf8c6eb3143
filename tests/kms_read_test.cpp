// What the KMS read is migrated, and a copy cut short is not (docs/legacy-store.md
// sections 2-4, docs/dialect.md "Numbers" and "Folded values"): numbers as
// GetPrivateProfileInt reads them, continuations only of incomplete values,
// comments that never reject, files that end inside a line.
#include <gtest/gtest.h>

#include <set>

#include "base64.h"
#include "file_analysis.h"
#include "profile_int.h"
#include "test_util.h"

namespace kms::core {
namespace {

using test::test_cert;

const std::time_t kNow = 1'800'000'000;  // 2027-01-15

std::string codes(const Issues& issues) {
  std::string out;
  for (const auto& i : issues) out += (out.empty() ? "" : ",") + i.code;
  return out;
}

bool has(const Issues& issues, const std::string& code) {
  for (const auto& i : issues) {
    if (i.code == code) return true;
  }
  return false;
}

AnalyzedFile analyze(const std::string& text) {
  return analyze_record_bytes("Mtest00000001.ini", "mtest00000001", text, kNow);
}

/// An enrolled record (State=2 unless the client lines say otherwise), CR LF throughout.
/// `client` replaces the default State/NumSCerts/NumECerts lines; `scert`/`ecert` end the sections.
std::string record(const std::string& client, const std::string& scert_tail = "Revoked=0\r\n",
                   const std::string& ecert_tail = "Revoked=0\r\n") {
  return "[Client]\r\nMailboxDN=/o=Contoso/cn=JaneD\r\nToken=ABCDEFGHJKLM\r\n" + client +
         "[SCert1]\r\nSerial=A1\r\nCertificate=" + test_cert("A1") + "\r\n" + scert_tail +
         "[ECert1]\r\nSerial=A2\r\nCertificate=" + test_cert("A2") + "\r\n" + ecert_tail +
         "EscrowedKey=c2VjcmV0LWtleS1ieXRlcw==\r\n";
}

const std::string kCounts = "NumSCerts=1\r\nNumECerts=1\r\n";

struct NumberCase {
  std::string client_lines;  // replaces State and the counts
  std::string scert_tail;    // the [SCert1] lines after Certificate
  int state;                 // the legacy state the record must carry
};

// Every form of the issue's sample, and neighbours: other signs, prefixes,
// blanks, trailing text, quotes, every numeric key.
TEST(KmsRead, HandEditedNumbersMigrateWithTheNumberTheApiRead) {
  const std::string nbsp = "\xC2\xA0";
  const std::vector<NumberCase> cases = {
      {"State=+2\r\n" + kCounts, "Revoked=0\r\n", 2},
      {"State=2abc\r\n" + kCounts, "Revoked=0\r\n", 2},
      {"State=2 (Active)\r\n" + kCounts, "Revoked=0\r\n", 2},
      {"State=2 ; fixed per Q198709\r\n" + kCounts, "Revoked=0\r\n", 2},
      {"State=0x2\r\n" + kCounts, "Revoked=0\r\n", 2},
      {"State=0o2\r\n" + kCounts, "Revoked=0\r\n", 2},
      {"State=0b10\r\n" + kCounts, "Revoked=0\r\n", 2},
      {"State=2.0\r\n" + kCounts, "Revoked=0\r\n", 2},
      {"State=\" 2 \"\r\n" + kCounts, "Revoked=0\r\n", 2},
      {"State=' 2'\r\n" + kCounts, "Revoked=0\r\n", 2},
      {"State=2" + nbsp + "\r\n" + kCounts, "Revoked=0\r\n", 2},
      {"State=02\r\n" + kCounts, "Revoked=0\r\n", 2},
      {"State=\t2,\r\n" + kCounts, "Revoked=0\r\n", 2},
      {"State=3\r\nNumSCerts=+1\r\nNumECerts=1.0\r\n", "Revoked=0\r\n", 3},
      {"State=2\r\nNumSCerts=1 ; re-enrolled\r\nNumECerts=0x1\r\n", "Revoked=0\r\n", 2},
      {"State=2\r\n" + kCounts, "Revoked=01\r\n", 2},
      {"State=2\r\n" + kCounts, "Revoked=+0\r\n", 2},
      {"State=2\r\n" + kCounts, "Revoked=-0\r\n", 2},
      {"State=2\r\n" + kCounts, "Revoked=1 ; by admin\r\nRevokedOn=19990101120000Z\r\n", 2},
      {"State=2\r\n" + kCounts, "Revoked=0.0\r\n", 2},
  };
  for (const auto& c : cases) {
    const std::string text = record(c.client_lines, c.scert_tail);
    const AnalyzedFile a = analyze(text);
    SCOPED_TRACE("client lines: " + c.client_lines + "[SCert1] tail: " + c.scert_tail);
    ASSERT_TRUE(a.record) << codes(a.summary.issues);
    EXPECT_EQ(a.summary.outcome, RecordOutcome::Migrated) << codes(a.summary.issues);
    EXPECT_EQ(a.record->legacy_state, c.state);
    EXPECT_TRUE(has(a.summary.issues, "number-read-leniently")) << codes(a.summary.issues);
    EXPECT_FALSE(has(a.summary.issues, "bad-value")) << codes(a.summary.issues);
    EXPECT_EQ(a.record->certificates.size(), 2u);
  }
}

TEST(KmsRead, NeverEnrolledRecoveryReadLenientlyIsStillNormalized) {
  for (const std::string client :
       {"State=4 ; fixed per Q198709\r\nNumSCerts=0 ; never enrolled\r\n", "State=+4\r\nNumSCerts=-0\r\n",
        "State=4.0\r\nNumSCerts=0.0\r\n", "State=4\r\nNumSCerts=none\r\nNumECerts=none\r\n",
        "State=4\r\nNumSCerts=\r\nNumECerts=\r\n", "State=0x4\r\nNumSCerts=\"\"\r\n"}) {
    const AnalyzedFile a = analyze("[Client]\r\nMailboxDN=/o=C/cn=J\r\n" + client);
    SCOPED_TRACE(client);
    ASSERT_TRUE(a.record) << codes(a.summary.issues);
    EXPECT_EQ(a.summary.outcome, RecordOutcome::Normalized) << codes(a.summary.issues);
    EXPECT_TRUE(has(a.summary.issues, "recovery-never-enrolled")) << codes(a.summary.issues);
  }
}

TEST(KmsRead, EmptyCountsAreAbsentWithoutAWarning) {
  const AnalyzedFile a = analyze("[Client]\r\nMailboxDN=/o=C/cn=J\r\nState=1\r\nNumSCerts=\r\nNumECerts=\r\n");
  ASSERT_TRUE(a.record) << codes(a.summary.issues);
  EXPECT_EQ(codes(a.summary.issues), "");
}

TEST(KmsRead, PlainNumbersGiveNoWarning) {
  const AnalyzedFile a = analyze(record("State=2\r\n" + kCounts));
  ASSERT_TRUE(a.record) << codes(a.summary.issues);
  EXPECT_EQ(codes(a.summary.issues), "");
}

// The documented departures: what the API reads only by wrapping or guessing.
TEST(KmsRead, WrappedOrGuessedNumbersAreRejected) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"State=-4\r\n" + kCounts, "Revoked=0\r\n"},
      {"State=0\r\n" + kCounts, "Revoked=0\r\n"},
      {"State=5\r\n" + kCounts, "Revoked=0\r\n"},
      {"State=x\r\n" + kCounts, "Revoked=0\r\n"},
      {"State=4294967298\r\n" + kCounts, "Revoked=0\r\n"},
      {"State=0x100000002\r\n" + kCounts, "Revoked=0\r\n"},
      {"State=2\r\nNumSCerts=-1\r\nNumECerts=1\r\n", "Revoked=0\r\n"},
      {"State=2\r\nNumSCerts=2147483648\r\nNumECerts=1\r\n", "Revoked=0\r\n"},
      {"State=2\r\nNumSCerts=0xFFFFFFFF\r\nNumECerts=1\r\n", "Revoked=0\r\n"},
      {"State=2\r\n" + kCounts, "Revoked=\r\n"},
      {"State=2\r\n" + kCounts, "Revoked=yes\r\n"},
      {"State=2\r\n" + kCounts, "Revoked=2\r\n"},
      {"State=2\r\n" + kCounts, "Revoked=-1\r\n"},
      {"State=2\r\n" + kCounts, "Revoked=\" \"\r\n"},
  };
  for (const auto& [client, tail] : cases) {
    const AnalyzedFile a = analyze(record(client, tail));
    SCOPED_TRACE("client lines: " + client + "[SCert1] tail: " + tail);
    EXPECT_FALSE(a.record);
    EXPECT_TRUE(has(a.summary.issues, "bad-value")) << codes(a.summary.issues);
  }
}

TEST(KmsRead, TheApiReadsTwentyNineCharacters) {
  // The 30th character is past the API's buffer: nothing of a number there is read.
  EXPECT_EQ(read_profile_int(std::string(29, ' ') + "4").api, 0u);
  EXPECT_EQ(read_profile_int(std::string(28, ' ') + "4").api, 4u);
  EXPECT_EQ(read_profile_int("1" + std::string(40, '0')).written,
            read_profile_int(std::string("1") + std::string(28, '0')).written);
  EXPECT_EQ(read_profile_int("-0").written, 0);
  EXPECT_TRUE(read_profile_int("-0").in_range());
  EXPECT_FALSE(read_profile_int("").present);
  EXPECT_EQ(read_profile_int("0XA").api, 0u);  // the prefix is lower case only: "0" then "X"
  EXPECT_EQ(read_profile_int("0xff").api, 255u);
  EXPECT_EQ(read_profile_int("4294967297").api, 1u);
}

// ---- continuations -------------------------------------------------------

TEST(KmsRead, ALineAfterAWholeValueIsNotAContinuation) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      // after a whole Certificate= line
      {"Revoked=0\r\nNote=\r\n", "unknown-key"},
      {"Note=\r\nRevoked=0\r\n", "unknown-key"},
      {"ABCD\r\nRevoked=0\r\n", "malformed-line"},
      {"NumSCe\r\nRevoked=0\r\n", "malformed-line"},
  };
  for (const auto& [tail, code] : cases) {
    const std::string text = record("State=2\r\n" + kCounts, tail);
    const AnalyzedFile a = analyze(text);
    SCOPED_TRACE("[SCert1] after Certificate: " + tail);
    EXPECT_FALSE(has(a.summary.issues, "wrapped-value")) << codes(a.summary.issues);
    EXPECT_TRUE(has(a.summary.issues, code)) << codes(a.summary.issues);
  }
  // After a whole EscrowedKey= line (padded, and unpadded of length 4n).
  for (const std::string key : {"c2VjcmV0LWtleS1ieXRlcw==", "c2VjcmV0LWtleS1ieXRlcyEh"}) {
    for (const std::string after : {"KeyVersion=\r\n", "Note=\r\n", "NumSCe\r\n", "QUJD\r\n"}) {
      std::string text = record("State=2\r\n" + kCounts);
      text.replace(text.find("EscrowedKey="), std::string::npos, "EscrowedKey=" + key + "\r\n" + after);
      const AnalyzedFile a = analyze(text);
      SCOPED_TRACE("EscrowedKey=" + key + " then " + after);
      if (key.back() == '=' || after != "QUJD\r\n") {
        EXPECT_FALSE(has(a.summary.issues, "wrapped-value")) << codes(a.summary.issues);
      }
      EXPECT_FALSE(has(a.summary.issues, "bad-key-blob")) << codes(a.summary.issues);
    }
  }
}

/// A value folded at `width` columns: the first line holds "Key=" and the start.
std::string fold(const std::string& key_and_value, std::size_t width, const std::string& between = "\r\n") {
  std::string out;
  for (std::size_t i = 0; i < key_and_value.size(); i += width) {
    out += key_and_value.substr(i, width) + (i + width < key_and_value.size() ? between : "\r\n");
  }
  return out;
}

TEST(KmsRead, RealFoldsStayWrappedValues) {
  const std::string cert = test_cert("A1");
  std::string long_key;
  for (int i = 0; i < 40; ++i) long_key += "secret-key-material-" + std::to_string(i);
  for (const std::string& key : {base64_encode(std::vector<std::uint8_t>(long_key.begin(), long_key.end())),
                                 base64_encode(std::vector<std::uint8_t>(long_key.begin(), long_key.end() - 1)),
                                 base64_encode(std::vector<std::uint8_t>(long_key.begin(), long_key.end() - 2))}) {
    for (std::size_t width : {64u, 76u, 100u}) {
      for (const std::string between : {"\r\n", "\r\n\r\n"}) {
        std::string text = record("State=2\r\n" + kCounts);
        text.replace(text.find("EscrowedKey="), std::string::npos, fold("EscrowedKey=" + key, width, between));
        const AnalyzedFile a = analyze(text);
        SCOPED_TRACE("EscrowedKey of " + std::to_string(key.size()) + " characters folded at " + std::to_string(width) +
                     (between.size() > 2 ? " with blank lines" : ""));
        EXPECT_FALSE(a.record);
        EXPECT_TRUE(has(a.summary.issues, "wrapped-value")) << codes(a.summary.issues);
      }
    }
  }
  for (std::size_t width : {64u, 76u}) {
    std::string text = record("State=2\r\n" + kCounts);
    const std::string line = "Certificate=" + cert + "\r\n";
    text.replace(text.find(line), line.size(), fold("Certificate=" + cert, width));
    const AnalyzedFile a = analyze(text);
    SCOPED_TRACE("Certificate folded at " + std::to_string(width));
    EXPECT_TRUE(has(a.summary.issues, "wrapped-value")) << codes(a.summary.issues);
  }
}

// ---- comments --------------------------------------------------------------

std::string utf16le(const std::string& ascii) {
  std::string out = "\xFF\xFE";
  for (char c : ascii) out += std::string{c, '\0'};
  return out;
}

TEST(KmsRead, ABadCharacterInACommentOnlyWarns) {
  const std::string body = "[Client]\r\nMailboxDN=/o=C/cn=J\r\nState=1\r\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      // UTF-16: a lone high surrogate, a lone low one, in a comment line
      {utf16le("; edited ") + std::string("\x00\xD8", 2) + utf16le("\r\n" + body).substr(2), "lone high surrogate"},
      {utf16le(body + "  ; x") + std::string("\x00\xDC", 2) + utf16le("\r\n").substr(2), "lone low surrogate"},
      // UTF-8 with a BOM: invalid bytes in a comment
      {"\xEF\xBB\xBF; edited by \xC3\x28\r\n" + body, "invalid UTF-8"},
      {"\xEF\xBB\xBF" + body + "; \xFF\xFE\r\n", "invalid UTF-8 at the end"},
      // a NUL in a comment
      {body + std::string("; a\0b\r\n", 7), "a NUL"},
  };
  for (const auto& [text, what] : cases) {
    const AnalyzedFile a = analyze(text);
    SCOPED_TRACE(what);
    ASSERT_TRUE(a.record) << codes(a.summary.issues);
    EXPECT_EQ(codes(a.summary.issues), "comment-bad-encoding");
    EXPECT_EQ(a.summary.issues[0].line > 0, true);
  }
  // Outside a comment the same fault still rejects.
  const AnalyzedFile bad = analyze("\xEF\xBB\xBF" + body + "Alias=\xC3\x28\r\n");
  EXPECT_TRUE(has(bad.summary.issues, "bad-encoding")) << codes(bad.summary.issues);
}

// ---- files cut short -------------------------------------------------------

// Every prefix of a record that stops inside a line (not at a line end, and
// not inside a trailing comment or blanks) is rejected: a copy cut short.
TEST(KmsRead, EveryCutInsideALineIsRejected) {
  const std::string full = record("State=2\r\n" + kCounts);
  int cut_inside = 0;
  for (std::size_t n = 1; n < full.size(); ++n) {
    const char last = full[n - 1];
    if (last == '\n' || last == '\r') continue;  // a file of whole lines
    const AnalyzedFile a = analyze(full.substr(0, n));
    ASSERT_FALSE(a.record) << "a copy cut after " << n << " of " << full.size()
                           << " bytes migrated; it ends: " << full.substr(n > 40 ? n - 40 : 0, n > 40 ? 40 : n);
    ASSERT_TRUE(has(a.summary.issues, "truncated")) << n << ": " << codes(a.summary.issues);
    ++cut_inside;
  }
  EXPECT_GT(cut_inside, 800);
}

TEST(KmsRead, TheIssuesCutShapes) {
  const std::string full = record("State=2\r\n" + kCounts);
  const std::string key_line = "EscrowedKey=c2VjcmV0LWtleS1ieXRlcw==\r\n";
  // The key cut on a 4-character boundary: still valid base64.
  const AnalyzedFile key = analyze(full.substr(0, full.size() - 6));
  EXPECT_EQ(codes(key.summary.issues), "truncated");
  // A file that ends after NumECerts=0 without its line end.
  const AnalyzedFile counts = analyze("[Client]\r\nMailboxDN=/o=C/cn=J\r\nState=1\r\nNumSCerts=0\r\nNumECerts=0");
  EXPECT_EQ(codes(counts.summary.issues), "truncated");
  // The message names the line and says what to do.
  ASSERT_EQ(counts.summary.issues.size(), 1u);
  EXPECT_EQ(counts.summary.issues[0].line, 5);
  EXPECT_NE(counts.summary.issues[0].message.find("cut short"), std::string::npos) << counts.summary.issues[0].message;
  // In every encoding and every line end.
  for (const std::string& enc : {utf16le("[Client]\r\nMailboxDN=/o=C/cn=J\r\nState=1"),
                                 std::string("\xEF\xBB\xBF[Client]\nMailboxDN=/o=C/cn=J\nState=1"),
                                 std::string("[Client]\rMailboxDN=/o=C/cn=J\rState=1")}) {
    const AnalyzedFile a = analyze(enc);
    EXPECT_TRUE(has(a.summary.issues, "truncated")) << codes(a.summary.issues);
    EXPECT_FALSE(a.record);
  }
}

TEST(KmsRead, ATokenOfAnotherLengthWarns) {
  for (const std::string token : {"ABCDEFG", "ABCDEFGHJKLMN", "A"}) {
    const AnalyzedFile a = analyze("[Client]\r\nMailboxDN=/o=C/cn=J\r\nState=4\r\nToken=" + token + "\r\n");
    SCOPED_TRACE(token);
    ASSERT_TRUE(a.record) << codes(a.summary.issues);
    EXPECT_TRUE(has(a.summary.issues, "token-length")) << codes(a.summary.issues);
    for (const auto& i : a.summary.issues) EXPECT_EQ(i.message.find(token), std::string::npos) << i.message;
  }
}

}  // namespace
}  // namespace kms::core

namespace kms::core {
namespace {

// Shapes an adversary found next to the issue's: each failed before its fix.
TEST(KmsReadNeighbours, ABadByteInACommentDoesNotChangeTheEncodingOfTheKeys) {
  const AnalyzedFile a = analyze(
      "[Client]\r\nMailboxDN=/o=X/cn=a\r\nDisplayName=Ren\xC3\xA9"
      "e\r\nState=1\r\n; bad \xFF\r\n");
  ASSERT_TRUE(a.record) << codes(a.summary.issues);
  EXPECT_EQ(a.record->display_name, std::optional<std::string>("Ren\xC3\xA9"
                                                               "e"));
  EXPECT_TRUE(has(a.summary.issues, "comment-bad-encoding")) << codes(a.summary.issues);
}

TEST(KmsReadNeighbours, ACommentCutShortIntoNulBytesIsTruncated) {
  const std::string body = "[Client]\r\nMailboxDN=/o=X/cn=a\r\nState=1\r\n; enrolled by adm";
  for (std::size_t nuls : {1u, 200u}) {
    const AnalyzedFile a = analyze(body + std::string(nuls, '\0'));
    EXPECT_FALSE(a.record) << nuls;
    EXPECT_TRUE(has(a.summary.issues, "truncated")) << nuls << ": " << codes(a.summary.issues);
  }
}

TEST(KmsReadNeighbours, AWholeUnpaddedKeyThenAnEmptyKeyIsNoFold) {
  std::string key_bytes;
  for (int i = 0; i < 40; ++i) key_bytes += "key-material-" + std::to_string(i % 10);
  key_bytes.resize(600);  // a multiple of 3: no padding
  const std::string key = base64_encode(Bytes(key_bytes.begin(), key_bytes.end()));
  ASSERT_NE(key.back(), '=');
  for (const std::string after : {"Version=", "Comment=", "Archive=", "\r\nVersion="}) {
    std::string text = record("State=2\r\n" + kCounts);
    text.replace(text.find("EscrowedKey="), std::string::npos, "EscrowedKey=" + key + "\r\n" + after + "\r\n");
    const AnalyzedFile a = analyze(text);
    SCOPED_TRACE(after);
    EXPECT_FALSE(has(a.summary.issues, "wrapped-value")) << codes(a.summary.issues);
    EXPECT_TRUE(has(a.summary.issues, "unknown-key")) << codes(a.summary.issues);
    ASSERT_TRUE(a.record) << codes(a.summary.issues);
    EXPECT_EQ(a.record->keys.at(0).key_blob.size(), 600u);
  }
}

TEST(KmsReadNeighbours, AQuotedNumberOfTwentyNineCharactersLosesItsLast) {
  EXPECT_EQ(read_profile_int(std::string(28, '0') + "2", true).api, 0u);   // Wine: 0
  EXPECT_EQ(read_profile_int(std::string(27, '0') + "2", true).api, 2u);   // fits with its quote
  EXPECT_EQ(read_profile_int(std::string(28, '0') + "2", false).api, 2u);  // unquoted: 29 read
}

TEST(KmsReadNeighbours, ATokenKeyWithAnyTrimmedCharacterBeforeItsEqualsIsASecret) {
  for (const std::string sep : {"\x0b", "\x0c", "\x1a", " \x1a", "\t"}) {
    const AnalyzedFile a =
        analyze("[Client]\r\nMailboxDN=/o=X/cn=b\r\nState=1 QWERTYUIOPAS\r\nToken" + sep + "=QWERTYUIOPAS\r\n");
    for (const auto& i : a.summary.issues) {
      EXPECT_EQ(i.message.find("QWERTYUIOPAS"), std::string::npos) << "separator " << int(sep[0]) << ": " << i.message;
    }
  }
}

}  // namespace
}  // namespace kms::core
