// A folder of the run's own beside an output (mode 0700, made by mkdtemp:
// ".NAME.kms-migrate-PID-XXXXXX"), held open and used only through that
// descriptor: no other user who can write to the output's folder can swap a
// name inside it, and renaming it away changes nothing the run reads or puts
// in place. The database and each report are built in one.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

namespace kms::core {

/// The folder an output is written in (absolute; "." when there is none).
std::filesystem::path folder_of(const std::filesystem::path& output);

class PrivateFolder {
 public:
  /// Makes the folder beside `output` (for its file named like `output`).
  /// Throws SystemError.
  explicit PrivateFolder(const std::filesystem::path& output);
  ~PrivateFolder();  ///< removes the folder if it is empty and still ours, unless kept
  PrivateFolder(const PrivateFolder&) = delete;
  PrivateFolder& operator=(const PrivateFolder&) = delete;

  int fd() const { return fd_; }
  /// The folder by name (for messages and its removal only).
  const std::filesystem::path& path() const { return path_; }
  /// The name through the descriptor: "/proc/self/fd/N/NAME", for a program (SQLite) that needs a path.
  std::filesystem::path through_fd(const std::string& name) const;
  /// Leave the folder (and what is in it) when the run ends.
  void keep() { kept_ = true; }
  /// Removes the folder now if it is empty and its name is still ours.
  void remove() noexcept;

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  bool kept_ = false;
};

/// The private folders (and the temporary files of earlier versions, named
/// ".NAME.kms-migrate-PID" and more) that dead runs left beside `output`:
/// removed, unless `keep` says so of a folder (its content is a kept report),
/// and their names returned. Only this user's entries of processes that are
/// gone are touched.
std::vector<std::string> remove_stale_private(const std::filesystem::path& output,
                                              bool (*keep)(const std::filesystem::path& entry) = nullptr);

}  // namespace kms::core
