// What the upgrade keeps of each file once its rows are in the temporary
// database (about 100 bytes; issues, names and bytes stay in the database):
// enough for the cross-file rules, the verification, the source re-check, the
// counts and the content digest. Memory grows by this much per record.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "content_digest.h"
#include "db_writer.h"
#include "file_analysis.h"
#include "report.h"
#include "store_walker.h"

namespace kms::core {

struct FileTrack {
  bool has_record_id = false;   ///< a record file (its record id is its lower-cased name without ".ini")
  bool read = false;            ///< its bytes were read: its stamp must hold until the commit
  bool client_written = false;  ///< its client rows are in the database (and written_digest is theirs)
  bool has_stamp = false;
  RecordOutcome outcome = RecordOutcome::Rejected;
  std::optional<Verification> verification;  ///< set by the verification
  int mailbox_line = 0;
  std::uint64_t mailbox_key = 0;  ///< ascii_ci_key of the MailboxDN; 0: none
  FileStamp stamp;                ///< when has_stamp
  RecordDigest written_digest{};  ///< when client_written
};

/// One FileTrack per entry of a StoreListing, in its (path) order; the names are the listing's.
class Tracks {
 public:
  /// A default track for every entry of `listing`, which must outlive the tracks.
  void reset(const StoreListing& listing);
  /// Track `i` from the summary of the listing's entry `i`.
  void set(std::size_t i, const FileSummary& f, bool client_written);
  std::size_t size() const { return tracks_.size(); }
  FileTrack& operator[](std::size_t i) { return tracks_[i]; }
  const FileTrack& operator[](std::size_t i) const { return tracks_[i]; }
  std::string_view path(std::size_t i) const { return listing_->name(i); }
  /// "" for a file that is not a record file.
  std::string record_id(std::size_t i) const;
  /// Counts as the report gives them.
  Counts counts() const;

 private:
  std::vector<FileTrack> tracks_;
  const StoreListing* listing_ = nullptr;
};

}  // namespace kms::core
