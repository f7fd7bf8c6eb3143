#include "std_streams.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <initializer_list>

namespace kms::cli {

void open_missing_standard_streams() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    // open() returns the lowest free descriptor: this one, as the lower ones are open.
    const int got = ::open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
    if (got >= 0 && got != fd) {
      ::dup2(got, fd);
      ::close(got);
    }
  }
}

int standard_streams_error() {
  int err = 0;
  for (std::FILE* f : {stdout, stderr}) {
    errno = 0;
    const bool failed = std::fflush(f) != 0 || std::ferror(f);
    if (failed && err == 0) err = errno != 0 ? errno : EIO;
  }
  return err;
}

}  // namespace kms::cli
