#include "folder_entries.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace kms::core {
namespace {

/// Empties the folder open as `fd` (which it closes), depth first.
void empty_folder(int fd) {
  DIR* dir = ::fdopendir(fd);
  if (!dir) {
    ::close(fd);
    return;
  }
  std::vector<std::string> names;
  while (const dirent* d = ::readdir(dir)) {
    const std::string n = d->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  for (const auto& n : names) {
    if (::unlinkat(fd, n.c_str(), 0) == 0 || (errno != EISDIR && errno != EPERM)) continue;
    const int sub = ::openat(fd, n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0) continue;
    empty_folder(sub);
    (void)::unlinkat(fd, n.c_str(), AT_REMOVEDIR);
  }
  ::closedir(dir);  // closes fd
}

}  // namespace

namespace {

/// The names of an open DIR that start with `prefix`; closes it.
std::vector<std::string> read_names(DIR* dir, const std::string& prefix) {
  std::vector<std::string> names;
  if (!dir) return names;
  while (const dirent* d = ::readdir(dir)) {
    const std::string name = d->d_name;
    if (name.compare(0, prefix.size(), prefix) == 0 && name != "." && name != "..") names.push_back(name);
  }
  ::closedir(dir);
  return names;
}

}  // namespace

std::vector<std::string> names_starting(const std::filesystem::path& folder, const std::string& prefix) {
  return read_names(::opendir(folder.c_str()), prefix);
}

std::vector<std::string> names_in(int dirfd) {
  const int own = ::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);  // fdopendir takes the descriptor over
  if (own < 0) return {};
  DIR* dir = ::fdopendir(own);
  if (!dir) ::close(own);
  return read_names(dir, "");
}

bool remove_tree(const std::filesystem::path& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return errno == ENOENT;
  if (S_ISDIR(st.st_mode)) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) empty_folder(fd);
    return ::rmdir(path.c_str()) == 0;
  }
  return ::unlink(path.c_str()) == 0;
}

}  // namespace kms::core
