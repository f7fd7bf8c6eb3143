#include "signals.h"

#include <signal.h>

namespace kms::cli {
namespace {

// The only globals: a signal handler has no other way in. Both are constant-
// initialised, so they are usable before any constructor has run.
core::CancelFlag g_flag;
volatile sig_atomic_t g_signal = 0;

constexpr int kCancelSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

extern "C" void on_signal(int sig) {
  if (g_signal == 0) g_signal = sig;
  g_flag.request();
}

}  // namespace

core::CancelFlag& cancel_flag() { return g_flag; }

int cancelling_signal() { return g_signal; }

void install_cancel_handlers() {
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGPIPE, &ignore, nullptr);  // a write to a closed pipe fails with EPIPE instead
  sigaction(SIGXFSZ, &ignore, nullptr);  // past a file-size limit, writes fail with EFBIG (reported, exit 3)
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  for (int s : kCancelSignals) sigaddset(&sa.sa_mask, s);  // one handler at a time
  sa.sa_flags = 0;
  sigset_t mine;
  sigemptyset(&mine);
  for (int s : kCancelSignals) {
    sigaction(s, &sa, nullptr);
    sigaddset(&mine, s);
  }
  sigprocmask(SIG_UNBLOCK, &mine, nullptr);
}

}  // namespace kms::cli
