// What the upgrade keeps of each file once its rows are in the temporary
// database (104 bytes; issues, names and bytes stay in the database): enough
// for the cross-file rules, the verification, the source re-check, the counts
// and the content digest. The tracks live in a temporary file, read and
// written a page at a time: memory does not grow with the store.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "content_digest.h"
#include "cross_checks.h"
#include "db_writer.h"
#include "file_analysis.h"
#include "report.h"
#include "store_walker.h"
#include "temp_spool.h"

namespace kms::core {

struct FileTrack {
  bool has_record_id = false;   ///< a record file (its record id is its lower-cased name without ".ini")
  bool read = false;            ///< its bytes were read: its stamp must hold until the commit
  bool client_written = false;  ///< its client rows are in the database (and written_digest is theirs)
  bool has_stamp = false;
  RecordOutcome outcome = RecordOutcome::Rejected;
  std::optional<Verification> verification;  ///< set by the verification
  int mailbox_line = 0;
  FileStamp stamp;                ///< when has_stamp
  RecordDigest written_digest{};  ///< when client_written
  /// The first half of MailboxField::key: the duplicate-mailbox rule compares
  /// whole DNs, which the database has only in their shown form; all zero for none.
  std::array<std::uint8_t, 16> mailbox_key{};
};

/// One FileTrack per entry of a StoreListing, in its (path) order; the names
/// are the listing's. Set in order during the build; then read and changed by
/// number, cheaply in order (one page of 4,096 tracks is held).
class Tracks {
 public:
  /// A default track for every entry of `listing`, which must outlive the tracks.
  void reset(const StoreListing& listing);
  /// Track `i` (the next one: 0, 1, 2...) from the summary of the listing's
  /// entry `i`; its keys go to the cross-file candidates.
  void set(std::size_t i, const FileSummary& f, bool client_written);
  std::size_t size() const { return listing_ ? listing_->size() : 0; }
  FileTrack get(std::size_t i);
  void put(std::size_t i, const FileTrack& t);
  std::string path(std::size_t i) const { return listing_->name(i); }
  /// "" for a file that is not a record file.
  std::string record_id(std::size_t i);
  /// Counts as the report gives them (one pass over the tracks, kept until a track changes).
  Counts counts();
  /// The files that share a record id or MailboxDN key with another (once, after the build).
  std::vector<std::uint32_t> cross_file_candidates() { return candidates_.take(); }

 private:
  static constexpr std::size_t kPage = 4096;
  void load(std::size_t page);
  void write_back();

  std::optional<TempSpool> spool_;
  std::size_t set_ = 0;  // tracks set so far (in the spool)
  std::vector<FileTrack> page_;
  std::size_t page_no_ = SIZE_MAX;
  bool dirty_ = false;
  CrossFileCandidates candidates_;
  std::optional<Counts> counts_;
  const StoreListing* listing_ = nullptr;
};

}  // namespace kms::core
