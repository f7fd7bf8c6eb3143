#include "file_track.h"

#include <algorithm>
#include <stdexcept>

#include "text_util.h"

namespace kms::core {

void Tracks::reset(const StoreListing& listing) {
  listing_ = &listing;
  tracks_.assign(listing.size(), FileTrack{});
}

void Tracks::set(std::size_t i, const FileSummary& f, bool client_written) {
  if (path(i) != f.path) throw std::logic_error("a summary for another file");
  FileTrack& t = tracks_[i];
  t.has_record_id = !f.record_id.empty();
  if (t.has_record_id && record_id(i) != f.record_id) throw std::logic_error("record id is not derived from the name");
  t.read = !f.sha256.empty();
  t.client_written = client_written;
  t.outcome = f.outcome;
  t.mailbox_line = f.mailbox_line;
  t.mailbox_key = f.mailbox_dn.empty() ? 0 : ascii_ci_key(f.mailbox_dn);
  t.has_stamp = f.stamp.has_value();
  if (f.stamp) t.stamp = *f.stamp;
  if (client_written && !f.written_digest) throw std::logic_error("a client written without its digest");
  if (client_written) t.written_digest = *f.written_digest;
}

std::string Tracks::record_id(std::size_t i) const {
  if (!tracks_[i].has_record_id) return {};
  return record_id_of_name(path(i));
}

Counts Tracks::counts() const {
  Counts c;
  for (const FileTrack& t : tracks_) count_file(c, t.outcome, t.verification);
  return c;
}

}  // namespace kms::core
