#include "differences.h"

#include <algorithm>

#include "text_util.h"

namespace kms::core {
namespace {

/// `s` cut to at most `n` bytes at a character boundary, with "..." where it was cut.
std::string bounded(std::string s, std::size_t n) {
  if (s.size() <= n) return s;
  std::size_t end = n;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;  // not inside a UTF-8 sequence
  s.resize(end);
  return s + "...";
}

/// What is said of a kind's findings past the first `shown`.
std::string more(std::uint64_t count, std::size_t shown, const std::string& kind) {
  return "and " + grouped(count - shown) + " more difference(s) in " + kind;
}

}  // namespace

Differences::Kind& Differences::kind(const std::string& name) {
  for (auto& k : kinds_) {
    if (k.name == name) return k;
  }
  kinds_.push_back(Kind{name, {}, 0});
  return kinds_.back();
}

void Differences::add(const std::string& name, std::string text) {
  Kind& k = kind(name);
  ++k.count;
  if (k.listed.size() < kListed) k.listed.push_back(bounded(std::move(text), kTextBytes));
}

void Differences::add_all(const std::string& name, std::vector<std::string> texts) {
  for (auto& t : texts) add(name, std::move(t));
}

std::uint64_t Differences::total() const {
  std::uint64_t n = 0;
  for (const auto& k : kinds_) n += k.count;
  return n;
}

std::vector<std::string> Differences::listed() const {
  std::vector<std::string> out;
  for (const auto& k : kinds_) {
    out.insert(out.end(), k.listed.begin(), k.listed.end());
    if (k.count > k.listed.size()) out.push_back(more(k.count, k.listed.size(), k.name));
  }
  return out;
}

std::string Differences::summary(std::size_t per_kind) const {
  std::string out;
  for (const auto& k : kinds_) {
    const std::size_t shown = std::min(per_kind, k.listed.size());
    for (std::size_t i = 0; i < shown; ++i) out += (out.empty() ? "" : "; ") + k.listed[i];
    if (k.count > shown) out += "; " + more(k.count, shown, k.name);
  }
  return out;
}

}  // namespace kms::core
