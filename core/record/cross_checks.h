// Checks across files: duplicate-mailbox and duplicate-record-id (docs/legacy-store.md section 5).
#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

#include "external_sort.h"
#include "file_analysis.h"

namespace kms::core {

/// Reject every file of each group that shares a MailboxDN (ASCII case-insensitive)
/// or a record id, each naming the others.
void apply_cross_file_rules(std::vector<FileSummary>& files);

/// The files of a store that may break a cross-file rule, found without
/// holding the store in memory: each file's two keys (ascii_ci_key of its
/// record id and of its MailboxDN; 0 for none) are noted as the file passes,
/// 16 bytes each, sorted on disk past 64 Ki keys.
class CrossFileCandidates {
 public:
  void note(std::uint32_t file, std::uint64_t record_id_key, std::uint64_t mailbox_key);
  /// The same, with the keys taken from the texts ("" for none).
  void note(std::uint32_t file, std::string_view record_id, std::string_view mailbox_dn);
  /// The files that share a key with another, ascending, each once; the notes are then forgotten.
  std::vector<std::uint32_t> take();

 private:
  struct Key {
    std::uint64_t key;
    std::uint32_t file;
    std::uint32_t kind;  // 0: record id, 1: MailboxDN
    bool operator<(const Key& o) const {
      return kind != o.kind ? kind < o.kind : key != o.key ? key < o.key : file < o.file;
    }
  };
  ExternalSort<Key> keys_;
};

/// apply_cross_file_rules() on the candidates' summaries (`group`, in file
/// order); returns the positions in `group` that it changed (a shared hash is
/// not always a shared name).
std::vector<std::size_t> apply_cross_file_rules_to(std::vector<FileSummary>& group);

}  // namespace kms::core
