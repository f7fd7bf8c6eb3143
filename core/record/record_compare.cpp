#include "record_compare.h"

#include <map>
#include <tuple>

#include "safe_text.h"

namespace kms::core {
namespace {

template <typename T>
void field(std::vector<std::string>& out, const std::string& name, const T& a, const T& b) {
  if (!(a == b)) out.push_back(name);
}

void compare_cert(std::vector<std::string>& out, const std::string& p, const Certificate& a, const Certificate& b) {
  field(out, p + ".serial", a.serial, b.serial);
  field(out, p + ".subject", a.subject, b.subject);
  field(out, p + ".issuer", a.issuer, b.issuer);
  field(out, p + ".not_before", a.not_before, b.not_before);
  field(out, p + ".not_after", a.not_after, b.not_after);
  field(out, p + ".sha1_thumbprint", a.sha1_thumbprint, b.sha1_thumbprint);
  field(out, p + ".revoked", a.revoked, b.revoked);
  field(out, p + ".revoked_at", a.revoked_at, b.revoked_at);
  field(out, p + ".der", a.der, b.der);
}

}  // namespace

std::vector<std::string> compare_records(const ClientRecord& e, const ClientRecord& a) {
  std::vector<std::string> out;
  field(out, "record_id", e.record_id, a.record_id);
  field(out, "mailbox_dn", e.mailbox_dn, a.mailbox_dn);
  field(out, "display_name", e.display_name, a.display_name);
  field(out, "alias", e.alias, a.alias);
  field(out, "state", e.state, a.state);
  field(out, "legacy_state", e.legacy_state, a.legacy_state);
  field(out, "token", e.token, a.token);
  field(out, "created_at", e.created_at, a.created_at);
  field(out, "modified_at", e.modified_at, a.modified_at);

  std::map<std::pair<int, int>, const Certificate*> actual_certs;
  for (const auto& c : a.certificates) actual_certs[{static_cast<int>(c.kind), c.seq}] = &c;
  for (const auto& c : e.certificates) {
    const std::string p = std::string("certificates[") + kind_name(c.kind) + " " + std::to_string(c.seq) + "]";
    auto it = actual_certs.find({static_cast<int>(c.kind), c.seq});
    if (it == actual_certs.end()) {
      out.push_back(p + " (missing)");
      continue;
    }
    compare_cert(out, p, c, *it->second);
    actual_certs.erase(it);
  }
  for (const auto& [k, c] : actual_certs) {
    out.push_back(std::string("certificates[") + kind_name(c->kind) + " " + std::to_string(c->seq) + "] (unexpected)");
  }

  std::map<int, const EscrowedKey*> actual_keys;
  for (const auto& k : a.keys) actual_keys[k.seq] = &k;
  for (const auto& k : e.keys) {
    const std::string p = "escrowed_keys[" + std::to_string(k.seq) + "]";
    auto it = actual_keys.find(k.seq);
    if (it == actual_keys.end()) {
      out.push_back(p + " (missing)");
      continue;
    }
    field(out, p + ".key_blob", k.key_blob, it->second->key_blob);
    actual_keys.erase(it);
  }
  for (const auto& [seq, k] : actual_keys) out.push_back("escrowed_keys[" + std::to_string(seq) + "] (unexpected)");

  std::map<std::pair<std::string, std::string>, const ExtraAttribute*> actual_extras;
  for (const auto& x : a.extras) actual_extras[{x.section, x.key}] = &x;
  for (const auto& x : e.extras) {
    const std::string p = "extra_attributes[" + shown_name(x.section) + "." + shown_name(x.key) + "]";
    auto it = actual_extras.find({x.section, x.key});
    if (it == actual_extras.end()) {
      out.push_back(p + " (missing)");
      continue;
    }
    field(out, p + ".value", x.value, it->second->value);
    actual_extras.erase(it);
  }
  for (const auto& [k, x] : actual_extras)
    out.push_back("extra_attributes[" + shown_name(k.first) + "." + shown_name(k.second) + "] (unexpected)");
  return out;
}

}  // namespace kms::core
