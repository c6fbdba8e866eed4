// libFuzzer target for the configuration parser: arbitrary bytes must never
// crash parse(), and whatever parses must be a fixed point of
// show -> parse -> show (same text, same checksums, equal configs), with
// and without defaults.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "controlplane/config/config.h"
#include "tests/fuzz/fuzz_require.h"

namespace {

using tandem::fuzz::require;

void round_trip(const tandem::config::Config& cfg, bool full) {
  std::string first, error;
  require(tandem::config::show(cfg, "", full, &first, &error), "show failed", error);
  tandem::config::ParseResult again = tandem::config::parse(first, "show");
  std::string errors;
  for (const auto& d : again.errors) errors += d.to_string() + "\n";
  require(again.ok(), "show output does not parse", first + errors);
  std::string second;
  require(tandem::config::show(again.config, "", full, &second, &error), "show failed", error);
  require(first == second, "show -> parse -> show is not a fixed point", first + "----\n" + second);
  require(tandem::config::checksums(cfg) == tandem::config::checksums(again.config),
          "checksums differ after show -> parse", first);
  require(cfg == again.config, "config differs after show -> parse", first);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  tandem::config::ParseResult result = tandem::config::parse(text, "fuzz.conf");
  for (const auto& d : result.errors) {
    require(d.where.line >= 1 && d.where.column >= 1, "diagnostic without a location", d.to_string());
  }
  if (!result.ok()) return 0;
  round_trip(result.config, false);
  round_trip(result.config, true);
  return 0;
}
