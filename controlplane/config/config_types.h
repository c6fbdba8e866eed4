// Plain types of the parsed configuration tree (no code beyond comparisons).
//
// The tree is generic: an object is a map of key -> canonical value words
// plus its child tables; what keys exist and what they mean lives only in
// the schema (schema.h). The parser builds it, validate/show/checksum/
// node_config read it. Only values that differ from their default are
// stored, so two configs that show the same text compare equal.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::config {

struct Location {
  std::string file;
  int line = 0;
  int column = 0;
};

struct Diagnostic {
  Location where;
  std::string message;
  // "file:line:col: error: message", compiler style.
  std::string to_string() const;
};

// One `set` value in canonical form (e.g. {"10.1.100.1", "255.255.255.0"}).
// Locations remember where it was set so cross-reference errors point at
// the right line; they are not part of equality.
struct StoredValue {
  std::vector<std::string> words;
  Location where;                    // the `set` keyword
  std::vector<Location> word_where;  // each value token, same size as words
  bool operator==(const StoredValue& other) const { return words == other.words; }
};

struct TableEntry;

// A table (`config system interface`) keeps its entries in edit order, as
// FortiOS does (order matters for policy tables). A singleton object is a
// table holding exactly one entry with an empty name.
struct TableData {
  std::vector<TableEntry> entries;
  std::map<std::string, std::size_t, std::less<>> index;  // name -> position
  bool operator==(const TableData& other) const;
};

struct ObjectData {
  std::map<std::string, StoredValue, std::less<>> values;  // non-default only
  std::map<std::string, TableData, std::less<>> children;  // by child path
  bool operator==(const ObjectData& other) const;
};

struct TableEntry {
  std::string name;
  ObjectData object;
  Location where;  // the `edit` keyword that created it
  bool operator==(const TableEntry& other) const {
    return name == other.name && object == other.object;
  }
};

// The parsed configuration: a copyable value. Default-constructed holds
// every top-level object of the schema at its defaults.
class Config {
 public:
  Config();
  bool operator==(const Config& other) const { return root_ == other.root_; }

  // The root's children are the top-level objects, keyed by path
  // ("system ha"). Singletons always hold their one entry.
  const ObjectData& root() const { return root_; }
  ObjectData& root() { return root_; }

  // The one entry of a top-level singleton (nullptr for unknown paths or
  // tables) and the entries of a top-level table (nullptr likewise).
  const ObjectData* singleton(std::string_view path) const;
  const TableData* table(std::string_view path) const;

 private:
  ObjectData root_;
};

struct ParseResult {
  Config config;
  std::vector<Diagnostic> errors;
  bool ok() const { return errors.empty(); }
};

}  // namespace tandem::config
