#include "record.h"

namespace kms::core {

const char* state_name(ClientState s) {
  switch (s) {
    case ClientState::New:
      return "new";
    case ClientState::Active:
      return "active";
    case ClientState::Revoked:
      return "revoked";
    case ClientState::Recovery:
      return "recovery";
  }
  return "new";
}

const char* kind_name(CertKind k) { return k == CertKind::Signing ? "signing" : "encryption"; }

}  // namespace kms::core
