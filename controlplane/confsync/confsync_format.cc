// How config sync prints: `diagnose ha stats` in FortiManager's layout and
// `diagnose sys ha checksum cluster` in FortiOS's (each member's serial in
// a banner, then its per-section checksums as spaced hex bytes).
#include <arpa/inet.h>
#include <netinet/in.h>

#include <sstream>

#include "controlplane/confsync/confsync.h"

namespace tandem::confsync {
namespace {

std::string ip_text(uint32_t host_order) {
  in_addr a{htonl(host_order)};
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a, buf, sizeof buf);
  return buf;
}

// "7e0679..." -> "7e 06 79 ..", as FortiOS prints its checksums.
std::string spaced_hex(const std::string& hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    if (!out.empty()) out += ' ';
    out += hex.substr(i, 2);
  }
  return out;
}

void print_member(std::ostringstream& o, const std::string& serial, bool primary, uint64_t epoch,
                  const SectionChecksums& sums) {
  o << "================== " << serial << " ==================\n";
  o << "is_manage_primary()=" << (primary ? 1 : 0) << ", config_epoch=" << epoch << "\n";
  o << "checksum\n";
  for (const auto& [section, sum] : sums) o << section << ": " << spaced_hex(sum) << "\n";
  o << "\n";
}

}  // namespace

std::string ConfSync::format_stats() const {
  std::ostringstream o;
  LinkState state = link_state();
  bool up = state >= LinkState::kHello;
  o << "===== HA Statistics =====\n\n";
  o << "cluster status: " << (up ? "up" : "down") << "\n";
  o << "config sync: " << (enabled_ ? "enabled" : "stopped") << ", link " << link_state_name(state)
    << ", port " << port_ << "\n";
  o << "this node: " << options_.serial << " (" << (is_primary() ? "primary" : "secondary")
    << "), config epoch " << epoch_ << "\n\n";
  o << "--- cluster member information ---\n\n";
  for (const config::HaPeerConfig& p : options_.peers) {
    bool connected = up && peer_known_ && p.serial == peer_.serial;
    o << "ip : " << ip_text(p.ip) << "\n";
    o << "serial number : " << p.serial << "\n";
    o << "role : " << (connected ? (peer_.primary ? "primary" : "secondary") : "unknown") << "\n";
    o << "status : " << (!p.enabled ? "disabled" : connected ? "up" : "down") << "\n";
    if (connected) {
      o << "software version : " << peer_.software_version << "\n";
      o << "config epoch : " << peer_.epoch << " (acknowledged up to " << acked_epoch_ << ")\n";
      o << "in sync : " << (state == LinkState::kInSync ? "yes" : "no") << "\n";
    }
    o << "pending sync'ed data(bytes) : " << (connected ? pending_bytes() : 0) << "\n";
    o << "last error : " << stats_.last_error;
    if (!stats_.last_error_time.empty()) o << " (" << stats_.last_error_time << ")";
    o << "\n\n";
  }
  o << "--- counters ---\n";
  o << "sessions established : " << stats_.connects << "\n";
  o << "connections refused : " << stats_.refused << "\n";
  o << "messages tx/rx : " << stats_.tx_msgs << "/" << stats_.rx_msgs << "\n";
  o << "changes sent/applied : " << stats_.changes_sent << "/" << stats_.changes_applied << "\n";
  o << "full syncs sent/applied : " << stats_.fulls_sent << "/" << stats_.fulls_applied << "\n";
  o << "acks ok/error : " << stats_.acks_ok << "/" << stats_.acks_error << "\n";
  o << "protocol errors : " << stats_.protocol_errors << "\n";
  return o.str();
}

std::string ConfSync::format_checksum_cluster() const {
  std::ostringstream o;
  print_member(o, options_.serial, is_primary(), epoch_, local_checksums());
  if (peer_known_) {
    print_member(o, peer_.serial, peer_.primary, peer_.epoch, peer_.checksums);
  } else if (const config::HaPeerConfig* p = options_.peers.empty() ? nullptr : &options_.peers[0]) {
    o << "================== " << p->serial << " ==================\n";
    o << "no checksums: config sync link " << link_state_name(link_state()) << "\n";
  }
  return o.str();
}

std::string ConfSync::format_checksum_show() const {
  std::ostringstream o;
  o << "is_manage_primary()=" << (is_primary() ? 1 : 0) << ", config_epoch=" << epoch_ << "\n";
  o << "checksum\n";
  for (const auto& [section, sum] : local_checksums()) o << section << ": " << spaced_hex(sum) << "\n";
  return o.str();
}

}  // namespace tandem::confsync
