// Splits FortiOS-syntax configuration text into words. Called by the
// parser (parse.cc) and by the CLI for completion. Handles double-quoted
// strings with \" \\ \n escapes, `#` comments, CRLF or LF, and checks the
// text is UTF-8 without NUL bytes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "controlplane/config/config_types.h"

namespace tandem::config {

struct Token {
  std::string text;  // unescaped
  bool quoted = false;
  int line = 0;
  int column = 0;  // 1-based, in characters
};

struct TokenizeResult {
  std::vector<Token> tokens;
  std::vector<Diagnostic> errors;
  // Where the text ends, for "unexpected end of file" messages.
  int end_line = 1;
  int end_column = 1;
};

TokenizeResult tokenize(std::string_view text, std::string_view source_name);

}  // namespace tandem::config
