#include "issue_json.h"

#include <nlohmann/json.hpp>

namespace kms::core {

std::string issues_json_text(const Issues& issues) {
  if (issues.empty()) return "[]";  // nearly every file: no JSON value built
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  for (const Issue& i : issues) {
    nlohmann::ordered_json j;
    j["severity"] = severity_name(i.severity);
    j["code"] = i.code;
    j["message"] = i.message;
    j["line"] = i.line > 0 ? nlohmann::ordered_json(i.line) : nlohmann::ordered_json(nullptr);
    arr.push_back(std::move(j));
  }
  // Invalid UTF-8 (a file name from a foreign system) is replaced rather than failing.
  return arr.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Issues issues_from_json(const std::string& text) {
  Issues out;
  if (text == "[]") return out;  // nearly every file
  for (const auto& j : nlohmann::json::parse(text)) {
    Issue i;
    const std::string sev = j.at("severity").get<std::string>();
    i.severity = sev == "warning" ? Severity::Warning : sev == "info" ? Severity::Info : Severity::Error;
    i.code = j.at("code").get<std::string>();
    i.message = j.at("message").get<std::string>();
    i.line = j.at("line").is_null() ? 0 : j.at("line").get<int>();
    out.push_back(std::move(i));
  }
  return out;
}

}  // namespace kms::core
