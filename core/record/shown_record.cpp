#include "shown_record.h"

#include "hashing.h"
#include "safe_text.h"
#include "text_util.h"

namespace kms::core {
namespace {

std::string shown(std::string_view text, const SecretPieces& secrets) {
  std::string out = shown_field(text);
  secrets.redact(out);
  return out;
}

}  // namespace

MailboxField MailboxField::of(std::string_view name, const SecretPieces& secrets) {
  MailboxField f;
  f.text = shown(name, secrets);
  if (!name.empty()) {
    const std::string lower = to_lower_ascii(name);
    const auto digest = sha256_bytes(lower.data(), lower.size());
    f.key.assign(digest.begin(), digest.end());
  }
  return f;
}

ClientRecord shown_record(const ClientRecord& r, const std::vector<std::string>& texts) {
  const SecretPieces secrets({texts.begin(), texts.end()});
  ClientRecord out = r;
  out.mailbox_dn = shown(r.mailbox_dn, secrets);
  for (std::optional<std::string>* field : {&out.display_name, &out.alias}) {
    if (*field) **field = shown(**field, secrets);
  }
  for (auto& c : out.certificates) {
    c.subject = shown(c.subject, secrets);
    c.issuer = shown(c.issuer, secrets);
  }
  for (auto& x : out.extras) {
    x.section = shown(x.section, secrets);
    x.key = shown(x.key, secrets);
  }
  return out;
}

}  // namespace kms::core
