#include "manifest_check.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "hashing.h"
#include "text_util.h"

namespace kms::core {

std::string ManifestResult::verdict() const {
  if (differences() == 0) return "matches: " + grouped(matched) + " file(s), each with the hash the manifest lists";
  return "differs: " + grouped(differ) + " differ, " + grouped(missing) + " missing from the copy, " +
         grouped(unlisted) + " not in the manifest";
}

std::string ManifestResult::failure() const {
  if (differences() == 0) return "";
  return "the copy does not match the manifest " + path + ": " + grouped(differ) + " file(s) differ, " +
         grouped(missing) + " missing from the copy, " + grouped(unlisted) +
         " not in the manifest (each is named in the output and the report); copy the store again from the server";
}

ManifestCheck::ManifestCheck(const Manifest& m, int dir_fd) : m_(m), dir_fd_(dir_fd), seen_(m.size(), false) {
  r_.path = m.path.string();
  r_.file_sha256 = m.file_sha256;
  r_.format = m.format;
  r_.listed = m.size();
  r_.outside = m.outside;
}

void ManifestCheck::difference(std::string text, std::size_t& counter) {
  ++counter;
  if (r_.named.size() < ManifestResult::kNamed) {
    r_.named.push_back(std::move(text));
  } else {
    ++r_.named_more;
  }
}

// The entry's bytes, hashed here: "" with `why` when it is not a regular file that can be read.
std::string ManifestCheck::hash_of(std::string_view name, std::string& why) const {
  const std::string n(name);
  const int fd = ::openat(dir_fd_, n.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    why = errno == ELOOP ? "a symbolic link in the copy" : std::string("cannot be read: ") + std::strerror(errno);
    return "";
  }
  struct stat st {};
  std::string out;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    why = S_ISDIR(st.st_mode) ? "a folder in the copy" : "not a regular file in the copy";
  } else {
    Sha256 h;
    char buf[64 * 1024];
    ssize_t got = 0;
    while ((got = ::read(fd, buf, sizeof buf)) != 0) {
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) {
        why = std::string("cannot be read: ") + std::strerror(errno);
        break;
      }
      h.update(buf, static_cast<std::size_t>(got));
    }
    if (got == 0) out = h.hex_final();
  }
  ::close(fd);
  return out;
}

void ManifestCheck::entry(std::string_view name, const std::string& sha256_hex) {
  const std::string shown(name);  // as every report names a file: made inert where it is written
  const std::size_t i = m_.find(name);
  if (i != SIZE_MAX && seen_[i]) {
    // Two entries of the copy whose names differ only in case, one file on the server.
    difference(shown + ": not in the manifest (it lists one file of this name in another case)", r_.unlisted);
    return;
  }
  std::string why;
  if (i == SIZE_MAX) {
    struct stat st {};
    const std::string n(name);
    if (::fstatat(dir_fd_, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      if (S_ISDIR(st.st_mode)) return;  // a folder: no manifest lists one
      if (static_cast<std::uint64_t>(st.st_dev) == m_.device && static_cast<std::uint64_t>(st.st_ino) == m_.inode) {
        return;  // the manifest itself, kept in the Clients folder
      }
    }
  }
  std::string hash = sha256_hex;
  if (hash.empty() && i != SIZE_MAX) hash = hash_of(name, why);
  if (i == SIZE_MAX) {
    difference(shown + ": not in the manifest (a file the server did not have)", r_.unlisted);
    return;
  }
  seen_[i] = true;
  const Manifest::Entry& e = m_.entry(i);
  const std::string listed = hex_lower(e.sha256.data(), e.sha256.size());
  if (hash == listed) {
    ++r_.matched;
    return;
  }
  difference(shown + ": differs from the manifest (line " + std::to_string(e.line) +
                 "): " + (hash.empty() ? why : "sha256 " + hash + " in the copy, " + listed + " listed"),
             r_.differ);
}

const ManifestResult& ManifestCheck::finish() {
  for (std::size_t i = 0; i < seen_.size(); ++i) {
    if (seen_[i]) continue;
    const Manifest::Entry& e = m_.entry(i);
    difference(std::string(m_.name(e)) + ": missing from the copy (manifest line " + std::to_string(e.line) + ")",
               r_.missing);
  }
  std::fill(seen_.begin(), seen_.end(), true);
  return r_;
}

}  // namespace kms::core
