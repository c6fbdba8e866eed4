// Session pickup on the control lcore: derives the stream key from the
// cluster password, hands the hbdev to the workers (their sync streams
// run on queues 1..N; queue 0 stays the heartbeats'), tells the election
// whether this node holds the primary's tables, and prints the streams.
// The replication itself runs on the workers (dataplane/sync).
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <memory>

#include "controlplane/daemon/event_log.h"
#include "controlplane/daemon/node.h"
#include "dataplane/sync/sync.h"
#include "dataplane/sync/sync_stream.h"
#include "dataplane/tls/tls.h"
#include "dataplane/worker/worker.h"
#include "dataplane/worker/worker_types.h"

namespace tandem::daemon {

bool Node::start_sync(std::string* error) {
  sync_enabled_ = node_.ha.mode == "a-p" && node_.ha.session_pickup && !node_.ha.hbdevs.empty();
  if (!sync_enabled_) {
    event_log().log(Severity::kInfo, "session pickup off%s",
                    node_.ha.session_pickup ? " (no hbdev)" : "");
    return true;
  }
  const std::string& pw = node_.ha.password_hash;
  if (!dp::sync_derive_prk(reinterpret_cast<const uint8_t*>(pw.data()), pw.size(),
                           static_cast<uint16_t>(node_.ha.group_id), sync_prk_)) {
    *error = "session pickup: HKDF-SHA256 is not available from OpenSSL";
    return false;
  }
  event_log().log(Severity::kNotice,
                  "session pickup on: %u sync streams on hbdev %s queues 1..%u, connectionless "
                  "%s, delay %s, flush %u us",
                  node_.dpdk.workers, node_.ha.hbdevs.front().interface.c_str(),
                  node_.dpdk.workers, node_.ha.session_pickup_connectionless ? "on" : "off",
                  node_.ha.session_pickup_delay ? "on" : "off", node_.ha.session_sync_flush_us);
  return true;
}

void Node::fill_sync_conf(void* out) const {
  auto* c = static_cast<dp::SyncConf*>(out);
  std::memset(c, 0, sizeof(*c));
  if (!sync_enabled_) return;
  // Maintenance mode enable-without-sync: the streams stop (ha_set_sync).
  if (ha_ && !ha_->sync_enabled()) return;
  c->enabled = true;
  c->sender = data_active_;
  c->connectionless = node_.ha.session_pickup_connectionless;
  c->delay = node_.ha.session_pickup_delay;
  c->group_id = static_cast<uint16_t>(node_.ha.group_id);
  c->flush_us = node_.ha.session_sync_flush_us;
  c->local_epoch = boot_epoch_;
  if (!dp::sync_conf_set_keys(c, sync_prk_, sync_peer_epoch_)) {
    // Keys derived at start_sync worked with the same OpenSSL; a failure
    // here leaves the streams off rather than sending with a zero key.
    event_log().log(Severity::kError, "session pickup: HKDF failed; streams stay off");
    c->enabled = false;
    return;
  }
  for (const auto& p : ports_) {
    if (p.is_hbdev && p.started) {
      std::memcpy(c->local_mac, p.info.mac.addr_bytes, 6);
      break;
    }
  }
}

// Each authenticated heartbeat names the peer's boot; a new one (the peer
// restarted) gets its key here, on the control lcore, and reaches the
// workers with a snapshot: a worker never runs the key schedule.
void Node::sync_learn_peer(uint64_t peer_epoch) {
  if (!sync_enabled_ || peer_epoch == sync_peer_epoch_ || peer_epoch == boot_epoch_) return;
  sync_peer_epoch_ = peer_epoch;
  if (dataplane_ == nullptr) return;  // the first snapshot carries it
  std::string err;
  if (!republish(&err)) {
    event_log().log(Severity::kError, "session pickup: cannot publish the peer's key: %s",
                    err.c_str());
    return;
  }
  event_log().log(Severity::kInfo, "session pickup: peer boot %016" PRIx64 " keyed",
                  peer_epoch);
}

// The first started hbdev carries the streams (the one heartbeats favour
// when several are configured is the same: the first in `set hbdev`).
void Node::sync_hand_hbdev() {
  if (!sync_enabled_ || dataplane_ == nullptr || sync_port_ >= 0) return;
  for (const auto& p : ports_) {
    if (!p.is_hbdev || !p.started || !p.info.started) continue;
    if (p.info.nb_rxq < node_.dpdk.workers + 1 || p.info.nb_txq < node_.dpdk.workers + 1) {
      event_log().log(Severity::kError,
                      "session pickup: hbdev %s has %u/%u queues, needs %u: no sync streams",
                      p.name.c_str(), p.info.nb_rxq, p.info.nb_txq, node_.dpdk.workers + 1);
      return;
    }
    sync_port_ = p.info.port_id;
    dp::dataplane_sync_port(dataplane_, sync_port_);
    event_log().log(Severity::kInfo, "session pickup: sync streams on hbdev %s", p.name.c_str());
    return;
  }
}

// Once per link poll: a secondary is in sync once every stream finished
// the primary's bulk walk; without session pickup there is nothing to wait
// for, as on FortiOS.
void Node::sync_report(uint64_t now_ns) {
  if (!ha_) return;
  bool in_sync = !sync_enabled_ || (dataplane_ != nullptr && dp::dataplane_sync_in_sync(dataplane_));
  ha_apply(ha_->set_in_sync(in_sync, now_ns), now_ns);
}

// The primary's session-ticket ring, as worker 0's stream last assembled
// it: adopted when it differs from this node's. True when ztna_ring_
// changed (the caller publishes).
bool Node::ztna_ring_take_peer() {
  if (!sync_enabled_ || dataplane_ == nullptr || node_.ztna.access_proxies.empty()) return false;
  dp::tls::TicketKeyRing ring;
  uint32_t seq = dp::dataplane_sync_ticket_ring(dataplane_, &ring);
  if (seq == 0 || seq == ztna_ring_seq_) return false;
  ztna_ring_seq_ = seq;
  if (dp::tls::ticket_ring_equal(ring, ztna_ring_)) return false;
  ztna_ring_ = ring;
  // The next rotation, should this node take over, is one period after
  // the primary's last (as seen from here).
  ztna_ring_rotated_at_ = std::chrono::steady_clock::now();
  event_log().log(Severity::kNotice, "ZTNA: session-ticket keys from the primary installed (ring version %" PRIu64 ")",
                  ring.version);
  return true;
}

// Once per link poll. A secondary follows the primary's ring; the primary
// (or a standalone node) makes a new current key every kTicketKeyRotateS,
// the older keys staying in the ring to decrypt tickets they issued. Either
// change reaches the workers as a new snapshot (fresh TLS contexts around
// the new ring) and, on the primary, the peer through stream 0.
void Node::ztna_ring_poll() {
  if (node_.ztna.access_proxies.empty() || dataplane_ == nullptr) return;
  auto now = std::chrono::steady_clock::now();
  bool changed = false;
  if (!data_active_) {
    changed = ztna_ring_take_peer();
  } else if (now - ztna_ring_rotated_at_ >= std::chrono::seconds(dp::tls::kTicketKeyRotateS)) {
    if (!dp::tls::ticket_ring_rotate(&ztna_ring_)) {
      event_log().log(Severity::kError, "ZTNA: no random bytes for a new session-ticket key; keeping the current one");
    } else {
      event_log().log(Severity::kInfo, "ZTNA: new session-ticket key (ring version %" PRIu64 ")", ztna_ring_.version);
      changed = true;
    }
    ztna_ring_rotated_at_ = now;
  }
  if (!changed) return;
  std::string err;
  if (!republish(&err))
    event_log().log(Severity::kError, "ZTNA: cannot publish the session-ticket keys: %s", err.c_str());
}

std::vector<cli::Command> Node::sync_commands() {
  using cli::Args;
  return {
      {"diagnose sys ha sync", "",
       "session pickup streams: sequence, pending, lag, retransmits, bulk progress",
       [this](const Args&) {
         dp::SyncStreamView views[dp::kMaxWorkers];
         unsigned n = dataplane_ != nullptr
                          ? dp::dataplane_sync_view(dataplane_, views, dp::kMaxWorkers)
                          : 0;
         std::string out(64 * 1024, '\0');
         size_t len = dp::format_sync_views(views, n, out.data(), out.size());
         out.resize(std::min(len, out.size() - 1));
         if (n > 0) {
           const char* role = data_active_ ? "primary: sending its tables"
                              : dp::dataplane_sync_in_sync(dataplane_)
                                  ? "secondary: in sync with the primary"
                                  : "secondary: not in sync with the primary yet";
           const dp::HbdevHandoffCounters h = dp::dataplane_hbdev_handoffs(dataplane_);
           // Non-zero on a device that spreads by hash (dataplane/sync/sync.h).
           char handoffs[256];
           std::snprintf(handoffs, sizeof(handoffs),
                         "hbdev frames handed between queues: to the control lcore %llu "
                         "(heartbeats, other non-sync), to their stream's worker %llu, "
                         "dropped %llu\n",
                         static_cast<unsigned long long>(h.to_control),
                         static_cast<unsigned long long>(h.to_worker),
                         static_cast<unsigned long long>(h.dropped));
           out = std::string("session-pickup: enable, hbdev ") +
                 (sync_port_ >= 0 ? "attached" : "not attached (link down)") + ", " + role +
                 "\n" + handoffs + out;
         }
         return cli::Reply{true, out};
       }},
  };
}

}  // namespace tandem::daemon
