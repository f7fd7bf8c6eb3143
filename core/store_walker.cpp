#include "store_walker.h"

#include <algorithm>

#include "text_util.h"

namespace kms::core {
namespace {

// A child folder of `dir` whose name matches `name` case-insensitively (not a link).
std::optional<fs::path> child_dir(const fs::path& dir, const char* name) {
  boost::system::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const auto st = it->symlink_status(ec);
    if (!ec && st.type() == fs::directory_file && iequals(it->path().filename().string(), name)) {
      return it->path();
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<fs::path> find_clients_dir(const fs::path& source, std::string& error) {
  boost::system::error_code ec;
  if (!fs::is_directory(source, ec)) {
    error = "no store at '" + source.string() + "': it is not a folder";
    return std::nullopt;
  }
  if (auto mgrent = child_dir(source, "Mgrent")) {
    if (auto clients = child_dir(*mgrent, "Clients")) return clients;
  }
  if (auto clients = child_dir(source, "Clients")) return clients;
  if (iequals(source.filename().string(), "Clients")) return source;
  error = "no store at '" + source.string() +
          "': expected a Security folder holding Mgrent\\Clients, a Mgrent folder holding Clients, "
          "or the Clients folder itself";
  return std::nullopt;
}

bool is_record_file_name(const std::string& name) {
  if (name.size() != 17) return false;
  if (name[0] != 'M' && name[0] != 'm') return false;
  for (std::size_t i = 1; i < 13; ++i) {
    const char c = name[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return iequals(std::string_view(name).substr(13), ".ini");
}

std::vector<StoreEntry> list_store(const fs::path& clients) {
  std::vector<StoreEntry> out;
  for (fs::directory_iterator it(clients), end; it != end; ++it) {
    StoreEntry e;
    e.name = it->path().filename().string();
    boost::system::error_code ec;
    const auto st = fs::symlink_status(it->path(), ec);
    const bool record_name = is_record_file_name(e.name);
    if (ec) {
      e.kind = record_name ? EntryKind::RecordFile : EntryKind::NotRecord;  // the reader reports why
      e.skip_reason = "cannot be examined";
    } else if (st.type() == fs::symlink_file) {
      e.kind = record_name ? EntryKind::RecordSymlink : EntryKind::NotRecord;
      e.skip_reason = "a symbolic link, not followed";
    } else if (!record_name) {
      e.kind = EntryKind::NotRecord;
      e.skip_reason = st.type() == fs::directory_file ? "a folder" : "not named M<12 letters or digits>.ini";
    } else if (st.type() != fs::regular_file) {
      e.kind = EntryKind::NotRecord;
      e.skip_reason = st.type() == fs::directory_file ? "a folder with a record's name" : "not a regular file";
    } else {
      e.kind = EntryKind::RecordFile;
    }
    if (e.kind != EntryKind::NotRecord) {
      e.record_id = to_lower_ascii(e.name.substr(0, 13));
      e.skip_reason.clear();
    }
    out.push_back(std::move(e));
  }
  std::sort(out.begin(), out.end(), [](const StoreEntry& a, const StoreEntry& b) { return a.name < b.name; });
  return out;
}

}  // namespace kms::core
