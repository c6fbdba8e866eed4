// Tandem's configuration in the FortiOS CLI dialect: parse a node.conf,
// apply CLI edits, validate cross-references, print `show` text and the
// per-object checksums HA compares (`diagnose sys ha checksum cluster`).
// Called by tandemd (load_file at start, apply for CLI edits and config
// sync) and tandemctl (show, object_paths for help). Every key comes from
// the schema in schema.cc. Functions here never throw: every problem is a
// Diagnostic with file, line and column.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "controlplane/config/config_types.h"

namespace tandem::config {

// Input caps: larger files or deeper `config` nesting are errors.
inline constexpr std::size_t kMaxConfigBytes = 4 * 1024 * 1024;
inline constexpr int kMaxNesting = 8;
// Errors after this many are summarised in one last Diagnostic.
inline constexpr std::size_t kMaxErrors = 100;

ParseResult parse(std::string_view text, std::string_view source_name);
ParseResult load_file(const std::string& path);  // unreadable file -> one Diagnostic

// Applies commands typed at the CLI (same syntax) on top of base; validated
// as a whole; on any error the returned config is base unchanged.
ParseResult apply(const Config& base, std::string_view text, std::string_view source_name);

// `show` / `show system ha` / `show system interface port1` /
// `show full-configuration` (full=true prints defaults too). Returns false
// and sets *error for an unknown path.
bool show(const Config& cfg, std::string_view path, bool full, std::string* out, std::string* error);

// Per top-level object checksum (32 lower-case hex chars: SHA-256 truncated
// to 128 bits) over its canonical show text, plus "all" over everything.
std::vector<std::pair<std::string, std::string>> checksums(const Config& cfg);

// Schema introspection for CLI help: object paths with help text.
std::vector<std::pair<std::string, std::string>> object_paths();

// Cross-reference checks of a whole config (hbdev/monitor names, shared
// devices, HA mode prerequisites, host addresses, and the names, group
// cycles and route gateways of firewall/router objects). parse/apply call it.
void validate(const Config& cfg, std::vector<Diagnostic>* errors);

}  // namespace tandem::config
