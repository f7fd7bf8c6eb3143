// The property behind issue 25: whatever character a damaged file puts between
// the name of a secret and the secret, in whatever key or shown field, no
// output shows the secret or a piece of 8 characters of it. A store is built
// with a random 12-character token (letters only, digits only, or both) or a
// random key blob after each of the 95 printable ASCII characters and the
// blanks (tab, Ctrl-Z, a no-break space in UTF-8 and in cp1252) in every key;
// then every command runs on it with every report format, and every byte of
// every output is searched (docs/reports.md, the message rule).
#include <gtest/gtest.h>

#include <array>
#include <nlohmann/json.hpp>
#include <random>
#include <unordered_map>

#include "base64.h"
#include "sqlite_handle.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace kms::test {
namespace {

ProcessResult kms(const std::vector<std::string>& args) { return run_process(KMS_MIGRATE_BIN, args); }

/// What comes between a secret's name and the secret.
std::vector<std::string> separators() {
  std::vector<std::string> s = {"\t", "\x1a", "\xc2\xa0", "\xa0"};
  for (char c = 0x20; c < 0x7f; ++c) s.emplace_back(1, c);
  return s;
}

/// A key of the record: its section, its name, and the value it has when whole.
struct Key {
  std::string section, name, value;
};

enum class Planting { NamedToken, NamedBlob, BareToken, BareBlob };

class SecretShapes : public ::testing::Test {
 protected:
  TempDir tmp;
  std::mt19937 rng{25};
  std::string cert_s = test_cert("5C"), cert_e = test_cert("EC");
  /// Every secret written, with where it was put (for the failure message).
  std::vector<std::pair<std::string, std::string>> secrets;

  std::string token() {
    static const char* alphabets[] = {"ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789",
                                      "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"};
    const std::string a = alphabets[rng() % 3];
    std::string t;
    for (int i = 0; i < 12; ++i) t.push_back(a[rng() % a.size()]);
    return t;
  }
  std::string blob() {
    core::Bytes b(64);
    for (auto& c : b) c = static_cast<std::uint8_t>(rng());
    return core::base64_encode(b);
  }
  /// 12 lower-case letters: no digit run in a name to meet a digit token by chance.
  static std::string letters(std::size_t n) {
    std::string s(12, 'a');
    for (std::size_t i = 12; i-- > 0 && n > 0; n /= 26) s[i] = static_cast<char>('a' + n % 26);
    return s;
  }

  static std::vector<Key> keys() {
    return {{"Client", "MailboxDN", "/o=P/cn="},
            {"Client", "DisplayName", "Jane Doe"},
            {"Client", "Alias", "probe"},
            {"Client", "State", "2"},
            {"Client", "NumSCerts", "1"},
            {"Client", "NumECerts", "1"},
            {"Client", "Token", ""},
            {"Client", "Created", "19980314091255Z"},
            {"Client", "Modified", "19990101000000Z"},
            {"Client", "CostCenter", "Sales"},
            {"SCert1", "Serial", "5C"},
            {"SCert1", "Certificate", ""},
            {"SCert1", "Revoked", "0"},
            {"SCert1", "RevokedOn", "19990101000000Z"},
            {"ECert1", "Serial", "EC"},
            {"ECert1", "Certificate", ""},
            {"ECert1", "EscrowedKey", ""}};
  }

  /// One record file with one planting in key `at`; its name and bytes.
  std::string record(const std::string& id, std::size_t at, Planting how, const std::string& sep) {
    const std::string own_token = token(), own_key = blob();
    secrets.emplace_back(own_token, id + ": its Token");
    secrets.emplace_back(own_key, id + ": its EscrowedKey");
    std::string text;
    std::string section;
    const auto all = keys();
    for (std::size_t k = 0; k < all.size(); ++k) {
      const Key& key = all[k];
      if (key.section != section) text += "[" + (section = key.section) + "]\r\n";
      std::string value = key.name == "MailboxDN"     ? key.value + id
                          : key.name == "Token"       ? own_token
                          : key.name == "Certificate" ? (section == "SCert1" ? cert_s : cert_e)
                          : key.name == "EscrowedKey" ? own_key
                                                      : key.value;
      std::string line = key.name + "=" + value;
      if (k == at) {
        const bool named = how == Planting::NamedToken || how == Planting::NamedBlob;
        const bool is_token = how == Planting::NamedToken || how == Planting::BareToken;
        const std::string secret = !named ? (is_token ? own_token : own_key) : (is_token ? token() : blob());
        if (named) secrets.emplace_back(secret, id + ": planted in " + key.name);
        const std::string name = is_token ? "Token" : "EscrowedKey";
        if (named && key.name == name) {
          line = name + sep + secret;  // the key's own separator mistyped
        } else {
          line += (named ? name : "") + sep + secret;  // a lost line end, then a mistyped separator
        }
      }
      text += line + "\r\n";
    }
    return text;
  }

  /// Writes one file a planting into `clients`; returns its MailboxDN.
  std::string put(const fs::path& clients, std::size_t n, std::size_t at, Planting how, const std::string& sep) {
    const std::string id = letters(n);
    write_file(clients / ("M" + id + ".ini"), record(id, at, how, sep));
    return "/o=P/cn=" + id;
  }

  void plant_everywhere_and_search(bool named);
  /// Plants the files of plant_everywhere_and_search; returns how many, and
  /// the DNs of the store of aliases (each looked up by scan --mailbox).
  std::size_t plant_everywhere(bool named, std::vector<std::string>& alias_dns);
  /// Runs every command and format over the planted stores; what leaked.
  std::vector<std::string> search_every_output(const std::vector<std::string>& alias_dns);

  /// Each secret's 8-character pieces (a whole one holds them all), once all are planted.
  std::unordered_map<std::uint64_t, std::size_t> index;
  void index_pieces() {
    for (std::size_t i = 0; i < secrets.size(); ++i) {
      const std::string& s = secrets[i].first;
      for (std::size_t k = 0; k + 8 <= s.size(); ++k) index.emplace(window(s, k), i);
    }
  }
  static std::uint64_t window(const std::string& s, std::size_t at) {
    std::uint64_t w = 0;
    for (std::size_t k = 0; k < 8; ++k) w = (w << 8) | static_cast<unsigned char>(s[at + k]);
    return w;
  }
  static bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

  /// Every piece of a secret in `out`, with its place. A window inside a run of
  /// exactly 40 or 64 hex digits (a SHA-1 thumbprint, a SHA-256) is no piece:
  /// 8 digits of a digit token meet one of the many digests by chance. A whole
  /// secret is looked for everywhere.
  std::vector<std::string> leaks(const std::string& what, const std::string& out) const {
    std::vector<std::size_t> run_len(out.size() + 1, 0), run_start(out.size(), 0);
    for (std::size_t i = 0, start = 0; i < out.size(); ++i) {
      if (!is_hex(out[i])) start = i + 1;
      run_start[i] = start;
    }
    for (std::size_t i = out.size(); i-- > 0;) run_len[i] = is_hex(out[i]) ? run_len[i + 1] + 1 : 0;
    std::vector<std::string> found;
    for (std::size_t i = 0; i + 8 <= out.size() && found.size() < 10; ++i) {
      const auto it = index.find(window(out, i));
      if (it == index.end()) continue;
      const auto& [secret, where] = secrets[it->second];
      const bool whole = out.compare(i, secret.size(), secret) == 0;
      const std::size_t run = is_hex(out[i]) ? run_len[run_start[i]] : 0;
      if (!whole && (run == 40 || run == 64) && run_start[i] + run >= i + 8) continue;
      const std::size_t from = i < 60 ? 0 : i - 60;
      found.push_back(what + ": " + (whole ? "the whole secret" : "a piece") + " of " + where + " at byte " +
                      std::to_string(i) + ": " + ::testing::PrintToString(out.substr(from, 140)));
    }
    return found;
  }
};

std::string db_text(const fs::path& db) {
  core::Db d(db.string(), core::OpenMode::ReadOnly);
  std::string out;
  for (const char* sql : {"SELECT path || ' ' || ifnull(record_id, '') || ' ' || ifnull(mailbox_dn, '') || ' ' || "
                          "issues || ' ' || outcome FROM migration_report",
                          "SELECT key || '=' || ifnull(value, '') FROM migration_meta"}) {
    core::Stmt s(d, sql);
    while (s.step()) out += s.text(0) + "\n";
  }
  return out;
}

/// Plants, in every key, each separator before the secret: with the secret's
/// name (`named`) or without it (the file's own Token or key, which only the
/// second line of defence knows); then runs every command and format.
void SecretShapes::plant_everywhere_and_search(bool named) {
  std::vector<std::string> alias_dns;
  const std::size_t n = plant_everywhere(named, alias_dns);
  index_pieces();
  EXPECT_EQ(search_every_output(alias_dns), std::vector<std::string>{}) << n << " files planted";
  EXPECT_GT(n, 2500u);
}

std::size_t SecretShapes::plant_everywhere(bool named, std::vector<std::string>& alias_dns) {
  const fs::path clients = tmp / "Security" / "Mgrent" / "Clients";
  const fs::path alias_clients = tmp / "Aliases" / "Mgrent" / "Clients";
  fs::create_directories(clients);
  fs::create_directories(alias_clients);
  const auto all = keys();
  const auto seps = separators();
  std::size_t n = 0;
  for (std::size_t at = 0; at < all.size(); ++at) {
    const Key& key = all[at];
    for (std::size_t s = 0; s < seps.size(); ++s) {
      if (key.name == "Alias") {
        // Shown only by scan --mailbox, one mailbox a run: a store of their own,
        // the kind of secret taking turns.
        const Planting how = named ? (s % 2 ? Planting::NamedBlob : Planting::NamedToken)
                                   : (s % 2 ? Planting::BareBlob : Planting::BareToken);
        alias_dns.push_back(put(alias_clients, n++, at, how, seps[s]));
        continue;
      }
      if (named) {
        put(clients, n++, at, Planting::NamedToken, seps[s]);
        put(clients, n++, at, Planting::NamedBlob, seps[s]);
      } else if (key.name != "Token" && key.name != "EscrowedKey") {
        put(clients, n++, at, Planting::BareToken, seps[s]);
        put(clients, n++, at, Planting::BareBlob, seps[s]);
      }
    }
  }
  return n;
}

std::vector<std::string> SecretShapes::search_every_output(const std::vector<std::string>& alias_dns) {
  const fs::path security = tmp / "Security", aliases = tmp / "Aliases";
  std::vector<std::string> found;
  const auto run = [&](const std::vector<std::string>& args, int expected) {
    const ProcessResult r = kms(args);
    EXPECT_EQ(r.exit_code, expected) << ::testing::PrintToString(args) << "\n" << r.out.substr(0, 4000);
    const auto l = leaks(::testing::PrintToString(args), r.out);
    found.insert(found.end(), l.begin(), l.end());
  };
  const std::string src = security.string();
  run({"scan", "--source", src, "--all"}, 0);
  run({"scan", "--source", src, "--json"}, 0);
  run({"scan", "--source", src, "--mailbox", "probe"}, 0);
  run({"scan", "--source", src, "--mailbox", "probe", "--json"}, 0);
  for (const auto& dn : alias_dns) {
    run({"scan", "--source", aliases.string(), "--mailbox", dn}, 0);
    run({"scan", "--source", aliases.string(), "--mailbox", dn, "--json"}, 0);
  }
  const fs::path out = tmp / "out", db = out / "kms55.db", kept = out / "kept.db";
  fs::create_directories(out);
  std::vector<std::string> reports;
  const auto with_reports = [&](const std::string& command, std::vector<std::string> args) {
    for (const char* ext : {".jsonl", ".csv", ".html"}) {
      reports.push_back((out / (command + ext)).string());
      args.insert(args.end(), {"--report", reports.back()});
    }
    return args;
  };
  run(with_reports("rehearse", {"rehearse", "--source", src, "--keep-db", kept.string()}), 1);
  run(with_reports("upgrade", {"upgrade", "--source", src, "--target", db.string(), "--allow-rejected", "--yes"}), 0);
  run(with_reports("verify", {"verify", "--source", src, "--target", db.string()}), 0);
  for (const auto& r : reports) {
    const auto l = leaks(r, read_file(r));
    found.insert(found.end(), l.begin(), l.end());
  }
  for (const auto& d : {db, kept}) {
    const auto l = leaks(d.string() + " migration_report and migration_meta", db_text(d));
    found.insert(found.end(), l.begin(), l.end());
  }
  return found;
}

TEST_F(SecretShapes, NoTokenOrKeyOrPieceOfOneInAnyOutputWhateverPrecedesIt) { plant_everywhere_and_search(true); }

// Without the name: the second line of defence takes the file's own Token or
// key, in a shown field and where the message rule lets a value in its key's
// shape through (a digit token after a hex digit in Serial).
TEST_F(SecretShapes, NoOwnTokenOrKeyInAnyOutputWhereverItIsPastedBare) { plant_everywhere_and_search(false); }

// The shapes of the first adversary round: a secret the parser saw anywhere in
// the file (a repeated Token line, a Token in another section or before any,
// an EscrowedKey's base64 tail on a line of its own that the fold rule leaves
// alone, a token with blanks, the Kelvin sign for k) is redacted from every
// view made after the analysis too: scan --mailbox (fields, certificate
// subject, extra key and section names) and verify's field-mismatch names.
TEST_F(SecretShapes, ASecretTheParserSawAnywhereIsRedactedFromEveryLaterView) {
  const fs::path security = tmp / "Security", clients = security / "Mgrent" / "Clients";
  fs::create_directories(clients);
  const std::string t1 = "QWERTYUIOPAS", t2 = "ZXCVBNMLKJHG", t3 = "ASDFGHJKLQWE", t4 = "POIUYTREWQLK",
                    spaced = "QWER TYUI OPAS", kelvin = "MNBVCXZLKJHQ";
  const std::string blob = this->blob(), head = blob.substr(0, 76), tail = "QWERTYuiopAQ==";
  for (const auto& t : {t1, t2, t3, t4, kelvin, head, tail}) secrets.emplace_back(t, "a planted secret");
  const std::string client = "[Client]\r\nMailboxDN=/o=P/cn=";
  const std::string ecert = "[ECert1]\r\nSerial=EC\r\nCertificate=" + cert_e + "\r\n";
  const std::string scert = "[SCert1]\r\nSerial=5C\r\nCertificate=" + cert_s + "\r\n";
  const std::string active = "State=2\r\nNumSCerts=1\r\nNumECerts=1\r\nAlias=probe\r\n";
  // A repeated Token line: the second is ignored, as the profile API ignores it.
  write_file(clients / "Mrepeatedtokn.ini", client + "rep\r\nDisplayName=" + t2 + "\r\nToken=" + t1 + "\r\nToken=" +
                                                t2 + "\r\n" + active + scert + ecert + "EscrowedKey=" + blob + "\r\n");
  // Tokens in another section and before any section; key and section names made of them.
  write_file(clients / "Mothersection.ini", "Token=" + t4 + "\r\n" + client + "oth\r\nDisplayName=" + t3 + " " + t4 +
                                                "\r\n" + t3 + "=1\r\n" + active + scert + "Token=" + t3 + "\r\n" +
                                                ecert + "EscrowedKey=" + blob + "\r\n[" + t4 + "]\r\nx=1\r\n");
  // An EscrowedKey whose last piece is on a line of its own after a line too wide to be a fold.
  write_file(clients / "Mbase64tailxx.ini", client + "tail\r\n" + active + "Token=" + t1 + "\r\n" + scert + ecert +
                                                "EscrowedKey=" + blob + blob + blob + head + "\r\n" + tail + "\r\n");
  // A token with blanks, shown bare in the display name; the Kelvin sign in "Token".
  write_file(clients / "Mspacedtokenx.ini", client + "spaced\r\nDisplayName=" + spaced + "\r\nToken=" + spaced +
                                                "\r\n" + active + scert + ecert + "EscrowedKey=" + blob + "\r\n");
  write_file(clients / "Mkelvinsignxx.ini", client +
                                                "kelvin\r\nDisplayName=JaneTo\xE2\x84\xAA"
                                                "en=" +
                                                kelvin + "\r\nToken=" + t1 + "\r\n" + active + scert + ecert +
                                                "EscrowedKey=" + blob + "\r\n");
  secrets.emplace_back("TYUI OPAS", "the blanked token's end");
  index_pieces();
  std::vector<std::string> found;
  const auto collect = [&](const std::string& what, const std::string& text) {
    const auto l = leaks(what, text);
    found.insert(found.end(), l.begin(), l.end());
  };
  const auto run = [&](const std::vector<std::string>& args, int expected) {
    const ProcessResult r = kms(args);
    EXPECT_EQ(r.exit_code, expected) << ::testing::PrintToString(args) << "\n" << r.out;
    collect(::testing::PrintToString(args), r.out);
  };
  const std::string src = security.string();
  run({"scan", "--source", src, "--all"}, 0);
  run({"scan", "--source", src, "--mailbox", "probe"}, 0);
  run({"scan", "--source", src, "--mailbox", "probe", "--json"}, 0);
  const fs::path db = tmp / "kms55.db", report = tmp / "verify.jsonl";
  run({"upgrade", "--source", src, "--target", db.string(), "--allow-rejected", "--yes"}, 0);
  {
    core::Db d(db.string(), core::OpenMode::ReadWriteCreate);
    d.exec("UPDATE extra_attributes SET value = '9'");
    d.exec("UPDATE clients SET display_name = 'changed'");
  }
  run({"verify", "--source", src, "--target", db.string(), "--report", report.string()}, 1);
  const std::string verify_report = read_file(report);
  collect(report.string(), verify_report);
  EXPECT_NE(verify_report.find("field-mismatch"), std::string::npos) << verify_report;
  collect(db.string(), db_text(db));
  EXPECT_EQ(found, std::vector<std::string>{});
}

// A comment that names a mailbox after "EscrowedKey" makes that file redact
// its own DN; the duplicate-mailbox rule still sees the same DN in both files.
TEST_F(SecretShapes, ADnRedactedInOneFileIsStillTheSameMailboxAsAnother) {
  const fs::path security = tmp / "Security", clients = security / "Mgrent" / "Clients";
  fs::create_directories(clients);
  write_file(clients / "Mjsmithfirstx.ini",
             "; EscrowedKey: /o=Contoso/cn=jsmith\r\n[Client]\r\nMailboxDN=/o=Contoso/cn=jsmith\r\nState=1\r\n");
  write_file(clients / "Mjsmithsecond.ini", "[Client]\r\nMailboxDN=/O=Contoso/CN=JSmith\r\nState=1\r\n");
  const ProcessResult scan = kms({"scan", "--source", security.string()});
  EXPECT_EQ(scan.exit_code, 1) << scan.out;
  EXPECT_NE(scan.out.find("2 record files, all rejected"), std::string::npos) << scan.out;
  EXPECT_NE(scan.out.find("(secret not shown)  [duplicate-mailbox]"), std::string::npos) << scan.out;
  const ProcessResult found = kms({"scan", "--source", security.string(), "--mailbox", "/o=contoso/cn=JSMITH"});
  EXPECT_EQ(found.exit_code, 1) << found.out;  // found, and no record to migrate
  EXPECT_NE(found.out.find(": 2 file(s)"), std::string::npos) << found.out;
  const ProcessResult up =
      kms({"upgrade", "--source", security.string(), "--target", (tmp / "t.db").string(), "--allow-rejected", "--yes"});
  EXPECT_EQ(up.exit_code, 1) << up.out;  // no record to migrate: both rejected, never a UNIQUE failure
  EXPECT_EQ(up.out.find("UNIQUE"), std::string::npos) << up.out;
}

}  // namespace
}  // namespace kms::test
