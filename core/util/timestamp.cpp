#include "timestamp.h"

#include <cstdio>

namespace kms::core {

std::optional<std::string> legacy_time_to_iso(std::string_view s) {
  if (s.size() != 15 || s[14] != 'Z') return std::nullopt;
  int v[14];
  for (int i = 0; i < 14; ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    v[i] = s[i] - '0';
  }
  const int year = v[0] * 1000 + v[1] * 100 + v[2] * 10 + v[3];
  const int month = v[4] * 10 + v[5], day = v[6] * 10 + v[7];
  const int hour = v[8] * 10 + v[9], minute = v[10] * 10 + v[11], second = v[12] * 10 + v[13];
  static const int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1) return std::nullopt;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  const int max_day = kDays[month - 1] + (month == 2 && leap ? 1 : 0);
  if (day > max_day || hour > 23 || minute > 59 || second > 59) return std::nullopt;
  return format_iso(year, month, day, hour, minute, second);
}

std::string format_iso(int year, int month, int day, int hour, int minute, int second) {
  if (year < 0 || year > 9999 || month < 0 || month > 99 || day < 0 || day > 99 || hour < 0 || hour > 99 ||
      minute < 0 || minute > 99 || second < 0 || second > 99) {
    char buf[80];  // out of the usual widths: as printf pads them
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", year, month, day, hour, minute, second);
    return buf;
  }
  // Several per record: written digit by digit rather than through printf.
  std::string out = "0000-00-00T00:00:00Z";
  const auto put = [&](std::size_t at, int value, int width) {
    for (int k = width - 1; k >= 0; --k, value /= 10)
      out[at + static_cast<std::size_t>(k)] = static_cast<char>('0' + value % 10);
  };
  put(0, year, 4);
  put(5, month, 2);
  put(8, day, 2);
  put(11, hour, 2);
  put(14, minute, 2);
  put(17, second, 2);
  return out;
}

std::string iso_utc(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace kms::core

namespace kms::core {

std::optional<std::time_t> parse_iso_utc(std::string_view iso) {
  if (iso.size() != 20 || iso[4] != '-' || iso[7] != '-' || iso[10] != 'T' || iso[13] != ':' || iso[16] != ':') {
    return std::nullopt;
  }
  // The same digits as the legacy form: YYYYMMDDHHMMSSZ, checked by the same rule.
  std::string legacy;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18}) legacy.push_back(iso[i]);
  legacy.push_back(iso[19]);
  if (!legacy_time_to_iso(legacy)) return std::nullopt;
  std::tm tm{};
  tm.tm_year = std::stoi(legacy.substr(0, 4)) - 1900;
  tm.tm_mon = std::stoi(legacy.substr(4, 2)) - 1;
  tm.tm_mday = std::stoi(legacy.substr(6, 2));
  tm.tm_hour = std::stoi(legacy.substr(8, 2));
  tm.tm_min = std::stoi(legacy.substr(10, 2));
  tm.tm_sec = std::stoi(legacy.substr(12, 2));
  return timegm(&tm);
}

}  // namespace kms::core
