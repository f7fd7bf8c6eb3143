// Field-by-field comparison of a source record with the record read back.
#pragma once
#include <string>
#include <vector>

#include "record.h"

namespace kms::core {

/// Names of the fields that differ ("token", "certificates[encryption 1].der",
/// "escrowed_keys[2].key_blob", ...). Empty when equal. Never holds a value.
std::vector<std::string> compare_records(const ClientRecord& expected, const ClientRecord& actual);

}  // namespace kms::core
