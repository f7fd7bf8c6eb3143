// A printf format checked against its arguments when the program is built.
// The console's writers take store text as std::string and make it inert
// before printf sees it, so the compiler's own -Wformat cannot look at the
// call. This reads the format (a string literal) at compile time instead and
// fails the build on a conversion whose argument has the wrong type, or on a
// count of arguments that differs from the count of conversions.
#pragma once
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

namespace kms::cli::format_check {

/// What a conversion takes.
enum Kind : unsigned {
  kNone = 0,
  kText = 1,          ///< %s: a std::string or a C string
  kInt = 2,           ///< %d %i %c (and h, hh): an int (or a narrower integer)
  kUnsigned = 3,      ///< %u %x %X %o: an unsigned int
  kLong = 4,          ///< %ld
  kUnsignedLong = 5,  ///< %lu %lx ...
  kLongLong = 6,      ///< %lld
  kUnsignedLongLong = 7,
  kSize = 8,    ///< %zu %zd %zx
  kDouble = 9,  ///< %f %e %g %a
  kBad = 15,    ///< a conversion the console does not support (%n, %p, %L..., a lone %)
};

/// The conversions of `fmt`, 4 bits each from the lowest, their count in the
/// top 8 bits; more than 14, or one the console does not support, is kBad.
constexpr std::uint64_t conversions(const char* fmt) {
  std::uint64_t kinds = 0;
  unsigned count = 0;
  const auto add = [&kinds, &count](unsigned kind) {
    if (count < 14) kinds |= std::uint64_t{kind} << (4 * count);
    ++count;
  };
  for (const char* p = fmt; *p; ++p) {
    if (*p != '%') continue;
    ++p;
    if (*p == '%') continue;
    while (*p == '-' || *p == '+' || *p == ' ' || *p == '#' || *p == '0') ++p;
    if (*p == '*') add(kInt), ++p;
    while (*p >= '0' && *p <= '9') ++p;
    if (*p == '.') {
      ++p;
      if (*p == '*') add(kInt), ++p;
      while (*p >= '0' && *p <= '9') ++p;
    }
    int longs = 0;
    bool size = false;
    while (*p == 'h') ++p;
    while (*p == 'l') ++longs, ++p;
    if (*p == 'z') size = true, ++p;
    const char c = *p;
    const bool is_signed = c == 'd' || c == 'i';
    const bool is_unsigned = c == 'u' || c == 'x' || c == 'X' || c == 'o';
    if (c == 's' && longs == 0 && !size) {
      add(kText);
    } else if (c == 'c' && longs == 0 && !size) {
      add(kInt);
    } else if ((is_signed || is_unsigned) && size) {
      add(kSize);
    } else if (is_signed || is_unsigned) {
      add(longs > 2 ? kBad : (is_signed ? kInt : kUnsigned) + 2u * static_cast<unsigned>(longs));
    } else if ((c == 'f' || c == 'e' || c == 'g' || c == 'a' || c == 'F' || c == 'E' || c == 'G') && !size) {
      add(kDouble);
    } else {
      add(kBad);
      if (!c) break;
    }
  }
  return count > 14 ? std::uint64_t{kBad} | (std::uint64_t{15} << 56) : kinds | (std::uint64_t{count} << 56);
}

constexpr unsigned count_of(std::uint64_t conv) { return static_cast<unsigned>(conv >> 56); }
constexpr unsigned kind_at(std::uint64_t conv, unsigned i) { return static_cast<unsigned>((conv >> (4 * i)) & 15u); }

template <typename T, typename Want>
constexpr bool integer_as(bool promoted) {
  using U = std::remove_cv_t<std::remove_reference_t<T>>;
  if constexpr (!std::is_integral_v<U>) {
    return false;
  } else {
    // printf reads the promoted value: a narrower integer is an int; signedness
    // aside, as the compiler's -Wformat does.
    return sizeof(U) == sizeof(Want) || (promoted && sizeof(U) < sizeof(int));
  }
}

/// Whether an argument of type T fits a conversion of `kind`.
template <typename T>
constexpr bool fits(unsigned kind) {
  using U = std::decay_t<T>;
  switch (kind) {
    case kText:
      return std::is_same_v<U, std::string> || std::is_same_v<U, const char*> || std::is_same_v<U, char*>;
    case kInt:
    case kUnsigned:
      return integer_as<U, int>(true);
    case kLong:
    case kUnsignedLong:
      return integer_as<U, long>(false);
    case kLongLong:
    case kUnsignedLongLong:
      return integer_as<U, long long>(false);
    case kSize:
      return integer_as<U, std::size_t>(false);
    case kDouble:
      return std::is_floating_point_v<U> && !std::is_same_v<U, long double>;
    default:
      return false;
  }
}

template <std::uint64_t Conv, typename... A, std::size_t... I>
constexpr bool all_fit(std::index_sequence<I...>) {
  return (true && ... && fits<A>(kind_at(Conv, I)));
}

/// True when the arguments A... fit the conversions Conv, one for one.
template <std::uint64_t Conv, typename... A>
constexpr bool arguments_fit() {
  return count_of(Conv) == sizeof...(A) && all_fit<Conv, A...>(std::index_sequence_for<A...>{});
}

}  // namespace kms::cli::format_check

// The first of a macro's arguments (the format), without the GNU comma
// extension that -Wpedantic rejects.
#define KMS_FORMAT_OF(...) KMS_FORMAT_OF_(__VA_ARGS__, 0)
#define KMS_FORMAT_OF_(format, ...) format
