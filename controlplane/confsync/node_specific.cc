#include "controlplane/confsync/node_specific.h"

#include "controlplane/config/config.h"
#include "controlplane/config/schema.h"

namespace tandem::confsync {
namespace {

config::ObjectData* singleton_of(config::Config* cfg, std::string_view path) {
  auto it = cfg->root().children.find(path);
  if (it == cfg->root().children.end() || it->second.entries.empty()) return nullptr;
  return &it->second.entries[0].object;
}

const config::ObjectData* singleton_of(const config::Config& cfg, std::string_view path) {
  auto it = cfg.root().children.find(path);
  if (it == cfg.root().children.end() || it->second.entries.empty()) return nullptr;
  return &it->second.entries[0].object;
}

// Copies one item from `from` into `to` (both trees of the same schema).
void copy_item(const NodeSpecificItem& item, const config::Config& from, config::Config* to) {
  if (item.key.empty()) {
    to->root().children[std::string(item.object)] = from.root().children.at(std::string(item.object));
    return;
  }
  const config::ObjectData* src = singleton_of(from, item.object);
  config::ObjectData* dst = singleton_of(to, item.object);
  if (!src || !dst) return;
  auto child = src->children.find(item.key);
  if (child != src->children.end()) {
    dst->children[std::string(item.key)] = child->second;
    return;
  }
  auto value = src->values.find(item.key);
  if (value != src->values.end()) {
    dst->values[std::string(item.key)] = value->second;
  } else {
    auto stale = dst->values.find(item.key);
    if (stale != dst->values.end()) dst->values.erase(stale);
  }
}

}  // namespace

const std::vector<NodeSpecificItem>& node_specific_items() {
  // Why each one stays per node is in docs/confsync.md.
  static const std::vector<NodeSpecificItem> items = {
      {"system global", "hostname"},
      {"system global", "serial-number"},
      {"system global", "alias"},
      {"system ha", "priority"},
      {"system ha", "override"},
      {"system ha", "maintenance-mode"},
      {"system ha", "ha-mgmt-ip"},
      {"system ha", "ha-mgmt-gateway"},
      {"system ha", "local-cert"},
      {"system ha", "peer"},
      {"system certificate local", ""},
      {"system dpdk", ""},
  };
  return items;
}

config::Config strip_node_specific(const config::Config& cfg) {
  static const config::Config defaults;
  config::Config out = cfg;
  for (const NodeSpecificItem& item : node_specific_items()) copy_item(item, defaults, &out);
  return out;
}

config::Config keep_node_specific(const config::Config& shared, const config::Config& own) {
  config::Config out = shared;
  for (const NodeSpecificItem& item : node_specific_items()) copy_item(item, own, &out);
  return out;
}

SectionChecksums synced_checksums(const config::Config& cfg) {
  return config::checksums(strip_node_specific(cfg));
}

std::string synced_text(const config::Config& cfg, const std::vector<std::string>& sections) {
  config::Config shared = strip_node_specific(cfg);
  std::string out, block, error;
  if (sections.empty()) {
    config::show(shared, "", false, &out, &error);
    return out;
  }
  for (const config::ObjectSchema& schema : config::top_level_objects()) {
    bool wanted = false;
    for (const std::string& s : sections) wanted = wanted || s == schema.path;
    if (!wanted) continue;
    // show prints an object even when empty; a block with no body is
    // harmless and tells the reader the section was reset.
    if (config::show(shared, schema.path, false, &block, &error)) out += block;
  }
  return out;
}

bool install_sections(const config::Config& own, const std::vector<std::string>& sections,
                      std::string_view text, config::Config* out, std::string* error) {
  static const config::Config defaults;
  config::Config base = own;
  for (const config::ObjectSchema& schema : config::top_level_objects()) {
    bool wanted = sections.empty();
    for (const std::string& s : sections) wanted = wanted || s == schema.path;
    if (wanted) base.root().children[schema.path] = defaults.root().children.at(schema.path);
  }
  // The reset sections get back this node's own items before the text is
  // applied, so validation sees the config this node will really run.
  base = keep_node_specific(base, own);
  config::ParseResult result = config::apply(base, text, "config-sync");
  if (!result.ok()) {
    error->clear();
    for (std::size_t i = 0; i < result.errors.size() && i < 5; ++i) {
      *error += (i ? "; " : "") + result.errors[i].to_string();
    }
    return false;
  }
  // A peer that sent a node-specific key anyway does not get to set ours.
  *out = keep_node_specific(result.config, own);
  return true;
}

}  // namespace tandem::confsync
