// Listing and removing the tool's own temporary entries with opendir/readdir
// and unlinkat: std::filesystem's iteration allocates inside noexcept code, so
// running out of memory there would end the program instead of the run.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

namespace kms::core {

/// The names in `folder` that start with `prefix` (none if it cannot be listed).
std::vector<std::string> names_starting(const std::filesystem::path& folder, const std::string& prefix);
/// The names in the folder open as `dirfd` (which stays open), never by its name.
std::vector<std::string> names_in(int dirfd);

/// Removes `path` and, if it is a folder, everything in it, never following a
/// link (a link is removed, not what it names). True when it is gone.
bool remove_tree(const std::filesystem::path& path);

}  // namespace kms::core
