#include "shown_record.h"

#include "base64.h"
#include "hashing.h"
#include "safe_text.h"
#include "text_util.h"

namespace kms::core {
namespace {

std::string shown(std::string_view text, const std::vector<std::string_view>& secrets) {
  std::string out = shown_field(text);
  redact_secrets(out, secrets);
  return out;
}

}  // namespace

MailboxField MailboxField::of(std::string_view name, const std::vector<std::string_view>& secrets) {
  MailboxField f;
  f.text = shown(name, secrets);
  if (f.text != name) f.hidden = sha256_hex(to_lower_ascii(name));
  return f;
}

std::string MailboxField::match_key() const {
  // Only the key of a name that was cut carries a digest: a cut name and an
  // uncut one cannot meet, even when the uncut one reads "...Token(not shown)".
  return hidden.empty() ? to_lower_ascii(text) : to_lower_ascii(text) + '\n' + hidden;
}

ClientRecord shown_record(const ClientRecord& r) {
  std::vector<std::string> texts;
  if (r.token) texts.push_back(*r.token);
  for (const auto& k : r.keys) texts.push_back(base64_encode(k.key_blob));
  const std::vector<std::string_view> secrets(texts.begin(), texts.end());
  ClientRecord out = r;
  out.mailbox_dn = shown(r.mailbox_dn, secrets);
  for (std::optional<std::string>* field : {&out.display_name, &out.alias}) {
    if (*field) **field = shown(**field, secrets);
  }
  for (auto& c : out.certificates) {
    c.subject = shown(c.subject, secrets);
    c.issuer = shown(c.issuer, secrets);
  }
  return out;
}

}  // namespace kms::core
