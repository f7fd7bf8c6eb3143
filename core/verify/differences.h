// What verify finds wrong with a database, held within a bound: the first
// kListed findings of each kind in words, the rest counted, so that a database
// with millions of planted rows costs verify neither memory nor a status line
// of megabytes.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace kms::core {

class Differences {
 public:
  static constexpr std::size_t kListed = 100;     ///< findings kept in words, per kind
  static constexpr std::size_t kTextBytes = 300;  ///< a finding longer than this is cut (it quotes the database)

  /// One finding of `kind` (a table's name, "schema", "sqlite", ...).
  void add(const std::string& kind, std::string text);
  void add_all(const std::string& kind, std::vector<std::string> texts);
  bool empty() const { return kinds_.empty(); }
  std::uint64_t total() const;
  /// The findings kept, kind after kind, each kind's count past the bound said last.
  std::vector<std::string> listed() const;
  /// For the status line: at most `per_kind` findings of each kind, then how many more of that kind.
  std::string summary(std::size_t per_kind) const;

 private:
  struct Kind {
    std::string name;
    std::vector<std::string> listed;
    std::uint64_t count = 0;
  };
  Kind& kind(const std::string& name);
  std::vector<Kind> kinds_;  // in the order they were first found
};

}  // namespace kms::core
