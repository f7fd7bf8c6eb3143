#include "commands.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <optional>

#include "console.h"
#include "existing_target.h"
#include "failure.h"
#include "report_sink.h"
#include "run_paths.h"
#include "scan_command.h"
#include "scan_json.h"
#include "scan_view.h"
#include "signals.h"
#include "terminal.h"
#include "test_stop_point.h"
#include "upgrade.h"
#include "verify_command.h"

namespace kms::cli {
namespace {

/// What every command sets up: the cancelling signals routed to a cancel flag,
/// the progress line, and the report file (--report), written as the run goes.
struct RunContext {
  explicit RunContext(const Options& o)
      : progress(o.progress), report(std::vector<std::filesystem::path>(o.reports.begin(), o.reports.end())) {}
  core::ProgressFn progress_fn() {
    return [this](const char* phase, std::size_t done, std::size_t total) {
      if (phase != last_phase) {  // the first file of a pass: a stop point for the signal tests
        last_phase = phase;
        core::test_stop_point(phase, &cancel);
      }
      progress.update(phase, done, total);
    };
  }
  core::CancelFlag& cancel = cancel_flag();
  ProgressLine progress;
  core::ReportSink report;
  std::string last_phase;
};

const char* signal_name(int sig) {
  switch (sig) {
    case SIGINT:
      return "SIGINT, Ctrl-C";
    case SIGTERM:
      return "SIGTERM";
    case SIGHUP:
      return "SIGHUP: the terminal or the SSH session closed";
    case SIGQUIT:
      return "SIGQUIT";
    default:
      return "a signal";
  }
}

/// A cancel by a signal names it where it struck, in its first clause:
/// "cancelled at the confirmation prompt (SIGINT, Ctrl-C); nothing was written ...".
void name_the_signal(std::string& message) {
  if (cancelling_signal() == 0) return;
  const std::string named = std::string(" (") + signal_name(cancelling_signal()) + ")";
  const auto clause = message.find(';');
  message.insert(clause == std::string::npos ? message.size() : clause, named);
}

/// The summary on the terminal, the end of the report file, the exit code.
/// Once an upgrade has committed, the report's summary is already on disk
/// (ReportSink::prepare): only its rename is left, and if even that fails the
/// operator is told exactly what was committed (exit 4), never "nothing committed".
int finish(const Options& o, RunContext& ctx, core::RunResult result, std::filesystem::path* kept_copy = nullptr) {
  ctx.progress.clear();
  core::RunReport& rep = result.report;
  if (rep.status == core::RunStatus::Cancelled) name_the_signal(rep.message);
  int code = static_cast<int>(result.exit_code);
  std::string report_error;
  try {
    ctx.report.finish(rep);
  } catch (const std::exception& e) {
    report_error = e.what();
  }
  const bool committed = o.command == Command::Upgrade && rep.status == core::RunStatus::Succeeded;
  if (!report_error.empty() && !committed) {
    // Nothing committed: the run failed, and the status line (last) says so.
    if (code == 0) code = static_cast<int>(core::ExitCode::Internal);
    if (rep.status == core::RunStatus::Succeeded) rep.status = core::RunStatus::Failed;
    rep.message = rep.message.empty() ? report_error : rep.message + "; " + report_error;
    if (!result.kept_copy.empty()) {  // a rehearsal whose result is not told leaves nothing
      std::error_code ec;
      std::filesystem::remove(result.kept_copy, ec);
      rep.message += "; the --keep-db copy '" + result.kept_copy.string() + "' was removed";
      result.kept_copy.clear();
    }
  }
  print_run_summary(stdout, code == 0 && report_error.empty() ? stdout : stderr, result, o.quiet,
                    report_error.empty() ? ctx.report.paths() : std::vector<std::filesystem::path>{});
  if (!report_error.empty() && committed) {
    KMS_SAY(stderr, "kms-migrate: the database '%s' is committed and verified, but the report was not completed: %s\n",
            o.target, report_error);
    code = static_cast<int>(core::ExitCode::ReportIncomplete);
  }
  if (kept_copy) *kept_copy = result.kept_copy;
  flush_output(stdout);
  flush_output(stderr);
  return code;
}

/// Every path decided before any work (core/target/run_paths.h); then `command` runs
/// with a RunContext. A path that may not be used, or a report file that may not
/// be created there, stops it first (exit 2); a report the machine failed to
/// create (too many open files, an I/O error) is exit 3.
template <typename F>
int with_context(const Options& o, F&& command) {
  core::RunPaths paths;
  paths.source = o.source;
  if (o.command == Command::Upgrade || o.command == Command::Verify) paths.target = o.target;
  paths.target_written = o.command == Command::Upgrade;
  paths.force = o.force;
  for (const auto& r : o.reports) paths.reports.push_back(r);
  if (o.keep_db) paths.keep_db = *o.keep_db;
  paths.uses_temporary_storage = true;  // every command spools its per-file state to $TMPDIR
  if (o.command == Command::Upgrade && !o.force) {
    if (const auto why = core::second_upgrade_refusal(o.target, o.source)) {
      KMS_SAY(stderr, "kms-migrate upgrade: %s\n", *why);
      return static_cast<int>(core::ExitCode::Usage);
    }
  }
  const core::Status usable = core::check_run_paths(paths);
  if (!usable.ok()) {
    KMS_SAY(stderr, "kms-migrate %s: %s\n", command_name(o.command), usable.error().message);
    return static_cast<int>(core::ExitCode::Usage);
  }
  std::optional<RunContext> ctx;
  try {
    ctx.emplace(o);
  } catch (const core::SystemError& e) {  // a report that cannot be created
    KMS_SAY(stderr, "kms-migrate %s: %s\n", command_name(o.command), e.what());
    return static_cast<int>(core::is_path_fault(e.error_number()) ? core::ExitCode::Usage : core::ExitCode::Internal);
  } catch (const std::exception& e) {
    KMS_SAY(stderr, "kms-migrate %s: %s\n", command_name(o.command), e.what());
    return static_cast<int>(core::ExitCode::Usage);
  }
  return command(*ctx);
}

/// Closes the controlling terminal opened for the prompt.
struct Tty {
  int fd = -1;
  ~Tty() {
    if (fd >= 0) ::close(fd);
  }
};

int run_pipeline(const Options& o, core::RunMode mode, RunContext& ctx, std::filesystem::path& kept_copy) {
  core::UpgradeOptions uo;
  uo.mode = mode;
  uo.source = o.source;
  uo.target = o.target;
  if (o.keep_db) uo.keep_db = *o.keep_db;
  uo.allow_rejected = o.allow_rejected ? core::AllowRejected::Yes : core::AllowRejected::No;
  uo.force = o.force ? core::Overwrite::Yes : core::Overwrite::No;
  uo.workers.jobs = o.jobs;
  uo.max_record_bytes = o.max_record_size;
  uo.tool_version = kToolVersion;
  uo.command_line = o.command_line;
  if (o.manifest) uo.manifest = *o.manifest;
  core::UpgradeHooks hooks;
  hooks.cancel = &ctx.cancel;
  hooks.progress = ctx.progress_fn();
  hooks.report = &ctx.report;
  if (o.all) ctx.report.list_everything();
  Tty tty;
  if (mode == core::RunMode::Upgrade && !o.yes) {
    // Asked on the controlling terminal, whatever stdin and stdout are; without
    // one, a script must say --yes: the upgrade never proceeds unasked.
    tty.fd = open_controlling_terminal();
    if (tty.fd < 0) {
      KMS_SAY(stderr, "kms-migrate upgrade: no terminal to confirm on; pass --yes to upgrade without being asked\n");
      return static_cast<int>(core::ExitCode::Usage);
    }
    hooks.confirm = [&](const core::Plan& plan) {
      ctx.progress.clear();
      return ask_to_proceed(tty.fd, plan, &ctx.cancel);
    };
  }
  return finish(o, ctx, core::run_upgrade(uo, hooks), &kept_copy);
}

int run_verify_command(const Options& o, RunContext& ctx) {
  core::VerifyOptions vo;
  vo.source = o.source;
  vo.target = o.target;
  vo.workers.jobs = o.jobs;
  vo.tool_version = kToolVersion;
  vo.command_line = o.command_line;
  if (o.manifest) vo.manifest = *o.manifest;
  vo.expect_digest = o.expect_digest;
  if (o.max_record_size_given) vo.max_record_bytes = o.max_record_size;
  return finish(o, ctx, core::run_verify(vo, &ctx.cancel, ctx.progress_fn(), &ctx.report));
}

int run_scan_command(const Options& o, RunContext& ctx) {
  core::ScanOptions so;
  so.source = o.source;
  so.mailbox = o.mailbox;
  so.workers.jobs = o.jobs;
  so.max_record_bytes = o.max_record_size;
  if (o.manifest) so.manifest = *o.manifest;
  const core::ScanResult result = core::run_scan(so, &ctx.cancel, ctx.progress_fn());
  ctx.progress.clear();
  if (result.exit_code != core::ExitCode::Ok && result.exit_code != core::ExitCode::DataProblem) {
    std::string message = result.message;
    if (result.exit_code == core::ExitCode::Cancelled) name_the_signal(message);
    KMS_SAY(stderr, "kms-migrate scan: %s\n", message);
    return static_cast<int>(result.exit_code);
  }
  if (o.json) {
    const auto to_stdout = [](std::string_view text) { say_own_text(stdout, std::string(text)); };
    if (o.mailbox && !o.summary) {
      core::write_scan_matches_json(so, result, to_stdout);  // the matches, not the inventory
    } else {
      core::write_scan_json(so, result, to_stdout);
    }
    say_own_text(stdout, "\n");
    if (!result.message.empty()) {
      flush_output(stdout);
      KMS_SAY(stderr, "kms-migrate scan: %s%s\n",
              result.exit_code == core::ExitCode::Ok ? "" : "failed: ", result.message);
    }
  } else {
    print_scan(stdout, stderr, so, result, ScanView{o.quiet, o.summary, o.all});
  }
  return static_cast<int>(result.exit_code);
}

}  // namespace

int run_command(const Options& o, std::filesystem::path& kept_copy) {
  switch (o.command) {
    case Command::Upgrade:
      return with_context(o, [&](RunContext& c) { return run_pipeline(o, core::RunMode::Upgrade, c, kept_copy); });
    case Command::Rehearse:
      return with_context(o, [&](RunContext& c) { return run_pipeline(o, core::RunMode::Rehearse, c, kept_copy); });
    case Command::Verify:
      return with_context(o, [&](RunContext& c) { return run_verify_command(o, c); });
    case Command::Scan:
      return with_context(o, [&](RunContext& c) { return run_scan_command(o, c); });
  }
  return static_cast<int>(core::ExitCode::Usage);
}

}  // namespace kms::cli
