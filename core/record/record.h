// A client record as the 5.5 database holds it (docs/database.md).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "text_util.h"

namespace kms::core {

enum class ClientState { New = 1, Active = 2, Revoked = 3, Recovery = 4 };
enum class CertKind { Signing, Encryption };

const char* state_name(ClientState s);  ///< "new", "active", "revoked", "recovery"
const char* kind_name(CertKind k);      ///< "signing", "encryption"

struct Certificate {
  CertKind kind = CertKind::Signing;
  int seq = 0;
  std::string serial;  ///< upper-case hex, no leading zeros
  std::string subject;
  std::string issuer;
  std::string not_before;  ///< ISO 8601 UTC
  std::string not_after;
  std::string sha1_thumbprint;  ///< lower-case hex
  bool revoked = false;
  std::optional<std::string> revoked_at;
  Bytes der;
};

struct EscrowedKey {
  int seq = 0;
  Bytes key_blob;
};

struct ExtraAttribute {
  std::string section;
  std::string key;
  std::string value;
};

struct ClientRecord {
  std::string record_id;
  std::string mailbox_dn;
  std::optional<std::string> display_name;
  std::optional<std::string> alias;
  ClientState state = ClientState::New;
  int legacy_state = 1;
  std::optional<std::string> token;  ///< SECRET: never printed
  std::optional<std::string> created_at;
  std::optional<std::string> modified_at;
  std::vector<Certificate> certificates;  ///< signing first, then encryption, each by seq
  std::vector<EscrowedKey> keys;          ///< by seq
  std::vector<ExtraAttribute> extras;     ///< in file order
};

}  // namespace kms::core
