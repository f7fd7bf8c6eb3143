#include "run_facts.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

namespace kms::core {

std::string host_name() {
  char name[256] = {0};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "unknown";
  return name;
}

std::string operator_name() {
  const uid_t uid = ::geteuid();
  const passwd* pw = ::getpwuid(uid);
  std::string who = pw && pw->pw_name ? pw->pw_name : "uid " + std::to_string(uid);
  const char* sudo = std::getenv("SUDO_USER");
  if (sudo && *sudo && who != sudo) who += std::string(" (sudo from ") + sudo + ")";
  return who;
}

}  // namespace kms::core
