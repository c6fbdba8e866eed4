#include "controlplane/ha/ha_state.h"

#include <algorithm>
#include <utility>

#include "controlplane/ha/hb_frame.h"

namespace tandem::ha {
namespace {

constexpr uint64_t kNsPerMs = 1'000'000;

std::string ms_text(uint64_t ns) { return std::to_string(ns / kNsPerMs) + " ms"; }

}  // namespace

const char* ha_role_name(HaRole role) {
  switch (role) {
    case HaRole::kHello: return "hello";
    case HaRole::kPrimary: return "primary";
    case HaRole::kSecondary: return "secondary";
  }
  return "?";
}

MaintenanceMode parse_maintenance_mode(std::string_view s) {
  if (s == "enable-with-sync") return MaintenanceMode::kEnableWithSync;
  if (s == "enable-without-sync") return MaintenanceMode::kEnableWithoutSync;
  return MaintenanceMode::kDisable;
}

HaSettings ha_settings(const config::NodeConfig& node, std::string_view sw_version) {
  const config::HaConfig& h = node.ha;
  HaSettings s;
  s.group_name = h.group_name;
  s.group_id = h.group_id;
  s.hostname = node.global.hostname;
  s.serial = node.global.serial_number;
  s.sw_version = std::string(sw_version);
  s.hbdev = h.hbdevs.empty() ? std::string() : h.hbdevs.front().interface;
  s.override = h.override;
  s.priority = h.priority;
  s.monitor = h.monitor;
  s.hb_interval_ms = h.hb_interval_ms;
  s.hb_lost_threshold = h.hb_lost_threshold;
  s.uptime_diff_margin_ms = h.uptime_diff_margin_s * 1000u;
  s.monitor_stability_ms = h.monitor_stability_period_s * 1000u;
  s.arps = h.arps;
  s.arps_interval_ms = h.arps_interval_s * 1000u;
  s.maintenance = parse_maintenance_mode(h.maintenance_mode);
  s.session_pickup = h.session_pickup;
  s.session_pickup_delay = h.session_pickup_delay;
  return s;
}

HaMachine::HaMachine(HaSettings settings, uint64_t now_ns, uint64_t boot_epoch)
    : settings_(std::move(settings)),
      started_ns_(now_ns),
      state_change_ns_(now_ns),
      age_start_ns_(now_ns),
      boot_epoch_(boot_epoch),
      next_hb_ns_(now_ns),
      maintenance_(settings_.maintenance) {
  for (const std::string& name : settings_.monitor) links_.push_back({name, true, true, now_ns});
  history_.push_back({now_ns, "started in hello state, serial " + settings_.serial + ", priority " +
                                  std::to_string(settings_.priority)});
}

bool HaMachine::holds_tables(uint64_t now) const {
  return role_ == HaRole::kPrimary && (promoted_in_sync_ || now - state_change_ns_ >= kTablesSettleNs);
}

uint64_t HaMachine::dead_interval_ns() const {
  return uint64_t(settings_.hb_interval_ms) * settings_.hb_lost_threshold * kNsPerMs;
}

unsigned HaMachine::monitored_up() const {
  return unsigned(std::count_if(links_.begin(), links_.end(), [](const MonitorLink& l) { return l.counted; }));
}

bool HaMachine::links_pending() const {
  return std::any_of(links_.begin(), links_.end(), [](const MonitorLink& l) { return l.up && !l.counted; });
}

Candidate HaMachine::local_candidate(uint64_t now_ns) const {
  Candidate c;
  c.serial = settings_.serial;
  c.priority = settings_.priority;
  c.mon_score = monitored_up();
  c.uptime_ms = (now_ns - age_start_ns_) / kNsPerMs;
  c.maintenance = maintenance();
  c.failover_set = failover_set_;
  c.in_sync = in_sync_;
  return c;
}

Candidate HaMachine::peer_candidate(uint64_t now_ns) const {
  const HbInfo& p = peer_.last;
  Candidate c;
  c.serial = p.serial;
  c.priority = p.priority;
  c.mon_score = p.mon_score;
  // The peer's age went on growing since its last heartbeat.
  c.uptime_ms = p.uptime_ms + (now_ns - peer_.last_seen_ns) / kNsPerMs;
  c.maintenance = p.maintenance;
  c.failover_set = p.failover_set;
  c.in_sync = p.sync == HbSyncStatus::kInSync;
  return c;
}

HbInfo HaMachine::make_heartbeat(uint64_t now_ns) {
  HbInfo hb;
  hb.group_id = settings_.group_id;
  hb.serial = settings_.serial;
  hb.boot_epoch = boot_epoch_;
  hb.seq = ++seq_;
  hb.hostname = settings_.hostname;
  hb.priority = uint8_t(std::min(settings_.priority, 255u));
  hb.override = settings_.override;
  hb.maintenance = maintenance();
  hb.failover_set = failover_set_;
  hb.links_pending = links_pending();
  hb.mon_score = uint8_t(std::min(monitored_up(), 255u));
  hb.mon_total = uint8_t(std::min<size_t>(links_.size(), 255));
  hb.uptime_ms = (now_ns - age_start_ns_) / kNsPerMs;
  hb.role = HbRole(role_);
  hb.sw_version = settings_.sw_version;
  // A primary says whether it holds the cluster's tables (holds_tables()),
  // a secondary whether it has the primary's.
  hb.sync = (role_ == HaRole::kPrimary ? holds_tables(now_ns) : in_sync_) ? HbSyncStatus::kInSync
                                                                          : HbSyncStatus::kOutOfSync;
  hb.hbdev = settings_.hbdev;
  ++counters_.hb_tx;
  return hb;
}

void HaMachine::note(uint64_t now, std::string text, std::vector<HaAction>* out) {
  out->push_back({HaActionKind::kLog, text});
  history_.push_back({now, std::move(text)});
  if (history_.size() > kHistoryMax) history_.pop_front();
}

void HaMachine::select(const std::string& serial, const std::string& because, uint64_t now) {
  if (!selections_.empty() && selections_.front().serial == serial && selections_.front().because == because)
    return;
  selections_.push_front({now, serial, because});
  if (selections_.size() > kSelectionsMax) selections_.pop_back();
}

void HaMachine::become(HaRole to, const std::string& reason, uint64_t now, std::vector<HaAction>* out) {
  if (to == role_) return;
  note(now, std::string("role ") + ha_role_name(role_) + " -> " + ha_role_name(to) + ": " + reason, out);
  const HaRole role_before = role_;
  role_ = to;
  state_change_ns_ = now;
  ++counters_.role_changes;
  reclaim_why_.clear();
  if (to == HaRole::kPrimary) {
    silent_ = false;
    // From hello nobody held tables before this node; from secondary it
    // holds them if it had the primary's.
    promoted_in_sync_ = role_before == HaRole::kHello || in_sync_;
    out->push_back({HaActionKind::kBecomePrimary, reason});
    // Switches must learn the virtual MAC on this node's ports before any
    // client retries.
    start_garps(now, out);
  } else {
    garps_left_ = 0;
    out->push_back({HaActionKind::kBecomeSecondary, reason});
  }
  // The peer hears the new role now (after the ports changed), not up to
  // one hb-interval later: a takeback's overlap (both active) or a
  // step-down's gap lasts one heartbeat flight, whatever hb-interval is.
  announce(now, out);
}

void HaMachine::garp_round_now(std::vector<HaAction>* out) {
  out->push_back({HaActionKind::kSendGratuitousArps, {}, 0});
  ++counters_.garps_rounds;
}

void HaMachine::start_garps(uint64_t now, std::vector<HaAction>* out) {
  garp_round_now(out);
  garp_round_ = 0;
  garps_left_ = settings_.arps;
  next_garp_ns_ = now + uint64_t(settings_.arps_interval_ms) * kNsPerMs;
}

bool HaMachine::reassert_due(uint64_t now) {
  if (last_reassert_ns_ != 0 && now - last_reassert_ns_ < kReassertIntervalNs) return false;
  last_reassert_ns_ = now;
  return true;
}

void HaMachine::announce(uint64_t now, std::vector<HaAction>* out) {
  out->push_back({HaActionKind::kSendHeartbeat, {}});
  next_hb_ns_ = now + uint64_t(settings_.hb_interval_ms) * kNsPerMs;  // the schedule restarts here
}

bool HaMachine::takeover_allowed(const ElectionResult& r, const Candidate& challenger,
                                 bool challenger_links_pending, unsigned incumbent_score,
                                 unsigned incumbent_total) const {
  // The operator asked the incumbent to step aside: no reason to wait.
  if (r.rule == ElectionRule::kMaintenance || r.rule == ElectionRule::kFailoverSet) return true;
  // The incumbent lost a monitored link: traffic through it is already
  // broken, so taking over now beats waiting for a complete sync.
  if (r.rule == ElectionRule::kMonitor && incumbent_score < incumbent_total) return true;
  // A healthy primary is only displaced by a peer that holds every table
  // and whose links have settled: otherwise the takeover itself would drop
  // sessions, and a link still bouncing would make the role flap.
  return challenger.in_sync && !challenger_links_pending;
}

bool HaMachine::peer_seen_on_data_port(uint64_t now) const {
  return data_port_seen_ && now - data_port_seen_ns_ < dead_interval_ns();
}

void HaMachine::decide(uint64_t now, std::vector<HaAction>* out) {
  const Candidate me = local_candidate(now);
  const bool override_on = settings_.override;
  const uint32_t margin = settings_.uptime_diff_margin_ms;
  switch (role_) {
    case HaRole::kHello: {
      if (maintenance()) {
        become(HaRole::kSecondary, "maintenance mode", now, out);
        return;
      }
      if (peer_.alive) {
        const Candidate p = peer_candidate(now);
        const ElectionResult r = elect(me, p, override_on, margin);
        const bool peer_primary = peer_.last.role == HbRole::kPrimary;
        if (r.winner == 0 && (!peer_primary || takeover_allowed(r, me, links_pending(), p.mon_score,
                                                                  peer_.last.mon_total))) {
          select(me.serial, "it has " + r.reason, now);
          become(HaRole::kPrimary, "elected: it has " + r.reason, now, out);
        } else {
          select(p.serial, r.winner == 1 ? "it has " + r.reason : "it is the running primary and the peer is not yet in sync", now);
          become(HaRole::kSecondary, "peer " + p.serial + (peer_primary ? " is the primary" : " wins the election"), now, out);
        }
        return;
      }
      // No heartbeat authenticates, yet a unit answers our probes from the
      // virtual MAC: it is running the cluster. Claiming too would make two
      // primaries that cannot elect (they never heard each other).
      if (probe_answered_ && now - started_ns_ >= dead_interval_ns()) {
        go_silent_for_unheard_owner(now, out);
        return;
      }
      const uint64_t hold = std::max<uint64_t>(dead_interval_ns(),
                                               uint64_t{settings_.hello_hold_ms} * 1'000'000);
      if (now - started_ns_ < hold) return;
      if (!final_probe_passed(started_ns_ + hold, now, out)) return;
      select(me.serial, "it's the only member in the cluster", now);
      become(HaRole::kPrimary, "no peer heard for " + ms_text(now - started_ns_), now, out);
      return;
    }
    case HaRole::kPrimary: {
      if (maintenance()) {
        if (peer_.alive) select(peer_.last.serial, "the peer member is in maintenance mode", now);
        become(HaRole::kSecondary, "maintenance mode", now, out);
        return;
      }
      if (peer_.alive) {
        const Candidate p = peer_candidate(now);
        const ElectionResult r = elect(me, p, override_on, margin);
        // Both claim primary (one promoted on a late heartbeat): the one
        // that holds the tables keeps the role whatever the ranks, or the
        // other's promotion would drop every session (bench-failover
        // finding 2). Ranks decide only between equals.
        const bool peer_primary = peer_.last.role == HbRole::kPrimary;
        const bool tables_decide = peer_primary && holds_tables(now) != p.in_sync;
        if (tables_decide && !holds_tables(now)) {
          select(p.serial, "it holds the session tables", now);
          become(HaRole::kSecondary, "peer " + p.serial + " is primary and holds the tables; this node does not", now, out);
          return;
        }
        // (When this node holds the tables and the peer does not, the peer
        // steps down on our next heartbeat.)
        if (!tables_decide && r.winner == 1 &&
            (peer_primary || takeover_allowed(r, p, peer_.last.links_pending, me.mon_score,
                                              unsigned(links_.size())))) {
          select(p.serial, "it has " + r.reason, now);
          become(HaRole::kSecondary, "peer " + p.serial + " out-ranks this node: it has " + r.reason, now, out);
          return;
        }
        // Still primary. When it won the election with this peer, record
        // why (FortiOS does when a member joins; a node that claimed the
        // cluster alone said "the only member"). Kept only by the takeover
        // gate, it records nothing.
        // Built only where it is said: a primary that stays primary runs
        // this on every heartbeat.
        auto why = [&] { return tables_decide ? std::string("it holds the session tables") : "it has " + r.reason; };
        if (tables_decide || r.winner == 0) select(me.serial, why(), now);
        // A peer that claims the role too (it promoted when
        // heartbeats were lost or came late) has sent gratuitous ARPs from
        // the virtual MACs: the switch now sends the cluster's traffic to a
        // unit that goes silent. Announce them again at once (at most once
        // a second while it claims), and as at a takeover once the peer is
        // secondary again: its own ARPs are all out by then.
        if (peer_primary) {
          reclaim_why_ = "gave the primary role back";
          if (reassert_due(now)) {
            note(now, "peer " + p.serial + " claims the primary role too; this node keeps it (" + why() +
                          ") and announces the virtual MACs again", out);
            garp_round_now(out);
          }
        } else if (!reclaim_why_.empty()) {
          note(now, "peer " + p.serial + " " + reclaim_why_ + ": announcing the virtual MACs again", out);
          reclaim_why_.clear();
          start_garps(now, out);
        }
        return;
      }
      // Heartbeats lost on every hbdev yet the peer is alive on a data port:
      // both claim primary. The same rules pick one; the loser goes silent.
      if (peer_.known && peer_seen_on_data_port(now)) {
        const Candidate p = peer_candidate(now);
        const ElectionResult r = elect(me, p, override_on, margin);
        if (r.winner == 1) {
          silent_ = true;
          probes_unanswered_ = 0;
          next_probe_ns_ = now;
          select(p.serial, "it has " + r.reason, now);
          become(HaRole::kSecondary, "split brain resolved: peer " + p.serial + " wins, it has " + r.reason, now, out);
        }
      }
      return;
    }
    case HaRole::kSecondary: {
      if (maintenance()) return;
      if (peer_.alive) {
        const Candidate p = peer_candidate(now);
        const ElectionResult r = elect(me, p, override_on, margin);
        if (r.winner != 0) return;
        if (peer_.last.role == HbRole::kPrimary &&
            !takeover_allowed(r, me, links_pending(), p.mon_score, peer_.last.mon_total))
          return;
        select(me.serial, "it has " + r.reason, now);
        become(HaRole::kPrimary, "elected: it has " + r.reason, now, out);
        return;
      }
      // The peer's hbdevs are down but it forwards: promoting now would make
      // two primaries. Silent after losing a split brain: stay so until
      // heartbeats return (on_heartbeat clears it). The winner is healthy
      // but invisible here once its gratuitous ARPs end — its traffic is
      // unicast and the switch does not flood it to this port — so "not
      // seen for a dead interval" says nothing about it, and promoting on
      // that restarted the split brain at every GARP round (seen in the lab).
      // Silent, the node probes: the unit holding the virtual MAC answers
      // (unicast, so its silence means something, unlike the absence of
      // its broadcasts). When kProbeLostCount probes in a row go
      // unanswered it is gone, and this node takes over.
      if (silent_) {
        if (!settings_.probe_data_ports || probes_unanswered_ < kProbeLostCount) return;
        const unsigned lost = probes_unanswered_;
        if (!final_probe_passed(last_probe_ns_, now, out)) return;
        silent_ = false;
        select(me.serial, "it's the only member in the cluster", now);
        become(HaRole::kPrimary, "the unit holding the virtual MAC stopped answering: " + std::to_string(lost) +
                                     " ARP probes unanswered", now, out);
        return;
      }
      if (peer_seen_on_data_port(now)) return;
      select(me.serial, "it's the only member in the cluster", now);
      become(HaRole::kPrimary, peer_.known ? "peer " + peer_.last.serial + " lost" : "no peer", now, out);
      return;
    }
  }
}

namespace {
uint64_t mix64(uint64_t x) {  // splitmix64's finaliser
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}
}  // namespace

bool HaMachine::final_probe_passed(uint64_t ready_since, uint64_t now, std::vector<HaAction>* out) {
  if (!settings_.probe_data_ports) return true;
  if (final_probe_ns_ == 0) {
    // Two nodes that became ready together (started together, or went
    // silent together) draw different jitters, so the first to claim is
    // heard by the other's final probe.
    if (now - ready_since < mix64(boot_epoch_ + claim_attempts_) % kProbeJitterNs) return false;
    ++claim_attempts_;
    final_probe_ns_ = now;
    last_probe_ns_ = now;
    ++counters_.probes_sent;
    out->push_back({HaActionKind::kProbeDataPorts, {}});
    return false;
  }
  if (now - final_probe_ns_ < kProbeWaitNs) return false;
  final_probe_ns_ = 0;
  return true;
}

void HaMachine::go_silent_for_unheard_owner(uint64_t now, std::vector<HaAction>* out) {
  silent_ = true;
  probes_unanswered_ = 0;
  next_probe_ns_ = now + kProbeSilentIntervalNs;
  std::string why = "another unit answers ARP for the cluster's addresses from the virtual MAC, and no heartbeat from it has been accepted";
  if (counters_.hb_dropped_auth > 0 || counters_.hb_dropped_wrong_group > 0)
    why += " (" + std::to_string(counters_.hb_dropped_auth) + " failed authentication, " +
           std::to_string(counters_.hb_dropped_wrong_group) + " of another group-id: check set password and group-id)";
  become(HaRole::kSecondary, why + "; staying secondary and silent while it answers", now, out);
}

void HaMachine::refresh_links(uint64_t now, std::vector<HaAction>* out) {
  bool changed = false;
  for (MonitorLink& l : links_) {
    if (l.up && !l.counted && now - l.up_since_ns >= uint64_t(settings_.monitor_stability_ms) * kNsPerMs) {
      l.counted = true;
      changed = true;
      note(now, "monitored link " + l.name + " stable for " + ms_text(now - l.up_since_ns) +
                    ", counted again (" + std::to_string(monitored_up()) + "/" +
                    std::to_string(links_.size()) + ")",
           out);
    }
  }
  // The score is part of every election: the peer must not decide on the
  // old one for up to an hb-interval (a takeover on a score this node no
  // longer has made both primary for 288 ms in bench/pickup).
  if (changed) announce(now, out);
}

void HaMachine::refresh_peer(uint64_t now, std::vector<HaAction>* out) {
  if (peer_.alive && now - peer_.last_seen_ns >= dead_interval_ns()) {
    peer_.alive = false;
    peer_.down_alert = true;
    peer_.rejoin_alert = false;
    ++counters_.peer_losses;
    note(now, "peer " + peer_.last.serial + " (" + peer_.last.hostname + ") lost: no heartbeat for " +
                  ms_text(now - peer_.last_seen_ns) + " (hb-interval " +
                  std::to_string(settings_.hb_interval_ms) + " ms x hb-lost-threshold " +
                  std::to_string(settings_.hb_lost_threshold) + ")",
         out);
  }
  if (split_brain_active_ && !peer_seen_on_data_port(now)) {
    split_brain_active_ = false;
    note(now, "split brain over: peer no longer seen on any data port", out);
  }
}

std::vector<HaAction> HaMachine::on_tick(uint64_t now_ns) {
  std::vector<HaAction> out;
  refresh_links(now_ns, &out);
  refresh_peer(now_ns, &out);
  decide(now_ns, &out);
  while (garps_left_ && now_ns >= next_garp_ns_) {
    out.push_back({HaActionKind::kSendGratuitousArps, {}, ++garp_round_});
    ++counters_.garps_rounds;
    --garps_left_;
    next_garp_ns_ += uint64_t(settings_.arps_interval_ms) * kNsPerMs;
  }
  if (probing() && now_ns >= next_probe_ns_) {
    out.push_back({HaActionKind::kProbeDataPorts, {}});
    ++counters_.probes_sent;
    ++probes_unanswered_;
    last_probe_ns_ = now_ns;
    next_probe_ns_ = now_ns + (role_ == HaRole::kHello ? kProbeHelloIntervalNs : kProbeSilentIntervalNs);
  }
  if (now_ns >= next_hb_ns_) {
    out.push_back({HaActionKind::kSendHeartbeat, {}});
    uint64_t interval = uint64_t(settings_.hb_interval_ms) * kNsPerMs;
    next_hb_ns_ = now_ns - next_hb_ns_ >= interval ? now_ns + interval : next_hb_ns_ + interval;
  }
  return out;
}

std::vector<HaAction> HaMachine::on_heartbeat(const HbInfo& hb, uint64_t now_ns) {
  std::vector<HaAction> out;
  // A looped hbdev hands us our own frames; they say nothing about a peer.
  if (hb.serial == settings_.serial || hb.group_id != settings_.group_id) return out;
  ++counters_.hb_rx;
  if (peer_.known && peer_.last.serial == hb.serial && peer_.last.boot_epoch != hb.boot_epoch) {
    ++counters_.peer_restarts;
    note(now_ns, "peer " + hb.serial + " restarted (new boot epoch)", &out);
  }
  if (!peer_.alive) {
    ++counters_.peer_joins;
    peer_.joined_ns = now_ns;
    if (peer_.down_alert) {
      peer_.rejoin_alert = true;
      peer_.down_alert = false;
    }
    note(now_ns, "peer " + hb.serial + " (" + hb.hostname + ") joined on " + hb.hbdev + ": role " +
                     ha_role_name(HaRole(hb.role)) + ", priority " + std::to_string(hb.priority) +
                     ", monitored " + std::to_string(hb.mon_score) + "/" + std::to_string(hb.mon_total),
         &out);
  }
  // Back after this node lost it, the peer most likely lost this node too,
  // and promoted: a primary announces its addresses again (decide()).
  if (!peer_.alive && peer_.known && peer_.last.serial == hb.serial && peer_.last.boot_epoch == hb.boot_epoch)
    reclaim_why_ = "is back after " + ms_text(now_ns - peer_.last_seen_ns) + " without heartbeats";
  peer_.known = true;
  peer_.alive = true;
  peer_.last = hb;
  peer_.last_seen_ns = now_ns;
  if (split_brain_active_) {
    split_brain_active_ = false;
    note(now_ns, "split brain over: heartbeats restored", &out);
  }
  silent_ = false;
  decide(now_ns, &out);
  return out;
}

std::vector<HaAction> HaMachine::on_monitor_link(std::string_view name, bool up, uint64_t now_ns) {
  std::vector<HaAction> out;
  auto it = std::find_if(links_.begin(), links_.end(), [&](const MonitorLink& l) { return l.name == name; });
  if (it == links_.end() || it->up == up) return out;
  it->up = up;
  if (up) {
    it->up_since_ns = now_ns;
    it->counted = settings_.monitor_stability_ms == 0;
    note(now_ns, "monitored link " + it->name + " up" +
                     (it->counted ? std::string()
                                  : "; counts after monitor-stability-period " +
                                        std::to_string(settings_.monitor_stability_ms / 1000) + " s"),
         &out);
  } else {
    it->counted = false;
    // FGCP resets the age of a node whose monitored link failed, so that
    // once the link is back it does not win the role back on age alone.
    age_start_ns_ = now_ns;
    note(now_ns, "monitored link " + it->name + " down (" + std::to_string(monitored_up()) + "/" +
                     std::to_string(links_.size()) + " connected)",
         &out);
  }
  const uint64_t changes = counters_.role_changes;
  decide(now_ns, &out);
  // A role change announced itself; otherwise say the new score (or the
  // link now pending) at once: a primary's lost link is the peer's cue.
  if (counters_.role_changes == changes) announce(now_ns, &out);
  return out;
}

std::vector<HaAction> HaMachine::on_peer_seen_on_data_port(uint64_t now_ns) {
  std::vector<HaAction> out;
  data_port_seen_ = true;
  data_port_seen_ns_ = now_ns;
  const bool detected = role_ == HaRole::kPrimary && !peer_.alive && !split_brain_active_;
  if (detected) {
    split_brain_active_ = true;
    ++counters_.split_brains;
    note(now_ns, "split brain: peer " + (peer_.known ? peer_.last.serial : std::string("(never heard)")) +
                     " is alive on a data port while heartbeats are lost on every hbdev",
         &out);
    if (!peer_.known && now_ns - state_change_ns_ < kYoungPrimaryNs) {
      // Never heard, so nothing to elect on. This node claimed the role
      // only just: the other unit most likely held it first (it missed our
      // probes' answer or we missed its), so this one yields and probes.
      note(now_ns, "split brain: no heartbeat ever received from the other unit and this node became primary " +
                       ms_text(now_ns - state_change_ns_) + " ago: yielding", &out);
      go_silent_for_unheard_owner(now_ns, &out);
      return out;
    }
    if (!peer_.known) note(now_ns, "split brain: no heartbeat ever received, cannot elect; staying primary", &out);
  }
  // A primary that stays one through a split brain re-announces its
  // addresses (at most once a second): the switch moves the virtual MAC
  // back to its ports, and the other unit, whose gratuitous ARPs may have
  // ended, sees it and settles the split on its side too. (While its
  // heartbeats still count, a claim reaches us in them: decide().)
  if (role_ == HaRole::kPrimary && !peer_.alive && reassert_due(now_ns)) garp_round_now(&out);
  decide(now_ns, &out);
  if (detected && peer_.known && role_ == HaRole::kPrimary)
    note(now_ns, "split brain: this node wins the election and stays primary; the peer goes silent", &out);
  return out;
}

std::vector<HaAction> HaMachine::on_probe_answered(uint64_t now_ns) {
  std::vector<HaAction> out;
  if (!probing()) return out;
  ++counters_.probes_answered;
  probe_answered_ = true;
  probes_unanswered_ = 0;
  final_probe_ns_ = 0;
  decide(now_ns, &out);
  return out;
}

std::vector<HaAction> HaMachine::set_maintenance(MaintenanceMode mode, uint64_t now_ns) {
  std::vector<HaAction> out;
  if (mode == maintenance_) return out;
  bool sync_before = sync_enabled();
  maintenance_ = mode;
  static constexpr const char* kNames[] = {"disable", "enable-with-sync", "enable-without-sync"};
  note(now_ns, std::string("maintenance-mode ") + kNames[size_t(mode)], &out);
  if (sync_before != sync_enabled()) out.push_back({HaActionKind::kSetSync, {}, 0, sync_enabled()});
  decide(now_ns, &out);
  return out;
}

std::vector<HaAction> HaMachine::set_in_sync(bool in_sync, uint64_t now_ns) {
  std::vector<HaAction> out;
  if (in_sync == in_sync_) return out;
  in_sync_ = in_sync;
  note(now_ns, in_sync ? "tables in sync with the primary" : "tables out of sync", &out);
  decide(now_ns, &out);
  return out;
}

std::vector<HaAction> HaMachine::failover_set(bool set, uint64_t now_ns) {
  std::vector<HaAction> out;
  if (set == failover_set_) return out;
  failover_set_ = set;
  note(now_ns, set ? "execute ha failover set 1: this node yields the primary role"
                   : "execute ha failover unset 1: this node competes again",
       &out);
  decide(now_ns, &out);
  return out;
}

std::vector<HaAction> HaMachine::on_dropped_frame(HbDecodeResult why, std::string_view hbdev, uint64_t now_ns) {
  std::vector<HaAction> out;
  switch (why) {
    case HbDecodeResult::kMalformed: ++counters_.hb_dropped_malformed; break;
    case HbDecodeResult::kWrongGroup: ++counters_.hb_dropped_wrong_group; break;
    case HbDecodeResult::kAuthFailed: ++counters_.hb_dropped_auth; break;
    case HbDecodeResult::kReplay: ++counters_.hb_dropped_replay; break;
    case HbDecodeResult::kOk:
    case HbDecodeResult::kNotHb: return out;
  }
  last_error_ = std::string(hb_decode_result_name(why)) + " on " + std::string(hbdev);
  if (!drop_logged_ || now_ns - last_drop_log_ns_ >= kDropLogIntervalNs) {
    drop_logged_ = true;
    last_drop_log_ns_ = now_ns;
    note(now_ns,
         "heartbeat dropped: " + last_error_ + " (dropped so far: auth " + std::to_string(counters_.hb_dropped_auth) +
             ", group " + std::to_string(counters_.hb_dropped_wrong_group) + ", replay " +
             std::to_string(counters_.hb_dropped_replay) + ", malformed " +
             std::to_string(counters_.hb_dropped_malformed) + ")",
         &out);
  }
  return out;
}

}  // namespace tandem::ha
