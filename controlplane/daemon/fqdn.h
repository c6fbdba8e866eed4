// Host names of real servers (`set addr-type fqdn`, a `firewall address` of
// type fqdn), resolved off the control lcore: getaddrinfo follows the node's
// /etc/hosts and resolv.conf and can block for seconds on a DNS server that
// does not answer, which would stall heartbeats. A thread of its own
// resolves every name when the set changes, on refresh() (a configuration
// change) and every refresh period; the control loop takes the answers with
// take_changed() and rebuilds the ZTNA runtime when an address moved.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tandem::daemon {

inline constexpr std::chrono::seconds kFqdnRefresh{60};

// One name: its IPv4 addresses (network order, in the resolver's order),
// or the resolver's error.
struct FqdnEntry {
  std::string name;
  unsigned id = 0;  // in the order names were first asked for (FortiOS's ID)
  std::vector<uint32_t> addrs_be;
  std::string error;  // empty when resolved
  bool resolved_once = false;
  std::chrono::steady_clock::time_point resolved_at{};
};

// Resolves name to IPv4 addresses; returns false with *error on failure.
using FqdnResolveFn = std::function<bool(const std::string& name, std::vector<uint32_t>* addrs_be,
                                         std::string* error)>;

// getaddrinfo(name, AF_INET): /etc/hosts, then DNS, as the system says.
bool fqdn_system_resolve(const std::string& name, std::vector<uint32_t>* addrs_be, std::string* error);

class FqdnResolver {
 public:
  explicit FqdnResolver(FqdnResolveFn resolve = fqdn_system_resolve,
                        std::chrono::milliseconds refresh = kFqdnRefresh);
  ~FqdnResolver();
  FqdnResolver(const FqdnResolver&) = delete;
  FqdnResolver& operator=(const FqdnResolver&) = delete;

  // The names to keep resolved (others are forgotten); new ones resolve at
  // once. The thread starts with the first name.
  void set_names(const std::vector<std::string>& names);
  // Resolve every name again now.
  void refresh();
  // True once after some name's addresses changed (or it resolved for the
  // first time, or stopped resolving) since the last call.
  bool take_changed();
  // Every address of name (network order, as the resolve function answered:
  // fqdn_system_resolve drops repeats); empty while it does not resolve.
  std::vector<uint32_t> addresses(const std::string& name) const;
  std::vector<FqdnEntry> entries() const;

 private:
  void run();

  FqdnResolveFn resolve_;
  std::chrono::milliseconds refresh_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::map<std::string, FqdnEntry> entries_;
  unsigned next_id_ = 1;
  bool due_ = false, changed_ = false, stop_ = false;
  std::thread thread_;
};

}  // namespace tandem::daemon
