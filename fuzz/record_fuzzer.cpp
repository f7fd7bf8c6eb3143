// libFuzzer target: decoder + dialect parser + record rules on arbitrary bytes.
// Invariants checked beyond "no crash, no sanitizer report":
//  - a record is produced exactly when the file has no error;
//  - every message is valid UTF-8 (a strict JSON dump would throw otherwise);
//  - a normalized record is state new with legacy state 4.
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "file_analysis.h"
#include "report.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kms::core;
  std::string bytes(reinterpret_cast<const char*>(data), size);
  const AnalyzedFile a = analyze_record_bytes("Mfuzz00000000.ini", "mfuzz00000000", bytes, 1'800'000'000);
  const bool error = has_error(a.summary.issues);
  if (error == a.record.has_value()) std::abort();
  if (a.summary.outcome == RecordOutcome::Normalized &&
      (!a.record || a.record->state != ClientState::New || a.record->legacy_state != 4)) {
    std::abort();
  }
  nlohmann::json j = nlohmann::json::array();
  for (const Issue& i : a.summary.issues) j.push_back({{"code", i.code}, {"message", i.message}, {"line", i.line}});
  (void)j.dump();  // throws (and so aborts) on invalid UTF-8
  return 0;
}
