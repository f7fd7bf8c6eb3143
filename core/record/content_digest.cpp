#include "content_digest.h"

#include <algorithm>
#include <tuple>

#include "digest_fields.h"
#include "external_sort.h"

namespace kms::core {
using digest_fields::put;

void serialize_record(std::string& out, const ClientRecord& r) {
  put(out, "client");
  put(out, r.record_id);
  put(out, r.mailbox_dn);
  put(out, r.display_name);
  put(out, r.alias);
  put(out, state_name(r.state));
  put(out, static_cast<std::int64_t>(r.legacy_state));
  put(out, r.token);
  put(out, r.created_at);
  put(out, r.modified_at);
  for (const Certificate& c : r.certificates) {  // signing then encryption, by seq
    put(out, "certificate");
    put(out, kind_name(c.kind));
    put(out, static_cast<std::int64_t>(c.seq));
    put(out, c.serial);
    put(out, c.subject);
    put(out, c.issuer);
    put(out, c.not_before);
    put(out, c.not_after);
    put(out, c.sha1_thumbprint);
    put(out, static_cast<std::int64_t>(c.revoked ? 1 : 0));
    put(out, c.revoked_at);
    put(out, c.der);
  }
  for (const EscrowedKey& k : r.keys) {
    put(out, "key");
    put(out, static_cast<std::int64_t>(k.seq));
    put(out, k.key_blob);
  }
  std::vector<const ExtraAttribute*> extras;
  for (const auto& x : r.extras) extras.push_back(&x);
  std::sort(extras.begin(), extras.end(), [](const ExtraAttribute* a, const ExtraAttribute* b) {
    return std::tie(a->section, a->key) < std::tie(b->section, b->key);
  });
  for (const ExtraAttribute* x : extras) {
    put(out, "extra");
    put(out, x->section);
    put(out, x->key);
    put(out, x->value);
  }
}

RecordDigest record_digest(const ClientRecord& rec) {
  thread_local std::string buffer;  // reused: one allocation per thread, one hash call per record
  buffer.clear();
  serialize_record(buffer, rec);
  return sha256_bytes(buffer.data(), buffer.size());
}

void ContentDigest::add(const std::string& record_id, const RecordDigest& record_sha256) {
  records_.emplace_back(record_id, record_sha256);
}

namespace {

// The content digest: SHA-256 over the per-record digests, taken in record id order.
template <typename Range, typename DigestOf>
std::string hash_in_record_id_order(const Range& in_order, DigestOf digest_of) {
  Sha256 h;
  for (const auto& item : in_order) {
    const RecordDigest& d = digest_of(item);
    h.update(d.data(), d.size());
  }
  return h.hex_final();
}

}  // namespace

std::string ContentDigest::hex() {
  std::sort(records_.begin(), records_.end());
  return hash_in_record_id_order(records_, [](const auto& r) -> const RecordDigest& { return r.second; });
}

}  // namespace kms::core

namespace kms::core {
namespace {

/// A record id part, lower-cased and zero-padded: bytewise order is ascii_ci_less order.
struct IdKey {
  std::array<char, 16> id{};
  bool operator<(const IdKey& o) const { return id < o.id; }
};

IdKey id_key(std::string_view name_part) {
  IdKey k;
  const std::size_t n = std::min(name_part.size(), k.id.size());
  for (std::size_t i = 0; i < n; ++i) {
    const char c = name_part[i];
    k.id[i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return k;
}

struct KeyedDigest {
  IdKey key;
  RecordDigest digest;
  bool operator<(const KeyedDigest& o) const { return key < o.key || (!(o.key < key) && digest < o.digest); }
};

}  // namespace

std::string content_digest_streamed(const EachDigest& each) {
  Sha256 h;
  bool ordered = true, any = false;
  IdKey last;
  each([&](std::string_view part, const RecordDigest& d) {
    if (!ordered) return;
    const IdKey k = id_key(part);
    if (any && k < last) {
      ordered = false;
      return;
    }
    h.update(d.data(), d.size());
    last = k;
    any = true;
  });
  if (ordered) return h.hex_final();
  ExternalSort<KeyedDigest> sorted;
  each([&](std::string_view part, const RecordDigest& d) { sorted.add({id_key(part), d}); });
  Sha256 again;
  sorted.each_sorted([&](const KeyedDigest& k) { again.update(k.digest.data(), k.digest.size()); });
  return again.hex_final();
}

}  // namespace kms::core
