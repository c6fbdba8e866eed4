#include "controlplane/ha/ha_format.h"

#include <algorithm>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <ctime>

namespace tandem::ha {
namespace {

constexpr uint64_t kNsPerS = 1'000'000'000;

std::string fmt(const char* f, ...) __attribute__((format(printf, 1, 2)));
std::string fmt(const char* f, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, f);
  std::vsnprintf(buf, sizeof(buf), f, ap);
  va_end(ap);
  return buf;
}

// Floors the event's own wall time, so an event 1 ms after a second
// boundary prints that second, not the next.
int64_t wall_of(const HaStatusInputs& in, uint64_t mono_ns) {
  int64_t wall_ns = in.now_wall_s * int64_t(kNsPerS) - int64_t(in.now_mono_ns - std::min(mono_ns, in.now_mono_ns));
  return wall_ns >= 0 ? wall_ns / int64_t(kNsPerS) : -((-wall_ns + int64_t(kNsPerS) - 1) / int64_t(kNsPerS));
}

// sep '-' gives "2024-01-02 03:04:05", '/' the form FortiOS uses inside <>.
std::string wall_text(int64_t t, char sep) {
  time_t tt = time_t(t);
  struct tm tm;
  gmtime_r(&tt, &tm);
  return fmt("%04d%c%02d%c%02d %02d:%02d:%02d", tm.tm_year + 1900, sep, tm.tm_mon + 1, sep, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec);
}

uint64_t ago_s(const HaStatusInputs& in, uint64_t mono_ns) {
  return (in.now_mono_ns - std::min(mono_ns, in.now_mono_ns)) / kNsPerS;
}

const char* sync_text(HbSyncStatus s) {
  switch (s) {
    case HbSyncStatus::kInSync: return "in-sync";
    case HbSyncStatus::kOutOfSync: return "out-of-sync";
    case HbSyncStatus::kUnknown: break;
  }
  return "unknown";
}

struct Member {
  std::string serial, hostname;
  unsigned priority;
  HaRole role;
  bool local;
};

// Both members, primary first; a lone node lists only itself.
std::vector<Member> members(const HaMachine& ha) {
  std::vector<Member> m;
  const HaSettings& s = ha.settings();
  m.push_back({s.serial, s.hostname, s.priority, ha.role(), true});
  if (ha.peer().alive) {
    const HbInfo& p = ha.peer().last;
    m.push_back({p.serial, p.hostname, p.priority, HaRole(p.role), false});
  }
  std::stable_sort(m.begin(), m.end(), [](const Member& a, const Member& b) {
    return a.role == HaRole::kPrimary && b.role != HaRole::kPrimary;
  });
  return m;
}

// FGCP numbers members by serial: the index is stable across failovers.
unsigned cluster_index(const HaMachine& ha, const std::string& serial) {
  if (!ha.peer().alive) return 0;
  const std::string& other = serial == ha.settings().serial ? ha.peer().last.serial : ha.settings().serial;
  return serial > other ? 1 : 0;
}

std::string dev_line(const HaDevStats& d) {
  return fmt("        %s: %s/%s, %s, rx-bytes/packets/dropped/errors=%" PRIu64 "/%" PRIu64 "/%" PRIu64
             "/%" PRIu64 ", tx=%" PRIu64 "/%" PRIu64 "/%" PRIu64 "/%" PRIu64 "\n",
             d.name.c_str(), d.kind.c_str(), d.speed.c_str(), d.up ? "up" : "down", d.rx_bytes, d.rx_packets,
             d.rx_dropped, d.rx_errors, d.tx_bytes, d.tx_packets, d.tx_dropped, d.tx_errors);
}

std::string role_title(HaRole r) { return r == HaRole::kPrimary ? "Primary" : "Secondary"; }

}  // namespace

std::string format_ha_status(const HaMachine& ha, const HaStatusInputs& in) {
  const HaSettings& s = ha.settings();
  const HaPeerView& peer = ha.peer();
  std::string o;
  bool healthy = ha.monitored_up() == s.monitor.size() && (peer.alive || !peer.known);
  o += fmt("HA Health Status: %s\n", healthy ? "OK" : "ERROR");
  o += "Model: " + in.model + "\n";
  o += "Mode: HA A-P\n";
  o += "Group Name: " + s.group_name + "\n";
  o += fmt("Group ID: %u\n", s.group_id);
  o += "Debug: 0\n";
  uint64_t up = ago_s(in, ha.started_ns());
  o += fmt("Cluster Uptime: %" PRIu64 " days %" PRIu64 ":%" PRIu64 ":%" PRIu64 "\n", up / 86400, up / 3600 % 24,
           up / 60 % 60, up % 60);
  o += "Cluster state change time: " + wall_text(wall_of(in, ha.state_change_ns()), '-') + "\n";
  o += "Primary selected using:\n";
  for (const HaSelection& sel : ha.selections())
    o += "    <" + wall_text(wall_of(in, sel.mono_ns), '/') + "> vcluster-1: " + sel.serial +
         " is selected as the primary because " + sel.because + ".\n";
  if (s.session_pickup)
    o += fmt("ses_pickup: enable, ses_pickup_delay=%s\n", s.session_pickup_delay ? "enable" : "disable");
  else
    o += "ses_pickup: disable\n";
  o += fmt("override: %s\n", s.override ? "enable" : "disable");
  if (ha.maintenance())
    o += fmt("maintenance-mode: %s\n", ha.sync_enabled() ? "enable-with-sync" : "enable-without-sync");
  if (ha.failover_flag()) o += "failover: set (SET_AS_SECONDARY)\n";
  o += "Configuration Status:\n";
  HbSyncStatus local_sync = ha.role() == HaRole::kPrimary || ha.in_sync() ? HbSyncStatus::kInSync
                                                                           : HbSyncStatus::kOutOfSync;
  o += fmt("    %s(updated 0 seconds ago): %s\n", s.serial.c_str(), sync_text(local_sync));
  if (peer.alive)
    o += fmt("    %s(updated %" PRIu64 " seconds ago): %s\n", peer.last.serial.c_str(), ago_s(in, peer.last_seen_ns),
             sync_text(peer.last.sync));
  o += "HBDEV stats:\n";
  o += fmt("    %s(updated %" PRIu64 " seconds ago):\n", s.serial.c_str(), ago_s(in, in.stats_mono_ns));
  for (const HaDevStats& d : in.hbdevs) o += dev_line(d);
  o += "MONDEV stats:\n";
  o += fmt("    %s(updated %" PRIu64 " seconds ago):\n", s.serial.c_str(), ago_s(in, in.stats_mono_ns));
  for (const HaDevStats& d : in.mondevs) o += dev_line(d);
  std::vector<Member> m = members(ha);
  for (const Member& x : m)
    o += fmt("%-12s: %-16s, %s, HA cluster index = %u\n", role_title(x.role).c_str(), x.hostname.c_str(),
             x.serial.c_str(), cluster_index(ha, x.serial));
  o += "number of vcluster: 1\n";
  o += fmt("vcluster 1: %s\n", ha.role() == HaRole::kPrimary ? "work" : "standby");
  unsigned op = 0;
  for (const Member& x : m)
    o += fmt("%s: %s, HA operating index = %u\n", role_title(x.role).c_str(), x.serial.c_str(), op++);
  return o;
}

std::string format_ha_stats(const HaMachine& ha, const HaStatusInputs& in) {
  const HaPeerView& peer = ha.peer();
  std::string o = "===== HA Statistics =====\n\n";
  o += fmt("cluster status: %s\n\n", peer.alive ? "up" : "down");
  o += "--- cluster member information ---\n";
  std::vector<HaPeerStatic> rows = in.peers;
  if (peer.known && std::none_of(rows.begin(), rows.end(), [&](const HaPeerStatic& p) {
        return p.serial == peer.last.serial;
      }))
    rows.push_back({"n/a", peer.last.serial});
  for (const HaPeerStatic& p : rows) {
    bool is_peer = peer.known && p.serial == peer.last.serial;
    bool up = is_peer && peer.alive;
    const char* role = is_peer && peer.last.role == HbRole::kPrimary ? "primary" : "secondary";
    o += "\n";
    o += "ip : " + p.ip + "\n";
    o += "serial number : " + p.serial + "\n";
    o += "hostname : " + (is_peer ? peer.last.hostname : std::string("n/a")) + "\n";
    o += std::string("role : ") + role + "\n";
    o += std::string("status : ") + (up ? "up" : "down") + "\n";
    o += fmt("pending sync'ed data(bytes) : %" PRIu64 "\n", up ? in.pending_sync_bytes : 0);
    o += std::string("secondary down alert : ") + (is_peer && peer.down_alert ? "on" : "off") + "\n";
    o += std::string("secondary re-join alert : ") + (is_peer && peer.rejoin_alert ? "on" : "off") + "\n";
    bool configured = std::any_of(in.peers.begin(), in.peers.end(),
                                  [&](const HaPeerStatic& c) { return c.serial == p.serial; });
    if (configured) {
      for (const std::string& line : in.peer_sync_lines) o += line + "\n";
    }
    bool sync_error = configured && !in.sync_last_error.empty();
    std::string error = sync_error ? in.sync_last_error : ha.last_error();
    o += "last error : " + (error.empty() ? std::string("n/a") : error) + "\n";
    // Config sync's error took the line: the heartbeat's still shows.
    if (sync_error && !ha.last_error().empty()) o += "last heartbeat error : " + ha.last_error() + "\n";
  }
  o += in.trailer;
  return o;
}

std::string format_sys_ha_status(const HaMachine& ha, const HaStatusInputs& in) {
  const HaSettings& s = ha.settings();
  const HaCounters& c = ha.counters();
  std::string o = "HA information\nStatistics\n";
  o += fmt("        heartbeat.tx = %" PRIu64 "\n", c.hb_tx);
  o += fmt("        heartbeat.rx = %" PRIu64 "\n", c.hb_rx);
  o += fmt("        heartbeat.dropped = auth:%" PRIu64 " group:%" PRIu64 " replay:%" PRIu64 " malformed:%" PRIu64
           "\n",
           c.hb_dropped_auth, c.hb_dropped_wrong_group, c.hb_dropped_replay, c.hb_dropped_malformed);
  o += fmt("        heartbeat.wire_max_gap = %" PRIu64 "ms", in.hb_wire_max_gap_ns / 1'000'000);
  if (in.hb_wire_max_gap_at_ns != 0) o += " (ended " + wall_text(wall_of(in, in.hb_wire_max_gap_at_ns), '-') + ")";
  o += "\n";
  o += fmt("        heartbeat.keeper = sent:%" PRIu64 " busy_max:%" PRIu64 "ms watchdog:%" PRIu64 "\n",
           in.hb_keeper_sent, in.hb_busy_max_ns / 1'000'000, in.watchdog_silenced);
  o += fmt("        activity.peer = joins:%" PRIu64 " losses:%" PRIu64 " restarts:%" PRIu64 "\n", c.peer_joins,
           c.peer_losses, c.peer_restarts);
  o += fmt("        activity.role_changes = %" PRIu64 "\n", c.role_changes);
  o += fmt("        activity.split_brains = %" PRIu64 "\n", c.split_brains);
  o += fmt("        activity.garp_rounds = %" PRIu64 "\n", c.garps_rounds);
  o += fmt("        activity.probes = sent:%" PRIu64 " answered:%" PRIu64 " silent:%d\n\n", c.probes_sent,
           c.probes_answered, ha.silent() ? 1 : 0);
  o += fmt("model=%s, mode=a-p, group=%u, debug=0\n", in.model.c_str(), s.group_id);
  o += fmt("nvcluster=1, ses_pickup=%d, delay=%d\n", s.session_pickup ? 1 : 0, s.session_pickup_delay ? 1 : 0);
  o += fmt("hb-interval=%ums, hb-lost-threshold=%u, state=%s, maintenance=%s, failover_set=%d\n\n",
           s.hb_interval_ms, s.hb_lost_threshold, ha_role_name(ha.role()),
           !ha.maintenance() ? "disable" : ha.sync_enabled() ? "enable-with-sync" : "enable-without-sync",
           ha.failover_flag() ? 1 : 0);
  o += "[Debug_Zone HA information]\n";
  o += fmt("HA group member information: is_manage_primary=%d.\n", ha.role() == HaRole::kPrimary ? 1 : 0);
  for (const Member& x : members(ha))
    o += fmt("%s: %11s, serialno_prio=%u, usr_priority=%u, hostname=%s\n", x.serial.c_str(),
             role_title(x.role).c_str(), cluster_index(ha, x.serial), x.priority, x.hostname.c_str());
  return o;
}

std::string format_ha_history(const HaMachine& ha, const HaStatusInputs& in) {
  const auto& h = ha.history();
  std::string o = fmt("HA event history: %zu entries, newest first\n", h.size());
  for (auto it = h.rbegin(); it != h.rend(); ++it)
    o += "<" + wall_text(wall_of(in, it->mono_ns), '-') + "> " + it->text + "\n";
  return o;
}

}  // namespace tandem::ha
