// DER type-length-value reading for the certificate walker (der_x509) and its
// fast text paths (der_text): single-byte tags, minimal definite lengths only.
#pragma once
#include <cstddef>
#include <cstdint>

namespace kms::core::der {

constexpr std::uint8_t kInteger = 0x02, kBitString = 0x03, kSequence = 0x30, kUtcTime = 0x17, kGeneralizedTime = 0x18;

struct Tlv {
  std::uint8_t tag = 0;
  const std::uint8_t* start = nullptr;  // the header's first byte
  const std::uint8_t* content = nullptr;
  std::size_t length = 0;
  std::size_t total() const { return static_cast<std::size_t>(content - start) + length; }
};

/// Reads one TLV with a single-byte tag and a minimal definite DER length.
class Cursor {
 public:
  Cursor(const std::uint8_t* p, std::size_t n) : p_(p), end_(p + n) {}
  bool empty() const { return p_ == end_; }

  bool next(Tlv& t) {
    if (end_ - p_ < 2) return false;
    t.start = p_;
    t.tag = p_[0];
    if ((t.tag & 0x1F) == 0x1F) return false;  // multi-byte tags do not occur in a certificate
    std::size_t len = p_[1];
    const std::uint8_t* q = p_ + 2;
    if (len & 0x80) {
      const std::size_t nbytes = len & 0x7F;
      if (nbytes == 0 || nbytes > 4 || static_cast<std::size_t>(end_ - q) < nbytes)
        return false;               // indefinite or absurd
      if (q[0] == 0) return false;  // not minimal
      len = 0;
      for (std::size_t i = 0; i < nbytes; ++i) len = (len << 8) | q[i];
      if (len < 0x80) return false;  // not minimal
      q += nbytes;
    }
    if (static_cast<std::size_t>(end_ - q) < len) return false;
    t.content = q;
    t.length = len;
    p_ = q + len;
    return true;
  }

  bool next(Tlv& t, std::uint8_t tag) { return next(t) && t.tag == tag; }

 private:
  const std::uint8_t* p_;
  const std::uint8_t* end_;
};

inline Cursor inside(const Tlv& t) { return Cursor(t.content, t.length); }

}  // namespace kms::core::der
