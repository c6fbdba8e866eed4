// Plain types of the HA state machine (ha_state.h): its settings, the
// actions it asks the caller to carry out, its counters and its history.
// The control lcore turns HaActions into frames, port MAC changes, ARPs and
// event-log lines; ha_format.cc prints the rest for the CLI.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "controlplane/ha/hb_frame_types.h"

namespace tandem::ha {

// The states of one node (docs/ha.md "State machine").
enum class HaRole : uint8_t {
  // Just started: announcing itself and listening for one dead interval so
  // a running primary is found before this node claims anything.
  kHello = uint8_t(HbRole::kHello),
  // Owns the virtual MACs and forwards traffic; the source of sync.
  kPrimary = uint8_t(HbRole::kPrimary),
  // Standby: receives sync, forwards nothing, takes over when the primary
  // dies or is out-ranked (and it is in sync). Split-brain losers, nodes in
  // maintenance mode and nodes with `failover set` live here too.
  kSecondary = uint8_t(HbRole::kSecondary),
};

enum class MaintenanceMode : uint8_t { kDisable, kEnableWithSync, kEnableWithoutSync };

struct HaSettings {
  std::string group_name;
  unsigned group_id = 0;
  std::string hostname, serial, sw_version;
  std::string hbdev;                    // name carried in heartbeats
  bool override = false;
  unsigned priority = 128;
  std::vector<std::string> monitor;     // monitored data ports
  uint32_t hb_interval_ms = 200;
  unsigned hb_lost_threshold = 6;
  uint32_t uptime_diff_margin_ms = 300'000;
  uint32_t monitor_stability_ms = 30'000;
  unsigned arps = 5;
  uint32_t arps_interval_ms = 8'000;
  MaintenanceMode maintenance = MaintenanceMode::kDisable;
  bool session_pickup = false, session_pickup_delay = false;
  // How long a starting node listens in hello before it decides it is
  // alone (at least one dead interval). A node that restarts while its peer
  // runs must hear the peer before claiming the cluster: an hbdev link can
  // take longer than one dead interval to come back (memif re-dial).
  uint32_t hello_hold_ms = 0;
  // ARP-probe the data ports for a unit that holds the virtual MAC
  // (docs/ha.md "Probing the data ports"): in hello, and while silent. The
  // caller sets it when it can send probes and see their answers.
  bool probe_data_ports = false;
};

enum class HaActionKind : uint8_t {
  kBecomePrimary,       // take the virtual MACs, start forwarding
  kBecomeSecondary,     // give them up, stop forwarding (and GARPs)
  kSendGratuitousArps,  // one GARP for every address of every data port
  kSendHeartbeat,       // call make_heartbeat() and send it on every hbdev
  kSetSync,             // start/stop receiving sync (maintenance without sync)
  kLog,                 // one event-log line
  // An RFC 5227 ARP probe (sender IP 0, the port's own MAC) for every
  // address of every data port: whoever holds the virtual MAC answers it,
  // unicast; the caller reports that with on_probe_answered().
  kProbeDataPorts,
};

struct HaAction {
  HaActionKind kind;
  std::string text;       // reason (become_*) or the log line
  unsigned round = 0;     // kSendGratuitousArps: 0 = at once, 1..arps after
  bool sync_enabled = false;
};

struct HaCounters {
  uint64_t hb_tx = 0, hb_rx = 0;
  uint64_t hb_dropped_malformed = 0, hb_dropped_wrong_group = 0, hb_dropped_auth = 0,
           hb_dropped_replay = 0;
  uint64_t peer_joins = 0, peer_losses = 0, peer_restarts = 0;
  uint64_t role_changes = 0, split_brains = 0, garps_rounds = 0;
  uint64_t probes_sent = 0, probes_answered = 0;
};

struct HaHistoryEntry {
  uint64_t mono_ns;
  std::string text;
};

// "X is selected as the primary because <because>." as of mono_ns.
struct HaSelection {
  uint64_t mono_ns;
  std::string serial;
  std::string because;
};

// What this node knows of its peer, from the last accepted heartbeat.
struct HaPeerView {
  bool known = false;   // a heartbeat was ever accepted
  bool alive = false;   // one arrived within hb-interval x hb-lost-threshold
  HbInfo last;
  uint64_t last_seen_ns = 0;
  uint64_t joined_ns = 0;
  bool down_alert = false;    // was up, is now lost
  bool rejoin_alert = false;  // came back after a loss
};

}  // namespace tandem::ha
