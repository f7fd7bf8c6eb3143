// FileSummary to bytes and back, for the spools that keep a store's summaries
// on disk instead of in memory (summary_spool.h). Private to one run: the
// layout is not a format anyone else reads.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "file_analysis.h"

namespace kms::core {

/// Appends `f` to `out`.
void encode_summary(std::string& out, const FileSummary& f);
/// Reads one summary from the front of `in`, which it advances; throws InternalError if truncated.
FileSummary decode_summary(std::string_view& in);

/// The same small encoder and decoder, for what a command spools beside a summary.
void put_u64(std::string& out, std::uint64_t v);
void put_text(std::string& out, std::string_view s);
std::uint64_t get_u64(std::string_view& in);
std::string get_text(std::string_view& in);
void put_issues(std::string& out, const Issues& issues);
Issues get_issues(std::string_view& in);
/// A SHA-256 digest as its 32 bytes.
void put_digest(std::string& out, const std::array<std::uint8_t, 32>& d);
std::array<std::uint8_t, 32> get_digest(std::string_view& in);

}  // namespace kms::core
