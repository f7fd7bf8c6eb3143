#include "file_track.h"

#include <algorithm>
#include <stdexcept>

#include "text_util.h"

namespace kms::core {

std::uint64_t ascii_ci_key(std::string_view text) {
  std::uint64_t h = 1469598103934665603ULL;  // FNV-1a over the lower-case bytes
  for (unsigned char c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<unsigned char>(c - 'A' + 'a');
    h = (h ^ c) * 1099511628211ULL;
  }
  return h == 0 ? 1 : h;
}

bool ascii_ci_less(std::string_view a, std::string_view b) {
  const auto lower = [](unsigned char c) { return c >= 'A' && c <= 'Z' ? static_cast<unsigned char>(c - 'A' + 'a') : c; };
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                      [&](char x, char y) { return lower(static_cast<unsigned char>(x)) < lower(static_cast<unsigned char>(y)); });
}

bool expects_client(RecordOutcome o) { return o == RecordOutcome::Migrated || o == RecordOutcome::Normalized; }

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
  return to_lower_ascii(path(i).substr(0, 13));
}

Counts Tracks::counts() const {
  Counts c;
  for (const FileTrack& t : tracks_) count_file(c, t.outcome, t.verification);
  return c;
}

}  // namespace kms::core
