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

}  // namespace kms::core
