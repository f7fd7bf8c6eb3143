#include "record_rules.h"

#include <algorithm>
#include <map>

#include "base64.h"
#include "profile_int.h"
#include "safe_text.h"
#include "text_util.h"
#include "timestamp.h"
#include "x509_reader.h"

namespace kms::core {
namespace {

bool is_known(std::string_view key, std::initializer_list<const char*> known) {
  return std::any_of(known.begin(), known.end(), [&](const char* k) { return iequals(key, k); });
}

struct CertSection {
  CertKind kind;
  int seq;
  const ProfileSection* section;
};

// "SCert<n>" / "ECert<n>" with n written without leading zeros.
std::optional<CertSection> cert_section(const ProfileSection& s) {
  if (s.name.size() < 6) return std::nullopt;
  const std::string prefix = to_lower_ascii(s.name.substr(0, 5));
  if (prefix != "scert" && prefix != "ecert") return std::nullopt;
  const std::string_view digits = std::string_view(s.name).substr(5);
  if (digits.size() > 1 && digits[0] == '0') return std::nullopt;
  const auto n = parse_decimal(digits);
  if (!n || *n > 1'000'000'000) return std::nullopt;
  return CertSection{prefix == "scert" ? CertKind::Signing : CertKind::Encryption, static_cast<int>(*n), &s};
}

constexpr std::size_t kTokenChars = 12;

/// Characters (code points) of UTF-8 text.
std::size_t utf8_length(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

class RuleRun {
 public:
  RuleRun(const ParsedProfile& p, std::time_t now, Issues& issues) : p_(p), now_(now), issues_(issues) {}

  /// `now` as ISO text, formatted once per thread and clock value (every certificate compares with it).
  const std::string& now_text() const {
    thread_local std::time_t cached_for = -1;
    thread_local std::string cached;
    if (cached_for != now_) {
      cached = iso_utc(now_);
      cached_for = now_;
    }
    return cached;
  }

  RuleResult run(const std::string& record_id);

 private:
  /// A finding of the rules; its severity is its code's (issue_codes.h).
  void found(IssueId id, std::string msg, int line) { add_issue(issues_, id, std::move(msg), line); }

  /// A required key: its value, or nullptr with missing-key reported.
  const ProfileEntry* required(const ProfileSection& s, const char* key);
  /// A certificate count of [Client]: nullopt when absent (e null) or not a valid count (bad-value).
  std::optional<std::int64_t> count(const ProfileEntry* e, const char* key);
  /// `e`'s value read as the profile API reads a number; nullopt with bad-value when not in [lo, hi].
  std::optional<std::int64_t> number(const ProfileEntry& e, const char* key, std::string_view section, std::int64_t lo,
                                     std::int64_t hi, const char* expected);
  std::optional<std::string> timestamp(const ProfileSection& s, const char* key, ClientRecord& rec);
  void unknown_keys(const ProfileSection& s, std::initializer_list<const char*> known, ClientRecord& rec);
  void check_counts(CertKind kind, std::optional<std::int64_t> declared, bool declared_ok, int header_line);
  void read_certificate(const CertSection& cs, ClientRecord& rec);
  /// The certificate's DER and what it says; nullopt (with bad-certificate) when it cannot be read.
  std::optional<X509Facts> read_body(const ProfileSection& s, const ProfileEntry* body, Certificate& cert);
  void read_revocation(const ProfileSection& s, Certificate& cert, ClientRecord& rec);
  void read_escrowed_key(const CertSection& cs, ClientRecord& rec);

  /// What [Client] says that the later rules need.
  struct ClientKeys {
    std::optional<int> state;
    int state_line = 0;
    const ProfileEntry* nums_entry = nullptr;
    const ProfileEntry* nume_entry = nullptr;
    std::optional<std::int64_t> nums, nume;
    bool nums_ok = true, nume_ok = true;  ///< absent, or a valid count
  };
  ClientKeys read_client(const ProfileSection& client, ClientRecord& rec, RuleResult& result);
  void check_token_length(const ProfileEntry& token);
  void check_recovery_and_counts(const ProfileSection& client, const ClientKeys& k, RuleResult& result);
  std::size_t error_count() const;

  const ParsedProfile& p_;
  std::time_t now_;
  Issues& issues_;
  std::vector<CertSection> certs_;
};

const ProfileEntry* RuleRun::required(const ProfileSection& s, const char* key) {
  const ProfileEntry* e = s.find(key);
  if (e == nullptr) {
    found(IssueId::MissingKey, section_ref(s.name) + " has no " + key, s.line);
    return nullptr;
  }
  if (e->value.empty()) {
    found(IssueId::MissingKey, std::string(key) + " in " + section_ref(s.name) + " is empty", e->line);
    return nullptr;
  }
  return e;
}

std::optional<std::int64_t> RuleRun::count(const ProfileEntry* e, const char* key) {
  if (e == nullptr) return std::nullopt;
  return number(*e, key, "Client", 0, 0x7FFFFFFF, "a whole number >= 0");
}

// A number as GetPrivateProfileInt reads it (profile_int.h). The API reads more
// than plain digits; what it reads is used, with number-read-leniently. Rejected
// (bad-value), as the dialect's departures: a value the API reads only by
// wrapping (negative other than zero, past 2^31-1) and one outside [lo, hi].
std::optional<std::int64_t> RuleRun::number(const ProfileEntry& e, const char* key, std::string_view section,
                                            std::int64_t lo, std::int64_t hi, const char* expected) {
  const ProfileInt n = read_profile_int(e.value, e.quoted);
  const std::string where = std::string(key) + (iequals(section, "Client") ? "" : " in " + section_ref(section));
  if (!n.in_range() || n.written < lo || n.written > hi) {
    found(IssueId::BadValue, where + " is " + quoted(e.value, ValueShape::Decimal) + ", expected " + expected, e.line);
    return std::nullopt;
  }
  if (!n.plain) {
    found(IssueId::NumberReadLeniently,
          where + " is " + quoted(e.value, ValueShape::Decimal) + ": read as " + std::to_string(n.written) +
              ", as the profile API reads a number (" + n.why + "); write it as plain digits",
          e.line);
  }
  return n.written;
}

std::optional<std::string> RuleRun::timestamp(const ProfileSection& s, const char* key, ClientRecord& rec) {
  const ProfileEntry* e = s.find(key);
  if (e == nullptr) return std::nullopt;
  auto iso = legacy_time_to_iso(e->value);
  if (!iso) {
    found(IssueId::BadTimestamp,
          std::string(key) + " is " + quoted(e->value, ValueShape::Timestamp) +
              ", expected YYYYMMDDHHMMSSZ; stored as NULL, raw text kept",
          e->line);
    rec.extras.push_back(ExtraAttribute{s.name, std::string(e->key), std::string(e->value)});
  }
  return iso;
}

void RuleRun::unknown_keys(const ProfileSection& s, std::initializer_list<const char*> known, ClientRecord& rec) {
  for (const auto& e : s.entries) {
    if (is_known(e.key, known)) continue;
    // The value is never quoted: an unknown key may hold anything, secrets included.
    found(IssueId::UnknownKey, "unknown key " + key_name(e.key) + " in " + section_ref(s.name) + ", kept verbatim",
          e.line);
    rec.extras.push_back(ExtraAttribute{s.name, std::string(e.key), std::string(e.value)});
  }
}

void RuleRun::check_counts(CertKind kind, std::optional<std::int64_t> declared, bool declared_ok, int header_line) {
  if (!declared_ok) return;  // bad-value already reported
  const std::int64_t c = declared.value_or(0);
  const char* prefix = kind == CertKind::Signing ? "SCert" : "ECert";
  const char* key = kind == CertKind::Signing ? "NumSCerts" : "NumECerts";
  std::vector<int> present;
  for (const auto& cs : certs_) {
    if (cs.kind == kind) present.push_back(cs.seq);
  }
  std::sort(present.begin(), present.end());
  present.erase(std::unique(present.begin(), present.end()), present.end());
  std::string extra, missing;
  std::int64_t in_range = 0;
  for (int n : present) {
    if (n < 1 || n > c) {
      extra += std::string(extra.empty() ? "" : ", ") + "[" + prefix + std::to_string(n) + "]";
    } else {
      ++in_range;
    }
  }
  // The count may be huge (NumECerts=888888889): name the first few missing, count the rest.
  const std::int64_t missing_count = c - in_range;
  int named = 0;
  for (std::int64_t n = 1; n <= c && named < 5 && named < missing_count; ++n) {
    if (std::binary_search(present.begin(), present.end(), static_cast<int>(n))) continue;
    missing += std::string(missing.empty() ? "" : ", ") + "[" + prefix + std::to_string(n) + "]";
    ++named;
  }
  if (missing_count > named) missing += " and " + std::to_string(missing_count - named) + " more";
  if (extra.empty() && missing.empty()) return;
  std::string msg = std::string(key) + (declared ? "=" + std::to_string(c) : " is absent (0)") + " but";
  if (!missing.empty()) msg += " " + missing + " missing";
  if (!missing.empty() && !extra.empty()) msg += " and";
  if (!extra.empty()) msg += " " + extra + " beyond the count";
  found(IssueId::CountMismatch, msg, header_line);
}

std::optional<X509Facts> RuleRun::read_body(const ProfileSection& s, const ProfileEntry* body, Certificate& cert) {
  if (!body) return std::nullopt;
  auto der = base64_decode(body->value);
  if (!der) {
    found(IssueId::BadCertificate, "Certificate in " + section_ref(s.name) + " is not valid base64", body->line);
    return std::nullopt;
  }
  auto facts = read_x509(*der);
  if (!facts) {
    found(IssueId::BadCertificate, "Certificate in " + section_ref(s.name) + " is not a DER X.509 certificate",
          body->line);
    return std::nullopt;
  }
  cert.der = std::move(*der);
  return facts;
}

void RuleRun::read_revocation(const ProfileSection& s, Certificate& cert, ClientRecord& rec) {
  if (const ProfileEntry* r = s.find("Revoked")) {
    // Empty, or with no digit at all ("yes"), the API reads its default or 0:
    // the tool does not guess what was meant (docs/dialect.md).
    const ProfileInt read = read_profile_int(r->value, r->quoted);
    if (!read.present || read.why.find("no number") != std::string::npos) {
      found(IssueId::BadValue,
            "Revoked in " + section_ref(s.name) + " is " + quoted(r->value, ValueShape::Decimal) + ", expected 0 or 1",
            r->line);
    } else if (const auto v = number(*r, "Revoked", s.name, 0, 1, "0 or 1")) {
      cert.revoked = *v == 1;
    }
  }
  cert.revoked_at = timestamp(s, "RevokedOn", rec);
  if (cert.revoked && !cert.revoked_at) {
    const ProfileEntry* on = s.find("RevokedOn");
    found(IssueId::RevokedWithoutDate,
          section_ref(s.name) + " is revoked (Revoked=1) but RevokedOn is " + (on ? "not a valid time" : "missing"),
          on ? on->line : s.line);
  }
}

void RuleRun::read_escrowed_key(const CertSection& cs, ClientRecord& rec) {
  const ProfileSection& s = *cs.section;
  if (const ProfileEntry* key = required(s, "EscrowedKey")) {
    auto blob = base64_decode(key->value);
    if (!blob) {
      found(IssueId::BadKeyBlob, "EscrowedKey in " + section_ref(s.name) + " is not valid base64", key->line);
    } else {
      rec.keys.push_back(EscrowedKey{cs.seq, std::move(*blob)});
    }
  }
}

void RuleRun::read_certificate(const CertSection& cs, ClientRecord& rec) {
  const ProfileSection& s = *cs.section;
  Certificate cert;
  cert.kind = cs.kind;
  cert.seq = cs.seq;
  const ProfileEntry* serial = required(s, "Serial");
  const ProfileEntry* body = required(s, "Certificate");
  const std::optional<X509Facts> facts = read_body(s, body, cert);
  if (serial && facts) {
    const auto norm = normalize_serial(serial->value);
    if (!norm || *norm != facts->serial) {
      found(IssueId::SerialMismatch,
            "Serial in " + section_ref(s.name) + " is " + quoted(serial->value, ValueShape::HexSerial) +
                " but the certificate's serial is " + facts->serial,
            serial->line);
    }
  }
  read_revocation(s, cert, rec);
  if (cs.kind == CertKind::Encryption) {
    read_escrowed_key(cs, rec);
    unknown_keys(s, {"Serial", "Certificate", "Revoked", "RevokedOn", "EscrowedKey"}, rec);
  } else {
    unknown_keys(s, {"Serial", "Certificate", "Revoked", "RevokedOn"}, rec);
  }
  if (!facts) return;
  cert.serial = facts->serial;
  cert.subject = facts->subject;
  cert.issuer = facts->issuer;
  cert.not_before = facts->not_before;
  cert.not_after = facts->not_after;
  cert.sha1_thumbprint = facts->sha1_thumbprint;
  if (cert.not_after < now_text()) {
    add_issue(issues_, IssueId::CertificateExpired,
              "the certificate in " + section_ref(s.name) + " expired on " + cert.not_after, body->line);
  }
  rec.certificates.push_back(std::move(cert));
}

std::size_t RuleRun::error_count() const {
  return static_cast<std::size_t>(
      std::count_if(issues_.begin(), issues_.end(), [](const Issue& i) { return i.severity == Severity::Error; }));
}

// The KMS issued tokens of 12 characters: another length is a token cut short
// (an interrupted copy) or mistyped. Migrated as written, with a warning: the
// API reads it, and the administrator can issue a new one.
void RuleRun::check_token_length(const ProfileEntry& token) {
  const std::size_t chars = utf8_length(token.value);
  if (chars == kTokenChars) return;
  found(IssueId::TokenLength,
        "Token is " + std::to_string(chars) + " characters long, not " + std::to_string(kTokenChars) +
            ": it may have been cut short or mistyped; the record is migrated with it as written (issue a new "
            "token if the user cannot recover)",
        token.line);
}

RuleRun::ClientKeys RuleRun::read_client(const ProfileSection& client, ClientRecord& rec, RuleResult& result) {
  ClientKeys k;
  if (const ProfileEntry* dn = required(client, "MailboxDN")) {
    rec.mailbox_dn = dn->value;
    result.mailbox_dn = dn->value;
    result.mailbox_line = dn->line;
  }
  k.state_line = client.line;
  if (const ProfileEntry* st = required(client, "State")) {
    k.state_line = st->line;
    const auto v = number(*st, "State", client.name, 1, 4, "1 (New), 2 (Active), 3 (Revoked) or 4 (Recovery)");
    if (v) {
      k.state = static_cast<int>(*v);
      result.legacy_state = k.state;
    }
  }
  // An empty count reads as an absent one through the API: 0.
  const auto given = [&](const char* key) {
    const ProfileEntry* e = client.find(key);
    return e && !e->value.empty() ? e : nullptr;
  };
  k.nums_entry = given("NumSCerts");
  k.nume_entry = given("NumECerts");
  k.nums = count(k.nums_entry, "NumSCerts");
  k.nume = count(k.nume_entry, "NumECerts");
  k.nums_ok = !k.nums_entry || k.nums;
  k.nume_ok = !k.nume_entry || k.nume;
  if (const ProfileEntry* e = client.find("DisplayName")) {
    rec.display_name = e->value;
    result.display_name = e->value;
  }
  if (const ProfileEntry* e = client.find("Alias")) {
    rec.alias = e->value;
    result.alias = e->value;
  }
  if (const ProfileEntry* e = client.find("Token")) {
    rec.token = e->value;
    check_token_length(*e);
  }
  rec.created_at = timestamp(client, "Created", rec);
  rec.modified_at = timestamp(client, "Modified", rec);
  unknown_keys(client,
               {"MailboxDN", "DisplayName", "Alias", "State", "NumSCerts", "NumECerts", "Token", "Created", "Modified"},
               rec);
  return k;
}

// KB Q198709: State 4 with no signing certificate never enrolled (reported once
// the record is known to be valid); with [SCert<n>] sections but no count, the
// tool does not guess. Then the declared counts against the sections.
void RuleRun::check_recovery_and_counts(const ProfileSection& client, const ClientKeys& k, RuleResult& result) {
  const bool has_scert_section =
      std::any_of(certs_.begin(), certs_.end(), [](const CertSection& c) { return c.kind == CertKind::Signing; });
  bool ambiguous = false;
  if (k.state == 4 && k.nums_ok && (!k.nums || *k.nums == 0) && !has_scert_section) {
    result.normalized = true;
  } else if (k.state == 4 && !k.nums_entry && has_scert_section) {
    ambiguous = true;
    found(IssueId::AmbiguousRecovery,
          "State 4 (Recovery) with NumSCerts missing but [SCert<n>] sections present: the tool does not guess",
          k.state_line);
  }
  if (!ambiguous) check_counts(CertKind::Signing, k.nums, k.nums_ok, k.nums_entry ? k.nums_entry->line : client.line);
  check_counts(CertKind::Encryption, k.nume, k.nume_ok, k.nume_entry ? k.nume_entry->line : client.line);
}

RuleResult RuleRun::run(const std::string& record_id) {
  RuleResult result;
  const std::size_t errors_before = error_count();
  const ProfileSection* client = p_.find("Client");
  if (client == nullptr) {
    found(IssueId::MissingSection, "no [Client] section", 0);
    return result;
  }
  ClientRecord rec;
  rec.record_id = record_id;
  const ClientKeys k = read_client(*client, rec, result);
  for (const auto& s : p_.sections) {
    if (&s == client) continue;
    if (auto cs = cert_section(s)) {
      certs_.push_back(*cs);
    } else {
      unknown_keys(s, {}, rec);
    }
  }
  check_recovery_and_counts(*client, k, result);
  std::sort(certs_.begin(), certs_.end(), [](const CertSection& a, const CertSection& b) {
    return a.kind != b.kind ? a.kind == CertKind::Signing : a.seq < b.seq;
  });
  for (const auto& cs : certs_) read_certificate(cs, rec);
  if (k.state == 2 && k.nums_ok && k.nume_ok && (k.nums.value_or(0) < 1 || k.nume.value_or(0) < 1)) {
    found(IssueId::InconsistentState,
          "State 2 (Active) needs at least one signing and one encryption certificate (NumSCerts=" +
              std::to_string(k.nums.value_or(0)) + ", NumECerts=" + std::to_string(k.nume.value_or(0)) + ")",
          k.state_line);
  }
  if (has_error(issues_)) result.normalized = false;  // parse errors of this file count too
  if (error_count() == errors_before && k.state) {
    if (result.normalized) {
      // A rejected record is not normalized, so the rule is reported only for valid ones.
      add_issue(issues_, IssueId::RecoveryNeverEnrolled,
                std::string("State 4 (Recovery) with ") + (k.nums ? "NumSCerts=0" : "NumSCerts missing") +
                    ": never enrolled; set to New",
                k.state_line);
    }
    rec.legacy_state = *k.state;
    rec.state = result.normalized ? ClientState::New : static_cast<ClientState>(*k.state);
    result.record = std::move(rec);
  }
  return result;
}

}  // namespace

RuleResult apply_record_rules(const ParsedProfile& profile, const std::string& record_id, std::time_t now,
                              Issues& issues) {
  return RuleRun(profile, now, issues).run(record_id);
}

}  // namespace kms::core
