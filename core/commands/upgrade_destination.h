// Where the database of `upgrade` and `rehearse` goes: the two strategies of
// the pipeline (upgrade_pipeline.h). The upgrade writes beside its target,
// under its lock, and commits by one rename; the rehearsal writes in a scratch
// folder of its own, keeps a copy with --keep-db, and commits nothing.
#pragma once
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "outcome.h"
#include "target_file.h"
#include "temporary_database.h"
#include "upgrade_options.h"

namespace kms::core::detail {

/// Why an upgrade of the store would write nothing, if it would not.
struct Refusal {
  /// A failure of the whole store, whatever --allow-rejected says: no record
  /// to migrate, a copy that differs from its manifest. One line.
  std::optional<std::string> store;
  bool blocked = false;  ///< files were rejected without --allow-rejected
  std::size_t rejected = 0;
  bool refused() const { return store || blocked; }
};

class Destination {
 public:
  virtual ~Destination() = default;
  /// Checks the path, takes what the run holds (the upgrade's lock), removes
  /// what stopped runs left (each named in `notes`); the path the database will have.
  virtual std::filesystem::path prepare(std::vector<std::string>& notes) = 0;
  /// The database is built: the upgrade starts its write-back, and stops here
  /// when it is refused (a store failure, or files rejected without --allow-rejected).
  virtual void built(TemporaryDatabase& temp, const Refusal& refusal) = 0;
  /// The operator is asked before the last checks (the upgrade without --yes).
  virtual bool asks_to_proceed() const = 0;
  /// The file must reach the disk before the commit (the upgrade's; a rehearsal's is deleted).
  virtual bool must_sync() const = 0;
  /// The verified database, before the report's summary is written: the
  /// rehearsal's file in place, and its --keep-db copy. Returns the failure to
  /// report instead of success, if any (a rehearsal of an upgrade that would be refused).
  virtual std::optional<std::string> place(TemporaryDatabase& temp, const std::filesystem::path& final_path,
                                           const Refusal& refusal) = 0;
  /// The commit, after the report's summary is on disk (the upgrade's rename).
  virtual void commit(TemporaryDatabase& temp, std::vector<std::string>& notes) = 0;
};

/// `cancel` stops the long steps (rehearse --keep-db's copy).
std::unique_ptr<Destination> destination_for(const UpgradeOptions& options, const CancelFlag* cancel);

}  // namespace kms::core::detail
