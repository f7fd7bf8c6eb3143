#include "upgrade.h"

#include "report_sink.h"
#include "upgrade_pipeline.h"

namespace kms::core {

RunResult run_upgrade(const UpgradeOptions& options, const UpgradeHooks& hooks) {
  RunResult result;
  ReportSink counts_only;
  detail::Pipeline(options, hooks, result, hooks.report ? *hooks.report : counts_only).run();
  return result;
}

}  // namespace kms::core
