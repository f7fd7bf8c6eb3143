// Legacy UTC times (YYYYMMDDHHMMSSZ) to ISO 8601 (YYYY-MM-DDTHH:MM:SSZ).
#pragma once
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace kms::core {

/// nullopt unless `legacy` is exactly 14 digits and 'Z' naming a real UTC second.
std::optional<std::string> legacy_time_to_iso(std::string_view legacy);
std::string iso_utc(std::time_t t);
/// The inverse of iso_utc: nullopt unless `iso` is exactly YYYY-MM-DDTHH:MM:SSZ naming a real UTC second.
std::optional<std::time_t> parse_iso_utc(std::string_view iso);
std::string format_iso(int year, int month, int day, int hour, int minute, int second);

}  // namespace kms::core
