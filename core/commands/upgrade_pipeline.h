// Internal to upgrade*.cpp: the stages of `upgrade` and `rehearse`.
//   upgrade.cpp           run_upgrade(): one Pipeline run, its report sink
//   upgrade_pipeline.cpp  the run: the store located, the order of stages, the
//                         prompt, the refusal, the cancel message, the commit
//   upgrade_passes.cpp    the passes over the store and the temporary database
//   upgrade_destination.cpp  where the database is built: the target's folder or a scratch one
#pragma once
#include <chrono>
#include <ctime>
#include <functional>
#include <optional>
#include <vector>

#include "db_writer.h"
#include "file_track.h"
#include "integrity_check.h"
#include "manifest_check.h"
#include "report_sink.h"
#include "run_result.h"
#include "store_analysis.h"
#include "store_walker.h"
#include "target_file.h"
#include "timestamp.h"
#include "upgrade_destination.h"
#include "upgrade_options.h"
#include "verify_pass.h"

namespace kms::core::detail {

class Pipeline {
 public:
  Pipeline(const UpgradeOptions& o, const UpgradeHooks& h, RunResult& r, ReportSink& sink);
  void run();

 private:
  // upgrade_pipeline.cpp
  void locate();
  void write_and_check(Db& db, TemporaryDatabase& temp);
  void check_source_unchanged(Db* db);
  /// With --manifest: every entry of the store against it (after the build, from legacy_files).
  void digest_store(Db& db);
  /// Whether the upgrade of this store would be refused, and why (after the build and the manifest).
  Refusal refusal();
  void report_totals();
  // upgrade_passes.cpp
  void build(Db& db);
  void reject_duplicates(Db& db, DbWriter& writer);
  void verify(Db& db, const std::filesystem::path& db_path);
  /// One file of verify(): its report row with what failed, or nullopt when it holds.
  std::optional<FileSummary> verify_file(Db& ro, ClientReadBack& back, std::size_t i);
  /// File `i`'s row of migration_report in `db`.
  FileSummary report_row(Db& db, std::size_t i);
  void finish_database(Db& db);
  /// Waits for SQLite's whole-file checks started by verify(); throws on a problem.
  void sqlite_checks();
  void report_files(Db& db);
  /// The file whose client `record_id` is, if any (for the verification's last check).
  std::optional<std::size_t> client_of(const std::string& record_id);
  /// The content_digest of the clients of the files `counted` takes (their written digests, by record id).
  std::string tracks_digest(const std::function<bool(const FileTrack&)>& counted);
  /// A file's report row gets one more error (verification, source check), then `v`.
  void add_row_issue(Db& db, std::size_t i, IssueId code, const std::string& message, Verification v);

  // upgrade_pipeline.cpp, or here
  /// Reports a phase (total 0: a step without a count) and remembers how far the run got.
  void progress(const char* phase, std::size_t done, std::size_t total) {
    phase_ = phase;
    if (total) counted_ = {phase, done, total};
    if (hooks_.progress) hooks_.progress(phase, done, total);
  }
  /// What a cancelled run says it had done ("cancelled after reading 12 of 20 files; ...").
  std::string cancelled_message() const;
  /// For a failure of the file system: what statvfs and the limits say, asked before the temporary file goes.
  void note_space(std::exception_ptr e, const TemporaryDatabase& temp);
  void check_cancel() const { throw_if_cancelled(hooks_.cancel); }
  /// The run's own time so far: the time at the confirmation prompt left out.
  double elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count() - res_.prompt_seconds;
  }
  /// Asks the operator (upgrade, when a confirm hook is set); the wait is not the run's time.
  void confirm();
  /// The last steps: the report complete and on disk, then the one rename that commits.
  void commit(TemporaryDatabase& temp, const std::filesystem::path& final_path);
  /// Runs one phase and records its duration (seconds) in the report's phase list.
  template <typename F>
  void timed(const char* phase, F&& f) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    rep_.phases.emplace_back(phase, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }

  const UpgradeOptions& opt_;
  const UpgradeHooks& hooks_;
  RunResult& res_;
  RunReport& rep_ = res_.report;
  ReportSink& sink_;
  std::unique_ptr<Destination> dest_;  // the target (upgrade) or a scratch folder (rehearsal)
  std::filesystem::path clients_;
  std::optional<StoreDir> store_;  // clients_, held open for the run
  std::chrono::steady_clock::time_point t0_ = std::chrono::steady_clock::now();
  std::time_t now_ = std::time(nullptr);
  PassSettings pass_;
  StoreListing listing_;                          // the store's entries as first listed, in path order
  Tracks tracks_;                                 // one per entry of the listing
  std::optional<BackgroundCheck> sqlite_checks_;  // from verify() to sqlite_checks()
  std::vector<std::uint32_t> clients_by_id_;      // client_of(): files with a client, by record id
  std::optional<Manifest> manifest_;              // --manifest, read before the store
  Refusal refusal_;                               // set after the build
  std::string space_note_;                        // note_space(): "; the file system holding ... is full"
  bool built_ = false;                            // every file is in the temporary database
  bool reported_ = false;                         // every file went to the sink
  const char* phase_ = nullptr;                   // the last phase reported
  /// Where the operator stopped the run, when not in a phase: "at the confirmation prompt (answered n)".
  std::string moment_;
  struct Counted {
    const char* phase = nullptr;
    std::size_t done = 0, total = 0;
  } counted_;  // the last phase with a count
};

}  // namespace kms::core::detail
