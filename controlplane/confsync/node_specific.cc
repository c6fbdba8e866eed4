#include "controlplane/confsync/node_specific.h"

#include "controlplane/config/config.h"
#include "controlplane/config/schema.h"

#include <algorithm>
#include <cstddef>

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

// Interfaces are synchronised, but two parts of them belong to the machine:
// each entry's `device` (the hardware or vdev behind the logical port: the
// hbdev memif is a server on one node and a client on the other), and the
// whole entry of the management interface, the one holding this node's
// ha-mgmt-ip (FortiOS keeps its reserved ha-mgmt interface out of sync the
// same way). The management interface must have the same name on both
// nodes.
constexpr std::string_view kInterfaces = "system interface";
constexpr std::string_view kDevice = "device";

config::TableData* interfaces_of(config::Config* cfg) {
  auto it = cfg->root().children.find(kInterfaces);
  return it == cfg->root().children.end() ? nullptr : &it->second;
}

const config::TableData* interfaces_of(const config::Config& cfg) {
  auto it = cfg.root().children.find(kInterfaces);
  return it == cfg.root().children.end() ? nullptr : &it->second;
}

void reindex(config::TableData* table) {
  table->index.clear();
  for (std::size_t i = 0; i < table->entries.size(); ++i) table->index.emplace(table->entries[i].name, i);
}

// Name of the interface carrying cfg's ha-mgmt-ip, or "" when none does.
std::string mgmt_interface(const config::Config& cfg) {
  const config::ObjectData* ha = singleton_of(cfg, "system ha");
  const config::TableData* ifs = interfaces_of(cfg);
  if (!ha || !ifs) return {};
  auto mgmt = ha->values.find("ha-mgmt-ip");
  if (mgmt == ha->values.end() || mgmt->second.words.empty() || mgmt->second.words[0] == "0.0.0.0") return {};
  for (const config::TableEntry& e : ifs->entries) {
    auto ip = e.object.values.find("ip");
    if (ip != e.object.values.end() && !ip->second.words.empty() && ip->second.words[0] == mgmt->second.words[0]) {
      return e.name;
    }
  }
  return {};
}

void strip_interfaces(config::Config* cfg) {
  std::string mgmt = mgmt_interface(*cfg);
  config::TableData* ifs = interfaces_of(cfg);
  if (!ifs) return;
  std::erase_if(ifs->entries, [&](const config::TableEntry& e) { return !mgmt.empty() && e.name == mgmt; });
  for (config::TableEntry& e : ifs->entries) e.object.values.erase(std::string(kDevice));
  reindex(ifs);
}

// Puts own's devices on the interfaces both configs have, and own's
// management interface entry back where own has it.
void keep_interfaces(const config::Config& own, config::Config* out) {
  const config::TableData* mine = interfaces_of(own);
  config::TableData* ifs = interfaces_of(out);
  if (!mine || !ifs) return;
  std::string mgmt = mgmt_interface(own);
  if (!mgmt.empty()) {
    std::erase_if(ifs->entries, [&](const config::TableEntry& e) { return e.name == mgmt; });
    std::size_t at = mine->index.at(mgmt);
    ifs->entries.insert(ifs->entries.begin() + static_cast<std::ptrdiff_t>(std::min(at, ifs->entries.size())),
                        mine->entries[at]);
  }
  for (config::TableEntry& e : ifs->entries) {
    auto pos = mine->index.find(e.name);
    if (pos == mine->index.end()) continue;  // an interface only the peer has keeps its device
    const config::ObjectData& src = mine->entries[pos->second].object;
    auto device = src.values.find(kDevice);
    if (device != src.values.end()) {
      e.object.values[std::string(kDevice)] = device->second;
    } else {
      e.object.values.erase(std::string(kDevice));
    }
  }
  reindex(ifs);
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
      // Table items, handled by strip_interfaces/keep_interfaces.
      {"system interface", "device"},
      {"system interface", "<the entry holding ha-mgmt-ip>"},
  };
  return items;
}

config::Config strip_node_specific(const config::Config& cfg) {
  static const config::Config defaults;
  config::Config out = cfg;
  strip_interfaces(&out);  // first: it finds the management interface by ha-mgmt-ip
  for (const NodeSpecificItem& item : node_specific_items()) {
    if (item.object != kInterfaces) copy_item(item, defaults, &out);
  }
  return out;
}

config::Config keep_node_specific(const config::Config& shared, const config::Config& own) {
  config::Config out = shared;
  for (const NodeSpecificItem& item : node_specific_items()) {
    if (item.object != kInterfaces) copy_item(item, own, &out);
  }
  keep_interfaces(own, &out);
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
  auto refuse = [error](const std::vector<config::Diagnostic>& errors) {
    error->clear();
    for (std::size_t i = 0; i < errors.size() && i < 5; ++i) {
      *error += (i ? "; " : "") + errors[i].to_string();
    }
    return false;
  };
  config::ParseResult result = config::apply(base, text, "config-sync");
  if (!result.ok()) return refuse(result.errors);
  // A peer that sent a node-specific key anyway does not get to set ours.
  // The daemon installs *out as it is, so a config that got items back
  // is validated again (apply validated the one without them).
  *out = keep_node_specific(result.config, own);
  if (*out == result.config) return true;
  std::vector<config::Diagnostic> errors;
  config::validate(*out, &errors);
  if (!errors.empty()) return refuse(errors);
  return true;
}

}  // namespace tandem::confsync
