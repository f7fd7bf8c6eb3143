#include "content_digest.h"

#include <algorithm>
#include <tuple>

#include "db_reader.h"

namespace kms::core {
namespace {

// Each field: one tag byte ('N' null, 'V' value), 8-byte big-endian length, the bytes.
void put(Sha256& h, const void* data, std::size_t n) {
  unsigned char head[9];
  head[0] = 'V';
  for (int i = 0; i < 8; ++i) head[1 + i] = static_cast<unsigned char>((static_cast<std::uint64_t>(n) >> (56 - 8 * i)) & 0xFF);
  h.update(head, sizeof head);
  h.update(data, n);
}
void put(Sha256& h, const std::string& s) { put(h, s.data(), s.size()); }
void put(Sha256& h, const Bytes& b) { put(h, b.data(), b.size()); }
void put(Sha256& h, std::int64_t v) { put(h, std::to_string(v)); }
void put(Sha256& h, const std::optional<std::string>& s) {
  if (s) {
    put(h, *s);
  } else {
    const unsigned char tag = 'N';
    h.update(&tag, 1);
  }
}

}  // namespace

void digest_record(Sha256& h, const ClientRecord& r) {
  put(h, std::string("client"));
  put(h, r.record_id);
  put(h, r.mailbox_dn);
  put(h, r.display_name);
  put(h, r.alias);
  put(h, std::string(state_name(r.state)));
  put(h, static_cast<std::int64_t>(r.legacy_state));
  put(h, r.token);
  put(h, r.created_at);
  put(h, r.modified_at);
  for (const Certificate& c : r.certificates) {  // signing then encryption, by seq
    put(h, std::string("certificate"));
    put(h, std::string(kind_name(c.kind)));
    put(h, static_cast<std::int64_t>(c.seq));
    put(h, c.serial);
    put(h, c.subject);
    put(h, c.issuer);
    put(h, c.not_before);
    put(h, c.not_after);
    put(h, c.sha1_thumbprint);
    put(h, static_cast<std::int64_t>(c.revoked ? 1 : 0));
    put(h, c.revoked_at);
    put(h, c.der);
  }
  for (const EscrowedKey& k : r.keys) {
    put(h, std::string("key"));
    put(h, static_cast<std::int64_t>(k.seq));
    put(h, k.key_blob);
  }
  std::vector<const ExtraAttribute*> extras;
  for (const auto& x : r.extras) extras.push_back(&x);
  std::sort(extras.begin(), extras.end(), [](const ExtraAttribute* a, const ExtraAttribute* b) {
    return std::tie(a->section, a->key) < std::tie(b->section, b->key);
  });
  for (const ExtraAttribute* x : extras) {
    put(h, std::string("extra"));
    put(h, x->section);
    put(h, x->key);
    put(h, x->value);
  }
}

RecordDigest record_digest(const ClientRecord& rec) {
  Sha256 h;
  digest_record(h, rec);
  const std::string raw = h.raw_final();
  RecordDigest d{};
  std::copy(raw.begin(), raw.begin() + static_cast<std::ptrdiff_t>(d.size()), d.begin());
  return d;
}

void ContentDigest::add(const std::string& record_id, const RecordDigest& record_sha256) {
  records_.emplace_back(record_id, record_sha256);
}

std::string ContentDigest::hex() {
  std::sort(records_.begin(), records_.end());
  Sha256 h;
  for (const auto& [id, digest] : records_) h.update(digest.data(), digest.size());
  return h.hex_final();
}

std::string content_digest(Db& db) {
  ContentDigest d;
  DbReader reader(db);
  Stmt ids(db, "SELECT record_id FROM clients");
  while (ids.step()) {
    const auto rec = reader.read_client(ids.text(0));
    if (rec) d.add(rec->record_id, record_digest(*rec));
  }
  return d.hex();
}

}  // namespace kms::core
