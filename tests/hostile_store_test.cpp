// A store made by someone who wants the tool to leak, lie or misbehave: wrapped
// base64 values, secrets behind lost line ends and in key names, control
// characters and C1 in every kind of text, spreadsheet formulas. Every command
// and every report format runs on it (docs/commands.md, guarantees 7-8).
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <set>

#include "base64.h"
#include "sqlite_handle.h"
#include "test_util.h"
#include "upgrade.h"

namespace fs = std::filesystem;

namespace kms::test {
namespace {

ProcessResult kms(const std::vector<std::string>& args) { return run_process(KMS_MIGRATE_BIN, args); }

/// Deterministic bytes standing for an encrypted key, as base64 (ends in "==" for 199 bytes).
std::string key_blob(int seed, std::size_t n = 199) {
  core::Bytes b(n);
  std::uint32_t x = 2463534242u + static_cast<std::uint32_t>(seed) * 7919u;
  for (auto& c : b) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<std::uint8_t>(x);
  }
  return core::base64_encode(b);
}

struct Planted {
  std::vector<std::string> tokens;  ///< whole values
  std::vector<std::string> keys;    ///< base64 texts: no 12-character piece may appear
};

std::string client(const std::string& dn, const std::string& state, const std::string& extra = "") {
  return "[Client]\r\nMailboxDN=" + dn + "\r\nState=" + state + "\r\n" + extra;
}

/// An active record with one signing and one encryption certificate; `ecert_tail` ends [ECert1].
std::string active(const std::string& dn, const std::string& token, const std::string& serial_s,
                   const std::string& serial_e, const std::string& ecert_tail) {
  return client(dn, "2", "NumSCerts=1\r\nNumECerts=1\r\nToken=" + token + "\r\n") + "[SCert1]\r\nSerial=" + serial_s +
         "\r\nCertificate=" + test_cert(serial_s) + "\r\n[ECert1]\r\nSerial=" + serial_e +
         "\r\nCertificate=" + test_cert(serial_e) + "\r\n" + ecert_tail;
}

/// Splits base64 into lines of `width` characters (fold -w).
std::string folded(const std::string& text, std::size_t width) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); i += width) out += text.substr(i, width) + "\r\n";
  return out;
}

class HostileStore : public ::testing::Test {
 protected:
  TempDir tmp;
  fs::path security = tmp / "Security";
  fs::path clients = security / "Mgrent" / "Clients";
  Planted planted;

  void put(const std::string& name, const std::string& bytes) { write_file(clients / name, bytes); }

  void SetUp() override {
    fs::create_directories(clients);
    for (int i = 1; i <= 10; ++i) planted.keys.push_back(key_blob(i));
    planted.tokens = {"SECRET123456", "SECRET654321", "SECRETABCDEF", "TOKENGOOD001", "TOKENWRAP001", "TOKENWRAP002",
                      "TOKENWRAP003", "TOKENWRAP004", "TOKENMERG004", "TOKENMERG005", "TOKENBLOB001", "TOKENBLOB002",
                      "TOKENBLOB003", "TOKENCTRL001", "SECRETDN0006", "SECRETDN0007", "SECRETDN0008"};
    plant_wrapped_values();
    plant_lost_line_ends();
    plant_control_characters_and_formulas();
    put("Mgood00000001.ini",
        active("/o=H/cn=Good", "TOKENGOOD001", "0D01", "0D02", "EscrowedKey=" + planted.keys[9] + "\r\n"));
  }

  /// The key blob of planted key `n` (1-based, as the files below are numbered).
  const std::string& k(int n) const { return planted.keys[static_cast<std::size_t>(n - 1)]; }

  void plant_wrapped_values() {
    const std::string &k1 = k(1), &k2 = k(2), &k3 = k(3), &k4 = k(4);
    // Wrapped values: fold -w as an editor would (the first line holds "EscrowedKey=" too).
    put("Mwrapkey00001.ini",
        active("/o=H/cn=WrapKey1", "TOKENWRAP001", "0A01", "0A02", "") + folded("EscrowedKey=" + k1, 100));
    put("Mwrapkey00002.ini", active("/o=H/cn=WrapKey2", "TOKENWRAP002", "0A03", "0A04", "") +
                                 "EscrowedKey=" + k2.substr(0, 64) + "\r\n\r\n" + folded(k2.substr(64), 64));
    const std::string cert_s = test_cert("0A05"), cert_e = test_cert("0A06");
    put("Mwrapcert0001.ini", client("/o=H/cn=WrapCert1", "2", "NumSCerts=1\r\nNumECerts=1\r\nToken=TOKENWRAP003\r\n") +
                                 "[SCert1]\r\nSerial=0A05\r\n" + folded("Certificate=" + cert_s, 76) +
                                 "[ECert1]\r\nSerial=0A06\r\nCertificate=" + cert_e + "\r\nEscrowedKey=" + k3 + "\r\n");
    // A whole certificate (it parses as DER), then a line that looks like base64: the API
    // reads the unknown key "QUJDRA" = "=", and so does the tool; nothing continues a whole value.
    {
      std::string text = active("/o=H/cn=WrapCert2", "TOKENWRAP004", "0A07", "0A08", "EscrowedKey=" + k4 + "\r\n");
      const std::string ecert = "Certificate=" + test_cert("0A08") + "\r\n";
      text.replace(text.find(ecert), ecert.size(), ecert + "QUJDRA==\r\n");
      put("Mwrapcert0002.ini", text);
    }
  }

  void plant_lost_line_ends() {
    const std::string &k5 = k(5), &k6 = k(6), &k7 = k(7), &k8 = k(8), &k9 = k(9);
    // Lost line ends: the secret sits inside another key's value.
    put("Mmerged000001.ini", "[Client]\r\nMailboxDN=/o=H/cn=Merged1\r\nState=1Token=SECRET123456\r\n");
    put("Mmerged000002.ini", "[Client]\r\nMailboxDN=/o=H/cn=Merged2\r\nState=4\r\nNumSCerts=0Token=SECRET654321\r\n");
    put("Mmerged000003.ini",
        "[Client]\r\nMailboxDN=/o=H/cn=Merged3\r\nState=1\r\nCreated=19980314091255ZToken=SECRETABCDEF\r\n");
    put("Mmerged000004.ini",
        active("/o=H/cn=Merged4", "TOKENMERG004", "0B01", "0B02", "Revoked=0EscrowedKey=" + k5 + "\r\n"));
    put("Mmerged000005.ini", client("/o=H/cn=Merged5", "2", "NumSCerts=1\r\nNumECerts=1\r\nToken=TOKENMERG005\r\n") +
                                 "[SCert1]\r\nSerial=0B03\r\nCertificate=" + test_cert("0B03") +
                                 "\r\n[ECert1]\r\nCertificate=" + test_cert("0B04") +
                                 "\r\nSerial=0B04EscrowedKey=" + k6 + "\r\n");
    put("Mmerged000006.ini",
        "[Client]\r\nMailboxDN=/o=H/cn=Merged6Token=SECRETDN0006\r\nState=1\r\n"
        "DisplayName=JaneToken=SECRETDN0007\r\nAlias=jane6EscrowedKey=SECRETDN0008\r\n");
    // Key blobs where a key name should be.
    put("Mblobname0001.ini", active("/o=H/cn=Blob1", "TOKENBLOB001", "0C01", "0C02", "EscrowedKey " + k7 + "\r\n"));
    put("Mblobname0002.ini", active("/o=H/cn=Blob2", "TOKENBLOB002", "0C03", "0C04", "EscrowedKey:" + k8 + "\r\n"));
    put("Mblobname0003.ini", client("/o=H/cn=Blob3", "1", "Token=TOKENBLOB003\r\nAlias=blob3\r\n" + k9 + "\r\n"));
  }

  void plant_control_characters_and_formulas() {
    // Control characters and C1 in names, values, sections, keys, file names.
    put("Mcontrol00001.ini", client("/o=H/cn=\x1b[2J\x1b]0;pwned\x07"
                                    "Evil\x08\x08\x08\r",
                                    "1",
                                    "Alias=a\xc2\x9b"
                                    "31mb\r\nDisplayName=\x1b[8mhidden\x7f\r\nToken=TOKENCTRL001\r\n"
                                    "[Odd\x1b[1mSection]\r\nKey\x1b[5m\xc2\x9d=v\r\n"));
    put("Mcontrol00002.ini", client("/o=H/cn=cp1252\x9d"
                                    "0;title\x07",
                                    "1", "DisplayName=x\x9dy\r\n"));
    put("Mcontrol00003.ini", client("/o=H/cn=Ctl3", "4\x1b[31m"));
    put("\x1b]0;pwned\x07.ini", "not a record");
    put("bell\x07\x08.txt", "x");
    put("c1\xc2\x9b"
        "31m.ini",
        "x");
    // Cells a spreadsheet would evaluate.
    put("Mformula00001.ini", client("=HYPERLINK(\"http://evil.example/\",\"click\")", "1"));
    put("Mformula00002.ini", client("+cmd|' /C calc'!A0", "1"));
    put("Mformula00003.ini", client("-2+3", "1"));
    put("Mformula00004.ini", client("@SUM(1+1)", "1"));
    put("=1+2;cmd.txt", "x");
    put("+1.txt", "x");
    put("-1.txt", "x");
    put("@x.txt", "x");
  }

  /// Planted secrets found in `text`: whole tokens, and 12-character pieces of keys.
  std::vector<std::string> leaks(const std::string& text) const {
    std::vector<std::string> found;
    for (const auto& t : planted.tokens) {
      if (text.find(t) != std::string::npos) found.push_back("token " + t);
    }
    for (const auto& k : planted.keys) {
      for (std::size_t i = 0; i + 12 <= k.size(); ++i) {
        if (text.find(k.substr(i, 12)) != std::string::npos) {
          found.push_back("piece of a key: " + k.substr(i, 12));
          break;
        }
      }
    }
    return found;
  }
};

/// Raw control bytes, DEL and C1 sequences in output (newline is the tool's own, and CR LF a CSV row's end).
std::vector<std::string> raw_controls(const std::string& out, bool crlf_rows = false) {
  std::vector<std::string> found;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const auto c = static_cast<unsigned char>(out[i]);
    if (crlf_rows && c == '\r' && i + 1 < out.size() && out[i + 1] == '\n') continue;
    const bool c1 = c == 0xC2 && i + 1 < out.size() && static_cast<unsigned char>(out[i + 1]) >= 0x80 &&
                    static_cast<unsigned char>(out[i + 1]) <= 0x9F;
    if ((c < 0x20 && c != '\n') || c == 0x7F || c1) {
      found.push_back("byte " + std::to_string(c) + " at " + std::to_string(i) +
                      " in: " + ::testing::PrintToString(out.substr(i >= 40 ? i - 40 : 0, 80)));
    }
  }
  return found;
}

/// The cells of a CSV text (RFC 4180 quoting).
std::vector<std::string> csv_cells(const std::string& csv) {
  std::vector<std::string> cells;
  std::string cell;
  bool quoted = false, at_start = true;
  for (std::size_t i = 0; i < csv.size(); ++i) {
    const char c = csv[i];
    if (quoted) {
      if (c == '"' && i + 1 < csv.size() && csv[i + 1] == '"') {
        cell.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cell.push_back(c);
      }
    } else if (c == '"' && at_start) {
      quoted = true;
      at_start = false;
    } else if (c == ',' || c == '\n') {
      cells.push_back(cell);
      cell.clear();
      at_start = true;
    } else if (c == '\r' && i + 1 < csv.size() && csv[i + 1] == '\n') {
      continue;  // the row's own line end
    } else {
      cell.push_back(c);
      at_start = false;
    }
  }
  return cells;
}

std::int64_t count_rows(const fs::path& db, const std::string& sql) {
  core::Db d(db.string(), core::OpenMode::ReadOnly);
  core::Stmt s(d, sql.c_str());
  return s.step() ? s.integer(0) : -1;
}

std::string dump_text_columns(const fs::path& db) {
  core::Db d(db.string(), core::OpenMode::ReadOnly);
  std::string out;
  // The report's messages (the database holds the tokens and keys themselves, and each field as the KMS read it).
  for (const char* sql :
       {"SELECT path || ' ' || issues FROM migration_report", "SELECT key || '=' || value FROM migration_meta"}) {
    core::Stmt s(d, sql);
    while (s.step()) out += s.text(0) + "\n";
  }
  return out;
}

mode_t mode_of(const fs::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0;
}

struct UmaskScope {
  mode_t old;
  explicit UmaskScope(mode_t m) : old(::umask(m)) {}
  ~UmaskScope() { ::umask(old); }
};

TEST_F(HostileStore, NoSecretNoControlByteNoFormulaInAnyOutput) {
  UmaskScope umask(022);
  const fs::path db = tmp / "out" / "kms55.db", keep = tmp / "out" / "kept.db";
  fs::create_directories(tmp / "out");
  std::string terminal, reports;
  const auto run = [&](const std::vector<std::string>& args, int expected) {
    const auto r = kms(args);
    EXPECT_EQ(r.exit_code, expected) << ::testing::PrintToString(args) << "\n" << r.out;
    terminal += r.out;
  };
  const std::string src = security.string();
  run({"scan", "--source", src}, 0);
  run({"scan", "--source", src, "--json"}, 0);
  for (const std::string q : {"/o=H/cn=\x1b[2J\x1b]0;pwned\x07"
                              "Evil\x08\x08\x08",
                              "a\xc2\x9b"
                              "31mb",
                              "/o=H/cn=Merged4", "/o=H/cn=Blob3", "/o=H/cn=Good", "/o=H/cn=Merged6Token=SECRETDN0006",
                              "\x1b]2;nothing\x07"}) {
    const int expected = q == "\x1b]2;nothing\x07" ? 1 : 0;
    run({"scan", "--source", src, "--mailbox", q}, expected);
    run({"scan", "--source", src, "--mailbox", q, "--json"}, expected);
  }
  for (const char* ext : {".jsonl", ".csv"}) {
    const fs::path rr = tmp / "out" / (std::string("rehearse") + ext);
    const fs::path ur = tmp / "out" / (std::string("upgrade") + ext);
    const fs::path vr = tmp / "out" / (std::string("verify") + ext);
    run({"rehearse", "--source", src, "--report", rr.string()}, 1);
    run({"upgrade", "--source", src, "--target", db.string(), "--report", ur.string(), "--allow-rejected", "--yes",
         "--force"},
        0);
    run({"verify", "--source", src, "--target", db.string(), "--report", vr.string()}, 0);
    for (const auto& p : {rr, ur, vr}) {
      const std::string text = read_file(p);
      reports += text;
      if (std::string(ext) == ".csv") {
        for (const auto& cell : csv_cells(text)) {
          ASSERT_FALSE(!cell.empty() && std::string("=+-@\t\r").find(cell[0]) != std::string::npos)
              << p << ": a cell a spreadsheet would evaluate: " << ::testing::PrintToString(cell);
        }
        EXPECT_EQ(raw_controls(text, true), std::vector<std::string>{}) << p;
      } else {
        for (const auto& j : read_jsonl(p)) EXPECT_TRUE(j.is_object());  // exact JSON
        EXPECT_EQ(raw_controls(text), std::vector<std::string>{}) << p;
      }
    }
  }
  run({"rehearse", "--source", src, "--keep-db", keep.string()}, 1);
  EXPECT_EQ(raw_controls(terminal), std::vector<std::string>{});
  EXPECT_EQ(leaks(terminal), std::vector<std::string>{}) << terminal;
  EXPECT_EQ(leaks(reports), std::vector<std::string>{});
  EXPECT_EQ(leaks(dump_text_columns(db)), std::vector<std::string>{});
  EXPECT_EQ(leaks(dump_text_columns(keep)), std::vector<std::string>{});
  // Owner-only databases whatever the umask.
  EXPECT_EQ(mode_of(db), 0600u);
  EXPECT_EQ(mode_of(keep), 0600u);
}

TEST_F(HostileStore, WrappedValuesAreRejectedNeverMigratedShort) {
  const fs::path db = tmp / "kms55.db", report = tmp / "r.jsonl";
  const auto r = kms({"upgrade", "--source", security.string(), "--target", db.string(), "--report", report.string(),
                      "--allow-rejected", "--yes"});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  std::map<std::string, nlohmann::json> by_path;
  for (const auto& j : read_jsonl(report)) {
    if (j["type"] == "record") by_path[j["path"].get<std::string>()] = j;
  }
  // Both line numbers: the key's line, and where its value goes on.
  const std::map<std::string, std::string> wrapped = {
      {"Mwrapkey00001.ini", "EscrowedKey value of line 13 continues on lines 14-15"},
      {"Mwrapkey00002.ini", "EscrowedKey value of line 13 continues on lines 15-18"},  // a blank line between
      {"Mwrapcert0001.ini", "Certificate value of line 9 continues on lines 10-13"}};
  for (const auto& [path, says] : wrapped) {
    const auto& j = by_path.at(path);
    EXPECT_EQ(j["outcome"], "rejected") << j.dump();
    bool found = false;
    for (const auto& i : j["issues"]) {
      if (i["code"] != "wrapped-value") continue;
      found = true;
      EXPECT_EQ(i["severity"], "error");
      EXPECT_NE(i["message"].get<std::string>().find(says), std::string::npos) << path << ": " << i.dump();
    }
    EXPECT_TRUE(found) << path << ": " << j.dump();
    const std::string id = path.substr(0, 13);
    std::string lower;
    for (char c : id) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    EXPECT_EQ(count_rows(db, "SELECT count(*) FROM escrowed_keys WHERE record_id = '" + lower + "'"), 0) << path;
    EXPECT_EQ(count_rows(db, "SELECT count(*) FROM clients WHERE record_id = '" + lower + "'"), 0) << path;
    EXPECT_EQ(count_rows(db, "SELECT count(*) FROM legacy_files WHERE path = '" + path + "' AND raw IS NOT NULL"), 1);
  }
  EXPECT_EQ(by_path.at("Mgood00000001.ini")["outcome"], "migrated");
  EXPECT_EQ(count_rows(db, "SELECT count(*) FROM escrowed_keys WHERE record_id = 'mgood00000001'"), 1);
  const auto& whole = by_path.at("Mwrapcert0002.ini");
  EXPECT_EQ(whole["outcome"], "migrated") << whole.dump();
  ASSERT_EQ(whole["issues"].size(), 1u) << whole.dump();
  EXPECT_EQ(whole["issues"][0]["code"], "unknown-key") << whole.dump();
}

TEST_F(HostileStore, ScratchIsOwnerOnlyAndStaleScratchOfDeadRunsIsRemoved) {
  UmaskScope umask(022);
  const fs::path tmpdir = tmp / "tmpdir";
  fs::create_directories(tmpdir);
  // A folder of a run that is gone (pid 0x7ffffffe cannot exist) and one of a living process (this test).
  const fs::path stale = tmpdir / "kms-migrate-rehearsal-2147483646-abcdef";
  const fs::path alive = tmpdir / ("kms-migrate-rehearsal-" + std::to_string(::getpid()) + "-ghijkl");
  const fs::path foreign = tmpdir / "other-folder";
  for (const auto& d : {stale, alive, foreign}) {
    fs::create_directories(d);
    write_file(d / "rehearsal.db", "tokens in clear text");
  }
  ASSERT_EQ(::setenv("TMPDIR", tmpdir.c_str(), 1), 0);
  const auto r = kms({"rehearse", "--source", security.string()});
  ::unsetenv("TMPDIR");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_FALSE(fs::exists(stale)) << r.out;
  EXPECT_NE(r.out.find("removed the scratch folder left by an earlier rehearsal"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(alive));
  EXPECT_TRUE(fs::exists(foreign));
  // During the run: the scratch database 0600 in a 0700 folder.
  core::UpgradeOptions o;
  o.mode = core::RunMode::Rehearse;
  o.source = security;
  o.allow_rejected = core::AllowRejected::Yes;
  o.workers.jobs = 1;
  core::UpgradeHooks h;
  mode_t db_mode = 0, folder_mode = 0;
  h.after_write = [&](core::Db& d) {
    const fs::path file = sqlite3_db_filename(d.get(), "main");
    db_mode = mode_of(file);
    folder_mode = mode_of(file.parent_path());
  };
  ::setenv("TMPDIR", tmpdir.c_str(), 1);
  core::run_upgrade(o, h);
  ::unsetenv("TMPDIR");
  EXPECT_EQ(db_mode, 0600u);
  EXPECT_EQ(folder_mode, 0700u);
}

}  // namespace
}  // namespace kms::test
