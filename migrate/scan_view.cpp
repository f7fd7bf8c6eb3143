#include "scan_view.h"

#include "console.h"
#include "report.h"
#include "terminal.h"

namespace kms::cli {
namespace {

/// The inventory's label of a legacy State value as the files gave it.
std::string legacy_state_label(const std::string& s) {
  if (s == "1") return "1 New";
  if (s == "2") return "2 Active";
  if (s == "3") return "3 Revoked";
  if (s == "4") return "4 Recovery";
  // A file with no State the KMS would read: empty, not text, no [Client], a link, too large, skipped.
  if (s == "unknown") return "no State read";
  return s + " (not valid)";
}

void print_issue(std::FILE* out, const core::Issue& i) {
  if (i.line > 0)
    KMS_SAY(out, "      line %d: %s %s: %s\n", i.line, core::severity_name(i.severity), i.code.c_str(),
            i.message.c_str());
  else
    KMS_SAY(out, "      %s %s: %s\n", core::severity_name(i.severity), i.code.c_str(), i.message.c_str());
}

void print_record(std::FILE* out, const core::ClientRecord& r) {
  const auto show = [&](const char* label, const std::optional<std::string>& v) {
    KMS_SAY(out, "    %-13s %s\n", label, v ? v->c_str() : "(none)");
  };
  show("MailboxDN", r.mailbox_dn);
  show("DisplayName", r.display_name);
  show("Alias", r.alias);
  KMS_SAY(out, "    %-13s %s (legacy State=%d)\n", "state", core::state_name(r.state), r.legacy_state);
  KMS_SAY(out, "    %-13s %s\n", "Token", r.token ? "(set, masked)" : "(none)");
  show("Created", r.created_at);
  show("Modified", r.modified_at);
  for (const auto& c : r.certificates) {
    KMS_SAY(out, "    %s %d: serial %s, %s, valid %s to %s%s%s\n", core::kind_name(c.kind), c.seq, c.serial.c_str(),
            c.subject.c_str(), c.not_before.c_str(), c.not_after.c_str(), c.revoked ? ", revoked " : "",
            c.revoked ? c.revoked_at.value_or("(no date)").c_str() : "");
  }
  for (const auto& k : r.keys) KMS_SAY(out, "    escrowed key %d: %zu bytes (not shown)\n", k.seq, k.key_blob.size());
  for (const auto& x : r.extras) {
    KMS_SAY(out, "    extra key %s %s (value not shown)\n", core::section_ref(x.section), core::key_name(x.key));
  }
}

}  // namespace

namespace {

constexpr std::size_t kListed = 25;  // lines of each list without --all

/// One list of the inventory: each file once, the first kListed unless --all.
template <typename Pred, typename Line>
void print_list(std::FILE* out, const core::ScanResult& r, bool all, const char* title, Pred in_list, Line line) {
  std::size_t n = 0;
  r.each_file([&](const core::FileSummary& f) {
    if (!in_list(f)) return;
    if (n == 0) KMS_SAY(out, "  %s:\n", title);
    if (all || n < kListed) line(f);
    ++n;
  });
  if (!all && n > kListed) KMS_SAY(out, "    ... and %zu more (--all to list every one)\n", n - kListed);
}

std::string codes_of(const core::FileSummary& f) { return core::distinct_codes_text(f.issues); }

/// Why a skipped entry was not read ("not named M<12 letters or digits>.ini").
std::string skip_reason(const core::FileSummary& f) {
  for (const auto& i : f.issues) {
    if (core::is(i, core::IssueId::NotARecord)) return i.message;
  }
  return codes_of(f);
}

/// "35 would migrate, 3 would be normalized, 0 rejected, 1 skipped".
std::string outcomes_text(const core::Counts& c) {
  return KMS_SAY_TO_STRING("%zu would migrate, %zu would be normalized, %zu rejected, %zu skipped", c.migrated,
                           c.normalized, c.rejected, c.skipped);
}

void print_inventory(std::FILE* out, const core::ScanResult& r, bool all) {
  const core::Counts& c = r.counts;
  KMS_SAY(out, "  store     %s\n", r.clients);
  if (r.manifest) print_manifest(out, *r.manifest, all);
  KMS_SAY(out, "  files     %zu seen: %s\n", c.files_seen, outcomes_text(c));
  KMS_SAY(out, "  legacy State:");
  for (const auto& [st, n] : r.legacy_states) KMS_SAY(out, "  %s: %d", legacy_state_label(st), n);
  KMS_SAY(out, "\n");
  KMS_SAY(out, "  digest    %s (what a rehearsal and the upgrade of this store will record)\n", r.content_digest);
  KMS_SAY(out, "  store     %s (store_digest: every file read, rejects and skips included)\n", r.store_digest);
  using F = core::FileSummary;
  const auto dn = [](const F& f) { return f.mailbox_dn.empty() ? std::string("(no MailboxDN)") : f.mailbox_dn.text; };
  print_list(
      out, r, all, "rejected (an upgrade would not migrate them)",
      [](const F& f) { return f.outcome == core::RecordOutcome::Rejected; },
      [&](const F& f) { KMS_SAY(out, "    %-20s %s  [%s]\n", f.path, dn(f), codes_of(f)); });
  print_list(
      out, r, all, "normalizations an upgrade would make (KB Q198709, State 4 Recovery -> new)",
      [](const F& f) { return f.outcome == core::RecordOutcome::Normalized; },
      [&](const F& f) { KMS_SAY(out, "    %-20s %s\n", f.path, dn(f)); });
  print_list(
      out, r, all, "would migrate with warnings (the codes here; a rehearsal's --report has each note)",
      [](const F& f) { return core::carries_warnings(f); },
      [&](const F& f) { KMS_SAY(out, "    %-20s %s  [%s]\n", f.path, dn(f), codes_of(f)); });
  print_list(
      out, r, all, "skipped (not record files: never read, listed here and in every report)",
      [](const F& f) { return f.outcome == core::RecordOutcome::Skipped; },
      [&](const F& f) { KMS_SAY(out, "    %-20s %s\n", f.path, skip_reason(f)); });
}

void print_matches(std::FILE* out, const core::ScanOptions& o, const core::ScanResult& r) {
  KMS_SAY(out, "mailbox \"%s\": %zu file(s)\n", core::shown_field(*o.mailbox), r.matches.size());
  for (const auto& m : r.matches) {
    KMS_SAY(out, "  %s/%s  (%s)\n", r.clients, m.summary.path, core::outcome_name(m.summary.outcome));
    if (m.record) {
      print_record(out, *m.record);
    } else {
      // Not a valid record: what the file said, which is what tells two duplicate-mailbox files apart.
      const auto& f = m.summary;
      const auto shown = [&](const char* label, const core::MailboxField& v) {
        KMS_SAY(out, "    %-13s %s\n", label, v.empty() ? std::string("(none)") : v.text);
      };
      shown("MailboxDN", f.mailbox_dn);
      shown("DisplayName", f.display_name);
      shown("Alias", f.alias);
      KMS_SAY(out, "    %-13s %s\n", "legacy State", f.legacy_state ? std::to_string(*f.legacy_state) : "(none)");
      KMS_SAY(out, "    %-13s %s\n", "Created", m.dates.created.value_or("(none)"));
      KMS_SAY(out, "    %-13s %s\n", "Modified", m.dates.modified.value_or("(none)"));
      KMS_SAY(out, "    %-13s %s\n", "size",
              f.size ? std::to_string(*f.size) + " bytes" : std::string("(not examined)"));
      KMS_SAY(out, "    %-13s %s\n", "sha256", f.sha256.empty() ? std::string("(not read)") : f.sha256);
    }
    if (!m.summary.issues.empty()) KMS_SAY(out, "    issues:\n");
    for (const auto& i : m.summary.issues) print_issue(out, i);
  }
}

}  // namespace

void print_scan(std::FILE* out, std::FILE* trouble, const core::ScanOptions& o, const core::ScanResult& r,
                const ScanView& view) {
  if (!view.quiet) {
    if (!o.mailbox || view.summary) print_inventory(out, r, view.all);
    if (o.mailbox) print_matches(out, o, r);
  }
  // The closing status line: always, and last; a failure's on `trouble` (stderr), as every command's.
  if (r.exit_code != core::ExitCode::Ok) {
    flush_output(out);  // the results first, then the trouble, in that order on a terminal or in one log
    KMS_SAY(trouble, "kms-migrate scan: failed: %s\n", r.message.empty() ? std::string("see above") : r.message);
    return;
  }
  if (!r.message.empty()) {
    KMS_SAY(out, "kms-migrate scan: %s\n", r.message);
    return;
  }
  const core::Counts& c = r.counts;
  KMS_SAY(out, "kms-migrate scan: %zu files seen: %s\n", c.files_seen, outcomes_text(c));
}

}  // namespace kms::cli
