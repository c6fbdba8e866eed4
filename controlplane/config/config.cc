#include "controlplane/config/config.h"

#include "controlplane/config/schema.h"

namespace tandem::config {

bool TableData::operator==(const TableData& other) const { return entries == other.entries; }

bool ObjectData::operator==(const ObjectData& other) const {
  return values == other.values && children == other.children;
}

Config::Config() {
  for (const ObjectSchema& o : top_level_objects()) {
    TableData& table = root_.children[o.path];
    if (!o.is_table()) {
      table.entries.push_back({"", make_object(o), {}});
      table.index.emplace("", 0);
    }
  }
}

const ObjectData* Config::singleton(std::string_view path) const {
  const ObjectSchema* schema = find_object(path);
  if (!schema || schema->is_table()) return nullptr;
  auto it = root_.children.find(path);
  return it == root_.children.end() || it->second.entries.empty() ? nullptr
                                                                  : &it->second.entries[0].object;
}

const TableData* Config::table(std::string_view path) const {
  const ObjectSchema* schema = find_object(path);
  if (!schema || !schema->is_table()) return nullptr;
  auto it = root_.children.find(path);
  return it == root_.children.end() ? nullptr : &it->second;
}

std::vector<std::pair<std::string, std::string>> object_paths() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const ObjectSchema& o : top_level_objects()) out.emplace_back(o.path, o.help);
  return out;
}

}  // namespace tandem::config
