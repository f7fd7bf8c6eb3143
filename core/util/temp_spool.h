// A temporary file for what a run would otherwise keep in memory per record
// (docs/performance.md, "A million records"): written once from the start, read back
// in order as often as needed, or at an offset. Owner-only and unlinked from
// the moment it exists (O_TMPFILE in $TMPDIR, else /tmp): nothing is left
// behind, whatever ends the run.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace kms::core {

class TempSpool {
 public:
  /// Throws a Stop of kind Usage when the folder is missing or not writable,
  /// a SystemError for any other failure (both name the folder and the reason).
  TempSpool();
  ~TempSpool();
  TempSpool(const TempSpool&) = delete;
  TempSpool& operator=(const TempSpool&) = delete;

  /// Appends bytes (buffered); a write error throws SystemError.
  void append(const void* data, std::size_t n);
  /// Appends one record: its length (4 bytes), then its bytes.
  void append_record(std::string_view bytes);
  /// Everything appended so far, readable (the buffer written out).
  void flush();
  /// Bytes appended so far.
  std::uint64_t size() const { return written_ + buffer_.size(); }
  /// Reads `n` bytes at `offset` (flushed first); false at the end of the file.
  bool read_at(std::uint64_t offset, void* data, std::size_t n);
  /// Overwrites `n` bytes at `offset`, within what was flushed.
  void write_at(std::uint64_t offset, const void* data, std::size_t n);

  /// Reads from `offset` on, through a buffer of its own.
  class Reader {
   public:
    /// Reads [offset, end) in pieces of `buffer` bytes.
    explicit Reader(TempSpool& spool, std::uint64_t offset = 0, std::uint64_t end = UINT64_MAX,
                    std::size_t buffer = 256 * 1024);
    /// The next `n` bytes; false when fewer are left.
    bool read(void* data, std::size_t n);
    /// The next record appended by append_record(); false at the end.
    bool next_record(std::string& out);

   private:
    bool fill();
    TempSpool& spool_;
    std::uint64_t at_, end_;
    std::size_t piece_;
    std::string buf_;
    std::size_t pos_ = 0;
  };

 private:
  void write_all(std::uint64_t offset, const void* data, std::size_t n);

  int fd_ = -1;
  std::string buffer_;
  std::uint64_t written_ = 0;
};

}  // namespace kms::core
