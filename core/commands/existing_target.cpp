#include "existing_target.h"

#include <map>
#include <system_error>

#include "command.h"
#include "safe_text.h"
#include "sqlite_handle.h"
#include "store_walker.h"

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

/// The store's Clients folder that `source` names (it may name Security,
/// Mgrent or Clients itself), or the path as it is when none is found.
fs::path clients_of(const fs::path& source) {
  const auto found = find_clients_dir(source);
  std::error_code ec;
  const fs::path p = found.ok() ? found.value() : source;
  const fs::path canonical = fs::weakly_canonical(p, ec);
  return ec ? p : canonical;
}

/// Whether two --source values name the same store folder, however each names it.
bool same_folder(const fs::path& a, const fs::path& b) { return clients_of(a) == clients_of(b); }

/// What is at the target, and whose it is.
struct Existing {
  enum class Kind { NotRegular, NotOurs, Rehearsal, FromThisSource, FromAnotherSource } kind;
  std::string text;
};

std::optional<Existing> existing(const fs::path& target, const fs::path& source) {
  std::error_code ec;
  const auto st = fs::symlink_status(target, ec);
  if (ec || st.type() == fs::file_type::not_found) return std::nullopt;
  if (st.type() != fs::file_type::regular) return Existing{Existing::Kind::NotRegular, "not a regular file"};
  const auto meta = meta_of(target);
  const auto at = meta.find("finished_at");
  if (meta.empty() || at == meta.end() || meta.count("content_digest") == 0) {
    return Existing{Existing::Kind::NotOurs, "a file of " + std::to_string(fs::file_size(target, ec)) +
                                                 " bytes that is not a kms-migrate database"};
  }
  const std::string from = meta.count("source") ? meta.at("source") : std::string("?");
  const bool this_source = same_folder(from, source);
  const bool rehearsal = meta.count("command") && meta.at("command") == command_name(Command::Rehearse);
  // Stored text, quoted in a message: the shown-field rule, as every field from a file.
  const Existing::Kind kind = rehearsal     ? Existing::Kind::Rehearsal
                              : this_source ? Existing::Kind::FromThisSource
                                            : Existing::Kind::FromAnotherSource;
  return Existing{
      kind, std::string(rehearsal ? "a rehearsal's database (rehearse --keep-db), not an upgrade, written at "
                                  : "a kms-migrate database written at ") +
                at->second + " from '" + shown_field(from) + "'" + (this_source ? " (this --source)" : "") + ", " +
                (meta.count("migrated") && meta.count("normalized")
                     ? meta.at("migrated") + " migrated and " + meta.at("normalized") + " normalized records, "
                     : std::string()) +
                "content digest " + shown_field(meta.at("content_digest"))};
}

}  // namespace

std::optional<std::string> describe_existing_target(const fs::path& target, const fs::path& source) {
  const auto there = existing(target, source);
  if (!there) return std::nullopt;
  return there->text;
}

std::optional<std::string> second_upgrade_refusal(const fs::path& target, const fs::path& source) {
  const auto there = existing(target, source);
  if (!there || there->kind == Existing::Kind::NotRegular) return std::nullopt;  // check_target() says what it is
  const std::string head = "the target '" + target.string() + "' exists: " + there->text + ". ";
  switch (there->kind) {
    case Existing::Kind::FromThisSource:
      return head + "This store was upgraded already: nothing to do but check it with kms-migrate verify --source '" +
             source.string() + "' --target '" + target.string() +
             "'. To upgrade it again over that database, add --force";
    case Existing::Kind::FromAnotherSource:
      return head +
             "It was made from another --source (a copy of this store, or another store): choose another "
             "--target, or add --force to replace that database";
    case Existing::Kind::Rehearsal:
      return head + "No upgrade wrote it: choose another --target, or add --force to replace it with the upgrade";
    default:
      return head + "Choose another --target, or add --force to replace that file (it is not kept)";
  }
}

}  // namespace kms::core
