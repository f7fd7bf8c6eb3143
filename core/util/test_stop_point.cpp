#include "test_stop_point.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "run_control.h"

namespace kms::core {

void test_stop_point(const char* name, const CancelFlag* cancel) {
  const char* spec = std::getenv("KMS_MIGRATE_TEST_STOP");
  if (!spec || !cancel) return;
  const char* colon = std::strchr(spec, ':');
  if (!colon || std::string(spec, colon) != name) return;
  const int fd = ::open(colon + 1, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode)) {  // only ever a FIFO: nothing is written over
    ::close(fd);
    return;
  }
  const std::string line = std::string(name) + "\n";
  (void)!::write(fd, line.data(), line.size());
  ::close(fd);
  // Until cancelled, or until the test makes "<FIFO>.continue" (it changed the store meanwhile).
  const std::string go = std::string(colon + 1) + ".continue";
  for (int i = 0; i < 60000 && !cancel->requested() && ::access(go.c_str(), F_OK) != 0; ++i) {
    const timespec ms{0, 1000000};
    ::nanosleep(&ms, nullptr);  // returns early when the signal arrives
  }
}

}  // namespace kms::core
