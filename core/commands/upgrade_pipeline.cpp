#include "upgrade_pipeline.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>

#include "empty_store.h"
#include "existing_target.h"
#include "run_end.h"
#include "run_facts.h"
#include "store_digest.h"
#include "test_stop_point.h"
#include "text_util.h"

namespace fs = std::filesystem;

namespace kms::core::detail {
namespace {

/// For a write failure: what the file system and the limits say, so the message names the cause.
std::string space_diagnosis(bool storage_failure, const fs::path& folder) {
  if (!storage_failure) return "";
  std::string out;
  struct statvfs vfs {};
  if (!folder.empty() && ::statvfs(folder.c_str(), &vfs) == 0) {
    const unsigned long long free_bytes = static_cast<unsigned long long>(vfs.f_bavail) * vfs.f_frsize;
    if (free_bytes < (1ULL << 20)) {
      out +=
          "; the file system holding '" + folder.string() + "' is full (" + std::to_string(free_bytes) + " bytes free)";
    }
  }
  struct rlimit rl {};
  if (::getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
    out += "; the file-size limit (ulimit -f) is " + std::to_string(static_cast<unsigned long long>(rl.rlim_cur)) +
           " bytes (File too large)";
  }
  return out;
}

}  // namespace

Pipeline::Pipeline(const UpgradeOptions& o, const UpgradeHooks& h, RunResult& r, ReportSink& sink)
    : opt_(o), hooks_(h), res_(r), sink_(sink), dest_(destination_for(o, h.cancel)) {
  pass_.max_record_bytes = o.max_record_bytes;
  pass_.now = now_;
  pass_.workers = o.workers;
  pass_.cancel = h.cancel;
  pass_.progress = h.progress;
}

void Pipeline::locate() {
  if (opt_.manifest) {
    auto m = read_manifest(*opt_.manifest);
    if (!m.ok()) throw Stop(m.error());
    manifest_ = std::move(m.value());
  }
  auto clients = find_clients_dir(opt_.source, hooks_.cancel);
  if (!clients.ok()) throw Stop(clients.error());
  clients_ = clients.value();
}

void Pipeline::run() {
  const bool upgrade = opt_.mode == RunMode::Upgrade;
  rep_.command = upgrade ? Command::Upgrade : Command::Rehearse;
  rep_.source = opt_.source.string();
  if (upgrade) rep_.target = opt_.target.string();
  if (!upgrade && opt_.keep_db) rep_.target = opt_.keep_db->string();
  rep_.tool_version = opt_.tool_version;
  rep_.command_line = opt_.command_line;
  rep_.allow_rejected = opt_.allow_rejected == AllowRejected::Yes;
  rep_.started_at = iso_utc(now_);
  rep_.host = host_name();
  rep_.operator_name = operator_name();
  rep_.max_record_size = opt_.max_record_bytes;
  try {
    locate();
    const fs::path final_path = dest_->prepare(res_.notes);
    TemporaryDatabase temp(final_path);
    {
      Db db(temp.path().string(), OpenMode::ReadWriteCreate);
      write_and_check(db, temp);
      db.close();
    }
    commit(temp, final_path);
    return;
  } catch (...) {
    FailureWords words;
    words.cancelled = cancelled_message();
    words.database = "database error, nothing committed: ";
    // Diagnosed in write_and_check(), while the temporary file still filled the disk.
    words.database_detail = [this](int) { return space_note_; };
    words.other = "I/O or internal error, nothing committed: ";
    end_run_on_exception(res_, hooks_.cancel, words);
  }
  // The digests stay when they were made (each is set only once complete): a
  // blocked or cancelled upgrade's are what upgrade --allow-rejected, or the
  // run again, would record, and the sign-off of that decision shows them.
  if (rep_.finished_at.empty()) rep_.finished_at = iso_utc(std::time(nullptr));
  try {
    report_totals();  // reads the tracks' temporary file: the failure may have been that very disk
  } catch (...) {
    // The run's own failure is what is reported; the counts stay those reported so far.
  }
  rep_.elapsed_seconds = elapsed();
}

// Every stage up to the commit, on the temporary database. On a failure the
// report still names every file and what became of it, unless the operator
// interrupted (then nothing more is done) or the database failed.
void Pipeline::write_and_check(Db& db, TemporaryDatabase& temp) {
  try {
    timed("read_check_write", [&] { build(db); });
    timed("store_digest", [&] { digest_store(db); });
    refusal_ = refusal();
    rep_.blocked = refusal_.refused();
    rep_.store_failure = refusal_.store;
    if (refusal_.blocked && !refusal_.store) {
      // Refused for its rejects: the digest that upgrade --allow-rejected will
      // record is the sign-off's to approve; it is that of the clients written.
      rep_.content_digest =
          tracks_digest([](const FileTrack& t) { return t.client_written && expects_client(t.outcome); });
    }
    dest_->built(temp, refusal_);
    if (hooks_.after_write) hooks_.after_write(db);
    timed("verify", [&] { verify(db, temp.path()); });
    // SQLite's whole-file checks go on meanwhile (verify() started them).
    if (dest_->asks_to_proceed()) confirm();
    timed("source_recheck", [&] { check_source_unchanged(&db); });
    check_cancel();
    timed("report", [&] { report_files(db); });
    timed("sqlite_checks", [&] { sqlite_checks(); });
    timed("meta", [&] { finish_database(db); });
    if (dest_->must_sync()) {
      progress("fsync and rename", 0, 0);
      timed("sync", [&] { temp.sync(); });  // the kernel has been writing since the build
    }
  } catch (...) {
    note_space(std::current_exception(), temp);
    const bool interrupted = hooks_.cancel && hooks_.cancel->requested();
    if (built_ && !reported_ && !interrupted) {
      try {
        report_files(db);
      } catch (const std::exception&) {
        // The run's own error is what the operator needs to see.
      }
    }
    throw;
  }
}

void Pipeline::note_space(std::exception_ptr e, const TemporaryDatabase& temp) {
  try {
    std::rethrow_exception(e);
  } catch (const DbError& d) {
    space_note_ = space_diagnosis(is_storage_failure(d.code()), temp.folder());
  } catch (const SystemError& s) {
    if (s.error_number() == ENOSPC || s.error_number() == EFBIG) {
      space_note_ = space_diagnosis(true, temp.folder());
    }
  } catch (...) {
  }
}

std::string Pipeline::cancelled_message() const {
  std::string done;
  if (!moment_.empty()) {
    done = "cancelled " + moment_;
  } else if (!counted_.phase) {
    done = "cancelled before the first file was read";
  } else if (std::string(counted_.phase) == "reading" && counted_.done < counted_.total) {
    done = "cancelled after reading " + grouped(counted_.done) + " of " + grouped(counted_.total) + " files";
  } else if (std::string(counted_.phase) == "verifying" && counted_.done < counted_.total) {
    done = "cancelled while verifying, after " + grouped(counted_.done) + " of " + grouped(counted_.total) +
           " files had been read back";  // the count is of files, as the progress line's
  } else if (phase_ && std::string(phase_) == "verifying") {
    done = "cancelled after every file was read and verified";
  } else {
    done = std::string("cancelled during the ") + (phase_ ? phase_ : "run") + ", after every file was read";
  }
  if (opt_.mode == RunMode::Upgrade) {
    std::error_code ec;
    const bool existing = fs::exists(fs::symlink_status(opt_.target, ec));
    return done + "; nothing was written at the target" + (existing ? " (the existing file there is unchanged)" : "");
  }
  return done + "; the rehearsal's scratch database was deleted" + (opt_.keep_db ? ", no --keep-db file was made" : "");
}

void Pipeline::confirm() {
  if (!hooks_.confirm) return;
  const auto asked = std::chrono::steady_clock::now();
  moment_ = "at the confirmation prompt";  // a signal while it waits is answered there
  Plan plan{tracks_.counts(),
            opt_.source.string(),
            opt_.target.string(),
            rep_.content_digest.value_or(""),
            rep_.store_digest.value_or(""),
            ""};
  if (opt_.force == Overwrite::Yes) plan.replacing = describe_existing_target(opt_.target, opt_.source).value_or("");
  const Answer answer = hooks_.confirm(plan);
  res_.prompt_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - asked).count();
  if (answer != Answer::Yes) {
    const bool signalled = hooks_.cancel && hooks_.cancel->requested();
    // A signal is named by the command (" (SIGINT, Ctrl-C)"); Ctrl-D answers nothing.
    if (!signalled) moment_ += answer == Answer::EndOfInput ? " (end of input: no answer)" : " (answered no)";
    throw Stop(ExitCode::Cancelled, "cancelled");
  }
  moment_.clear();
}

// Everything that can fail happens before the rename of the database: the
// report is written to the end (the summary of this very run) and fsynced, so
// that after the commit only the report's own rename is left (commands.cpp).
void Pipeline::commit(TemporaryDatabase& temp, const fs::path& final_path) {
  check_cancel();
  if (opt_.mode != RunMode::Upgrade && opt_.keep_db) progress("copying to --keep-db", 0, 0);
  if (const auto failure = dest_->place(temp, final_path, refusal_)) {
    rep_.status = RunStatus::Failed;
    rep_.message = *failure;
    res_.exit_code = ExitCode::DataProblem;
  } else {
    rep_.status = RunStatus::Succeeded;
    res_.exit_code = ExitCode::Ok;
  }
  report_totals();
  rep_.elapsed_seconds = elapsed();
  test_stop_point("before-rename", hooks_.cancel);
  check_cancel();
  sink_.prepare(rep_);
  // The store looked at once more, as late as can be: a change since the first
  // re-check (during the report, SQLite's checks, the sync) is not committed.
  check_source_unchanged(nullptr);
  check_cancel();
  dest_->commit(temp, res_.notes);
  if (opt_.mode != RunMode::Upgrade && opt_.keep_db) res_.kept_copy = *opt_.keep_db;
}

// One pass over every file as recorded, in name order: the store digest (the
// kind from the listing's stamp) and, with --manifest, the manifest check.
void Pipeline::digest_store(Db& db) {
  std::optional<ManifestCheck> check;
  if (manifest_) {
    progress("checking the manifest", 0, 0);
    check.emplace(*manifest_, store_->fd());
  }
  StoreDigest digest;
  Stmt q(db, "SELECT path, size, sha256, outcome FROM legacy_files ORDER BY path");
  std::size_t i = 0;
  for (std::size_t n = 0; q.step(); ++n) {
    if (n % 1024 == 0) check_cancel();
    const std::string_view path = q.text_view(0);
    while (i < tracks_.size() && tracks_.path(i) != path) ++i;
    if (i == tracks_.size()) throw InternalError("legacy_files has a row that no file of the listing accounts for");
    const FileTrack t = tracks_.get(i++);
    const std::string sha = q.is_null(2) ? std::string() : q.text(2);
    digest.add(path, t.has_stamp ? std::optional<std::uint32_t>(t.stamp.type) : std::nullopt,
               q.is_null(1) ? std::nullopt : std::optional<std::int64_t>(q.integer(1)), sha, q.text_view(3));
    if (check) check->entry(path, sha);
  }
  rep_.store_digest = digest.hex();
  if (check) rep_.manifest = check->finish();
}

Refusal Pipeline::refusal() {
  Refusal r;
  const Counts counts = tracks_.counts();
  r.rejected = counts.rejected;
  r.blocked = counts.rejected > 0 && opt_.allow_rejected == AllowRejected::No;
  SkippedNames skipped;
  if (counts.skipped > 0) {
    for (std::size_t i = 0; i < tracks_.size(); ++i) {
      if (tracks_.get(i).outcome == RecordOutcome::Skipped) skipped.add(tracks_.path(i));
    }
  }
  r.store = no_record_failure(counts, skipped);
  if (rep_.manifest && rep_.manifest->differences()) r.store = rep_.manifest->failure();
  return r;
}

void Pipeline::report_totals() {
  if (reported_) sink_.fill(rep_);  // the lists
  if (built_) rep_.totals = tracks_.counts();
}

// Entry by entry, in both directions: every entry first listed must still be
// there as it was seen (type, inode, size, modification and status-change
// times: a file replaced by another of the same size and time has another
// inode or ctime), and the folder listed again must hold the same names. Each
// entry that changed is named (the first kNamedChanges, then a count). With
// `db`, the report row of each changed file that was read is marked.
void Pipeline::check_source_unchanged(Db* db) {
  constexpr std::size_t kNamedChanges = 10;
  std::vector<std::string> changes;
  std::size_t more = 0;
  const auto note = [&](std::string what) {
    if (changes.size() < kNamedChanges) {
      changes.push_back(std::move(what));
    } else {
      ++more;
    }
  };
  for (std::size_t i = 0; i < tracks_.size(); ++i) {
    if (i % 1024 == 0) check_cancel();
    const FileTrack t = tracks_.get(i);
    const std::string name(tracks_.path(i));
    std::optional<FileStamp> after;
    try {
      after = stamp_of(store_->fd(), name);
    } catch (const SystemError& e) {
      throw SystemError(e.operation(), (clients_ / name).string(), e.error_number());
    }
    if (!after) {
      note("'" + name + "' is gone");
    } else if (t.has_stamp && !(t.stamp == *after)) {
      note("'" + name + "' changed (" + t.stamp.difference(*after) + ")");
      if (t.read && db) {
        add_row_issue(*db, i, IssueId::SourceChanged,
                      "the file changed while the upgrade ran (" + t.stamp.difference(*after) + ")",
                      Verification::Failed);
      }
    }
  }
  if (std::string why = store_->moved(); !why.empty()) note(std::move(why));
  // The other direction: a second listing, compared name by name with the first (both sorted).
  const StoreListing again = list_names(*store_, hooks_.cancel);
  std::size_t a = 0, b = 0;
  while (a < listing_.size() || b < again.size()) {
    if ((a + b) % 1024 == 0) check_cancel();
    const std::string first = a < listing_.size() ? listing_.name(a) : std::string();
    const std::string second = b < again.size() ? again.name(b) : std::string();
    if (a < listing_.size() && (b >= again.size() || first < second)) {
      ++a;  // gone: named above
    } else if (b < again.size() && (a >= listing_.size() || second < first)) {
      note("'" + second + "' was added");
      ++b;
    } else {
      ++a, ++b;
    }
  }
  if (changes.empty()) return;
  std::string what;
  for (const auto& c : changes) what += (what.empty() ? "" : ", ") + c;
  if (more) what += " and " + std::to_string(more) + " more";
  throw Stop(ExitCode::DataProblem, "source changed during the run: " + what);
}

}  // namespace kms::core::detail
