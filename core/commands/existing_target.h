// What an existing target is, in one line, for the refusal of a second
// upgrade and for the --force prompt (docs/commands.md).
#pragma once
#include <filesystem>
#include <optional>
#include <string>

namespace kms::core {

/// The facts of a kms-migrate database at `target`, from its migration_meta:
/// "a kms-migrate database written at 2026-12-06T08:06:11Z from '/srv/copy'
/// (this store), content digest 97fc...". For a file that is not one (or
/// cannot be read), what it is: "a file of 8 bytes that is not a kms-migrate
/// database". nullopt when nothing is there.
std::optional<std::string> describe_existing_target(const std::filesystem::path& target,
                                                    const std::filesystem::path& source);

/// Why an upgrade without --force does not start over the regular file at
/// `target`: what is there, and what to do (verify it, or --force).
/// nullopt when there is no regular file there.
std::optional<std::string> second_upgrade_refusal(const std::filesystem::path& target,
                                                  const std::filesystem::path& source);

}  // namespace kms::core
