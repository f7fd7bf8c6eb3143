#include "existing_target.h"

#include <map>
#include <system_error>

#include "safe_text.h"
#include "sqlite_handle.h"

namespace fs = std::filesystem;

namespace kms::core {
namespace {

/// migration_meta's facts of a database, or nothing when it is not one of ours.
std::map<std::string, std::string> meta_of(const fs::path& target) {
  std::map<std::string, std::string> meta;
  try {
    Db db(target.string(), OpenMode::ReadOnly);
    Stmt q(db,
           "SELECT key, value FROM migration_meta WHERE key IN ('finished_at', 'source', 'content_digest', "
           "'store_digest', 'command', 'migrated', 'normalized')");
    while (q.step()) meta[q.text(0)] = q.text(1);
  } catch (const std::exception&) {
    meta.clear();  // not a SQLite database, or not one with our table: described by its size
  }
  return meta;
}

bool same_folder(const fs::path& a, const fs::path& b) {
  std::error_code ec1, ec2;
  const auto x = fs::weakly_canonical(a, ec1), y = fs::weakly_canonical(b, ec2);
  return !ec1 && !ec2 && x == y;
}

}  // namespace

std::optional<std::string> describe_existing_target(const fs::path& target, const fs::path& source) {
  std::error_code ec;
  const auto st = fs::symlink_status(target, ec);
  if (ec || st.type() == fs::file_type::not_found) return std::nullopt;
  if (st.type() != fs::file_type::regular) return std::string("not a regular file");
  const auto meta = meta_of(target);
  const auto at = meta.find("finished_at");
  if (meta.empty() || at == meta.end() || meta.count("content_digest") == 0) {
    return "a file of " + std::to_string(fs::file_size(target, ec)) + " bytes that is not a kms-migrate database";
  }
  const std::string from = meta.count("source") ? meta.at("source") : std::string("?");
  // Stored text, quoted in a message: the shown-field rule, as every field from a file.
  return "a kms-migrate database written at " + at->second + " from '" + shown_field(from) + "'" +
         (same_folder(from, source) ? " (this --source)" : "") + ", " +
         (meta.count("migrated") && meta.count("normalized")
              ? meta.at("migrated") + " migrated and " + meta.at("normalized") + " normalized records, "
              : std::string()) +
         "content digest " + shown_field(meta.at("content_digest"));
}

std::optional<std::string> second_upgrade_refusal(const fs::path& target, const fs::path& source) {
  const auto there = describe_existing_target(target, source);
  if (!there || *there == "not a regular file") return std::nullopt;  // check_target() says what it is
  return "the target '" + target.string() + "' exists: " + *there +
         ". If it is the upgrade of this store, there is nothing to do: check it with kms-migrate verify --source '" +
         source.string() + "' --target '" + target.string() + "'. To replace it, run the upgrade again with --force";
}

}  // namespace kms::core
