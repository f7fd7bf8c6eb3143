#include "commands.h"

#include <unistd.h>

#include <cstdio>
#include <optional>

#include "console.h"
#include "report_sink.h"
#include "scan_command.h"
#include "scan_view.h"
#include "signals.h"
#include "terminal.h"
#include "upgrade.h"
#include "verify_command.h"

namespace kms::cli {
namespace {

/// What every command sets up: Ctrl-C/SIGTERM routed to a cancel flag, the
/// progress line, and the report file (--report), written as the run goes.
struct RunContext {
  explicit RunContext(const Options& o) : progress(o.progress), report(o.report) {}
  core::ProgressFn progress_fn() {
    return [this](const char* phase, std::size_t done, std::size_t total) { progress.update(phase, done, total); };
  }
  core::CancelFlag& cancel = cancel_flag();
  ProgressLine progress;
  core::ReportSink report;
};

/// The summary on the terminal, the end of the report file, the exit code.
int finish(const Options& o, RunContext& ctx, const core::RunResult& result) {
  ctx.progress.clear();
  print_run_summary(result.report.status == core::RunStatus::Succeeded ? stdout : stderr, result, o.quiet);
  const int code = static_cast<int>(result.exit_code);
  try {
    ctx.report.finish(result.report);
  } catch (const std::exception& e) {
    say(stderr, "kms-migrate: %s\n", e.what());
    return code == 0 ? 3 : code;
  }
  return code;
}

/// Runs `command` with a RunContext; a report file that cannot be created stops it first (exit 2).
template <typename F>
int with_context(const Options& o, F&& command) {
  std::optional<RunContext> ctx;
  try {
    ctx.emplace(o);
  } catch (const std::exception& e) {
    say(stderr, "kms-migrate: %s\n", e.what());
    return 2;
  }
  return command(*ctx);
}

int run_pipeline(const Options& o, core::RunMode mode, RunContext& ctx) {
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
  hooks.report = &ctx.report;
  if (mode == core::RunMode::Upgrade && !o.yes && ::isatty(STDIN_FILENO)) {
    hooks.confirm = [&](const core::Plan& plan) {
      ctx.progress.clear();
      return ask_to_proceed(plan);
    };
  }
  return finish(o, ctx, core::run_upgrade(uo, hooks));
}

int run_verify_command(const Options& o, RunContext& ctx) {
  core::VerifyOptions vo;
  vo.source = o.source;
  vo.target = o.target;
  vo.jobs = o.jobs;
  vo.max_record_bytes = o.max_record_size;
  return finish(o, ctx, core::run_verify(vo, &ctx.cancel, ctx.progress_fn(), &ctx.report));
}

int run_scan_command(const Options& o, RunContext& ctx) {
  core::ScanOptions so;
  so.source = o.source;
  so.mailbox = o.mailbox;
  so.jobs = o.jobs;
  so.max_record_bytes = o.max_record_size;
  const core::ScanResult result = core::run_scan(so, &ctx.cancel, ctx.progress_fn());
  ctx.progress.clear();
  if (result.exit_code == core::ExitCode::Usage || result.exit_code == core::ExitCode::Cancelled) {
    say(stderr, "kms-migrate scan: %s\n", result.message.c_str());
    return static_cast<int>(result.exit_code);
  }
  if (o.json) {
    // Exact JSON, with DEL, C1 and the bidirectional controls escaped too: it may be read on a terminal.
    say_own_text(stdout, core::json_inert(core::scan_json(so, result).dump(2, ' ', false, nlohmann::json::error_handler_t::replace)) + "\n");
  } else if (!o.quiet) {
    print_scan(stdout, so, result);
  }
  if (!result.message.empty()) say(stderr, "kms-migrate scan: %s\n", result.message.c_str());
  return static_cast<int>(result.exit_code);
}

}  // namespace

int run_command(const Options& o) {
  switch (o.command) {
    case Command::Upgrade: return with_context(o, [&](RunContext& c) { return run_pipeline(o, core::RunMode::Upgrade, c); });
    case Command::Rehearse: return with_context(o, [&](RunContext& c) { return run_pipeline(o, core::RunMode::Rehearse, c); });
    case Command::Verify: return with_context(o, [&](RunContext& c) { return run_verify_command(o, c); });
    case Command::Scan: return with_context(o, [&](RunContext& c) { return run_scan_command(o, c); });
  }
  return 2;
}

}  // namespace kms::cli
