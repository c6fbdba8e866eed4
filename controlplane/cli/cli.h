// The command registry behind tandemctl: tokenizes a command line the way
// the FortiOS CLI does (whitespace separated, double quotes group words,
// backslash escapes inside quotes) and dispatches to the longest matching
// declared command. Used by the daemon's CLI server; pure logic, unit tested.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/cli/cli_types.h"

namespace tandem::cli {

// Splits a command line into words. Returns nullopt and sets *error on an
// unterminated quote or a dangling escape.
std::optional<std::vector<std::string>> tokenize(std::string_view line, std::string* error);

// Quotes a word for display or for sending back through tokenize().
std::string quote(std::string_view word);

// A command's numeric argument: decimal, 0..max. False (and *out untouched)
// for anything else; the handler says what it takes.
bool parse_number(const std::string& s, unsigned long max, unsigned long* out);

class CommandRegistry {
 public:
  // Registers a table of commands; a duplicate word sequence is a programming
  // error and aborts start-up with a message naming it.
  void add(std::vector<Command> commands);

  // Runs one command line. Unknown commands get the closest candidates.
  Reply execute(std::string_view line) const;

  // `help` / `help <prefix words>`: every command under the prefix.
  std::string help(const std::vector<std::string>& prefix) const;

  const std::vector<Command>& commands() const { return commands_; }

 private:
  std::vector<Command> commands_;
};

}  // namespace tandem::cli
