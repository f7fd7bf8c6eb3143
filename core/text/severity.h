// How grave an issue is: an error rejects the file, a warning or a note does not.
#pragma once

namespace kms::core {

enum class Severity { Error, Warning, Info };

inline const char* severity_name(Severity s) {
  switch (s) {
    case Severity::Error:
      return "error";
    case Severity::Warning:
      return "warning";
    case Severity::Info:
      return "info";
  }
  return "error";
}

}  // namespace kms::core
