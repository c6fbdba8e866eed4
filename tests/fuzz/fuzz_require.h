// The fuzz targets' invariant check. A breach names the target and what
// broke on stderr and aborts; libFuzzer reports the abort as a crash and
// keeps the input, and tests/fuzz/run-fuzz fails the test.
#pragma once

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace tandem::fuzz {

inline void require(bool ok, const char* what, std::string_view detail = {}) {
  if (ok) return;
  std::fprintf(stderr, "%s: %s\n", program_invocation_short_name, what);
  if (!detail.empty()) std::fprintf(stderr, "%.*s\n", static_cast<int>(detail.size()), detail.data());
  std::abort();
}

}  // namespace tandem::fuzz
