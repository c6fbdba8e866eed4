// HaMachine: one node's side of the FGCP active-passive protocol — peer
// liveness, primary election, monitored links, maintenance mode, `execute
// ha failover`, split brain and the gratuitous-ARP schedule. Pure logic:
// the control lcore feeds it decoded heartbeats, link events and a clock,
// and carries out the HaActions it returns; time is always an argument
// (monotonic ns), so tests drive it deterministically.
//
// Every transition happens in HaMachine::decide(); every input handler only
// records the input and calls it. docs/ha.md describes the states.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/config/node_config.h"
#include "controlplane/ha/election.h"
#include "controlplane/ha/ha_state_types.h"
#include "controlplane/ha/hb_frame_types.h"

namespace tandem::ha {

// HaSettings from `config system ha` and `config system global`.
HaSettings ha_settings(const config::NodeConfig& node, std::string_view sw_version);
MaintenanceMode parse_maintenance_mode(std::string_view s);

class HaMachine {
 public:
  static constexpr size_t kHistoryMax = 512;
  static constexpr size_t kSelectionsMax = 8;
  // Bad frames are counted one by one but logged at most this often, so a
  // misconfigured neighbour cannot flood the event log.
  static constexpr uint64_t kDropLogIntervalNs = 1'000'000'000;
  // Probes (settings.probe_data_ports): every 200 ms in hello, every
  // second while silent; a silent node whose last kProbeLostCount probes
  // went unanswered takes over. Before claiming the cluster alone, a node
  // in hello sends one last probe and waits kProbeWaitNs plus a jitter
  // drawn from its boot epoch (up to kProbeJitterNs), so two nodes started
  // together do not both claim it.
  static constexpr uint64_t kProbeHelloIntervalNs = 200'000'000;
  static constexpr uint64_t kProbeSilentIntervalNs = 1'000'000'000;
  static constexpr unsigned kProbeLostCount = 3;
  static constexpr uint64_t kProbeWaitNs = 30'000'000;
  static constexpr uint64_t kProbeJitterNs = 500'000'000;
  // A primary that meets another holder of its virtual MAC it never heard
  // a heartbeat from yields (goes silent and probes) if it has been
  // primary for less than this; an older one stays and re-announces.
  static constexpr uint64_t kYoungPrimaryNs = 10'000'000'000;
  // A primary that took the role without the tables (out of sync) counts
  // as holding them once it has been primary this long: by then its
  // sessions are the cluster's.
  static constexpr uint64_t kTablesSettleNs = 10'000'000'000;
  // A primary re-announces its virtual MACs at most this often while
  // another unit claims them (a split brain, a peer promoted on late
  // heartbeats).
  static constexpr uint64_t kReassertIntervalNs = 1'000'000'000;

  // boot_epoch: random per process start (see HbInfo::boot_epoch).
  // Monitored links start up; report each link's state right after.
  HaMachine(HaSettings settings, uint64_t now_ns, uint64_t boot_epoch);

  std::vector<HaAction> on_tick(uint64_t now_ns);
  std::vector<HaAction> on_heartbeat(const HbInfo& hb, uint64_t now_ns);
  std::vector<HaAction> on_monitor_link(std::string_view name, bool up, uint64_t now_ns);
  // The peer was seen alive on a data port (its frames from the virtual
  // MAC, its GARPs) — the caller's split-brain probe.
  std::vector<HaAction> on_peer_seen_on_data_port(uint64_t now_ns);
  // A unit answered a kProbeDataPorts probe from the virtual MAC.
  std::vector<HaAction> on_probe_answered(uint64_t now_ns);
  // Whether answers to probes are wanted now (hello, or silent).
  bool probing() const { return settings_.probe_data_ports && (role_ == HaRole::kHello || silent_); }
  std::vector<HaAction> set_maintenance(MaintenanceMode mode, uint64_t now_ns);
  // Sessions and config have been replicated from the primary (or not).
  std::vector<HaAction> set_in_sync(bool in_sync, uint64_t now_ns);
  // `execute ha failover set 1` (true) / `unset 1` (false).
  std::vector<HaAction> failover_set(bool set, uint64_t now_ns);
  // The codec dropped a frame: counted, remembered as "last error", logged
  // (rate limited). Never changes the role.
  std::vector<HaAction> on_dropped_frame(HbDecodeResult why, std::string_view hbdev, uint64_t now_ns);

  // The heartbeat to send now (advances the sequence number).
  HbInfo make_heartbeat(uint64_t now_ns);

  HaRole role() const { return role_; }
  bool maintenance() const { return maintenance_ != MaintenanceMode::kDisable; }
  MaintenanceMode maintenance_mode() const { return maintenance_; }
  bool failover_flag() const { return failover_set_; }
  bool in_sync() const { return in_sync_; }
  // Primary with the cluster's tables: promoted from hello (nobody held
  // any), or from secondary while in sync, or primary for kTablesSettleNs.
  bool holds_tables(uint64_t now_ns) const;
  bool sync_enabled() const { return maintenance_ != MaintenanceMode::kEnableWithoutSync; }
  // Secondary because it lost a split brain, and staying so until
  // heartbeats return (the winner cannot be watched on the data ports).
  bool silent() const { return silent_; }
  Candidate local_candidate(uint64_t now_ns) const;
  Candidate peer_candidate(uint64_t now_ns) const;
  unsigned monitored_up() const;  // counted (stable) monitored links
  bool links_pending() const;
  const HaPeerView& peer() const { return peer_; }
  const HaSettings& settings() const { return settings_; }
  const HaCounters& counters() const { return counters_; }
  const std::deque<HaHistoryEntry>& history() const { return history_; }
  const std::deque<HaSelection>& selections() const { return selections_; }  // newest first
  uint64_t started_ns() const { return started_ns_; }
  uint64_t state_change_ns() const { return state_change_ns_; }
  const std::string& last_error() const { return last_error_; }
  uint64_t dead_interval_ns() const;

 private:
  struct MonitorLink {
    std::string name;
    bool up = true;
    bool counted = true;  // up and past monitor-stability-period
    uint64_t up_since_ns = 0;
  };

  void decide(uint64_t now, std::vector<HaAction>* out);
  void become(HaRole to, const std::string& reason, uint64_t now, std::vector<HaAction>* out);
  // One round of gratuitous ARPs now (round 0), counted.
  void garp_round_now(std::vector<HaAction>* out);
  // Gratuitous ARPs as at a takeover: one round now, then `arps` more
  // every arps-interval.
  void start_garps(uint64_t now, std::vector<HaAction>* out);
  // True (and the clock restarted) when kReassertIntervalNs has passed
  // since the last re-announcement.
  bool reassert_due(uint64_t now);
  // A heartbeat now (this node's state changed), and the schedule from here.
  void announce(uint64_t now, std::vector<HaAction>* out);
  bool takeover_allowed(const ElectionResult& r, const Candidate& challenger, bool challenger_links_pending,
                        unsigned incumbent_score, unsigned incumbent_total) const;
  void select(const std::string& serial, const std::string& because, uint64_t now);
  void note(uint64_t now, std::string text, std::vector<HaAction>* out);
  void refresh_links(uint64_t now, std::vector<HaAction>* out);
  void refresh_peer(uint64_t now, std::vector<HaAction>* out);
  bool peer_seen_on_data_port(uint64_t now) const;
  void go_silent_for_unheard_owner(uint64_t now, std::vector<HaAction>* out);
  // Before claiming the cluster alone (probing on): one last probe after a
  // random jitter, then kProbeWaitNs for its answer. True once that passed
  // unanswered; an answer resets it (on_probe_answered).
  bool final_probe_passed(uint64_t ready_since, uint64_t now, std::vector<HaAction>* out);

  HaSettings settings_;
  HaRole role_ = HaRole::kHello;
  uint64_t started_ns_, state_change_ns_, age_start_ns_;
  uint64_t boot_epoch_, seq_ = 0;
  uint64_t next_hb_ns_;
  MaintenanceMode maintenance_;
  bool failover_set_ = false;
  bool in_sync_ = false;
  bool promoted_in_sync_ = false;
  bool silent_ = false;
  bool split_brain_active_ = false;
  bool data_port_seen_ = false;
  uint64_t data_port_seen_ns_ = 0;
  bool probe_answered_ = false;
  uint64_t next_probe_ns_ = 0;
  uint64_t last_probe_ns_ = 0;
  unsigned probes_unanswered_ = 0;
  uint64_t final_probe_ns_ = 0;  // the last probe before claiming alone (0: not yet)
  uint64_t claim_attempts_ = 0;  // varies the jitter from one attempt to the next
  uint64_t last_reassert_ns_ = 0;
  // Set while primary when the peer may have claimed the role (it did, or
  // heartbeats were lost either way): why to announce the virtual MACs
  // again once it is heard as secondary.
  std::string reclaim_why_;
  std::vector<MonitorLink> links_;
  HaPeerView peer_;
  unsigned garps_left_ = 0, garp_round_ = 0;
  uint64_t next_garp_ns_ = 0;
  HaCounters counters_;
  std::deque<HaHistoryEntry> history_;
  std::deque<HaSelection> selections_;
  std::string last_error_;
  uint64_t last_drop_log_ns_ = 0;
  bool drop_logged_ = false;
};

const char* ha_role_name(HaRole role);  // "primary", "secondary", "hello"

}  // namespace tandem::ha
