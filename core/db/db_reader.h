// Reading client records back from a 5.5 database: the verification's own read path.
#pragma once
#include <memory>
#include <optional>
#include <string>

#include "record.h"
#include "sqlite_handle.h"

namespace kms::core {

class DbReader {
 public:
  explicit DbReader(Db& db);
  ~DbReader();
  DbReader(const DbReader&) = delete;
  DbReader& operator=(const DbReader&) = delete;

  /// The record as stored; nullopt when there is no such client.
  /// Certificates come signing first, then encryption, by seq; extras in insertion order.
  std::optional<ClientRecord> read_client(const std::string& record_id);

 private:
  struct Statements;
  std::unique_ptr<Statements> st_;
};

/// Reads every client in rowid order with its certificates, keys and extras,
/// each table scanned once in rowid order: far cheaper than a keyed look-up per
/// table per client. It relies on how kms-migrate writes (a client, then its
/// rows, client after client); take(id) answers only when the next client is
/// `id`, and a record it assembles from rows out of that order differs from the
/// source, so the caller re-reads it by key (DbReader) before judging.
class DbScanner {
 public:
  explicit DbScanner(Db& db);
  ~DbScanner();
  DbScanner(const DbScanner&) = delete;
  DbScanner& operator=(const DbScanner&) = delete;

  /// The next client, when it is `record_id`; nullopt (and nothing consumed) otherwise.
  std::optional<ClientRecord> take(const std::string& record_id);
  /// True when every client row has been taken.
  bool at_end() const;
  /// True when every row of clients, certificates, escrowed_keys and
  /// extra_attributes has been taken, each with the client of its record_id.
  bool all_taken() const;

 private:
  struct Cursors;
  std::unique_ptr<Cursors> c_;
};

}  // namespace kms::core
