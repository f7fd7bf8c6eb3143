#include "commands.h"

#include <unistd.h>

#include <cstdio>

#include "scan_command.h"
#include "scan_view.h"
#include "signals.h"
#include "terminal.h"
#include "upgrade.h"
#include "verify_command.h"

namespace kms::cli {
namespace {

/// What every command sets up: Ctrl-C/SIGTERM routed to a cancel flag, and the progress line.
struct RunContext {
  explicit RunContext(const Options& o) : progress(o.progress) { install_cancel_handlers(cancel); }
  core::ProgressFn progress_fn() {
    return [this](const char* phase, std::size_t done, std::size_t total) { progress.update(phase, done, total); };
  }
  core::CancelFlag cancel;
  ProgressLine progress;
};

int write_report_if_asked(const Options& o, const core::RunReport& report, int code) {
  if (!o.report) return code;
  try {
    core::write_report_file(*o.report, report);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kms-migrate: cannot write the report '%s': %s\n", o.report->c_str(), e.what());
    return code == 0 ? 3 : code;
  }
  return code;
}

/// The summary on the terminal, the report file, the exit code.
int finish(const Options& o, RunContext& ctx, const core::RunResult& result) {
  ctx.progress.clear();
  print_run_summary(result.report.status == core::RunStatus::Succeeded ? stdout : stderr, result, o.quiet);
  return write_report_if_asked(o, result.report, static_cast<int>(result.exit_code));
}

int run_pipeline(const Options& o, core::RunMode mode) {
  RunContext ctx(o);
  core::UpgradeOptions uo;
  uo.mode = mode;
  uo.source = o.source;
  uo.target = o.target;
  if (o.keep_db) uo.keep_db = *o.keep_db;
  uo.allow_rejected = o.allow_rejected ? core::AllowRejected::Yes : core::AllowRejected::No;
  uo.force = o.force ? core::Overwrite::Yes : core::Overwrite::No;
  uo.jobs = o.jobs;
  uo.max_record_bytes = o.max_record_size;
  uo.tool_version = kToolVersion;
  core::UpgradeHooks hooks;
  hooks.cancel = &ctx.cancel;
  hooks.progress = ctx.progress_fn();
  if (mode == core::RunMode::Upgrade && !o.yes && ::isatty(STDIN_FILENO)) {
    hooks.confirm = [&](const core::Plan& plan) {
      ctx.progress.clear();
      return ask_to_proceed(plan);
    };
  }
  return finish(o, ctx, core::run_upgrade(uo, hooks));
}

int run_verify_command(const Options& o) {
  RunContext ctx(o);
  core::VerifyOptions vo;
  vo.source = o.source;
  vo.target = o.target;
  vo.jobs = o.jobs;
  vo.max_record_bytes = o.max_record_size;
  return finish(o, ctx, core::run_verify(vo, &ctx.cancel, ctx.progress_fn()));
}

int run_scan_command(const Options& o) {
  RunContext ctx(o);
  core::ScanOptions so;
  so.source = o.source;
  so.mailbox = o.mailbox;
  so.jobs = o.jobs;
  so.max_record_bytes = o.max_record_size;
  const core::ScanResult result = core::run_scan(so, &ctx.cancel, ctx.progress_fn());
  ctx.progress.clear();
  if (result.exit_code == core::ExitCode::Usage || result.exit_code == core::ExitCode::Cancelled) {
    std::fprintf(stderr, "kms-migrate scan: %s\n", result.message.c_str());
    return static_cast<int>(result.exit_code);
  }
  if (o.json) {
    std::printf("%s\n", core::scan_json(so, result).dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else if (!o.quiet) {
    print_scan(stdout, so, result);
  }
  if (!result.message.empty()) std::fprintf(stderr, "kms-migrate scan: %s\n", result.message.c_str());
  return static_cast<int>(result.exit_code);
}

}  // namespace

int run_command(const Options& o) {
  switch (o.command) {
    case Command::Upgrade: return run_pipeline(o, core::RunMode::Upgrade);
    case Command::Rehearse: return run_pipeline(o, core::RunMode::Rehearse);
    case Command::Verify: return run_verify_command(o);
    case Command::Scan: return run_scan_command(o);
  }
  return 2;
}

}  // namespace kms::cli
