// Helpers shared by the config unit tests.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "controlplane/config/config.h"

namespace tandem::config::testing {

inline std::vector<std::string> error_lines(const ParseResult& r) {
  std::vector<std::string> out;
  for (const Diagnostic& d : r.errors) out.push_back(d.to_string());
  return out;
}

inline std::vector<std::string> parse_errors(std::string_view text) {
  return error_lines(parse(text, "node.conf"));
}

inline std::string show_text(const Config& cfg, std::string_view path = "", bool full = false) {
  std::string out, error;
  if (!show(cfg, path, full, &out, &error)) return "show failed: " + error;
  return out;
}

}  // namespace tandem::config::testing
