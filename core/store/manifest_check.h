// Checking a copy of the store against its manifest (manifest.h): every entry
// of the store once, in any order, then finish(). Each difference is named:
// a file that differs, a file missing from the copy, a file not in the manifest.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "manifest.h"

namespace kms::core {

struct ManifestResult {
  std::string path;         ///< the manifest, as given
  std::string file_sha256;  ///< of the manifest file itself
  std::string format;
  std::size_t listed = 0;          ///< files the manifest lists
  std::size_t outside = 0;         ///< entries of other folders than Clients, passed over
  std::size_t matched = 0;         ///< files of the copy whose bytes have the listed hash
  std::size_t differ = 0;          ///< listed, in the copy, other bytes (or not a readable file)
  std::size_t missing = 0;         ///< listed, not in the copy
  std::size_t unlisted = 0;        ///< in the copy, not listed
  std::vector<std::string> named;  ///< "name: what", the first kNamed differences
  std::size_t named_more = 0;      ///< differences past those

  static constexpr std::size_t kNamed = 10000;
  std::size_t differences() const { return differ + missing + unlisted; }
  /// "matches: 1,500 files" or "differs: 2 differ, 1 missing from the copy, 0 not in the manifest".
  std::string verdict() const;
  /// The run's failure when the copy differs ("the copy does not match the manifest ..."); "" when it matches.
  std::string failure() const;
};

class ManifestCheck {
 public:
  /// `dir_fd`: the Clients folder, to read the files whose hash is not known yet.
  ManifestCheck(const Manifest& m, int dir_fd);
  /// One entry of the store. `sha256_hex`: of its bytes when the run read them; "" when it did not
  /// (the entry is then examined here: a folder not listed is passed over, a file is read and hashed).
  void entry(std::string_view name, const std::string& sha256_hex);
  /// After the last entry: the listed files no entry matched.
  const ManifestResult& finish();

 private:
  void difference(std::string text, std::size_t& counter);
  std::string hash_of(std::string_view name, std::string& why) const;

  const Manifest& m_;
  int dir_fd_;
  std::vector<bool> seen_;
  ManifestResult r_;
};

}  // namespace kms::core
