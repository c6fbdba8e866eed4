// Internal to dataplane/: the Dataplane object and the per-worker context
// that the worker loop (worker.cc), the forwarding stage (forward/) and the
// session control API (session/session.cc) share. tandemd never includes it.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>

#include <rte_common.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "dataplane/firewall/firewall_types.h"
#include "dataplane/log/log_types.h"
#include "dataplane/neigh/neigh_types.h"
#include "dataplane/route/route_types.h"
#include "dataplane/session/session_table.h"
#include "dataplane/session/session_types.h"
#include "dataplane/sync/sync_stream.h"
#include "dataplane/worker/worker.h"
#include "dataplane/worker/worker_inl.h"
#include "dataplane/worker/worker_types.h"
#include "drivers/port/unmap_guard.h"

namespace tandem::dp {

struct TcpGlue;  // dataplane/tcp/tcp_glue.h

inline constexpr unsigned kRssKeyLen = 40;
// Ethdev's default redirection table maps entry i to queue i % nb_queues;
// 128 entries is what most PMDs report (and what net_ring would have).
inline constexpr unsigned kDefaultRetaSize = 128;

// What workers read: the daemon's snapshot plus what the control side
// derived from it (the route table). Swapped and freed as one under RCU.
struct ActiveConfig {
  Snapshot snap;
  RouteTable routes;
  SessionTimers timers;  // snap.session_timers with defaults filled in
  // One more (mod 256) at each publish that changes the timers: an entry
  // armed under another one is re-armed on its next packet, so its
  // timeout_s follows the changed timers (session_touch).
  uint8_t timers_gen;
  // Every port's addresses in one array: a transit frame's destination is
  // checked against it (is it for the node?) without walking the ports.
  uint32_t local_addrs_be[kMaxPorts * kMaxPortAddrs];
  unsigned nb_local_addrs;
  // Bit local_addr_bit(a) set for each of them: a transit frame's
  // destination (not the node's, nearly always) is told so without the
  // walk, except for the few whose bit another address set.
  uint64_t local_addr_bits;
  // Each port's MAC as one word (worker.cc's mac_word): the RX pass
  // compares every frame's addresses with it.
  uint64_t port_mac_words[kMaxPorts];
};

// Which bit of ActiveConfig::local_addr_bits stands for address ip_be.
inline unsigned local_addr_bit(uint32_t ip_be) { return (ip_be * 0x9e3779b1u) >> 26; }

struct TxBuffer {
  uint16_t port_id;     // where the waiting frames go (fixed when the first is queued)
  uint16_t nb_pkts;
  uint64_t oldest_tsc;  // when the first waiting frame was queued
  rte_mbuf* pkts[kTxBurst];
};

struct alignas(RTE_CACHE_LINE_SIZE) AlignedPortCounters {
  PortCounters counters;
};

// Transit counters of one worker (written by it only).
struct alignas(RTE_CACHE_LINE_SIZE) ForwardCounters {
  uint64_t forwarded, handoffs, arp_requests_sent, arp_learned, implicit_deny;
  uint64_t drops[kNbFwdDrops];
};

struct PolicyCounter {
  uint64_t hits, bytes;
};

// A control-side request run on the owning worker through its mailbox
// (worker_mailbox.h): `diagnose sys session list|clear` or `get system arp`.
enum class WorkerRequestKind : uint8_t { kSessions, kNeighbours };
struct WorkerRequest {
  WorkerRequestKind kind;
  // kSessions: out/max take the matching sessions, or clear deletes them.
  bool clear;
  SessionFilter filter;
  SessionView* out;
  // kNeighbours: neigh_out/max take the table's entries.
  NeighView* neigh_out;
  unsigned max;
  unsigned written, matched, cleared;
  // The worker's progress through its table: a request is served over as
  // many loops as it takes, a slice per loop (session.cc).
  uint32_t cursor;
  std::atomic<bool> done;
};

// Everything one worker touches on the fast path; only that worker writes it
// (counters are also read, never written, by the control side).
struct alignas(RTE_CACHE_LINE_SIZE) WorkerContext {
  Dataplane* dp;
  unsigned index;     // worker number = RX/TX queue id = RCU thread id
  unsigned lcore_id;  // set by dataplane_launch
  unsigned idle_loops;
  uint64_t now_ms;    // clock at the start of the current loop
  uint64_t now_tsc;   // TSC at the start of the current loop (TX drain timing)
  // First TSC of the millisecond after now_ms (TSC clock only): the loop
  // divides only when it passes it, not on every turn.
  uint64_t next_ms_tsc;
  // Bit p: tx[p] holds frames. The end of every loop looks at these
  // buffers; with the bits it does not touch the idle ones' cache lines,
  // which a burst of session lookups has evicted.
  uint32_t tx_pending;
  // Whether the current loop handed frames to a data port, and the last
  // port (busy-loop accounting: a loop that only sent did work too).
  bool loop_sent;
  uint8_t loop_tx_port;
  // Which memif ports are mapped and may be polled (every rx/tx burst of
  // this worker asks it first; drivers/port/unmap_guard.h).
  drivers::LinkGate link_gate;
  uint64_t next_neigh_scan_ms;
  SessionTable* sessions;
  NeighTable* neigh;
  rte_ring* handoff;      // mbufs other workers found to be ours (MP/SC)
  rte_ring* neigh_learn;  // NeighLearn records from the other workers (MP/SC)
  std::atomic<WorkerRequest*> mailbox;
  WorkerRequest* serving;  // taken from the mailbox, not done yet (worker only)
  uint64_t mailbox_due_tsc;  // the mailbox is served by then even under a backlog
  // Raised (1) by the worker the first time a new flow finds the table full
  // and taken (exchanged to 0) by the control side; re-armed once usage
  // falls back under kFullRearmPercent.
  std::atomic<uint8_t> full_alert;
  bool full_latched;
  TxBuffer tx[kMaxPorts];  // indexed like Snapshot::ports (see tx_pending)
  AlignedPortCounters port_counters[kMaxPorts];
  ForwardCounters fwd;
  PolicyCounter policy[kMaxPolicies];
  // Session pickup (dataplane/sync): this worker's stream, nullptr when the
  // dataplane was created without it.
  SyncStream* sync;
  // Sync frames of this worker's stream that arrived on another hbdev
  // queue (no steering on the device): MP enqueue, SC dequeue here.
  rte_ring* sync_in;
  uint64_t sync_snap_generation;  // snapshot the stream was last configured from
  uint64_t sync_bulk_generation;  // stream generation the bulk walk belongs to
  uint32_t sync_bulk_cursor;      // next table index to walk
  uint32_t sync_bulk_sent;
  bool sync_bulk_active;
  uint64_t now_us;                // TSC-derived, for the stream's timers
  // The worker's TCP stack and its glue, nullptr without tcp_max_conns.
  // Other workers read it (hand-offs) with an acquire load: it can appear
  // at run time (dataplane_ztna_start hands a stack over in tcp_adopt,
  // which the worker moves here between loops).
  TcpGlue* tcp;
  TcpGlue* tcp_adopt;
  // Traffic logs (dataplane/log): records for the control loop, SP/SC.
  rte_ring* log_ring;
  TrafficLogCounters log;
  uint64_t log_deny_second;  // the second log_deny_count counts in
  uint32_t log_deny_count;
  // The snapshot of the current loop, for hooks called from inside it
  // (session expiry); nullptr between loops.
  const ActiveConfig* loop_cfg;
  bool silenced;  // Dataplane::silenced_ as of this loop's start
};

inline constexpr unsigned kFullRearmPercent = 90;

class Dataplane {
 public:
  DataplaneParams params_{};
  uint64_t drain_tsc_ = 0;
  uint64_t mailbox_slice_tsc_ = 0;  // a mailbox request's share of one loop
  uint64_t mailbox_under_load_tsc_ = 0;  // the mailbox's period while RX queues back up
  uint64_t tsc_per_ms_ = 1;  // rte_get_tsc_hz() / 1000, fixed at create
  uint64_t neigh_reachable_ms_ = 0;
  DataplaneClock clock_ = nullptr;
  void* clock_arg_ = nullptr;
  uint8_t rss_key_[kRssKeyLen] = {};
  std::atomic<ActiveConfig*> config_{nullptr};
  std::atomic<bool> stop_{false};
  std::atomic<bool> launched_{false};  // written under control_mutex_
  // dataplane_set_silenced: every data port drops and sends nothing. Read
  // once per worker loop (WorkerContext::silenced).
  std::atomic<bool> silenced_{false};
  rte_rcu_qsbr* qsbr_ = nullptr;
  std::mutex control_mutex_;  // serialises publish/launch/stop/mailbox (control side only)
  // dataplane_send() frames for worker 0, mbuf->port = snapshot port index
  // (MP enqueue from any control thread, SC dequeue by worker 0).
  rte_ring* ctl_tx_ = nullptr;
  WorkerContext* workers_[kMaxWorkers] = {};
  // Session pickup: the hbdev's ethdev port (-1: none, or being restarted);
  // worker i uses its queue i+1. Frames are built in sync_pool_.
  std::atomic<int> sync_port_{-1};
  rte_mempool* sync_pool_ = nullptr;
  // Frames a worker found on its sync queue that are not sync frames
  // (heartbeats on a device that spreads by hash, net_af_packet's fanout):
  // MP enqueue by the workers, SC dequeue by the control lcore.
  rte_ring* hbdev_ctl_ = nullptr;
  std::atomic<uint64_t> hbdev_to_control_{0};
  std::atomic<uint64_t> hbdev_to_worker_{0};
  std::atomic<uint64_t> hbdev_handoff_dropped_{0};
  uint64_t tsc_per_us_ = 1;
  uint64_t stalled_loop_tsc_ = 0;  // kStalledLoopUs in TSC cycles
  // dataplane_set_rx_wait_fd: [ethdev port][worker], -1 = none.
  int rx_wait_fd_[RTE_MAX_ETHPORTS][kMaxWorkers];
};

uint64_t dataplane_now_ms(const Dataplane* dp);

// TX batching, shared by the responders and the forwarding stage.
void tx_flush(WorkerContext* w, unsigned port_index);
void tx_enqueue(WorkerContext* w, unsigned port_index, uint16_t port_id, rte_mbuf* m);

// Frees every mbuf left in r (a null r is fine); the ring itself stays.
void free_ring_mbufs(rte_ring* r);

// The kinds' handlers, on the worker (session.cc, forward.cc).
// session_mailbox_serve walks the table from req->cursor and stops once the
// TSC reaches deadline_tsc (after at least one stretch of entries); true
// when the walk reached the table's end.
bool session_mailbox_serve(WorkerContext* w, WorkerRequest* req, uint64_t deadline_tsc);
void forward_neigh_list(WorkerContext* w, WorkerRequest* req);

}  // namespace tandem::dp
