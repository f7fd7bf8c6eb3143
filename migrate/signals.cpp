#include "signals.h"

#include <signal.h>

namespace kms::cli {
namespace {

core::CancelFlag g_flag;  // the one global: a signal handler has no other way in

extern "C" void on_signal(int) { g_flag.request(); }

}  // namespace

core::CancelFlag& cancel_flag() { return g_flag; }

void install_cancel_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

}  // namespace kms::cli
