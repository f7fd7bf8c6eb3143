#include "base64.h"

#include <array>

namespace kms::core {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::uint8_t kInvalid = 0x80;

constexpr std::array<std::uint8_t, 256> make_table() {
  std::array<std::uint8_t, 256> t{};
  for (auto& v : t) v = kInvalid;
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::uint8_t>(i);
  return t;
}
constexpr auto kTable = make_table();

}  // namespace

std::optional<Bytes> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  if (text.empty()) return Bytes{};
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  Bytes out(text.size() / 4 * 3);
  std::uint8_t* o = out.data();
  // Every quad but the last has no padding: a tight loop, one validity test per quad.
  const std::size_t body = text.size() - 4;
  for (std::size_t i = 0; i < body; i += 4, o += 3) {
    const std::uint32_t a = kTable[in[i]], b = kTable[in[i + 1]], c = kTable[in[i + 2]], d = kTable[in[i + 3]];
    if ((a | b | c | d) & kInvalid) return std::nullopt;
    const std::uint32_t n = (a << 18) | (b << 12) | (c << 6) | d;
    o[0] = static_cast<std::uint8_t>(n >> 16);
    o[1] = static_cast<std::uint8_t>(n >> 8);
    o[2] = static_cast<std::uint8_t>(n);
  }
  // The last quad may end in one or two '='.
  std::uint32_t v[4];
  int pad = 0;
  for (int k = 0; k < 4; ++k) {
    const unsigned char ch = in[body + k];
    if (ch == '=' && k >= 2) {
      v[k] = 0;
      ++pad;
      continue;
    }
    if (pad > 0) return std::nullopt;  // data after '='
    v[k] = kTable[ch];
    if (v[k] & kInvalid) return std::nullopt;
  }
  // Non-canonical padding bits are rejected: they mean the text was damaged.
  if ((pad == 1 && (v[2] & 0x3) != 0) || (pad == 2 && (v[1] & 0xF) != 0)) return std::nullopt;
  const std::uint32_t n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
  o[0] = static_cast<std::uint8_t>(n >> 16);
  o[1] = static_cast<std::uint8_t>(n >> 8);
  o[2] = static_cast<std::uint8_t>(n);
  out.resize(out.size() - static_cast<std::size_t>(pad));
  return out;
}

std::string base64_encode(const Bytes& bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const std::uint32_t n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out.push_back(kAlphabet[n >> 18]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(kAlphabet[(n >> 6) & 63]);
    out.push_back(kAlphabet[n & 63]);
  }
  if (i < bytes.size()) {
    std::uint32_t n = bytes[i] << 16;
    if (i + 1 < bytes.size()) n |= bytes[i + 1] << 8;
    out.push_back(kAlphabet[n >> 18]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

}  // namespace kms::core
