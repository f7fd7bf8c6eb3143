// verify's checks of the tables that no store file maps to one by one: the
// schema itself, password_policy and migration_meta (docs/commands.md,
// the verify paragraph). Each returns the differences found, in words.
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "differences.h"
#include "outcome.h"
#include "sqlite_handle.h"

namespace kms::core {

/// Rows of the client tables, by table: clients, certificates, escrowed_keys, extra_attributes.
struct ClientRows {
  static constexpr const char* kTables[] = {"clients", "certificates", "escrowed_keys", "extra_attributes"};
  std::array<std::uint64_t, 4> n{};
  void add(const ClientRows& o);
};

/// The rows of each client table (count(*)).
ClientRows table_rows(Db& db);

/// Rows of certificates, escrowed_keys and extra_attributes whose record_id
/// no client has, each client id a difference of its table; their counts.
ClientRows orphan_rows(Db& db, Differences& out);

/// Every row of each client table against the rows verify compared (`compared`)
/// and the orphans it found: a difference for each table whose count differs.
void row_count_differences(const ClientRows& actual, const ClientRows& accounted, Differences& out);

/// sqlite_schema against a database made fresh from the embedded schema:
/// every table and index exactly as the tool defines them, and nothing else
/// (no trigger, no view, no added table or index).
std::vector<std::string> schema_differences(Db& db);

/// password_policy against the seed of the embedded schema, row by row.
void password_policy_differences(Db& db, Differences& out);

/// migration_meta as key -> value (a NULL value reads as ""): the keys the
/// tool writes and at most kOtherKeys others (the rest only counted), keys cut
/// at 256 bytes and values at 4,096 (one longer is a difference), so that what
/// a database holds never makes verify's memory grow.
struct Meta {
  static constexpr std::size_t kOtherKeys = 100;
  std::map<std::string, std::string> values;
  std::size_t others_more = 0;  ///< keys the tool never writes, beyond kOtherKeys
  using const_iterator = std::map<std::string, std::string>::const_iterator;
  const_iterator find(const std::string& k) const { return values.find(k); }
  const_iterator begin() const { return values.begin(); }
  const_iterator end() const { return values.end(); }
};
Meta read_meta(Db& db);

/// What the store, as verify read it, implies for migration_meta.
struct ExpectedMeta {
  Counts counts;                     ///< by the outcomes verify derived
  std::string content_digest;        ///< recomputed from the clients
  std::string store_digest;          ///< recomputed from the store
  std::int64_t max_record_size = 0;  ///< the limit verify read the store with
};

/// Every key the tool writes present with a value it could have written, the
/// facts equal to what the store implies, and no other key.
std::vector<std::string> meta_differences(const Meta& meta, const ExpectedMeta& expected);

}  // namespace kms::core
