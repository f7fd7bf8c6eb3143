// SQLite's unix VFS turns a database name into a canonical path: it reads
// every symbolic link on the way, "/proc/self/fd/N" included, and then opens
// the name the link showed, by name. A file the run holds open would then be
// opened again through a path that another user may have changed meanwhile.
// This VFS is the unix one with names under /proc/self/fd/ left as they are:
// the kernel opens those through the descriptor (the file or the folder
// itself), whatever the names on the way have become.
#pragma once

namespace kms::core {

/// Registers the VFS as SQLite's default, once (before the first connection).
void register_fd_path_vfs();

}  // namespace kms::core
