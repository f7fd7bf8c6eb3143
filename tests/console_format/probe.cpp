// Built only by the ConsoleFormat tests (tests/CMakeLists.txt): each PROBE_*
// is one way to get a console format wrong, and must fail the build; PROBE_OK
// is the same call done right, and must build.
#include <cstdio>
#include <string>

#include "console.h"

void probe() {
  const std::string text = "x";
  const std::size_t n = 1;
#if defined(PROBE_OK)
  KMS_SAY(stdout, "%s %zu %d %.1f %-9s\n", text, n, 2, 0.5, "lit");
#elif defined(PROBE_TEXT_AS_INT)
  KMS_SAY(stdout, "%d files\n", text);
#elif defined(PROBE_SIZE_AS_TEXT)
  KMS_SAY(stdout, "%s files\n", n);
#elif defined(PROBE_TOO_FEW)
  KMS_SAY(stdout, "%s: %zu files\n", text);
#elif defined(PROBE_TOO_MANY)
  KMS_SAY(stdout, "%s\n", text, n);
#elif defined(PROBE_INT_AS_SIZE)
  (void)KMS_SAY_TO_STRING("%zu\n", 3);
#elif defined(PROBE_DOUBLE_AS_INT)
  KMS_SAY(stdout, "%d\n", 0.5);
#elif defined(PROBE_UNSUPPORTED)
  KMS_SAY(stdout, "%p\n", text);
#endif
}
