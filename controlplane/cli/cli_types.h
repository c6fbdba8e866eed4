// CLI command declarations: what a command is (its words, its help, its handler).
//
// Modules declare their commands as tables next to the code that handles them
// (STYLE.md "Declare, don't chain") and register them with a CommandRegistry
// at start-up; the registry matches typed words against them.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::cli {

// What a handler returns: the text shown to the operator and whether the
// command succeeded (tandemctl exits non-zero on failure).
struct Reply {
  bool ok = true;
  std::string text;

  static Reply error(std::string message) { return Reply{false, std::move(message)}; }
};

// Words typed after the command's own words, already unquoted.
using Args = std::vector<std::string>;

using Handler = std::function<Reply(const Args& args)>;

struct Command {
  std::string words;   // e.g. "get system status"; matched word by word
  std::string usage;   // argument synopsis shown by help, e.g. "<port>"
  std::string help;    // one line
  Handler handler;
  // Largest number of argument words accepted; -1 = any.
  int max_args = 0;
  int min_args = 0;
};

}  // namespace tandem::cli
