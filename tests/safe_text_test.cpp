// The message rule and the output rule (core/util/safe_text.h), and the one console boundary of migrate/.
#include "safe_text.h"

#include <gtest/gtest.h>

#include <regex>

#include "profile_parser.h"
#include "shown_record.h"
#include "test_util.h"

namespace kms::core {
namespace {

TEST(MessageRule, QuotesOnlyWhatNoTokenFitsOrTheKeysOwnShape) {
  for (const char* shown : {"4x", "", "12abc", "0x1F", "State 5", "QWERTYUI", "yes;no!"}) {
    EXPECT_TRUE(may_quote(shown)) << shown;
  }
  // Nine characters or more: only in the key's shape, never with a secret's name.
  for (const char* hidden : {"QWERTYUIOPAS", "K4PN2MBTRQX7", "1;Token-QWERTYUIOPAS", "TOKEN\tABCD", "Token", "1token",
                             "MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu"}) {
    for (const ValueShape shape :
         {ValueShape::None, ValueShape::Decimal, ValueShape::Timestamp, ValueShape::HexSerial}) {
      EXPECT_FALSE(may_quote(hidden, shape)) << hidden << " in shape " << static_cast<int>(shape);
    }
  }
  EXPECT_TRUE(may_quote("-2147483648", ValueShape::Decimal));
  EXPECT_TRUE(may_quote("4294967297", ValueShape::Decimal));
  EXPECT_FALSE(may_quote("42949672970", ValueShape::Decimal));  // 11 digits: a 12-digit token cut short?
  EXPECT_TRUE(may_quote("19981314091255Z", ValueShape::Timestamp));
  EXPECT_FALSE(may_quote("19981314091255", ValueShape::Timestamp));
  EXPECT_FALSE(may_quote("1998131409125Z5", ValueShape::Timestamp));
  EXPECT_TRUE(may_quote(std::string(40, 'A'), ValueShape::HexSerial));
  EXPECT_FALSE(may_quote(std::string(41, 'A'), ValueShape::HexSerial));
  EXPECT_FALSE(may_quote("0A1B2C3D4E5FG", ValueShape::HexSerial));
  // A token of digits alone has a serial's shape: the second line of defence
  // (redact_secrets) takes it when it is the file's Token or key.
  EXPECT_TRUE(may_quote("123456789012", ValueShape::HexSerial));
  EXPECT_FALSE(may_quote("123456789012", ValueShape::Decimal));
  EXPECT_FALSE(may_quote("0A1B2C3D4E5F", ValueShape::Decimal));
  EXPECT_EQ(quoted("9"), "\"9\"");
  EXPECT_EQ(quoted("1;Token-QWERTYUIOPAS"), "a value of 20 characters (not shown)");
  EXPECT_EQ(quoted("QWERTYUIOPAS", ValueShape::Decimal), "a value of 12 characters (not shown)");
  EXPECT_EQ(quoted("0A1B2C3D4E5F6789", ValueShape::HexSerial), "\"0A1B2C3D4E5F6789\"");
}

TEST(MessageRule, NamesAreCutAtASecretsNameAndDescribedWhenTheyMayHoldAKey) {
  EXPECT_EQ(key_name("Cost:Center"), "\"Cost:Center\"");
  EXPECT_EQ(key_name("ProxyAddresses"), "\"ProxyAddresses\"");
  EXPECT_EQ(key_name("Token"), "\"Token\"");
  EXPECT_EQ(key_name("Token-QWERTYUIOPASState"), "\"Token(not shown)\"");
  EXPECT_EQ(key_name("xESCROWEDKEY\x1a"
                     "ABCDEF"),
            "\"xESCROWEDKEY(not shown)\"");
  EXPECT_EQ(key_name("MIIBOgIBAAJBAKj34Gkx"), "a key name of 20 characters (not shown)");
  EXPECT_EQ(key_name(std::string(41, 'x')), "a key name of 41 characters (not shown)");
  EXPECT_EQ(section_ref("SCert1"), "[SCert1]");
  EXPECT_EQ(section_ref("SCert1Token:K4PN2MBTRQX7"), "[SCert1Token(not shown)]");
  EXPECT_EQ(section_ref("SECRET123456"), "[a section name of 12 characters, not shown]");
  EXPECT_EQ(shown_name("SECRET123456"), "(a name of 12 characters (not shown))");
  EXPECT_EQ(shown_name("Alias.token|K4PN2MBTRQX7"), "Alias.token(not shown)");
}

TEST(MessageRule, KnownSecretsAreRedactedFromAnyMessage) {
  const std::vector<std::string_view> secrets = {"SECRET123456", "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo="};
  std::string m = "value SECRET123456 and a piece REVGR0hJSktMTU5P of the key, and its 8: CRET1234.";
  redact_secrets(m, secrets);
  EXPECT_EQ(m, "value (secret not shown) and a piece (secret not shown) of the key, and its 8: (secret not shown).");
  std::string spaced = "DisplayName is QWER TYUI OPAS";  // a secret with blanks is looked for across them
  redact_secrets(spaced, {"QWER TYUI OPAS"});
  EXPECT_EQ(spaced, "DisplayName is (secret not shown)");
  std::string untouched = "State is \"9\", and SECRET1 is 7 of it";
  redact_secrets(untouched, secrets);
  EXPECT_EQ(untouched, "State is \"9\", and SECRET1 is 7 of it");
  // In any ASCII case: a token pasted in lower case (or a key's piece in upper) is the secret.
  std::string cased = "Jane secret123456 Doe, SeCrEt12, revgr0hjsktmtu5p";
  redact_secrets(cased, secrets);
  EXPECT_EQ(cased, "Jane (secret not shown) Doe, (secret not shown), (secret not shown)");
}

TEST(MessageRule, ManySecretsRedactAsFewDo) {
  // Past kHashedFrom characters the pieces are hashed: the same text comes out.
  const std::vector<std::string_view> few = {"SECRET123456", "QWER TYUI OPAS"};
  const std::string filler(kHashedFrom, '~');
  std::vector<std::string_view> many = few;
  many.push_back(filler);
  for (const std::string text : {"a SECRET123456 b", "piece CRET1234 and QWER TYUI", "none here", "SECRET1 short",
                                 "\xc3\xa9SECRET12\xc3\xa9", "lower secret123456 and qwer tyui"}) {
    std::string a = text, b = text;
    SecretPieces(few).redact(a);
    SecretPieces(many).redact(b);
    EXPECT_EQ(a, b) << text;
  }
}

TEST(ShownFieldRule, EverythingAfterASecretsNameIsCutWhateverFollowsIt) {
  EXPECT_EQ(shown_field("/o=X/cn=JaneToken=SECRET"), "/o=X/cn=JaneToken(not shown)");
  EXPECT_EQ(shown_field("a ESCROWEDKEY = blob"), "a ESCROWEDKEY(not shown)");
  EXPECT_EQ(shown_field("/o=X/cn=Tokens"), "/o=X/cn=Token(not shown)");
  EXPECT_EQ(shown_field("Jane TOKEN\tK4PN2MBTRQX9"), "Jane TOKEN(not shown)");
  EXPECT_EQ(shown_field("Jane Token\x1a=K4PN2MBTRQX9"), "Jane Token(not shown)");
  EXPECT_EQ(shown_field("Jane token\xc2\xa0K4PN2MBTRQX9"), "Jane token(not shown)");
  EXPECT_EQ(shown_field("EscrowedKey:QUJDREVGR0hJSktMTU5P token"), "EscrowedKey(not shown)");
  EXPECT_EQ(shown_field("/o=X/cn=Jane"), "/o=X/cn=Jane");
  EXPECT_EQ(shown_field("ends in Token"), "ends in Token");  // nothing follows: nothing to hide
  EXPECT_EQ(shown_field(shown_field("cn=Token:K4PN2MBTRQX7")), "cn=Token(not shown)");  // the same once shown
  // The two letters Unicode case folding reaches from outside ASCII: U+212A (k), U+017F (s).
  EXPECT_EQ(shown_field("cn=JaneTo\xE2\x84\xAA"
                        "en=K4PN2MBTRQX7"),
            "cn=JaneTo\xE2\x84\xAA"
            "en(not shown)");
  EXPECT_EQ(shown_field("cn=E\xC5\xBF"
                        "crowedKey:QUJD"),
            "cn=E\xC5\xBF"
            "crowedKey(not shown)");
  EXPECT_FALSE(
      may_quote("To\xE2\x84\xAA"
                "en"));
  // Every printable ASCII character, and the blanks, after the name.
  std::vector<std::string> seps = {"\t", "\x1a", "\xc2\xa0"};
  for (char c = 0x20; c < 0x7f; ++c) seps.emplace_back(1, c);
  for (const std::string& sep : seps) {
    const std::string field = "cn=Jane Token" + sep + "K4PN2MBTRQX7";
    EXPECT_EQ(shown_field(field), "cn=Jane Token(not shown)") << ::testing::PrintToString(field);
  }
}

TEST(ShownFieldRule, AMailboxCutShortStillMatchesOnlyItself) {
  const MailboxField a = MailboxField::of("/o=X/cn=JaneToken-AAAAAAAAAAAA");
  EXPECT_EQ(a.text, "/o=X/cn=JaneToken(not shown)");
  EXPECT_TRUE(a.matches("/O=x/CN=janetoken-aaaaaaaaaaaa"));  // the duplicate-mailbox rule's sameness
  EXPECT_FALSE(a.matches("/o=X/cn=JaneToken-BBBBBBBBBBBB"));
  EXPECT_FALSE(a.matches("/o=X/cn=JaneToken(not shown)"));
  EXPECT_EQ(a.key.find("AAAA"), std::string::npos);
  EXPECT_TRUE(MailboxField::of("/o=X/cn=Jane").matches("/O=X/CN=JANE"));
  EXPECT_FALSE(MailboxField::of("").matches(""));
  // What one file redacts of its own secrets (a comment naming the DN after
  // "EscrowedKey") does not make its DN another one's.
  const SecretPieces secrets({"recovered for /o=X/cn=Jane by admin"});
  const MailboxField redacted = MailboxField::of("/o=X/cn=Jane", secrets), plain = MailboxField::of("/o=X/cn=Jane");
  EXPECT_NE(redacted.text, plain.text);
  EXPECT_EQ(redacted.key, plain.key);
  EXPECT_TRUE(redacted.matches("/o=X/cn=JANE"));
}

TEST(OutputRule, TerminalTextEscapesC0DelC1BidiAndBadUtf8) {
  EXPECT_EQ(terminal_text("a\x1b[2Jb"), "a\\x1b[2Jb");
  EXPECT_EQ(terminal_text("bell\x07 bs\x08 cr\r nl\n tab\t del\x7f"),
            "bell\\x07 bs\\x08 cr\\x0d nl\\x0a tab\\x09 del\\x7f");
  EXPECT_EQ(terminal_text("csi\xc2\x9b"
                          "31m osc\xc2\x9d"),
            "csi\\u009b31m osc\\u009d");
  EXPECT_EQ(terminal_text("rtl\xe2\x80\xae"
                          "txt"),
            "rtl\\u202etxt");
  EXPECT_EQ(terminal_text("bad \xc3\x28 \xff"), "bad \\xc3( \\xff");
  EXPECT_EQ(terminal_text("Ren\xc3\xa9"
                          "e /o=Contoso"),
            "Ren\xc3\xa9"
            "e /o=Contoso");
}

TEST(OutputRule, CsvCellsAreEscapedAndFormulaCellsNeutralised) {
  EXPECT_EQ(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
  EXPECT_EQ(csv_cell("+1"), "'+1");
  EXPECT_EQ(csv_cell("-1"), "'-1");
  EXPECT_EQ(csv_cell("@SUM(1)"), "'@SUM(1)");
  EXPECT_EQ(csv_cell("\tx"), "'\\x09x");
  EXPECT_EQ(csv_cell("\rx"), "'\\x0dx");
  EXPECT_EQ(csv_cell("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_cell("/o=Contoso\x1b[2J"), "/o=Contoso\\x1b[2J");
  EXPECT_EQ(csv_cell("plain"), "plain");
}

TEST(OutputRule, JsonStaysExactWithDelAndC1Escaped) {
  const std::string in = "{\"a\":\"x\x7f\xc2\x9b\xe2\x80\xae\xc3\xa9\"}";
  const std::string out = json_inert(in);
  EXPECT_EQ(out, "{\"a\":\"x\\u007f\\u009b\\u202e\xc3\xa9\"}");
  EXPECT_EQ(nlohmann::json::parse(out)["a"], nlohmann::json::parse(in)["a"]);
}

ParsedProfile parse(const std::string& text, Issues& issues) { return parse_profile(text, issues); }

std::vector<std::string> codes(const Issues& issues) {
  std::vector<std::string> out;
  for (const auto& i : issues) out.push_back(i.code + "@" + std::to_string(i.line));
  return out;
}

TEST(WrappedValue, EveryShapeOfAContinuedBase64ValueIsAnError) {
  struct Case {
    const char* text;
    std::vector<std::string> expected;
  };
  const Case cases[] = {
      // padding on the continuation: it would read as an unknown key
      {"[ECert1]\nEscrowedKey=QUJDREVGR0hJ\nSktMTU5PUA==\nRevoked=0\n", {"wrapped-value@2"}},
      // no padding: it would read as a malformed line
      {"[ECert1]\nEscrowedKey=QUJDREVGR0hJ\nSktMTU5P\nUFFS\n", {"wrapped-value@2"}},
      // a blank line between does not end the value
      {"[SCert1]\nCertificate=QUJD\n\nREVG\n", {"wrapped-value@2"}},
      // the value itself empty: the editor broke the line right after '='
      {"[SCert1]\nCertificate=\nQUJDREVG\n", {"wrapped-value@2"}},
      // in [Client] too, and with CR LF line ends
      {"[Client]\r\nEscrowedKey=QUJD\r\nREVGRw==\r\n", {"wrapped-value@2"}},
      // the next line is a key of the dialect with an empty value: no continuation
      {"[ECert1]\nEscrowedKey=QUJD\nRevoked=\n", {}},
      // the next line is an ordinary key or a comment: no continuation
      {"[ECert1]\nEscrowedKey=QUJD\nSerial=0A\n;QUJD\nQUJD\n", {"malformed-line@5"}},
      // a base64-looking line after another key is no continuation
      {"[Client]\nAlias=x\nQUJD==\n", {}},
  };
  for (const auto& c : cases) {
    Issues issues;
    parse(c.text, issues);
    EXPECT_EQ(codes(issues), c.expected) << ::testing::PrintToString(std::string(c.text));
  }
}

TEST(WrappedValue, TheContinuationIsNeitherAKeyNorQuotedAndIsKeptAsASecret) {
  Issues issues;
  const std::string text = "[ECert1]\nEscrowedKey=QUJDREVGR0hJ\nSktMTU5PUFFSU1RVVldYWVo=\n";
  const ParsedProfile p = parse(text, issues);
  ASSERT_EQ(p.sections.size(), 1u);
  EXPECT_EQ(p.sections[0].entries.size(), 1u);  // EscrowedKey only
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].message.find("SktMTU5P"), std::string::npos) << issues[0].message;
  EXPECT_NE(std::find(p.secrets.begin(), p.secrets.end(), "SktMTU5PUFFSU1RVVldYWVo="), p.secrets.end());
  EXPECT_NE(std::find(p.secrets.begin(), p.secrets.end(), "QUJDREVGR0hJ"), p.secrets.end());
}

TEST(ConsoleBoundary, OnlyConsoleWritesToTheTerminal) {
  // Every human output goes through migrate/console.h (KMS_SAY), which escapes store text,
  // and console.cpp (emit), which checks each write.
  const std::regex direct(R"((std::)?(f?printf|f?puts|fwrite|putchar|cout|cerr|clog)\b|::write\()");
  for (std::filesystem::directory_iterator it(std::filesystem::path(KMS_SOURCE_DIR) / "migrate"), end; it != end;
       ++it) {
    const auto file = it->path().filename();
    if (file == "console.h" || file == "console.cpp" || file == "console_format.h" || it->path().extension() == ".txt")
      continue;
    const std::string text = test::read_file(it->path());
    std::smatch m;
    EXPECT_FALSE(std::regex_search(text, m, direct)) << it->path() << " writes to a stream itself: " << m.str();
  }
}

}  // namespace
}  // namespace kms::core
