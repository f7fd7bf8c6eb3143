#include "mailbox_field.h"

#include "hashing.h"
#include "safe_text.h"
#include "text_util.h"

namespace kms::core {

MailboxField MailboxField::of(std::string_view name) {
  MailboxField f;
  f.text = shown_field(name);
  if (f.text != name) f.hidden = sha256_hex(to_lower_ascii(name));
  return f;
}

std::string MailboxField::match_key() const {
  // Only the key of a name that was cut carries a digest: a cut name and an
  // uncut one cannot meet, even when the uncut one reads "...Token(not shown)".
  return hidden.empty() ? to_lower_ascii(text) : to_lower_ascii(text) + '\n' + hidden;
}

}  // namespace kms::core
