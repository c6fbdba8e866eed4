// What config sync never copies between the nodes: each node's identity,
// its own election weight, its management path and its certificate. The
// primary strips these before sending (so checksums compare only what is
// shared) and the receiver keeps its own when it installs a FULL or a
// CHANGE. Used by ConfSync and its tests; the list is in node_specific.cc
// and in docs/confsync.md.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "controlplane/config/config_types.h"
#include "controlplane/confsync/confsync_types.h"

namespace tandem::confsync {

struct NodeSpecificItem {
  std::string_view object;  // top-level path, e.g. "system ha"
  std::string_view key;     // a key, a child table ("peer"), or "" for the whole object
};

const std::vector<NodeSpecificItem>& node_specific_items();

// cfg with every node-specific item back at its default.
config::Config strip_node_specific(const config::Config& cfg);

// shared with own's node-specific items copied in (the receiver's view).
config::Config keep_node_specific(const config::Config& shared, const config::Config& own);

// Section checksums over the synchronised part (config::checksums of
// strip_node_specific(cfg)): equal on both nodes when they are in sync.
SectionChecksums synced_checksums(const config::Config& cfg);

// `show` text of the synchronised part, limited to `sections` (top-level
// paths; empty = every section).
std::string synced_text(const config::Config& cfg, const std::vector<std::string>& sections);

// Installs received synchronised text into own: the sections listed are
// reset (node-specific items kept) and rebuilt from `text`, the rest of own
// stays. Returns false with *error when text does not parse or the result
// (node-specific items put back included) does not validate: *out is
// ready to install as it is.
bool install_sections(const config::Config& own, const std::vector<std::string>& sections,
                      std::string_view text, config::Config* out, std::string* error);

}  // namespace tandem::confsync
