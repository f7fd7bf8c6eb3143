// --manifest FILE: the list of the store's files and their SHA-256, made on
// the old server, that a copy is checked against (docs/commands.md, "Checking
// the copy"). Read in the forms sha256sum and PowerShell's Get-FileHash write.
#pragma once
#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "failure.h"

namespace kms::core {

class Manifest {
 public:
  struct Entry {
    std::uint32_t name_at = 0;  ///< in names_: the name as written (its last path component)
    std::uint16_t name_length = 0;
    std::uint32_t line = 0;
    std::array<std::uint8_t, 32> sha256{};
  };
  std::filesystem::path path;
  std::string file_sha256;  ///< of the manifest file itself, hex
  std::string format;       ///< "sha256sum", "Get-FileHash table", "Get-FileHash list", "Get-FileHash CSV", ...
  std::size_t outside = 0;  ///< entries of other folders than Clients (a recursive listing), passed over
  std::uint64_t device = 0, inode = 0;  ///< of the manifest file: never an entry of the store to check

  std::size_t size() const { return entries_.size(); }
  const Entry& entry(std::size_t i) const { return entries_[i]; }
  std::string_view name(const Entry& e) const { return std::string_view(names_).substr(e.name_at, e.name_length); }
  /// The entry for a name of the store, compared ASCII case-insensitively; SIZE_MAX when not listed.
  std::size_t find(std::string_view name) const;

  /// Adds a file (`name` as written: its last component after '/' or '\' is
  /// kept; a name whose folder is not Clients, or ".", is of another folder and
  /// passed over). Sorted by finish().
  void add(std::string_view name, const std::array<std::uint8_t, 32>& sha256, std::uint32_t line);
  /// Sorts the entries; an Error (exit 2) names a name listed twice with two different hashes.
  Status finish();

 private:
  std::string names_;  // every name, one after the other: no allocation per entry
  std::vector<Entry> entries_;
};

/// Reads `path` (UTF-8 with or without a BOM, or UTF-16LE with its BOM, as
/// Windows PowerShell writes with '>'). An Error (exit 2) names the file, the
/// line and the rule it breaks.
Result<Manifest> read_manifest(const std::filesystem::path& path);

/// Parses the text of a manifest already decoded to UTF-8 (`where` names it in errors).
Result<Manifest> parse_manifest(std::string_view text, const std::string& where);

}  // namespace kms::core
