// libFuzzer target for the CLI's request parsing (controlplane/cli/cli.cc):
// what arrives on tandemd's CLI socket is tokenized and dispatched by the
// command registry. The first input byte picks what the rest is:
//   even: a line for tokenize(); whatever it accepts must survive quote():
//         each word quoted alone tokenizes back to itself, and the quoted
//         words joined by spaces (what tandemctl sends) to the same words;
//   odd:  a request for CommandRegistry::execute() over a table shaped like
//         tandemd's (shared prefixes, abbreviations, argument bounds); a
//         handler that runs must get an argument count inside its bounds.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/cli/cli.h"

using tandem::cli::Args;
using tandem::cli::Command;
using tandem::cli::CommandRegistry;
using tandem::cli::Reply;

namespace {

Command bounded(std::string words, int min_args, int max_args) {
  Command c;
  c.words = std::move(words);
  c.usage = "<args>";
  c.help = "fuzz";
  c.min_args = min_args;
  c.max_args = max_args;
  c.handler = [min_args, max_args](const Args& a) {
    const int n = static_cast<int>(a.size());
    if (n < min_args || (max_args >= 0 && n > max_args)) std::abort();
    std::string out;
    for (const auto& w : a) out += tandem::cli::quote(w) + " ";
    return Reply{true, out};
  };
  return c;
}

const CommandRegistry& registry() {
  static const CommandRegistry* r = [] {
    auto* reg = new CommandRegistry;
    reg->add({bounded("get system status", 0, 0), bounded("get system ha status", 0, 0),
              bounded("get system performance status", 0, 0),
              bounded("diagnose sys session list", 0, 0), bounded("diagnose sys session filter", 0, 2),
              bounded("diagnose sys session clear", 0, 0), bounded("diagnose sys session stat", 0, 0),
              bounded("diagnose sys ha sync", 0, 0), bounded("diagnose wad user list", 0, 0),
              bounded("diagnose wad user clear", 0, 1), bounded("execute ha failover set", 1, 1),
              bounded("execute ping", 1, -1), bounded("show", 0, -1),
              bounded("show full-configuration", 0, -1)});
    return reg;
  }();
  return *r;
}

void check_round_trip(const std::vector<std::string>& words) {
  std::string joined;
  for (const auto& w : words) {
    std::string q = tandem::cli::quote(w);
    std::string err;
    auto one = tandem::cli::tokenize(q, &err);
    if (!one || one->size() != 1 || (*one)[0] != w) std::abort();
    if (!joined.empty()) joined.push_back(' ');
    joined += q;
  }
  std::string err;
  auto again = tandem::cli::tokenize(joined, &err);
  if (!again || *again != words) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view line(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] % 2 == 0) {
    std::string err;
    auto words = tandem::cli::tokenize(line, &err);
    if (!words) {
      if (err.empty()) std::abort();  // a refusal says why
      return 0;
    }
    check_round_trip(*words);
    return 0;
  }
  Reply r = registry().execute(line);
  if (!r.ok && r.text.empty()) std::abort();  // a refusal says why
  return 0;
}
