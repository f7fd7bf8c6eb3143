#include "store_walker.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/filesystem.hpp>
#include <cerrno>
#include <cstring>

#include "failure.h"
#include "run_control.h"
#include "text_util.h"

namespace fs = std::filesystem;

namespace kms::core {
namespace {

// A child folder of `dir` whose name matches `name` case-insensitively (not a
// link). The one use of Boost.Filesystem: the walk of the folders named by --source.
// A folder that cannot be listed is a SystemError (the caller decides whose fault).
std::optional<fs::path> child_dir(const fs::path& dir, const char* name, const CancelFlag* cancel) {
  namespace bfs = boost::filesystem;
  boost::system::error_code ec;
  const auto failed = [&] {
    if (ec.value() == ENOENT || ec.value() == ENOTDIR) return false;  // not there: not this shape
    throw SystemError("look for the store in", dir.string(), ec.value());
  };
  bfs::directory_iterator it(bfs::path(dir.native()), ec);
  for (bfs::directory_iterator end; !(ec && failed()) && it != end; it.increment(ec)) {
    if (cancel && cancel->requested()) return std::nullopt;
    boost::system::error_code sec;
    const auto st = it->symlink_status(sec);
    if (!sec && st.type() == bfs::directory_file && iequals(it->path().filename().string(), name)) {
      return fs::path(it->path().native());
    }
  }
  return std::nullopt;
}

}  // namespace

Result<fs::path> find_clients_dir(const fs::path& typed, const CancelFlag* cancel) {
  const auto no_store = [&](std::string why) { return Error{ExitCode::Usage, std::move(why), typed.string(), 0}; };
  std::error_code ec;
  // "Clients/" (what tab completion types), "." and "Security/Mgrent/.." name folders too.
  // The walk ends at the root: "/", "//", "/." are the root, whose parent is itself.
  fs::path source = fs::absolute(typed).lexically_normal();
  while (source.has_parent_path() && source.parent_path() != source &&
         (source.filename() == "." || source.filename().empty())) {
    source = source.parent_path();
  }
  // A folder of the walk that cannot be listed: not permitted is the operator's to
  // fix (exit 2, named); too many open files, an I/O error... is the machine's (exit 3).
  const auto child = [&](const fs::path& dir, const char* name) {
    try {
      return child_dir(dir, name, cancel);
    } catch (const SystemError& e) {
      if (!is_path_fault(e.error_number())) throw;
      throw Stop(
          Error{ExitCode::Usage, std::string("no store at '") + typed.string() + "': " + e.what(), typed.string(), 0});
    }
  };
  const auto cancelled = [&] { return cancel && cancel->requested(); };
  if (!fs::is_directory(source, ec)) {
    return no_store("no store at '" + typed.string() +
                    "': " + (fs::exists(source, ec) ? "it is not a folder" : "it does not exist"));
  }
  if (auto mgrent = child(source, "Mgrent")) {
    if (auto clients = child(*mgrent, "Clients")) return *clients;
  }
  if (auto clients = child(source, "Clients")) return *clients;
  if (cancelled()) return Error{ExitCode::Cancelled, "cancelled while looking for the store", typed.string(), 0};
  if (iequals(source.filename().string(), "Clients")) return source;
  const fs::path real = fs::canonical(source, ec);  // a link to the Clients folder, named otherwise
  if (!ec && iequals(real.filename().string(), "Clients")) return source;
  std::string hint;
  if (auto security = child(source, "Security")) {
    if (auto mgrent = child(*security, "Mgrent"); mgrent && child(*mgrent, "Clients")) {
      hint = "; it holds the store's Security folder: use --source '" + (typed / security->filename()).string() + "'";
    }
  }
  return no_store("no store at '" + typed.string() +
                  "': expected a Security folder holding Mgrent\\Clients, a Mgrent folder holding Clients, "
                  "or the Clients folder itself" +
                  hint);
}

bool is_record_file_name(const std::string& name) {
  if (name.size() != 17) return false;
  if (name[0] != 'M' && name[0] != 'm') return false;
  for (std::size_t i = 1; i < 13; ++i) {
    const char c = name[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return iequals(std::string_view(name).substr(13), ".ini");
}

StoreDir::StoreDir(fs::path clients) : path_(std::move(clients)) {
  fd_ = ::open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  // Missing or not permitted: the operator's to fix (exit 2); else the machine's (exit 3).
  if (fd_ < 0) throw_path_failure("open the folder", path_.string(), errno, "cannot read the store: ");
  struct stat st {};
  if (::fstat(fd_, &st) != 0) {
    const int err = errno;
    ::close(fd_);
    throw SystemError("examine (fstat) the folder", path_.string(), err);
  }
  dev_ = st.st_dev;
  ino_ = st.st_ino;
}

std::string StoreDir::moved() const {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return "the folder '" + path_.string() + "' was moved or removed";
    throw SystemError("examine the folder", path_.string(), errno);
  }
  if (st.st_dev != dev_ || st.st_ino != ino_) {
    return "the folder '" + path_.string() + "' was replaced by another (moved, or renamed over)";
  }
  return {};
}

StoreDir::~StoreDir() {
  if (fd_ >= 0) ::close(fd_);
}

namespace {

using Type = StoreListing::Type;

/// The entry's type from readdir, or from fstatat (never following a link) when the
/// file system does not say.
Type type_of(const StoreDir& dir, const struct dirent& d) {
  switch (d.d_type) {
    case DT_REG:
      return Type::Regular;
    case DT_LNK:
      return Type::Symlink;
    case DT_DIR:
      return Type::Directory;
    case DT_UNKNOWN:
      break;
    default:
      return Type::Other;
  }
  struct stat st {};
  if (::fstatat(dir.fd(), d.d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) return Type::Unknown;
  if (S_ISREG(st.st_mode)) return Type::Regular;
  if (S_ISLNK(st.st_mode)) return Type::Symlink;
  if (S_ISDIR(st.st_mode)) return Type::Directory;
  return Type::Other;
}

[[noreturn]] void cannot_list(const StoreDir& clients, int err) {
  throw SystemError("list the folder", clients.path().string(), err);
}

/// Calls fn(dirent) for every entry but "." and "..".
template <typename F>
void read_folder(const StoreDir& clients, F&& fn) {
  // A descriptor of its own, so that each listing starts at the beginning.
  const int fd = ::openat(clients.fd(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR* dir = fd < 0 ? nullptr : ::fdopendir(fd);
  if (!dir) {
    const int err = errno;
    if (fd >= 0) ::close(fd);
    cannot_list(clients, err);
  }
  errno = 0;
  while (const struct dirent* d = ::readdir(dir)) {
    const std::string_view name(d->d_name);
    if (name != "." && name != "..") fn(*d);
    errno = 0;
  }
  const int err = errno;
  ::closedir(dir);
  if (err != 0) cannot_list(clients, err);
}

}  // namespace

std::string record_id_of_name(std::string_view name) { return to_lower_ascii(record_id_part(name)); }

StoreEntry StoreListing::entry(std::size_t i) const {
  auto [name, tag] = names_->at(i);
  const auto type = static_cast<Type>(tag);
  StoreEntry e;
  e.name = std::move(name);
  const bool record_name = is_record_file_name(e.name);
  if (type == Type::Unknown) {
    e.kind = record_name ? EntryKind::RecordFile : EntryKind::NotRecord;  // the reader reports why
    e.skip_reason = "cannot be examined";
  } else if (type == Type::Symlink) {
    e.kind = record_name ? EntryKind::RecordSymlink : EntryKind::NotRecord;
    e.skip_reason = "a symbolic link, not followed";
  } else if (!record_name) {
    e.kind = EntryKind::NotRecord;
    e.skip_reason = type == Type::Directory ? "a folder" : "not named M<12 letters or digits>.ini";
  } else if (type != Type::Regular) {
    e.kind = EntryKind::NotRecord;
    e.skip_reason = type == Type::Directory ? "a folder with a record's name" : "not a regular file";
  } else {
    e.kind = EntryKind::RecordFile;
  }
  if (e.kind != EntryKind::NotRecord) {
    e.record_id = record_id_of_name(e.name);
    e.skip_reason.clear();
  }
  return e;
}

StoreListing list_names(const StoreDir& clients, const CancelFlag* cancel) {
  auto names = std::make_shared<SortedStrings>();
  std::size_t seen = 0;
  read_folder(clients, [&](const struct dirent& d) {
    if (++seen % 1024 == 0) throw_if_cancelled(cancel);
    const std::size_t length = std::strlen(d.d_name);
    if (length > 0xFFFF) cannot_list(clients, ENAMETOOLONG);
    names->add(std::string_view(d.d_name, length), static_cast<std::uint8_t>(type_of(clients, d)));
  });
  names->finish();
  StoreListing l;
  l.names_ = std::move(names);
  return l;
}

std::vector<StoreEntry> list_store(const StoreDir& clients) {
  const StoreListing l = list_names(clients, nullptr);
  std::vector<StoreEntry> out;
  out.reserve(l.size());
  for (std::size_t i = 0; i < l.size(); ++i) out.push_back(l.entry(i));
  return out;
}

}  // namespace kms::core
