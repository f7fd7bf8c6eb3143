// docs/legacy-store.md sections 4 and 5, on records held in memory.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cert_factory.h"
#include "cross_checks.h"
#include "file_analysis.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace kms::core {
namespace {

using test::test_cert;

const std::time_t kNow = 1'800'000'000;  // 2027-01-15

std::string codes(const Issues& issues) {
  std::string out;
  for (const auto& i : issues) out += (out.empty() ? "" : ",") + i.code;
  return out;
}

AnalyzedFile analyze(const std::string& text) {
  return analyze_record_bytes("Mtest00000001.ini", "mtest00000001", text, kNow);
}

std::string enrolled(int state, const std::string& extra_client = "", const std::string& tail = "") {
  return "[Client]\r\nMailboxDN=/o=Contoso/cn=JaneD\r\nState=" + std::to_string(state) +
         "\r\nNumSCerts=1\r\nNumECerts=1\r\nToken=SECRETTOKEN1\r\n" + extra_client +
         "[SCert1]\r\nSerial=0a1\r\nCertificate=" + test_cert("A1") +
         "\r\n[ECert1]\r\nSerial=A2\r\nCertificate=" + test_cert("A2") +
         "\r\nRevoked=1\r\nRevokedOn=19990101120000Z\r\nEscrowedKey=c2VjcmV0LWtleS1ieXRlcw==\r\n" + tail;
}

TEST(RecordRules, ActiveRecordBecomesAFullClient) {
  const AnalyzedFile a = analyze(enrolled(2, "DisplayName=Jane Doe\r\nCreated=19980314091255Z\r\n"));
  ASSERT_TRUE(a.record) << codes(a.summary.issues);
  EXPECT_EQ(a.summary.outcome, RecordOutcome::Migrated);
  const ClientRecord& r = *a.record;
  EXPECT_EQ(r.state, ClientState::Active);
  EXPECT_EQ(r.legacy_state, 2);
  EXPECT_EQ(r.display_name, std::optional<std::string>("Jane Doe"));
  EXPECT_FALSE(r.alias);
  EXPECT_EQ(r.created_at, std::optional<std::string>("1998-03-14T09:12:55Z"));
  ASSERT_EQ(r.certificates.size(), 2u);
  EXPECT_EQ(r.certificates[0].kind, CertKind::Signing);
  EXPECT_EQ(r.certificates[0].serial, "A1");
  EXPECT_FALSE(r.certificates[0].revoked);
  EXPECT_EQ(r.certificates[1].kind, CertKind::Encryption);
  EXPECT_TRUE(r.certificates[1].revoked);
  EXPECT_EQ(r.certificates[1].revoked_at, std::optional<std::string>("1999-01-01T12:00:00Z"));
  ASSERT_EQ(r.keys.size(), 1u);
  EXPECT_EQ(std::string(r.keys[0].key_blob.begin(), r.keys[0].key_blob.end()), "secret-key-bytes");
}

TEST(RecordRules, BrokenRecoveryWithNumSCertsMissingBecomesNew) {
  const AnalyzedFile a = analyze("[Client]\r\nMailboxDN=/o=C/cn=J\r\nState=4\r\n");
  ASSERT_TRUE(a.record);
  EXPECT_EQ(a.summary.outcome, RecordOutcome::Normalized);
  EXPECT_EQ(a.record->state, ClientState::New);
  EXPECT_EQ(a.record->legacy_state, 4);
  ASSERT_EQ(codes(a.summary.issues), "recovery-never-enrolled");
  EXPECT_EQ(a.summary.issues[0].message, "State 4 (Recovery) with NumSCerts missing: never enrolled; set to New");
  EXPECT_EQ(a.summary.issues[0].line, 3);
}

TEST(RecordRules, BrokenRecoveryWithNumSCertsZeroBecomesNew) {
  const AnalyzedFile a = analyze("[Client]\r\nMailboxDN=/o=C/cn=J\r\nNumSCerts=0\r\nState=4\r\n");
  ASSERT_TRUE(a.record);
  EXPECT_EQ(a.record->state, ClientState::New);
  EXPECT_EQ(a.summary.issues.at(0).message, "State 4 (Recovery) with NumSCerts=0: never enrolled; set to New");
}

TEST(RecordRules, RecoveryWithSigningCertificateStaysRecovery) {
  const AnalyzedFile a = analyze(enrolled(4));
  ASSERT_TRUE(a.record) << codes(a.summary.issues);
  EXPECT_EQ(a.summary.outcome, RecordOutcome::Migrated);
  EXPECT_EQ(a.record->state, ClientState::Recovery);
}

TEST(RecordRules, RecoveryWithoutCountButWithSCertIsAmbiguous) {
  std::string text = enrolled(4);
  text.replace(text.find("NumSCerts=1\r\n"), 13, "");
  const AnalyzedFile a = analyze(text);
  EXPECT_FALSE(a.record);
  EXPECT_EQ(codes(a.summary.issues), "ambiguous-recovery");
}

TEST(RecordRules, EveryErrorOfARecordIsReported) {
  const AnalyzedFile a = analyze("[Client]\r\nState=9\r\nNumSCerts=-1\r\nNumECerts=2\r\n[ECert1]\r\nSerial=1\r\n");
  EXPECT_EQ(a.summary.outcome, RecordOutcome::Rejected);
  EXPECT_EQ(codes(a.summary.issues), "missing-key,bad-value,bad-value,count-mismatch,missing-key,missing-key");
}

TEST(RecordRules, CountMismatchNamesMissingAndExtraSections) {
  std::string text = enrolled(2);
  text.replace(text.find("NumECerts=1"), 11, "NumECerts=3");
  text += "[SCert2]\r\nSerial=B1\r\nCertificate=" + test_cert("B1") + "\r\n";
  const AnalyzedFile a = analyze(text);
  ASSERT_EQ(codes(a.summary.issues), "count-mismatch,count-mismatch");
  EXPECT_EQ(a.summary.issues[0].message, "NumSCerts=1 but [SCert2] beyond the count");
  EXPECT_EQ(a.summary.issues[1].message, "NumECerts=3 but [ECert2], [ECert3] missing");
}

TEST(RecordRules, ActiveNeedsBothKindsOfCertificate) {
  const AnalyzedFile a = analyze("[Client]\r\nMailboxDN=/o=C/cn=J\r\nState=2\r\n");
  EXPECT_EQ(codes(a.summary.issues), "inconsistent-state");
}

TEST(RecordRules, SerialMustMatchTheCertificate) {
  std::string text = enrolled(2);
  text.replace(text.find("Serial=0a1"), 10, "Serial=0a9");
  const AnalyzedFile a = analyze(text);
  EXPECT_EQ(codes(a.summary.issues), "serial-mismatch");
  EXPECT_EQ(a.summary.issues[0].message, "Serial in [SCert1] is \"0a9\" but the certificate's serial is A1");
}

TEST(RecordRules, WarningsKeepTheRecordAndTheRawText) {
  const AnalyzedFile a = analyze(enrolled(2, "Modified=yesterday\r\nCostCenter=42\r\n", "[Custom]\r\nX=1\r\n"));
  ASSERT_TRUE(a.record) << codes(a.summary.issues);
  EXPECT_EQ(codes(a.summary.issues), "bad-timestamp,unknown-key,unknown-key");
  EXPECT_FALSE(a.record->modified_at);
  ASSERT_EQ(a.record->extras.size(), 3u);
  EXPECT_EQ(a.record->extras[0].key, "Modified");
  EXPECT_EQ(a.record->extras[0].value, "yesterday");
  EXPECT_EQ(a.record->extras[2].section, "Custom");
}

TEST(RecordRules, RevokedWithoutDateWarns) {
  std::string text = enrolled(2);
  text.replace(text.find("RevokedOn=19990101120000Z\r\n"), 27, "");
  const AnalyzedFile a = analyze(text);
  ASSERT_TRUE(a.record);
  EXPECT_EQ(codes(a.summary.issues), "revoked-without-date");
  EXPECT_FALSE(a.record->certificates[1].revoked_at);
}

TEST(RecordRules, SecretsNeverAppearInMessages) {
  // Bad values everywhere a secret could leak: unknown keys, bad blobs, cut lines.
  const std::string text = enrolled(2, "Token2=SECRETTOKEN1\r\n") + "EscrowedKeyX=SECRETTOKEN1\r\nSECRETTOKEN1\r\n";
  std::string bad_blob = text;
  bad_blob.replace(bad_blob.find("c2VjcmV0LWtleS1ieXRlcw=="), 24, "SECRETTOKEN1*");
  for (const std::string& t : {text, bad_blob}) {
    const AnalyzedFile a = analyze(t);
    ASSERT_FALSE(a.summary.issues.empty());
    for (const auto& i : a.summary.issues) {
      EXPECT_EQ(i.message.find("SECRETTOKEN1"), std::string::npos) << i.code << ": " << i.message;
      EXPECT_EQ(i.message.find("c2VjcmV0"), std::string::npos) << i.code << ": " << i.message;
    }
  }
}

TEST(RecordRules, EmptyAndCommentOnlyFilesAreEmpty) {
  EXPECT_EQ(codes(analyze("").summary.issues), "empty-file");
  EXPECT_EQ(codes(analyze("; only a comment\r\n\r\n").summary.issues), "empty-file");
}

TEST(RecordRules, ExpiredCertificateIsAnInfoNote) {
  std::string text = enrolled(2);
  fixtures::CertSpec spec;
  spec.serial_hex = "A1";
  spec.common_name = "Test User";
  spec.not_after = "20010101000000Z";
  const std::string old = fixtures::base64(fixtures::make_certificate(spec));
  text.replace(text.find(test_cert("A1")), test_cert("A1").size(), old);
  const AnalyzedFile a = analyze(text);
  ASSERT_TRUE(a.record);
  ASSERT_EQ(codes(a.summary.issues), "certificate-expired");
  EXPECT_EQ(a.summary.issues[0].severity, Severity::Info);
}

}  // namespace
}  // namespace kms::core

namespace kms::core {
namespace {

TEST(RecordRules, HugeCountIsReportedNotEnumerated) {
  const AnalyzedFile a = analyze("[Client]\r\nMailboxDN=/o=C/cn=J\r\nState=1\r\nNumECerts=888888889\r\n");
  ASSERT_EQ(codes(a.summary.issues), "count-mismatch");
  EXPECT_EQ(a.summary.issues[0].message,
            "NumECerts=888888889 but [ECert1], [ECert2], [ECert3], [ECert4], [ECert5] and 888888884 more missing");
}

// Every input the fuzzer once found troublesome (fixtures/fuzz-regressions) is handled, quickly.
TEST(FuzzRegressions, EveryArtifactIsHandled) {
  const fs::path dir = fs::path(KMS_FIXTURES_DIR) / "fuzz-regressions";
  int n = 0;
  for (fs::directory_iterator it(dir), end; it != end; ++it, ++n) {
    SCOPED_TRACE(it->path().string());
    const AnalyzedFile a = analyze(test::read_file(it->path()));
    EXPECT_EQ(has_error(a.summary.issues), !a.record.has_value());
    for (const Issue& i : a.summary.issues) {  // the fuzzer's invariant: every message is valid UTF-8
      EXPECT_NO_THROW((void)nlohmann::json(i.message).dump()) << i.code << ": " << ::testing::PrintToString(i.message);
    }
  }
  EXPECT_GT(n, 0);
}

}  // namespace
}  // namespace kms::core

namespace kms::core {
namespace {

TEST(CrossFileRules, MessagesNameAFewOthersAndCountTheRest) {
  std::vector<FileSummary> files(6);
  for (std::size_t i = 0; i < files.size(); ++i) {
    files[i].path = "M00000000000" + std::to_string(i) + ".ini";
    files[i].record_id = "m00000000000" + std::to_string(i);
    files[i].mailbox_dn = MailboxField::of(i % 2 ? "/o=X/cn=Same" : "/O=X/CN=SAME");  // one DN, in any case
    files[i].outcome = RecordOutcome::Migrated;
  }
  apply_cross_file_rules(files);
  for (const auto& f : files) {
    ASSERT_EQ(f.issues.size(), 1u) << f.path;
    EXPECT_EQ(f.outcome, RecordOutcome::Rejected);
    EXPECT_EQ(f.issues[0].code, "duplicate-mailbox");
    EXPECT_NE(f.issues[0].message.find(" and 2 more (6 files in all"), std::string::npos) << f.issues[0].message;
  }
  EXPECT_EQ(files[0].issues[0].message.find("M000000000000.ini"), std::string::npos);  // never itself
  EXPECT_NE(files[0].issues[0].message.find("M000000000001.ini, M000000000002.ini, M000000000003.ini and"),
            std::string::npos)
      << files[0].issues[0].message;
}

}  // namespace
}  // namespace kms::core
