// Cross-reference checks that no single `set` line can decide: names that
// must be interfaces, devices two interfaces may not share, what HA a-p
// needs, and addresses that must be usable host addresses. Each error
// points at the `set` value that is wrong.
#include <map>
#include <optional>

#include "controlplane/config/config.h"
#include "controlplane/config/firewall.h"
#include "controlplane/config/schema.h"
#include "controlplane/config/value.h"
#include "controlplane/config/ztna.h"

namespace tandem::config {
namespace {

const StoredValue* stored(const ObjectData& object, std::string_view key) {
  auto it = object.values.find(key);
  return it == object.values.end() ? nullptr : &it->second;
}

Location word_location(const StoredValue* value, std::size_t word) {
  if (!value) return {};
  if (word < value->word_where.size()) return value->word_where[word];
  return value->where;
}

const std::vector<std::string>& words_of(const ObjectSchema& schema, const ObjectData& object,
                                         std::string_view key) {
  return value_words(*find_key(schema, key), object);
}

std::optional<std::string> host_address_problem(const std::vector<std::string>& ip_mask) {
  std::uint32_t ip = 0, mask = 0;
  if (ip_mask.size() != 2 || !parse_ipv4(ip_mask[0], &ip) || !parse_ipv4(ip_mask[1], &mask)) {
    return "malformed address";
  }
  if (ip == 0 && mask == 0) return {};
  std::string shown = ip_mask[0] + " " + ip_mask[1];
  if (ip == 0) return "0.0.0.0 is not a host address (expected a.b.c.d m.m.m.m)";
  if (mask == 0) return "netmask 0.0.0.0 with address " + ip_mask[0] + " (expected a netmask)";
  std::uint32_t first_octet = ip >> 24;
  if (first_octet == 127) return ip_mask[0] + " is a loopback address, not a host address";
  if (first_octet >= 224) return ip_mask[0] + " is a multicast or reserved address, not a host address";
  int prefix = netmask_prefix(mask).value_or(0);
  constexpr int kPointToPointPrefix = 31;  // RFC 3021: /31 and /32 have no network/broadcast
  if (prefix < kPointToPointPrefix) {
    if ((ip & ~mask) == 0) return ip_mask[0] + " is the network address of " + shown + ", not a host address";
    if ((ip & ~mask) == ~mask) return ip_mask[0] + " is the broadcast address of " + shown + ", not a host address";
  }
  return {};
}

// Two ports are the same device when their identity matches; a vdev spec's
// identity is its name before the first ',' (arguments do not make a
// second device).
std::string device_identity(const std::string& device) {
  if (device.starts_with("net_")) return device.substr(0, device.find(','));
  return device;
}

class Validator {
 public:
  Validator(const Config& cfg, std::vector<Diagnostic>* errors) : cfg_(cfg), errors_(errors) {}

  void run() {
    check_interfaces();
    check_ha();
    check_syslog();
  }

 private:
  void error(const Location& where, std::string message) { errors_->push_back({where, std::move(message)}); }

  void check_interfaces() {
    const ObjectSchema& schema = *find_object("system interface");
    std::map<std::string, std::string> device_owner;
    for (const TableEntry& entry : cfg_.table("system interface")->entries) {
      interfaces_.emplace(entry.name, &entry.object);
      interface_names_.push_back(entry.name);
      const std::string& device = words_of(schema, entry.object, "device").at(0);
      if (!device.empty()) {
        auto [it, inserted] = device_owner.emplace(device_identity(device), entry.name);
        if (!inserted) {
          error(word_location(stored(entry.object, "device"), 0),
                "device \"" + device + "\" of interface \"" + entry.name +
                    "\" is already used by interface \"" + it->second + "\"");
        }
      }
      if (auto problem = host_address_problem(words_of(schema, entry.object, "ip"))) {
        error(word_location(stored(entry.object, "ip"), 0),
              "interface \"" + entry.name + "\" ip: " + *problem);
      }
    }
  }

  void unknown_interface(const Location& where, std::string_view key, const std::string& name) {
    std::string hint = closest_name(name, interface_names_);
    error(where, std::string(key) + " \"" + name + "\" is not an interface in \"config system interface\"" +
                     (hint.empty() ? "" : " (did you mean \"" + hint + "\"?)"));
  }

  void check_ha() {
    const ObjectSchema& schema = *find_object("system ha");
    const ObjectSchema& if_schema = *find_object("system interface");
    const ObjectData& ha = *cfg_.singleton("system ha");
    const std::vector<std::string>& hbdev = words_of(schema, ha, "hbdev");
    for (std::size_t i = 0; i < hbdev.size(); i += 2) {
      auto it = interfaces_.find(hbdev[i]);
      if (it == interfaces_.end()) {
        unknown_interface(word_location(stored(ha, "hbdev"), i), "hbdev", hbdev[i]);
        continue;
      }
      const std::vector<std::string>& ip = words_of(if_schema, *it->second, "ip");
      if (ip.at(0) != "0.0.0.0") {
        error(word_location(stored(*it->second, "ip"), 0),
              "interface \"" + hbdev[i] + "\" is a heartbeat device (hbdev) and must have no ip (found " +
                  ip[0] + " " + ip[1] + ")");
      }
    }
    const std::vector<std::string>& monitor = words_of(schema, ha, "monitor");
    for (std::size_t i = 0; i < monitor.size(); ++i) {
      if (!interfaces_.contains(monitor[i])) {
        unknown_interface(word_location(stored(ha, "monitor"), i), "monitor", monitor[i]);
      }
    }
    if (words_of(schema, ha, "mode").at(0) == "a-p") {
      Location at = word_location(stored(ha, "mode"), 0);
      if (hbdev.empty()) error(at, "mode a-p requires at least one hbdev (set hbdev \"<interface>\" <priority>)");
      if (words_of(schema, ha, "group-name").at(0).empty()) {
        error(at, "mode a-p requires a group-name (set group-name \"<name>\")");
      }
    }
    if (auto problem = host_address_problem(words_of(schema, ha, "ha-mgmt-ip"))) {
      error(word_location(stored(ha, "ha-mgmt-ip"), 0), "ha-mgmt-ip: " + *problem);
    }
  }

  void check_syslog() {
    const ObjectSchema& schema = *find_object("log syslogd setting");
    const ObjectData& s = *cfg_.singleton("log syslogd setting");
    if (words_of(schema, s, "status").at(0) == "enable" &&
        words_of(schema, s, "server").at(0) == "0.0.0.0") {
      error(word_location(stored(s, "status"), 0),
            "log syslogd setting: status enable needs a server (set server <a.b.c.d>)");
    }
  }

  const Config& cfg_;
  std::vector<Diagnostic>* errors_;
  std::map<std::string, const ObjectData*, std::less<>> interfaces_;
  std::vector<std::string> interface_names_;
};

}  // namespace

void validate(const Config& cfg, std::vector<Diagnostic>* errors) {
  Validator(cfg, errors).run();
  validate_firewall(cfg, errors);
  validate_ztna(cfg, errors);
}

}  // namespace tandem::config
