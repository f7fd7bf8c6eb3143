#include "html_text.h"

#include "safe_text.h"

namespace kms::core {

std::string html_text(std::string_view text) {
  const std::string inert = terminal_text(text);
  std::string out;
  out.reserve(inert.size());
  for (char ch : inert) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(ch);
    }
  }
  return out;
}

}  // namespace kms::core
