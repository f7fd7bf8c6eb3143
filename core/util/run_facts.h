// Who ran the tool where: facts every report and database records.
#pragma once
#include <string>

namespace kms::core {

/// This machine's host name ("unknown" if it has none).
std::string host_name();
/// The user the tool runs as, by name ("uid 1000" without one); under sudo,
/// also who called it: "root (sudo from alice)".
std::string operator_name();

}  // namespace kms::core
