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

namespace kms::core {

struct FileTrack {
  std::uint32_t name_at = 0;  ///< the path, in Tracks' name arena
  std::uint16_t name_length = 0;
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

/// One FileTrack per file of the store, in path order, the paths in one arena.
class Tracks {
 public:
  void reset(std::size_t n);
  /// Track `i` from its summary; set in increasing order of i.
  void set(std::size_t i, const FileSummary& f, bool client_written);
  std::size_t size() const { return tracks_.size(); }
  FileTrack& operator[](std::size_t i) { return tracks_[i]; }
  const FileTrack& operator[](std::size_t i) const { return tracks_[i]; }
  std::string_view path(std::size_t i) const { return {names_.data() + tracks_[i].name_at, tracks_[i].name_length}; }
  /// "" for a file that is not a record file.
  std::string record_id(std::size_t i) const;
  /// Counts as the report gives them.
  Counts counts() const;

 private:
  std::vector<FileTrack> tracks_;
  std::string names_;
};

/// A text compared ASCII case-insensitively (a MailboxDN, a record id), hashed; never 0.
std::uint64_t ascii_ci_key(std::string_view text);

/// Orders as the lower-case ASCII forms would, without building them.
bool ascii_ci_less(std::string_view a, std::string_view b);

bool expects_client(RecordOutcome o);

}  // namespace kms::core
