#include "command.h"

namespace kms::core {

const char* command_name(Command c) {
  switch (c) {
    case Command::Scan:
      return "scan";
    case Command::Rehearse:
      return "rehearse";
    case Command::Upgrade:
      return "upgrade";
    case Command::Verify:
      return "verify";
  }
  return "?";
}

}  // namespace kms::core
