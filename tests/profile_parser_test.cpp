// docs/legacy-store.md section 3: every rule of the Win32 profile dialect, run
// through the configured inih and the corrections around it.
#include "profile_parser.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "text_util.h"

namespace kms::core {
namespace {

std::vector<std::string> codes(const Issues& issues) {
  std::vector<std::string> out;
  for (const auto& i : issues) out.push_back(i.code + "@" + std::to_string(i.line));
  return out;
}

struct DialectCase {
  const char* rule;  // the bullet of section 3 it checks
  std::string text;
  std::string section;
  std::string key;
  std::optional<std::string> value;  // nullopt: the key must be absent
  std::vector<std::string> issues;   // "code@line"
};

const std::vector<DialectCase> kCases = {
    {"[Name] starts a section", "[Client]\nState=4\n", "Client", "State", "4", {}},
    {"section names compare case-insensitively", "[CLIENT]\nState=4\n", "client", "State", "4", {}},
    {"whitespace inside the brackets is trimmed", "[  Client  ]\nState=4\n", "Client", "State", "4", {}},
    {"anything after ] is ignored", "[Client] ; old comment = x\nState=4\n", "Client", "State", "4", {}},
    {"section names longer than inih's 50 bytes",
     "[" + std::string(80, 'S') + "]\nK=v\n",
     std::string(80, 'S'),
     "K",
     "v",
     {}},
    {"whitespace around key and value is trimmed", "[Client]\n  State   =   4  \n", "Client", "State", "4", {}},
    {"tabs are whitespace too", "[Client]\n\tState\t=\t4\t\n", "Client", "State", "4", {}},
    {"value is everything after the first =",
     "[Client]\nMailboxDN=/o=Contoso/cn=a=b\n",
     "Client",
     "MailboxDN",
     "/o=Contoso/cn=a=b",
     {}},
    {"':' is an ordinary character in a key", "[Client]\nCost:Center=42\n", "Client", "Cost:Center", "42", {}},
    {"':' is an ordinary character in a value", "[Client]\nX=a:b\n", "Client", "X", "a:b", {}},
    {"keys compare case-insensitively", "[Client]\nnumscerts=2\n", "Client", "NumSCerts", "2", {}},
    {"double quotes are removed, spaces kept",
     "[Client]\nDisplayName = \"  Jane  \"\n",
     "Client",
     "DisplayName",
     "  Jane  ",
     {}},
    {"single quotes are removed, spaces kept",
     "[Client]\nDisplayName = '  Jane  '\n",
     "Client",
     "DisplayName",
     "  Jane  ",
     {}},
    {"unmatched quotes are kept", "[Client]\nDisplayName = \"Jane'\n", "Client", "DisplayName", "\"Jane'", {}},
    {"a lone quote is kept", "[Client]\nDisplayName = \"\n", "Client", "DisplayName", "\"", {}},
    {"no inline comments", "[Client]\nDisplayName = Smith ; Jones\n", "Client", "DisplayName", "Smith ; Jones", {}},
    {"# is not a comment (key)", "[Client]\n#Note=x\n", "Client", "#Note", "x", {}},
    {"# is not a comment (value)", "[Client]\nAlias=a # b\n", "Client", "Alias", "a # b", {}},
    {"a ; line is a comment", "[Client]\n;State=4\n", "Client", "State", std::nullopt, {}},
    {"an indented ; line is a comment", "[Client]\n   ; State=4\n", "Client", "State", std::nullopt, {}},
    {"blank lines are ignored", "[Client]\n\n   \n\t\nState=4\n", "Client", "State", "4", {}},
    {"leading whitespace never continues a line", "[Client]\nAlias=x\n   State = 4\n", "Client", "State", "4", {}},
    {"indented line keeps the previous value whole", "[Client]\nAlias=x\n   State = 4\n", "Client", "Alias", "x", {}},
    {"first occurrence of a key wins", "[Client]\nState=1\nState=4\n", "Client", "State", "1", {"duplicate-key@3"}},
    {"repeat in another case is a repeat", "[Client]\nState=1\nSTATE=4\n", "Client", "State", "1", {"duplicate-key@3"}},
    {"a repeated section is ignored",
     "[Client]\nState=1\n[client]\nAlias=x\n",
     "Client",
     "Alias",
     std::nullopt,
     {"duplicate-section@3"}},
    {"keys before any section are ignored",
     "State=4\n[Client]\nAlias=x\n",
     "Client",
     "State",
     std::nullopt,
     {"key-outside-section@1"}},
    {"a line without = is malformed", "[Client]\nState=4\nNumSCe\n", "Client", "State", "4", {"malformed-line@3"}},
    {"name:value (no =) is malformed", "[Client]\nState:4\n", "Client", "State", std::nullopt, {"malformed-line@2"}},
    {"an unterminated header is malformed",
     "[Client]\n[Other\nState=4\n",
     "Client",
     "State",
     "4",
     {"malformed-line@2"}},
    {"an unterminated header with = is a key", "[Client]\n[x=y\nState=4\n", "Client", "[x", "y", {}},
    {"=v is a key with an empty name", "[Client]\n=4\n", "Client", "", "4", {}},
    {"=v after blanks too", "[Client]\n   =  v \n", "Client", "", "v", {}},
    {"CR LF line ends", "[Client]\r\nState = 4\r\nAlias=x\r\n", "Client", "Alias", "x", {}},
    {"a value may be empty", "[Client]\nAlias=\n", "Client", "Alias", "", {}},
    {"a 64 KiB line is read exactly",
     "[Client]\nCertificate=" + std::string(65536 - 12, 'A') + "\n",
     "Client",
     "Certificate",
     std::string(65536 - 12, 'A'),
     {}},
    {"a longer line is read exactly too",
     "[Client]\nCertificate=" + std::string(70000, 'A') + "\n",
     "Client",
     "Certificate",
     std::string(70000, 'A'),
     {}},
    {"a 100,000-byte value of an unknown key",
     "[Client]\nX=" + std::string(100000, 'b') + "\nState=4\n",
     "Client",
     "X",
     std::string(100000, 'b'),
     {}},
    {"a line that long without = is still malformed",
     "[Client]\n" + std::string(70000, 'c') + "\nState=4\n",
     "Client",
     "State",
     "4",
     {"malformed-line@2"}},
    {"CR alone ends a line", "[Client]\rState=4\rAlias=x\r", "Client", "Alias", "x", {}},
    {"a lone CR inside a CR LF file ends a line",
     "[Client]\r\nState=4\rAlias=x\r\nDisplayName=d\r\n",
     "Client",
     "Alias",
     "x",
     {}},
    {"line numbers count a lone CR", "[Client]\r\nState=4\rState=1\r\n", "Client", "State", "4", {"duplicate-key@3"}},
    {"Ctrl-Z after a value is whitespace", "[Client]\nState=4\x1a\n", "Client", "State", "4", {}},
    {"a line of Ctrl-Z is blank", "[Client]\nState=4\n\x1a\n", "Client", "State", "4", {}},
    {"Ctrl-Z around a key", "[Client]\n\x1a State \x1a= 4\n", "Client", "State", "4", {}},
    // Read as the API reads it, but the file is rejected: the KMS ended every line it wrote.
    {"a last line without its line end is a file cut short",
     "[Client]\nState=4",
     "Client",
     "State",
     "4",
     {"truncated@2"}},
    {"a cut CR LF: only the CR is left", "[Client]\r\nState=4\r", "Client", "State", "4", {}},
    {"a last line that is a comment needs no line end", "[Client]\nState=4\n; end", "Client", "State", "4", {}},
    {"a last line of blanks and Ctrl-Z needs no line end", "[Client]\nState=4\n \x1a", "Client", "State", "4", {}},
    {"a last line that is a section header is cut short too",
     "[Client]\nState=4\n[SCert1]",
     "Client",
     "State",
     "4",
     {"truncated@3"}},
};

TEST(ProfileDialect, EveryRuleOfSection3) {
  for (const auto& c : kCases) {
    SCOPED_TRACE(std::string("rule: ") + c.rule +
                 "\ninput: " + (c.text.size() > 200 ? c.text.substr(0, 200) + "..." : c.text));
    Issues issues;
    const ParsedProfile p = parse_profile(c.text, issues);
    const ProfileSection* s = p.find(c.section);
    ASSERT_NE(s, nullptr) << "section [" << c.section << "] not found";
    const ProfileEntry* e = s->find(c.key);
    if (c.value) {
      ASSERT_NE(e, nullptr) << "key " << c.key << " not found";
      EXPECT_EQ(e->value, *c.value);
    } else {
      EXPECT_EQ(e, nullptr) << "key " << c.key << " should be absent, has value " << (e ? e->value : "");
    }
    EXPECT_EQ(codes(issues), c.issues);
  }
}

TEST(ProfileDialect, LineNumbersCountCommentsAndBlankLines) {
  Issues issues;
  const ParsedProfile p = parse_profile("; header\n\n[Client]\n\nState=4\n", issues);
  ASSERT_NE(p.find("Client"), nullptr);
  EXPECT_EQ(p.find("Client")->line, 3);
  EXPECT_EQ(p.find("Client")->find("State")->line, 5);
}

TEST(ProfileDialect, OnlyCommentsAndBlanksHaveNoContent) {
  Issues issues;
  EXPECT_FALSE(parse_profile("; a\n\n   ; b\n", issues).has_content);
  EXPECT_TRUE(parse_profile("[Client]\n", issues).has_content);
  EXPECT_TRUE(issues.empty());
}

TEST(ProfileDialect, EveryMalformedLineIsReported) {
  Issues issues;
  parse_profile("[Client]\nbroken one\nState=4\nbroken two\n", issues);
  EXPECT_EQ(codes(issues), (std::vector<std::string>{"malformed-line@2", "malformed-line@4"}));
}

TEST(ProfileDialect, SectionOrderAndKeyOrderAreKept) {
  Issues issues;
  const ParsedProfile p = parse_profile("[B]\nz=1\na=2\n[A]\nk=3\n", issues);
  ASSERT_EQ(p.sections.size(), 2u);
  EXPECT_EQ(p.sections[0].name, "B");
  EXPECT_EQ(p.sections[0].entries[0].key, "z");
  EXPECT_EQ(p.sections[1].name, "A");
}

std::vector<std::string> secrets_of(const std::string& text) {
  Issues issues;
  const ParsedProfile p = parse_profile(text, issues);
  return {p.secrets.begin(), p.secrets.end()};
}

bool holds(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// What the parser keeps as secret (docs/reports.md, the second line of defence).
TEST(ProfileSecrets, TheKeysOwnValueWholeAndAfterANameInOtherTextTheNextWord) {
  const auto s = secrets_of(
      "[Client]\nToken=QWER TYUI OPAS\nDisplayName=Jane Token: K4PN2MBTRQX7 (old)\n"
      "; EscrowedKey recovered for /o=Contoso/cn=jsmith\nState=1Token\x1a=K4PN2MBTRQX8\n"
      "Alias=TOKEN-K4PN2MBTRQX9\n");
  EXPECT_TRUE(holds(s, "QWER TYUI OPAS")) << ::testing::PrintToString(s);
  EXPECT_TRUE(holds(s, "K4PN2MBTRQX7")) << ::testing::PrintToString(s);
  EXPECT_TRUE(holds(s, "recovered")) << ::testing::PrintToString(s);
  EXPECT_TRUE(holds(s, "K4PN2MBTRQX8")) << ::testing::PrintToString(s);
  EXPECT_TRUE(holds(s, "K4PN2MBTRQX9")) << ::testing::PrintToString(s);
  EXPECT_FALSE(holds(s, "recovered for /o=Contoso/cn=jsmith")) << ::testing::PrintToString(s);
}

TEST(ProfileSecrets, ALineOfManyNamesGivesSecretsAsLongAsTheLine) {
  std::string line = "Note=";
  for (int i = 0; i < 32000; ++i) line += "Token-";
  const auto s = secrets_of("[Client]\n" + line + "\n");
  std::size_t total = 0;
  for (const auto& x : s) total += x.size();
  EXPECT_LE(total, line.size()) << s.size() << " secrets";
}

TEST(ProfileSecrets, Base64LinesAfterAKeyBlobAreSecretsJoinedOrNot) {
  const std::string wide(300, 'A');  // too wide to be a fold: the next line is not joined
  const auto s =
      secrets_of("[ECert1]\nEscrowedKey=" + wide + "\n\nRESTOFTHEBLOB\nQWERTYuiopAQ==\nState=1\nNOTAPIECEXYZ\n");
  EXPECT_TRUE(holds(s, "QWERTYuiopAQ==")) << ::testing::PrintToString(s);
  EXPECT_TRUE(holds(s, "RESTOFTHEBLOB")) << ::testing::PrintToString(s);
  EXPECT_FALSE(holds(s, "NOTAPIECEXYZ")) << ::testing::PrintToString(s);  // after another key: an ordinary line
  // Whatever spells the key, and whatever the last piece carries after its padding.
  const std::string piece(64, 'B');
  for (const std::string key :
       {"EscrowedKey:", "ESCROWEDKEY\t:", "EscrowedKey\x1a", "Revoked=0EscrowedKey=", "EscrowedKey=\"",
        ("\xc2\xa0"
         "EscrowedKey="),
        "Escrowed Key=CzBVep/E6Q4z"}) {
    for (const std::string tail : {"sNX6H0Rpjg==", "9jqet4yLYQ==\"", "9jqet4yLYQ==\\", "9jqet4yLYQ==\xc2\xa0"}) {
      const auto t = secrets_of("[ECert1]\n" + key + piece + "\n" + piece + "\n" + tail + "\nRevoked=0\n");
      EXPECT_TRUE(holds(t, tail) || holds(t, std::string(trim(tail))))
          << key << " / " << tail << ": " << ::testing::PrintToString(t);
    }
  }
}

}  // namespace
}  // namespace kms::core
