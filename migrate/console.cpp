#include "console.h"

#include <poll.h>
#include <stdio_ext.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>

#include "signals.h"

namespace kms::cli {
namespace {

using Clock = std::chrono::steady_clock;

int g_first_errno = 0;           // of the first write to stdout or stderr that failed
std::atomic<bool> g_cut{false};  // output after a cancel was dropped or cut
struct AfterCancel {
  Clock::time_point deadline{};  // set by the first write after the cancel
  bool dead = false;             // it timed out: not waited for again
};
AfterCancel g_after[3];  // by descriptor: 1 stdout, 2 stderr

void note_failure(int err) {
  if (g_first_errno == 0) g_first_errno = err != 0 ? err : EIO;
}

/// Writes `text` to `fd` in pieces a pipe takes whole once it is writable
/// (PIPE_BUF), waiting for it at most half a second after the first such write
/// (the cancel is answered within a second in all).
void write_until_deadline(int fd, const std::string& text) {
  constexpr std::size_t kPiece = 4096;
  AfterCancel& a = g_after[fd == 1 ? 1 : 2];
  if (a.deadline == Clock::time_point{}) a.deadline = Clock::now() + std::chrono::milliseconds(500);
  for (std::size_t done = 0; done < text.size() && !a.dead;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(a.deadline - Clock::now()).count();
    pollfd p{fd, POLLOUT, 0};
    const int ready = left > 0 ? ::poll(&p, 1, static_cast<int>(left)) : 0;
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0 || (p.revents & (POLLERR | POLLHUP | POLLNVAL))) {
      g_cut = true;
      a.dead = true;
      return;
    }
    const ssize_t n = ::write(fd, text.data() + done, std::min(kPiece, text.size() - done));
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) {
      note_failure(errno);
      return;
    }
    done += static_cast<std::size_t>(n);
  }
}

/// After a cancel: what stdio still holds for `f` is written if it goes to a
/// regular file (which takes it at once), else dropped (a pipe may never be read).
void settle(std::FILE* f) {
  if (__fpending(f) == 0) return;
  struct stat st {};
  if (::fstat(::fileno(f), &st) == 0 && S_ISREG(st.st_mode)) {
    errno = 0;
    if (std::fflush(f) == 0 && !std::ferror(f)) return;
    if (errno != EINTR) note_failure(errno);
  }
  g_cut = true;
  __fpurge(f);
}

}  // namespace

void emit(std::FILE* out, const std::string& text) {
  if (cancel_flag().requested()) {
    settle(out);
    write_until_deadline(::fileno(out), text);
    return;
  }
  errno = 0;
  if (std::fwrite(text.data(), 1, text.size(), out) != text.size() || std::ferror(out)) note_failure(errno);
}

void flush_output(std::FILE* f) {
  if (cancel_flag().requested()) {
    settle(f);
    return;
  }
  errno = 0;
  if (std::fflush(f) != 0 || std::ferror(f)) note_failure(errno);
}

int finish_standard_streams() {
  for (std::FILE* f : {stdout, stderr}) flush_output(f);
  if (g_first_errno != 0 && !(g_first_errno == EINTR && cancel_flag().requested())) return g_first_errno;
  return g_cut || g_first_errno == EINTR ? ETIMEDOUT : 0;
}

}  // namespace kms::cli
