// Property: for a few hundred random valid configs (seeded, so failures
// reproduce), show -> parse gives back the same config, the same show text
// and the same checksums, with and without defaults.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

#include "controlplane/config/schema.h"
#include "controlplane/config/value.h"
#include "tests/unit/config/config_test_util.h"

namespace tandem::config {
namespace {

using ::testing::IsEmpty;
using testing::error_lines;
using testing::show_text;

constexpr unsigned kSeed = 20240611;
constexpr int kConfigs = 300;

class ConfigGenerator {
 public:
  explicit ConfigGenerator(unsigned seed) : rng_(seed) {}

  std::string generate() {
    text_.clear();
    interfaces_.clear();
    no_ip_.clear();
    subnets_.clear();
    std::vector<int> order = {0, 1, 2, 3, 4, 5};
    std::shuffle(order.begin(), order.end(), rng_);
    // Interfaces first: HA refers to them (order in the file does not
    // matter to validation, but generating them first is simpler).
    interfaces();
    for (int o : order) {
      if (o == 0) singleton("system global");
      if (o == 2) ha();
      if (o == 3) singleton("system dpdk");
      if (o == 4) singleton("system session-ttl");
      // References may come before what they name: validation runs on the
      // whole file, as on FortiOS restore.
      if (o == 5) firewall();
    }
    return text_;
  }

 private:
  int below(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  bool coin(int percent) { return below(100) < percent; }

  // Command separators: newline (LF or CRLF, with indentation and
  // comments) or the one-line form's single space.
  void sep() {
    switch (below(6)) {
      case 0: text_ += " "; break;
      case 1: text_ += "\r\n"; break;
      case 2: text_ += "   # a comment \"with quotes\" end\n"; break;
      default: text_ += "\n" + std::string(below(9), ' '); break;
    }
  }
  void cmd(const std::string& c) {
    text_ += c;
    sep();
  }

  std::string random_string(std::int64_t max_bytes) {
    static const std::vector<std::string> pieces = {"a", "Z", "9", "-", "_", " ", "\"", "\\", "\n", "#",
                                                    "end", "set", "\xC3\xA9", "/", ".", ":", "\t"};
    std::string s;
    int len = below(10);
    for (int i = 0; i < len; ++i) {
      const std::string& p = pieces[below(static_cast<int>(pieces.size()))];
      if (static_cast<std::int64_t>(s.size() + p.size()) > max_bytes) break;
      s += p;
    }
    return s;
  }

  std::string maybe_quoted(const std::string& word) { return coin(30) ? quote(word) : word; }

  std::string random_ipv4() {
    return std::to_string(below(256)) + "." + std::to_string(below(256)) + "." + std::to_string(below(256)) +
           "." + std::to_string(below(256));
  }

  // A usable host address in a /8../30 subnet, in either accepted form.
  std::string host_address(std::uint32_t* ip_out = nullptr, std::uint32_t* mask_out = nullptr) {
    int prefix = 8 + below(23);
    std::uint32_t net = (10u << 24) | (static_cast<std::uint32_t>(below(1 << 16)) << 8);
    std::uint32_t mask = prefix_netmask(prefix);
    std::uint32_t ip = (net & mask) | random_host(mask);
    if (ip_out) *ip_out = ip;
    if (mask_out) *mask_out = mask;
    return coin(50) ? format_ipv4(ip) + " " + format_ipv4(mask) : format_ipv4(ip) + "/" + std::to_string(prefix);
  }

  // Host bits of a usable address under mask (prefix at most /30).
  std::uint32_t random_host(std::uint32_t mask) {
    std::uint32_t host_bits = ~mask;
    std::uint32_t host = 1 + static_cast<std::uint32_t>(below(static_cast<int>(std::min<std::uint32_t>(host_bits - 1, 1000))));
    return host & host_bits;
  }

  // A network without host bits, in either accepted form.
  std::string network() {
    int prefix = below(33);
    std::uint32_t mask = prefix_netmask(prefix);
    std::uint32_t net = static_cast<std::uint32_t>(std::uniform_int_distribution<std::uint32_t>()(rng_)) & mask;
    return coin(50) ? format_ipv4(net) + " " + format_ipv4(mask) : format_ipv4(net) + "/" + std::to_string(prefix);
  }

  std::string port_span() {
    int lo = below(65536);
    if (coin(50)) return std::to_string(lo);
    return std::to_string(lo) + "-" + std::to_string(lo + below(65536 - lo));
  }

  std::string port_specs() {
    std::string out;
    for (int i = 0, n = 1 + below(3); i < n; ++i) {
      out += (i ? " " : "") + port_span();
      if (coin(30)) out += ":" + port_span();
    }
    return out;
  }

  std::string value_for(const KeySchema& k) {
    switch (k.type) {
      case ValueType::kString: return quote(random_string(k.max));
      case ValueType::kInteger: {
        std::int64_t v = std::uniform_int_distribution<std::int64_t>(k.min, k.max)(rng_);
        return (coin(10) ? "0" : "") + std::to_string(v);
      }
      case ValueType::kEnum: return maybe_quoted(k.choices[below(static_cast<int>(k.choices.size()))]);
      case ValueType::kEnableDisable: return coin(50) ? "enable" : "disable";
      case ValueType::kIpv4: return random_ipv4();
      case ValueType::kIpv4Mask: return host_address();
      case ValueType::kWordList: {
        std::vector<std::string> c = k.choices;
        std::shuffle(c.begin(), c.end(), rng_);
        std::string out;
        for (int i = 0, n = 1 + below(static_cast<int>(c.size())); i < n; ++i) out += (i ? " " : "") + c[i];
        return out;
      }
      case ValueType::kPassword:
        return coin(50) ? quote(random_string(20) + "x") : "ENC " + hash_password(random_string(8));
      case ValueType::kUserPassword:  // one iteration: the form matters here, not the cost
        return coin(50) ? quote(random_string(20) + "x") : "ENC " + hash_user_password(random_string(8), 1);
      case ValueType::kMac: {
        std::string mac;
        for (int i = 0; i < 6; ++i) {
          char b[4];
          std::snprintf(b, sizeof b, "%02X", below(256));
          mac += (i ? ":" : "") + std::string(b);
        }
        return mac;
      }
      case ValueType::kCpuList: return coin(50) ? "\"0-" + std::to_string(1 + below(8)) + "\"" : "1,3";
      case ValueType::kPortRangeList: return port_specs();
      case ValueType::kNameList:
      case ValueType::kHbdevList:
      case ValueType::kDevice: break;  // cross-referenced: generated by the callers
    }
    return "?";
  }

  void random_sets(const ObjectSchema& o, const std::vector<std::string>& skip) {
    std::vector<const KeySchema*> keys;
    for (const KeySchema& k : o.keys) {
      if (std::find(skip.begin(), skip.end(), k.name) == skip.end() && coin(40)) keys.push_back(&k);
    }
    std::shuffle(keys.begin(), keys.end(), rng_);
    for (const KeySchema* k : keys) {
      cmd("set " + k->name + " " + value_for(*k));
      if (coin(5)) cmd("unset " + k->name);
    }
  }

  void singleton(const std::string& path) {
    cmd("config " + path);
    random_sets(*find_object(path), {});
    cmd("end");
  }

  void interfaces() {
    const ObjectSchema& o = *find_object("system interface");
    int n = below(5);
    if (n == 0 && coin(50)) return;
    cmd("config system interface");
    for (int i = 0; i < n; ++i) {
      std::string name = "port" + std::to_string(i) + (coin(20) ? " x" : "");
      interfaces_.push_back(name);
      cmd("edit " + quote(name));
      if (coin(70)) cmd("set device \"af_packet:eth" + std::to_string(i) + "\"");
      if (coin(60)) {
        std::uint32_t ip = 0, mask = 0;
        cmd("set ip " + host_address(&ip, &mask));
        subnets_.push_back({name, ip, mask});
      } else {
        no_ip_.push_back(name);
      }
      random_sets(o, {"device", "ip"});
      // FortiOS also accepts `end` straight after the last entry's sets.
      if (i == n - 1 && coin(10)) {
        cmd("end");
        return;
      }
      cmd("next");
    }
    cmd("end");
  }

  void ha() {
    const ObjectSchema& o = *find_object("system ha");
    cmd("config system ha");
    std::vector<std::string> hbdevs;
    if (!no_ip_.empty() && coin(70)) {
      std::string list;
      for (const std::string& name : no_ip_) {
        if (coin(60) || list.empty()) list += " " + quote(name) + " " + std::to_string(below(513));
      }
      cmd("set hbdev" + list);
      if (coin(60)) {
        cmd("set group-name " + quote("g" + random_string(20)));
        cmd("set mode a-p");
      }
    }
    if (!interfaces_.empty() && coin(50)) cmd("set monitor " + quote(interfaces_[below(static_cast<int>(interfaces_.size()))]));
    random_sets(o, {"hbdev", "monitor", "mode", "group-name"});
    if (coin(50)) {
      cmd("config peer");
      for (int i = 0, n = below(3); i < n; ++i) {
        cmd("edit " + std::to_string(1 + below(100)));
        random_sets(*find_child(o, "peer"), {});
        cmd("next");
      }
      cmd("end");
    }
    cmd("end");
  }

  // A non-empty list of distinct quoted picks from pool.
  std::string some_of(std::vector<std::string> pool) {
    std::shuffle(pool.begin(), pool.end(), rng_);
    std::string out;
    for (int i = 0, n = 1 + below(std::min<int>(3, static_cast<int>(pool.size()))); i < n; ++i) {
      out += " " + maybe_quoted_name(pool[i]);
    }
    return out;
  }
  std::string maybe_quoted_name(const std::string& name) {
    return name.find(' ') != std::string::npos || coin(50) ? quote(name) : name;
  }

  // Groups may name earlier groups only, so no cycle is ever generated.
  std::vector<std::string> groups(const std::string& path, const std::string& prefix,
                                  std::vector<std::string> pool) {
    std::vector<std::string> names;
    int n = below(3);
    if (n == 0) return names;
    cmd("config " + path);
    for (int i = 0; i < n; ++i) {
      std::string name = prefix + std::to_string(i) + (coin(20) ? " g" : "");
      cmd("edit " + quote(name));
      cmd("set member" + some_of(pool));
      random_sets(*find_object(path), {"member"});
      cmd("next");
      pool.push_back(name);
      names.push_back(name);
    }
    cmd("end");
    return names;
  }

  void firewall() {
    std::vector<std::string> addresses = {"all", "none"}, services = {"ALL", "PING", "HTTP", "DNS", "SNMP"};
    if (int n = below(4)) {
      const ObjectSchema& o = *find_object("firewall address");
      cmd("config firewall address");
      for (int i = 0; i < n; ++i) {
        std::string name = "addr" + std::to_string(i) + (coin(20) ? " x" : "");
        cmd("edit " + quote(name));
        if (coin(40)) {
          std::uint32_t a = std::uniform_int_distribution<std::uint32_t>()(rng_);
          std::uint32_t b = std::uniform_int_distribution<std::uint32_t>()(rng_);
          cmd("set type iprange");
          cmd("set start-ip " + format_ipv4(std::min(a, b)));
          cmd("set end-ip " + format_ipv4(std::max(a, b)));
        } else if (coin(80)) {
          cmd("set subnet " + network());
        }
        random_sets(o, {"type", "subnet", "start-ip", "end-ip"});
        cmd("next");
        addresses.push_back(name);
      }
      cmd("end");
    }
    for (std::string& g : groups("firewall addrgrp", "grp", addresses)) addresses.push_back(g);
    if (int n = below(4)) {
      const ObjectSchema& o = *find_object("firewall service custom");
      cmd("config firewall service custom");
      for (int i = 0; i < n; ++i) {
        std::string name = "svc" + std::to_string(i) + (coin(20) ? " x" : "");
        cmd("edit " + quote(name));
        switch (below(3)) {
          case 0: {
            if (coin(30)) cmd("set protocol TCP/UDP/SCTP");
            std::vector<std::string> keys = {"tcp-portrange", "udp-portrange", "sctp-portrange"};
            std::shuffle(keys.begin(), keys.end(), rng_);
            for (int k = 0, m = 1 + below(3); k < m; ++k) cmd("set " + keys[k] + " " + port_specs());
            break;
          }
          case 1:
            cmd("set protocol ICMP");
            if (coin(70)) {
              cmd("set icmptype " + std::to_string(below(256)));
              if (coin(50)) cmd("set icmpcode " + std::to_string(below(256)));
            }
            break;
          default:
            cmd("set protocol IP");
            if (coin(70)) cmd("set protocol-number " + std::to_string(below(256)));
            break;
        }
        random_sets(o, {"protocol", "tcp-portrange", "udp-portrange", "sctp-portrange", "icmptype", "icmpcode",
                        "protocol-number"});
        cmd("next");
        services.push_back(name);
      }
      cmd("end");
    }
    for (std::string& g : groups("firewall service group", "sgrp", services)) services.push_back(g);
    std::vector<std::string> intfs = interfaces_;
    intfs.push_back("any");
    if (int n = below(5)) {
      const ObjectSchema& o = *find_object("firewall policy");
      cmd("config firewall policy");
      for (int i = 0; i < n; ++i) {
        cmd("edit " + std::to_string(1 + below(1000)));
        cmd("set srcintf" + some_of(intfs));
        cmd("set dstintf" + some_of(intfs));
        cmd("set srcaddr" + some_of(addresses));
        cmd("set dstaddr" + some_of(addresses));
        cmd("set service" + some_of(services));
        if (coin(20)) cmd("set schedule \"always\"");
        if (coin(20)) cmd("set nat disable");
        random_sets(o, {"srcintf", "dstintf", "srcaddr", "dstaddr", "service", "schedule", "nat"});
        cmd("next");
      }
      cmd("end");
    }
    if (int n = below(4)) {
      const ObjectSchema& o = *find_object("router static");
      cmd("config router static");
      for (int i = 0; i < n; ++i) {
        // Distinct seq-nums: re-editing could move a gateway's device.
        cmd("edit " + std::to_string(i * 10 + 1 + below(10)));
        if (coin(70)) cmd("set dst " + network());
        if (!subnets_.empty() && coin(70)) {
          const Subnet& s = subnets_[below(static_cast<int>(subnets_.size()))];
          cmd("set device " + maybe_quoted_name(s.name));
          std::uint32_t gateway = (s.ip & s.mask) | random_host(s.mask);
          if (gateway != s.ip && coin(80)) cmd("set gateway " + format_ipv4(gateway));
        } else if (!interfaces_.empty() && coin(50)) {
          cmd("set device " + maybe_quoted_name(interfaces_[below(static_cast<int>(interfaces_.size()))]));
        } else {
          cmd("set status disable");
        }
        random_sets(o, {"dst", "device", "gateway", "status"});
        cmd("next");
      }
      cmd("end");
    }
  }

  struct Subnet {
    std::string name;
    std::uint32_t ip, mask;
  };

  std::mt19937 rng_;
  std::string text_;
  std::vector<std::string> interfaces_;
  std::vector<std::string> no_ip_;
  std::vector<Subnet> subnets_;
};

void expect_round_trip(const Config& cfg, bool full, const std::string& source) {
  std::string first = show_text(cfg, "", full);
  ParseResult again = parse(first, "show");
  ASSERT_THAT(error_lines(again), IsEmpty()) << first << "\nfrom:\n" << source;
  EXPECT_EQ(show_text(again.config, "", full), first) << source;
  EXPECT_EQ(checksums(again.config), checksums(cfg)) << source;
  EXPECT_TRUE(again.config == cfg) << first;
}

TEST(ConfigRoundTrip, ShowParseIsIdentityOverRandomValidConfigs) {
  ConfigGenerator gen(kSeed);
  int non_trivial = 0;
  std::map<std::string, int> with_entries;
  for (int i = 0; i < kConfigs; ++i) {
    std::string text = gen.generate();
    ParseResult r = parse(text, "random.conf");
    ASSERT_THAT(error_lines(r), IsEmpty()) << "config #" << i << ":\n" << text;
    non_trivial += !(r.config == Config());
    for (const char* path : {"firewall address", "firewall addrgrp", "firewall service custom",
                             "firewall service group", "firewall policy", "router static"}) {
      with_entries[path] += !r.config.table(path)->entries.empty();
    }
    expect_round_trip(r.config, false, text);
    expect_round_trip(r.config, true, text);
    if (HasFatalFailure()) return;
  }
  // The generator must actually exercise the parser.
  EXPECT_GT(non_trivial, kConfigs * 9 / 10);
  for (const auto& [path, n] : with_entries) EXPECT_GT(n, kConfigs / 2) << path;
}

}  // namespace
}  // namespace tandem::config
