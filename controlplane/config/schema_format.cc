// How the schema prints: the expected-form phrases used in error messages
// and the Markdown key reference written into docs/config.md.

#include "controlplane/config/firewall.h"
#include "controlplane/config/schema.h"
#include "controlplane/config/value.h"

namespace tandem::config {
namespace {

std::string join(const std::vector<std::string>& words, std::string_view sep) {
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : std::string(sep)) + w;
  return out;
}

std::string range(std::int64_t lo, std::int64_t hi) { return std::to_string(lo) + ".." + std::to_string(hi); }

std::string type_name(const KeySchema& key) {
  switch (key.type) {
    case ValueType::kString: return "string (max " + std::to_string(key.max) + " bytes)";
    case ValueType::kInteger: return "integer " + range(key.min, key.max);
    case ValueType::kEnum: return "enum: " + join(key.choices, ", ");
    case ValueType::kEnableDisable: return "enable, disable";
    case ValueType::kIpv4: return "IPv4 address";
    case ValueType::kIpv4Mask: return "IPv4 address and netmask";
    case ValueType::kWordList: return "list of: " + join(key.choices, ", ");
    case ValueType::kNameList: return "list of names";
    case ValueType::kHbdevList: return "hbdev list: \"interface\" priority (" + range(key.min, key.max) + ") pairs";
    case ValueType::kPassword: return "password";
    case ValueType::kUserPassword: return "password (PBKDF2)";
    case ValueType::kMac: return "MAC address";
    case ValueType::kCpuList: return "CPU list";
    case ValueType::kDevice: return "device";
    case ValueType::kPortRangeList: return "list of port ranges dst[-dst][:src[-src]]";
  }
  return "?";
}

std::string escape_cell(std::string text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

void object_reference(const ObjectSchema& o, const std::string& heading, std::string* out) {
  *out += "### `" + heading + "`\n\n" + o.help + "\n\n";
  switch (o.entry_key) {
    case EntryKey::kNone: *out += "A single object (no `edit`).\n\n"; break;
    case EntryKey::kName:
      *out += "A table: `edit \"<name>\"`, names of 1.." + std::to_string(o.key_max) + " bytes.\n\n";
      break;
    case EntryKey::kInteger:
      *out += "A table: `edit <id>`, ids " + range(o.key_min, o.key_max) + ".\n\n";
      break;
  }
  *out += "| key | type | default | description |\n|---|---|---|---|\n";
  for (const KeySchema& k : o.keys) {
    std::string shown;
    format_value(k, k.default_words, &shown);
    shown = shown.empty() ? "(none)" : "`" + shown.substr(1) + "`";
    *out += "| `" + k.name + "` | " + escape_cell(type_name(k)) + " | " + escape_cell(shown) + " | " +
            escape_cell(k.help) + " |\n";
  }
  *out += "\n";
  for (const ObjectSchema& child : o.children) object_reference(child, heading + " / config " + child.path, out);
}

}  // namespace

std::string expected_form(const KeySchema& key) {
  switch (key.type) {
    case ValueType::kString: return "a string of at most " + std::to_string(key.max) + " bytes";
    case ValueType::kInteger: return "an integer " + range(key.min, key.max);
    case ValueType::kEnum: return "one of " + join(key.choices, "|");
    case ValueType::kEnableDisable: return "enable|disable";
    case ValueType::kIpv4: return "an IPv4 address a.b.c.d";
    case ValueType::kIpv4Mask: return "a.b.c.d m.m.m.m or a.b.c.d/len";
    case ValueType::kWordList: return "one or more of " + join(key.choices, " ");
    case ValueType::kNameList: return "one or more names";
    case ValueType::kHbdevList: return "\"interface\" priority pairs, priority " + range(key.min, key.max);
    case ValueType::kPassword: return "a password, or ENC <hash>";
    case ValueType::kUserPassword: return "a password, or ENC PB2$<iterations>$<salt>$<key>";
    case ValueType::kMac: return "a MAC address xx:xx:xx:xx:xx:xx";
    case ValueType::kCpuList: return "a CPU list such as 0,1 or 0-3";
    case ValueType::kPortRangeList:
      return "port ranges such as 80, 8000-8080 or 443:1024-65535 (dst[:src], 0..65535, low<=high)";
    case ValueType::kDevice:
      return "a PCI address 0000:03:00.0, af_xdp:<if>, af_packet:<if>, kernel:<if> or net_<vdev>[,args]";
  }
  return "?";
}

std::string reference_markdown() {
  std::string out;
  for (const ObjectSchema& o : top_level_objects()) object_reference(o, "config " + o.path, &out);
  out += "### Built-in addresses and services\n\n"
         "Usable in policies and groups without an entry; an entry of the same name is an error.\n\n"
         "| name | kind | matches |\n|---|---|---|\n";
  for (const BuiltinAddress& a : builtin_addresses()) {
    std::string matches;
    for (const AddrRange& r : a.ranges) {
      matches += (matches.empty() ? "" : ", ") + format_ipv4(r.lo) + "-" + format_ipv4(r.hi);
    }
    out += "| `" + a.name + "` | address | " + (matches.empty() ? "nothing" : matches) + " |\n";
  }
  for (const BuiltinService& s : builtin_services()) {
    std::string matches;
    for (const ServiceRange& r : s.ranges) matches += (matches.empty() ? "" : ", ") + describe(r);
    out += "| `" + s.name + "` | service | " + matches + " |\n";
  }
  out += "\n";
  return out;
}

}  // namespace tandem::config
