#include "fd_path_vfs.h"

#include <fcntl.h>
#include <sqlite3.h>

#include <cstring>

namespace kms::core {
namespace {

constexpr const char kFdPrefix[] = "/proc/self/fd/";

sqlite3_vfs g_vfs;
sqlite3_vfs* g_unix = nullptr;
using OpenFn = int (*)(const char*, int, int);
OpenFn g_open = nullptr;

/// The unix VFS opens every file with O_NOFOLLOW; "/proc/self/fd/N" itself is
/// the kernel's link to the open file (not a name looked up again), so it alone
/// is opened without it.
int open_fd_path(const char* name, int flags, int mode) {
  if (std::strncmp(name, kFdPrefix, sizeof kFdPrefix - 1) == 0 && !std::strchr(name + sizeof kFdPrefix - 1, '/')) {
    flags &= ~O_NOFOLLOW;
  }
  return g_open(name, flags, mode);
}

int full_pathname(sqlite3_vfs*, const char* name, int out_size, char* out) {
  if (std::strncmp(name, kFdPrefix, sizeof kFdPrefix - 1) == 0) {
    const std::size_t n = std::strlen(name);
    if (n + 1 > static_cast<std::size_t>(out_size)) return SQLITE_CANTOPEN;
    std::memcpy(out, name, n + 1);
    return SQLITE_OK;
  }
  return g_unix->xFullPathname(g_unix, name, out_size, out);
}

}  // namespace

void register_fd_path_vfs() {
  static const bool done = [] {
    g_unix = sqlite3_vfs_find(nullptr);
    if (!g_unix) return false;
    g_vfs = *g_unix;  // the same methods and state (szOsFile, pAppData); only the name and one method differ
    g_vfs.zName = "kms-unix-fd";
    g_vfs.pNext = nullptr;
    g_vfs.xFullPathname = full_pathname;
    g_open = reinterpret_cast<OpenFn>(g_unix->xGetSystemCall(g_unix, "open"));
    if (g_open) g_unix->xSetSystemCall(g_unix, "open", reinterpret_cast<sqlite3_syscall_ptr>(open_fd_path));
    return sqlite3_vfs_register(&g_vfs, 1) == SQLITE_OK;
  }();
  (void)done;
}

}  // namespace kms::core
