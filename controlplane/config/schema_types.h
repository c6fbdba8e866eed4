// Plain types of the configuration schema: one table row per key and per
// object. Declared once in schema.cc; the parser, validation, show,
// checksums, the CLI help and docs/config.md all read these rows.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tandem::config {

enum class ValueType {
  kString,         // one word, at most max bytes; shown quoted
  kInteger,        // one decimal word in min..max
  kEnum,           // one of choices
  kEnableDisable,  // enable | disable
  kIpv4,           // a.b.c.d
  kIpv4Mask,       // a.b.c.d m.m.m.m or a.b.c.d/len; shown with the netmask
  kWordList,       // one or more distinct words of choices, shown bare
  kNameList,       // one or more distinct names (at most max bytes), quoted
  kHbdevList,      // pairs of "interface" priority (priority in min..max)
  kPassword,       // plaintext or `ENC <hash>`; shown as `ENC <hash>`
  kUserPassword,   // plaintext or `ENC PB2$<iter>$<salt>$<key>` (PBKDF2-HMAC-SHA256)
  kMac,            // xx:xx:xx:xx:xx:xx
  kCpuList,        // "0,1" or "0-3" or "0-3,6"
  kDevice,         // a port spec: PCI address, af_xdp:/af_packet:/kernel:<if>, net_<vdev>
  kPortRangeList,  // FortiOS port specs: dst[-dst][:src[-src]] ..., ports 0..65535
};

struct KeySchema {
  std::string name;
  ValueType type = ValueType::kString;
  // Canonical words of the default (what `unset` restores).
  std::vector<std::string> default_words;
  std::int64_t min = 0;  // integer / priority range
  std::int64_t max = 0;  // integer / priority range, or max length for strings
  std::vector<std::string> choices;  // kEnum, kWordList
  std::string help;
};

// How a table names its entries in `edit`.
enum class EntryKey {
  kNone,     // a singleton: no `edit`
  kName,     // edit "port1" (string, at most key_max bytes)
  kInteger,  // edit 1 (key_min..key_max)
};

struct ObjectSchema {
  std::string path;  // "system ha" at top level, "peer" when nested
  EntryKey entry_key = EntryKey::kNone;
  std::int64_t key_min = 0;
  std::int64_t key_max = 0;
  std::vector<KeySchema> keys;
  std::vector<ObjectSchema> children;  // nested `config` blocks
  std::string help;

  bool is_table() const { return entry_key != EntryKey::kNone; }
};

}  // namespace tandem::config
