// HA on the control lcore: heartbeats on hbdev queue 0 (never on a worker,
// so data load cannot starve them; a device that cannot steer them there
// hands them over from the sync queue; while the control lcore is busy the
// heartbeat keeper thread sends them), the FGCP state machine from
// controlplane/ha, monitored links, and the roles on the wire — the
// primary's data ports answer with the virtual MAC and send gratuitous ARPs,
// the secondary's are silent. Decisions live in ha::HaMachine; this file
// only moves frames, runs the clock and applies the actions it returns.
#include <arpa/inet.h>
#include <pthread.h>
#include <sched.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include <openssl/rand.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <fstream>
#include <string_view>

#include "controlplane/confsync/confsync.h"
#include "controlplane/daemon/event_log.h"
#include "controlplane/daemon/node.h"
#include "controlplane/ha/ha_format.h"
#include "controlplane/ha/vmac.h"
#include "dataplane/arp/arp.h"
#include "dataplane/sync/sync.h"
#include "drivers/port/unmap_guard.h"
#include "hw/flow/flow.h"
#include "dataplane/worker/worker.h"
#include "dataplane/worker/worker_types.h"

namespace tandem::daemon {
namespace {

constexpr unsigned kHbdevRxBurst = 32;
constexpr std::string_view kNoPortName = "hbdev";
// A starting node listens this long before it concludes it is alone: long
// enough for an hbdev whose far end re-dials (memif clients retry every
// second) to come back, short next to FortiOS's own start-up.
constexpr uint32_t kHelloHoldMs = 3000;
// The heartbeat keeper covers for a busy control lcore this long at most
// (a commit of a very large configuration on a slow host takes a few
// seconds); beyond it the control lcore is taken as hung, the peer takes
// over, and the watchdog silences this node's data ports until the control
// lcore is back.
constexpr uint64_t kHbKeeperCoverNs = 10'000'000'000;
constexpr unsigned long kTestHangMaxS = 60;  // diagnose test ha hang-control

// A kernel-backed port (af_xdp, af_packet) reports its link from the
// netdev's carrier: those PMDs say "up" whatever the cable does.
bool kernel_carrier(const std::string& ifname) {
  std::ifstream f("/sys/class/net/" + ifname + "/carrier");
  int v = 0;
  return (f >> v) && v == 1;
}

}  // namespace

bool Node::start_ha(std::string* error) {
  if (node_.ha.mode != "a-p") return true;
  hb_codec_ = std::make_unique<ha::HbCodec>();
  std::string err;
  if (!hb_codec_->init(node_.ha.password_hash, node_.ha.group_id, &err)) {
    *error = "HA heartbeat keys: " + err;
    return false;
  }
  uint64_t epoch = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&epoch), sizeof(epoch)) != 1) {
    *error = "HA: no randomness for the boot epoch";
    return false;
  }
  config::NodeConfig settings_src = node_;
  settings_src.global.serial_number = serial_;
  ha::HaSettings settings = ha::ha_settings(settings_src, TANDEM_VERSION);
  settings.hello_hold_ms = kHelloHoldMs;
  settings.probe_data_ports = true;  // ha_send_probes(), rx_own_mac_answer
  ha_ = std::make_unique<ha::HaMachine>(settings, mono_ns(), epoch);
  boot_epoch_ = epoch;
  if (!start_sync(error)) return false;
  // Until the election says otherwise the data ports stay silent: a node
  // that comes up beside a running primary must not answer for the cluster.
  data_active_ = false;
  event_log().log(Severity::kNotice,
                  "HA a-p: group %s (id %u), priority %u, override %s, hb %u ms x %u, hbdev %s",
                  node_.ha.group_name.c_str(), node_.ha.group_id, node_.ha.priority,
                  node_.ha.override ? "enable" : "disable", node_.ha.hb_interval_ms,
                  node_.ha.hb_lost_threshold,
                  node_.ha.hbdevs.empty() ? "-" : node_.ha.hbdevs.front().interface.c_str());
  // Heartbeats to queue 0 in hardware where the NIC can (hw/flow); on
  // vdevs the peer sends them on queue 0 and the control lcore polls it.
  for (auto& p : ports_) {
    if (!p.is_hbdev || !p.info.started) continue;
    hw::FlowSteering st = hw::steer_ethertype_to_queue(p.info.port_id, ha::kHbEtherType, 0);
    event_log().log(Severity::kInfo, "hbdev %s: %s", p.name.c_str(), st.note.c_str());
    p.hb_steering = st.flow;
  }
  ha_report_links(true, mono_ns());
  hb_keeper_start();
  return true;
}

int Node::control_poll_ms() const {
  // Wake often enough to send heartbeats on time and to notice a dead peer
  // within a small fraction of hb-interval.
  if (!ha_) return 5;
  return static_cast<int>(std::clamp<unsigned>(node_.ha.hb_interval_ms / 5, 1, 5));
}

void Node::ha_report_links(bool initial, uint64_t now_ns) {
  if (!ha_) return;
  for (const auto& name : node_.ha.monitor) {
    bool up = false;
    for (const auto& p : ports_) {
      if (p.name != name) continue;
      up = p.link_up;
      if (p.spec.kind == drivers::DeviceKind::kAfXdp ||
          p.spec.kind == drivers::DeviceKind::kAfPacket) {
        up = up && kernel_carrier(p.spec.ifname);
      }
    }
    auto it = monitor_reported_.find(name);
    if (!initial && it != monitor_reported_.end() && it->second == up) continue;
    monitor_reported_[name] = up;
    ha_apply(ha_->on_monitor_link(name, up, now_ns), now_ns);
  }
}

void Node::ha_poll(uint64_t now_ns) {
  if (!ha_) return;
  // Heartbeats in: every started hbdev, queue 0, and those a worker found
  // on its sync queue (a device that spreads by hash: dataplane/sync/sync.h).
  // A sync frame on queue 0 goes the other way, to its worker.
  // The port's name only for a frame to report (m->port is not set by
  // every PMD, so queue 0 passes the id it polled).
  auto port_name = [&](uint16_t port_id) -> std::string_view {
    for (const auto& p : ports_)
      if (p.is_hbdev && p.info.port_id == port_id) return p.name;
    return kNoPortName;
  };
  auto take = [&](rte_mbuf* m, uint16_t port_id) -> bool {
    ha::HbInfo hb;
    ha::HbDecodeResult r =
        hb_codec_->decode(rte_pktmbuf_mtod(m, const uint8_t*), rte_pktmbuf_data_len(m), &hb);
    if (r == ha::HbDecodeResult::kOk) {
      ha_apply(ha_->on_heartbeat(hb, now_ns), now_ns);
      sync_learn_peer(hb.boot_epoch);
    } else if (r != ha::HbDecodeResult::kNotHb) {
      ha_apply(ha_->on_dropped_frame(r, port_name(port_id), now_ns), now_ns);
    } else if (dataplane_ != nullptr && dp::dataplane_hbdev_dispatch(dataplane_, m)) {
      return false;
    }
    return true;
  };
  rte_mbuf* burst[kHbdevRxBurst];
  for (auto& p : ports_) {
    if (!p.is_hbdev || !p.started || !p.info.started) continue;
    uint16_t n;
    {
      drivers::BurstSection section;
      n = link_gate_.rx_burst(p.info.port_id, 0, burst, kHbdevRxBurst);
    }
    for (uint16_t i = 0; i < n; ++i) {
      if (take(burst[i], p.info.port_id)) rte_pktmbuf_free(burst[i]);
    }
  }
  if (dataplane_ != nullptr) {
    unsigned n = dp::dataplane_hbdev_take(dataplane_, burst, kHbdevRxBurst);
    for (unsigned i = 0; i < n; ++i) {
      if (take(burst[i], burst[i]->port)) rte_pktmbuf_free(burst[i]);
    }
  }
  // Split brain: a frame from our own virtual MAC that we did not send,
  // while our ports are active. A secondary sees the live primary's
  // broadcasts all the time; counting those held its takeover back by up to
  // one dead interval after the primary died (bench/failover finding). While
  // silent the baseline still moves, so frames seen then are not reported
  // the moment the ports become active.
  if (dataplane_ != nullptr) {
    // Answers to our ARP probes (hello, silent) are the unicast ones: the
    // holder of the virtual MAC answered. Counted always, reported only
    // while probing.
    uint64_t foreign = 0, answers = 0;
    for (const auto& p : ports_) {
      if (p.data_index < 0) continue;
      const dp::PortCounters c = dp::dataplane_port_counters(dataplane_, static_cast<unsigned>(p.data_index));
      foreign += c.rx_own_mac_foreign;
      answers += c.rx_own_mac_answer;
    }
    const bool seen = data_active_ && foreign > own_mac_foreign_seen_;
    own_mac_foreign_seen_ = foreign;
    if (seen) ha_apply(ha_->on_peer_seen_on_data_port(now_ns), now_ns);
    const bool answered = answers > own_mac_answer_seen_;
    own_mac_answer_seen_ = answers;
    if (answered && ha_->probing()) ha_apply(ha_->on_probe_answered(now_ns), now_ns);
  }
  ha_apply(ha_->on_tick(now_ns), now_ns);
}

void Node::ha_apply(const std::vector<ha::HaAction>& actions, uint64_t now_ns) {
  for (const auto& a : actions) {
    switch (a.kind) {
      case ha::HaActionKind::kBecomePrimary:
        ha_set_active(true, a.text);
        break;
      case ha::HaActionKind::kBecomeSecondary:
        ha_set_active(false, a.text);
        break;
      case ha::HaActionKind::kSendGratuitousArps:
        ha_send_garps(a.round);
        break;
      case ha::HaActionKind::kSendHeartbeat:
        ha_send_heartbeats(now_ns);
        break;
      case ha::HaActionKind::kProbeDataPorts:
        ha_send_probes();
        break;
      case ha::HaActionKind::kSetSync:
        ha_set_sync(a.sync_enabled);
        break;
      case ha::HaActionKind::kLog:
        event_log().log(Severity::kNotice, "HA: %s", a.text.c_str());
        break;
    }
  }
}

void Node::ha_send_heartbeats(uint64_t now_ns) {
  ha::HbInfo info = ha_->make_heartbeat(now_ns);
  std::lock_guard<PiMutex> lock(hb_.mutex);
  hb_.last = info;
  hb_.last_made_ns = mono_ns();
  hb_transmit(info, hb_codec_.get(), &link_gate_, hb_.last_made_ns);
}

void Node::hb_transmit(const ha::HbInfo& made, ha::HbCodec* codec, drivers::LinkGate* gate, uint64_t now_ns) {
  ha::HbInfo info = made;
  info.seq = ++hb_.seq;  // one counter for both threads: the peer's replay window sees them in order
  for (auto& p : ports_) {
    if (!p.is_hbdev || !p.started || !p.info.started) continue;
    rte_mbuf* m = rte_pktmbuf_alloc(pool_);
    if (m == nullptr) continue;
    size_t len = codec->encode(info, p.info.mac.addr_bytes, rte_pktmbuf_mtod(m, uint8_t*), rte_pktmbuf_tailroom(m));
    m->data_len = static_cast<uint16_t>(len);
    m->pkt_len = static_cast<uint32_t>(len);
    uint16_t sent = 0;
    if (len != 0) {
      drivers::BurstSection section;
      sent = gate->tx_burst(p.info.port_id, 0, &m, 1);
    }
    if (sent == 0) rte_pktmbuf_free(m);  // not sent: the next heartbeat is an hb-interval away
  }
  if (hb_.wire_ns != 0 && now_ns > hb_.wire_ns && now_ns - hb_.wire_ns > hb_.wire_max_gap_ns) {
    hb_.wire_max_gap_ns = now_ns - hb_.wire_ns;
    hb_.wire_max_gap_at_ns = now_ns;
  }
  hb_.wire_ns = std::max(hb_.wire_ns, now_ns);
}

void Node::hb_keeper_start() {
  hb_keeper_codec_ = std::make_unique<ha::HbCodec>();
  std::string err;
  if (!hb_keeper_codec_->init(node_.ha.password_hash, node_.ha.group_id, &err)) {
    event_log().log(Severity::kError, "HA: heartbeat keeper off (%s): a busy control lcore delays heartbeats",
                    err.c_str());
    hb_keeper_codec_.reset();
    return;
  }
  hb_keeper_stop_.store(false, std::memory_order_relaxed);
  // hb-interval read here: a commit may replace node_ while the thread runs
  // (not this setting: changing it needs a restart).
  const uint64_t interval_ns = uint64_t{node_.ha.hb_interval_ms} * 1'000'000;
  hb_keeper_ = std::thread([this, interval_ns] { hb_keeper_run(interval_ns); });
}

void Node::hb_keeper_stop() {
  if (!hb_keeper_.joinable()) return;
  hb_keeper_stop_.store(true, std::memory_order_relaxed);
  hb_keeper_.join();
}

// The control lcore sends every heartbeat while it can; when the wire has
// been quiet for hb-interval (a commit that rebuilds a large configuration
// takes seconds, a slow host deschedules the process), this thread sends
// the last one it made again, with the next sequence number and the age
// moved on. Nothing in it can have changed meanwhile: only the control
// lcore changes what a heartbeat says. A control lcore silent for
// kHbKeeperCoverNs is taken as hung: the keeper stops covering for it, so
// the peer takes over, and as the watchdog it silences the data ports
// (dataplane_set_silenced), or the workers would go on answering ARP and
// forwarding with the virtual MACs the peer now owns. Once the control lcore
// makes a heartbeat again it has read the peer's and decided its role, and
// the ports follow that role again. The thread runs at real-time priority where the
// system allows it (it sleeps between checks and sends a frame at most
// every hb-interval), so a loaded CPU does not delay the heartbeats either.
void Node::hb_keeper_run(uint64_t interval) {
  // An lcore id of its own: its bursts count in the unmap guard like the
  // control lcore's (drivers/port/unmap_guard.h).
  if (rte_thread_register() != 0) {
    event_log().log(Severity::kError, "HA: heartbeat keeper off: no lcore for it (%s)", rte_strerror(rte_errno));
    return;
  }
  sched_param sp{};
  sp.sched_priority = 1;
  const int rt = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
  event_log().log(Severity::kInfo, "HA: heartbeat keeper on (lcore %u, %s)", rte_lcore_id(),
                  rt == 0 ? "real-time priority" : "normal priority: real-time scheduling not permitted");
  const timespec nap{0, static_cast<long>(std::max<uint64_t>(interval / 4, 100'000))};
  while (!hb_keeper_stop_.load(std::memory_order_relaxed)) {
    clock_nanosleep(CLOCK_MONOTONIC, 0, &nap, nullptr);
    enum class Watchdog { kNone, kSilenced, kBack } acted = Watchdog::kNone;
    uint64_t acted_ns = 0;  // silent that long (kSilenced), silenced that long (kBack)
    {
      std::lock_guard<PiMutex> lock(hb_.mutex);
      const uint64_t now = mono_ns();
      if (hb_.last_made_ns == 0) continue;
      const bool hung = now - hb_.last_made_ns >= kHbKeeperCoverNs;
      if (hb_.dataplane != nullptr && hung != dp::dataplane_silenced(hb_.dataplane)) {
        dp::dataplane_set_silenced(hb_.dataplane, hung);
        acted = hung ? Watchdog::kSilenced : Watchdog::kBack;
        acted_ns = hung ? now - hb_.last_made_ns : now - hb_.silenced_since_ns;
        if (hung) {
          ++hb_.silenced_count;
          hb_.silenced_since_ns = now;
        }
      }
      if (!hung && now - hb_.wire_ns >= interval) {
        ha::HbInfo info = hb_.last;
        info.uptime_ms += (now - hb_.last_made_ns) / 1'000'000;
        hb_transmit(info, hb_keeper_codec_.get(), &hb_keeper_gate_, now);
        ++hb_.keeper_sent;
        hb_.busy_max_ns = std::max(hb_.busy_max_ns, now - hb_.last_made_ns);
      }
    }
    // Logged outside the lock: the control lcore needs it for its next heartbeat.
    if (acted == Watchdog::kSilenced) {
      event_log().log(Severity::kError,
                      "HA: watchdog: the control lcore has made no heartbeat for %llu ms (hung): the peer "
                      "takes over, and this node's data ports are silenced until it is back",
                      static_cast<unsigned long long>(acted_ns / 1'000'000));
    } else if (acted == Watchdog::kBack) {
      event_log().log(Severity::kNotice,
                      "HA: watchdog: the control lcore is back; the data ports were silenced for %llu ms "
                      "and follow this node's HA role again",
                      static_cast<unsigned long long>(acted_ns / 1'000'000));
    }
  }
  rte_thread_unregister();
}

void Node::ha_send_garps(unsigned round) {
  if (dataplane_ == nullptr) return;
  unsigned sent = 0;
  for (const auto& p : ports_) {
    if (p.data_index < 0) continue;
    const config::InterfaceConfig* ifc = node_.interface(p.name);
    if (ifc == nullptr || ifc->ip == 0 || !ifc->up) continue;
    auto vmac = ha::virtual_mac(node_.ha.group_id, static_cast<unsigned>(p.data_index));
    rte_ether_addr mac;
    std::memcpy(mac.addr_bytes, vmac.data(), 6);
    rte_mbuf* m = rte_pktmbuf_alloc(pool_);
    if (m == nullptr) continue;
    if (dp::arp_build_gratuitous(m, mac, htonl(ifc->ip), 0) != 0 ||
        dp::dataplane_send(dataplane_, static_cast<unsigned>(p.data_index), &m, 1) != 1) {
      rte_pktmbuf_free(m);
      continue;
    }
    ++sent;
  }
  event_log().log(Severity::kInfo, "HA: gratuitous ARP round %u: %u sent", round, sent);
}

// Maintenance mode enable-without-sync stops both syncs on this node, as
// FortiAuthenticator's does, so it can be changed or upgraded alone; back
// to disable (or enable-with-sync) they run again, and the node counts as
// in sync only once the bulk walk has brought its tables back.
void Node::ha_set_sync(bool enabled) {
  if (confsync_) confsync_->set_enabled(enabled);
  if (sync_enabled_ && dataplane_ != nullptr) {
    std::string err;
    if (!republish(&err)) {
      event_log().log(Severity::kError, "HA: cannot publish the sync change: %s", err.c_str());
      return;
    }
  }
  event_log().log(Severity::kNotice, "HA: maintenance mode: session%s sync %s", confsync_ ? " and config" : "",
                  enabled ? "resumed" : "stopped");
}

// RFC 5227 probes from each data port's own MAC with sender IP 0, so no
// host's cache learns anything: whoever holds the virtual MAC answers to
// that MAC, and the worker counts the answer (rx_own_mac_answer).
void Node::ha_send_probes() {
  if (dataplane_ == nullptr) return;
  for (const auto& p : ports_) {
    if (p.data_index < 0) continue;
    const config::InterfaceConfig* ifc = node_.interface(p.name);
    if (ifc == nullptr || ifc->ip == 0 || !ifc->up) continue;
    rte_mbuf* m = rte_pktmbuf_alloc(pool_);
    if (m == nullptr) continue;
    if (dp::arp_build_request(m, p.info.mac, 0, htonl(ifc->ip)) != 0 ||
        dp::dataplane_send(dataplane_, static_cast<unsigned>(p.data_index), &m, 1) != 1)
      rte_pktmbuf_free(m);
  }
}

void Node::ha_set_active(bool active, const std::string& reason) {
  if (active == data_active_) return;
  // Taking over: the primary's last ring (if one arrived since the last
  // poll) goes into the snapshot that activates the ports.
  if (active) ztna_ring_take_peer();
  data_active_ = active;
  if (dataplane_ == nullptr) return;  // still starting: the first snapshot carries it
  std::string err;
  if (!republish(&err)) {
    event_log().log(Severity::kError, "HA: cannot publish the %s snapshot: %s",
                    active ? "primary" : "secondary", err.c_str());
    return;
  }
  event_log().log(Severity::kNotice, "HA: data ports %s (%s)",
                  active ? "active with the virtual MACs" : "silent", reason.c_str());
}

cli::Reply Node::ha_format(int which) const {
  if (!ha_) {
    return cli::Reply::error("HA is not configured on this node (config system ha: set mode "
                             "standalone); set mode a-p, group-name and hbdev to form a cluster");
  }
  ha::HaStatusInputs in;
  in.now_mono_ns = mono_ns();
  in.now_wall_s = std::time(nullptr);
  in.stats_mono_ns = in.now_mono_ns;
  for (const auto& p : ports_) {
    bool hbdev = p.is_hbdev;
    bool mondev = std::find(node_.ha.monitor.begin(), node_.ha.monitor.end(), p.name) !=
                  node_.ha.monitor.end();
    if (!hbdev && !mondev) continue;
    ha::HaDevStats d;
    d.name = p.name;
    d.up = p.link_up;
    rte_eth_stats st{};
    if (p.started && rte_eth_stats_get(p.info.port_id, &st) == 0) {
      d.rx_bytes = st.ibytes;
      d.rx_packets = st.ipackets;
      d.rx_dropped = st.imissed;
      d.rx_errors = st.ierrors;
      d.tx_bytes = st.obytes;
      d.tx_packets = st.opackets;
      d.tx_errors = st.oerrors;
    }
    (hbdev ? in.hbdevs : in.mondevs).push_back(d);
  }
  for (const auto& peer : node_.ha.peers) {
    in.peers.push_back({ipv4_text(htonl(peer.ip)), peer.serial});
  }
  confsync_stats_inputs(&in);
  {
    std::lock_guard<PiMutex> lock(hb_.mutex);
    in.hb_wire_max_gap_ns = hb_.wire_max_gap_ns;
    in.hb_wire_max_gap_at_ns = hb_.wire_max_gap_at_ns;
    in.hb_keeper_sent = hb_.keeper_sent;
    in.hb_busy_max_ns = hb_.busy_max_ns;
    in.watchdog_silenced = hb_.silenced_count;
  }
  if (dataplane_ != nullptr) {
    dp::SyncStreamView views[dp::kMaxWorkers];
    unsigned n = dp::dataplane_sync_view(dataplane_, views, dp::kMaxWorkers);
    for (unsigned i = 0; i < n; ++i) in.pending_sync_bytes += views[i].pending_bytes;
  }
  switch (which) {
    case 0: return cli::Reply{true, ha::format_ha_status(*ha_, in)};
    case 1: return cli::Reply{true, ha::format_ha_stats(*ha_, in)};
    case 2: return cli::Reply{true, ha::format_sys_ha_status(*ha_, in)};
    default: return cli::Reply{true, ha::format_ha_history(*ha_, in)};
  }
}

std::vector<cli::Command> Node::ha_commands() {
  using cli::Args;
  using cli::Reply;
  auto failover = [this](bool set) {
    return [this, set](const Args& a) {
      if (!ha_) return ha_format(0);
      if (a[0] != "1") return Reply::error("usage: execute ha failover " +
                                           std::string(set ? "set" : "unset") + " 1");
      uint64_t now = mono_ns();
      ha_apply(ha_->failover_set(set, now), now);
      return Reply{true, set ? "Caution: This command will trigger an HA failover.\n"
                               "It is intended for testing purposes only.\n"
                             : "Failover flag cleared.\n"};
    };
  };
  return {
      {"get system ha status", "", "cluster mode, members, roles and why the primary was chosen",
       [this](const Args&) { return ha_format(0); }},
      {"diagnose ha stats", "", "HA statistics per member (FortiManager form)",
       [this](const Args&) { return ha_format(1); }},
      {"diagnose sys ha status", "", "this node's HA state, heartbeat and election details",
       [this](const Args&) { return ha_format(2); }},
      {"diagnose sys ha history read", "", "election and event history",
       [this](const Args&) { return ha_format(3); }},
      {"execute ha failover set", "1", "make this node lose every election (test a failover)",
       failover(true), 1, 1},
      {"execute ha failover unset", "1", "clear the failover flag", failover(false), 1, 1},
      {"diagnose test ha hang-control", "<1-60>",
       "stop this node's control lcore for that many seconds (CLI, election, config sync; the "
       "workers go on): tests the heartbeat keeper and its watchdog",
       [this](const Args& a) {
         unsigned long v = 0;
         if (!cli::parse_number(a[0], kTestHangMaxS, &v) || v < 1)
           return Reply::error("hang-control takes a number of seconds from 1 to " + std::to_string(kTestHangMaxS) +
                               " (got \"" + a[0] + "\")");
         test_hang_s_ = static_cast<unsigned>(v);
         return Reply{true, "Caution: the control lcore stops for " + std::to_string(v) +
                                " s once this reply is sent. It is intended for testing purposes only.\n"};
       },
       1, 1},
  };
}

}  // namespace tandem::daemon
