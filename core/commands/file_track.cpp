#include "file_track.h"

#include <algorithm>
#include <stdexcept>
#include <type_traits>

#include "failure.h"
#include "text_util.h"

namespace kms::core {

static_assert(std::is_trivially_copyable_v<FileTrack>, "tracks are written to a file as bytes");
static_assert(sizeof(FileTrack) == 104, "the size docs/performance.md and file_track.h give");

void Tracks::reset(const StoreListing& listing) {
  listing_ = &listing;
  spool_.emplace();
  set_ = 0;
  page_.clear();
  page_no_ = SIZE_MAX;
  dirty_ = false;
  candidates_ = CrossFileCandidates();
  counts_.reset();
}

void Tracks::set(std::size_t i, const FileSummary& f, bool client_written) {
  if (i != set_) throw InternalError("tracks are set in order");
  const std::string name = path(i);
  if (name != f.path) throw InternalError("a summary for another file");
  if (page_no_ == i / kPage) {  // the page held would miss this track
    write_back();
    page_no_ = SIZE_MAX;
  }
  FileTrack t;
  t.has_record_id = !f.record_id.empty();
  if (t.has_record_id && record_id_of_name(name) != f.record_id)
    throw InternalError("record id is not derived from the name");
  t.read = !f.sha256.empty();
  t.client_written = client_written;
  t.outcome = f.outcome;
  t.mailbox_line = f.mailbox_line;
  t.has_stamp = f.stamp.has_value();
  if (f.stamp) t.stamp = *f.stamp;
  if (client_written && !f.written_digest) throw InternalError("a client written without its digest");
  if (client_written) t.written_digest = *f.written_digest;
  std::copy_n(f.mailbox_dn.key.begin(), std::min(f.mailbox_dn.key.size(), t.mailbox_key.size()), t.mailbox_key.begin());
  // The record id is the name's first 13 characters, in any case.
  candidates_.note(static_cast<std::uint32_t>(i), t.has_record_id ? ascii_ci_key(record_id_part(name)) : 0,
                   f.mailbox_dn.empty() ? 0 : ascii_ci_key(f.mailbox_dn.key));
  spool_->append(&t, sizeof t);
  ++set_;
  counts_.reset();
}

void Tracks::write_back() {
  if (!dirty_) return;
  spool_->flush();
  const std::size_t first = page_no_ * kPage;
  const std::size_t n = std::min(page_.size(), set_ - std::min(set_, first));  // defaults past set_ stay in memory
  if (n) spool_->write_at(first * sizeof(FileTrack), page_.data(), n * sizeof(FileTrack));
  dirty_ = false;
}

void Tracks::load(std::size_t page) {
  if (page == page_no_) return;
  write_back();
  const std::size_t first = page * kPage;
  page_.assign(std::min(kPage, size() - first), FileTrack{});
  const std::size_t stored = set_ > first ? std::min(page_.size(), set_ - first) : 0;
  if (stored && !spool_->read_at(first * sizeof(FileTrack), page_.data(), stored * sizeof(FileTrack)))
    throw InternalError("the tracks' temporary file is shorter than written");
  page_no_ = page;
}

FileTrack Tracks::get(std::size_t i) {
  if (i >= size()) throw InternalError("no such track");
  load(i / kPage);
  return page_[i % kPage];
}

void Tracks::put(std::size_t i, const FileTrack& t) {
  if (i >= set_) throw InternalError("only a track that was set can be changed");
  load(i / kPage);
  page_[i % kPage] = t;
  dirty_ = true;
  counts_.reset();
}

std::string Tracks::record_id(std::size_t i) {
  if (!get(i).has_record_id) return {};
  return record_id_of_name(path(i));
}

Counts Tracks::counts() {
  if (counts_) return *counts_;
  Counts c;
  for (std::size_t i = 0; i < size(); ++i) {
    const FileTrack t = get(i);
    count_file(c, t.outcome, t.verification);
  }
  counts_ = c;
  return c;
}

}  // namespace kms::core
