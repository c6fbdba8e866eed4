// How the configuration prints: `show` text in FortiOS layout (4-space
// indents, keys in schema order, nested blocks after the keys) and the
// checksums over that text. The canonical text is the one `show` prints
// without defaults, so checksums ignore comments, spacing, `set` order and
// values set to their default.
#include <openssl/evp.h>

#include <cstdio>

#include "controlplane/config/config.h"
#include "controlplane/config/schema.h"
#include "controlplane/config/value.h"

namespace tandem::config {

std::string Diagnostic::to_string() const {
  std::string out = where.file;
  if (where.line > 0) out += ":" + std::to_string(where.line) + ":" + std::to_string(where.column);
  return out + ": error: " + message;
}

namespace {

bool has_content(const ObjectSchema& schema, const TableData& table);

bool object_has_content(const ObjectSchema& schema, const ObjectData& object) {
  if (!object.values.empty()) return true;
  for (const ObjectSchema& child : schema.children) {
    auto it = object.children.find(child.path);
    if (it != object.children.end() && has_content(child, it->second)) return true;
  }
  return false;
}

bool has_content(const ObjectSchema& schema, const TableData& table) {
  if (schema.is_table()) return !table.entries.empty();
  return !table.entries.empty() && object_has_content(schema, table.entries[0].object);
}

void print_block(const ObjectSchema& schema, const TableData& table, bool full, const std::string& indent,
                 const TableEntry* only, std::string* out);

void print_body(const ObjectSchema& schema, const ObjectData& object, bool full,
                const std::string& indent, std::string* out) {
  for (const KeySchema& key : schema.keys) {
    bool stored = object.values.contains(key.name);
    const std::vector<std::string>& words = value_words(key, object);
    // An empty list has no `set` form; leaving it out is how it reads back.
    if ((!stored && !full) || words.empty()) continue;
    *out += indent + "set " + key.name;
    format_value(key, words, out);
    *out += '\n';
  }
  for (const ObjectSchema& child : schema.children) {
    auto it = object.children.find(child.path);
    if (it == object.children.end()) continue;
    if (!full && !has_content(child, it->second)) continue;
    print_block(child, it->second, full, indent, nullptr, out);
  }
}

std::string entry_label(const ObjectSchema& schema, const std::string& name) {
  return schema.entry_key == EntryKey::kInteger ? name : quote(name);
}

void print_block(const ObjectSchema& schema, const TableData& table, bool full, const std::string& indent,
                 const TableEntry* only, std::string* out) {
  *out += indent + "config " + schema.path + "\n";
  if (schema.is_table()) {
    for (const TableEntry& entry : table.entries) {
      if (only && &entry != only) continue;
      *out += indent + "    edit " + entry_label(schema, entry.name) + "\n";
      print_body(schema, entry.object, full, indent + "        ", out);
      *out += indent + "    next\n";
    }
  } else if (!table.entries.empty()) {
    print_body(schema, table.entries[0].object, full, indent + "    ", out);
  }
  *out += indent + "end\n";
}

const TableData& top_table(const Config& cfg, const ObjectSchema& schema) {
  return cfg.root().children.at(schema.path);
}

std::vector<std::string> split_words(std::string_view path) {
  std::vector<std::string> words;
  std::string word;
  for (char c : path) {
    if (c == ' ' || c == '\t') {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
    } else {
      word += c;
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  for (std::string& w : words) {
    if (w.size() >= 2 && w.front() == '"' && w.back() == '"') w = w.substr(1, w.size() - 2);
  }
  return words;
}

std::string object_text(const Config& cfg, const ObjectSchema& schema) {
  std::string text;
  print_block(schema, top_table(cfg, schema), false, "", nullptr, &text);
  return text;
}

std::string truncated_sha256_hex(std::string_view text) {
  constexpr unsigned kChecksumBytes = 16;  // 128 bits, as the API promises
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha256(), nullptr);
  std::string hex;
  char buf[3];
  for (unsigned i = 0; i < kChecksumBytes && i < len; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", digest[i]);
    hex += buf;
  }
  return hex;
}

}  // namespace

bool show(const Config& cfg, std::string_view path, bool full, std::string* out, std::string* error) {
  std::vector<std::string> words = split_words(path);
  if (!words.empty() && words[0] == "full-configuration") {
    full = true;
    words.erase(words.begin());
  }
  out->clear();
  if (words.empty()) {
    for (const ObjectSchema& schema : top_level_objects()) {
      const TableData& table = top_table(cfg, schema);
      if (full || has_content(schema, table)) print_block(schema, table, full, "", nullptr, out);
    }
    return true;
  }
  // The longest leading words that name an object; one word may follow
  // for a table entry (`show system interface port1`).
  for (std::size_t n = words.size(); n >= 1; --n) {
    std::string object_path;
    for (std::size_t i = 0; i < n; ++i) object_path += (i ? " " : "") + words[i];
    const ObjectSchema* schema = find_object(object_path);
    if (!schema) continue;
    const TableData& table = top_table(cfg, *schema);
    if (n == words.size()) {
      print_block(*schema, table, full, "", nullptr, out);
      return true;
    }
    if (n + 1 == words.size() && schema->is_table()) {
      auto it = table.index.find(words[n]);
      if (it == table.index.end()) {
        *error = "no entry \"" + words[n] + "\" in \"config " + schema->path + "\"";
        return false;
      }
      print_block(*schema, table, full, "", &table.entries[it->second], out);
      return true;
    }
    break;
  }
  std::vector<std::string> known;
  for (const ObjectSchema& o : top_level_objects()) known.push_back(o.path);
  std::string joined;
  for (const std::string& w : words) joined += (joined.empty() ? "" : " ") + w;
  std::string hint = closest_name(joined, known);
  *error = "unknown object \"" + joined + "\"" + (hint.empty() ? "" : " (did you mean \"" + hint + "\"?)");
  return false;
}

std::vector<std::pair<std::string, std::string>> checksums(const Config& cfg) {
  std::vector<std::pair<std::string, std::string>> out;
  std::string all;
  for (const ObjectSchema& schema : top_level_objects()) {
    std::string text = object_text(cfg, schema);
    out.emplace_back(schema.path, truncated_sha256_hex(text));
    all += text;
  }
  out.emplace_back("all", truncated_sha256_hex(all));
  return out;
}

}  // namespace tandem::config
