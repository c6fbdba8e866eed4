// The dataplane workers: one poll-mode loop per worker lcore that receives
// on its own RX queue of every data port, answers ARP and ICMP echo for the
// node's addresses in place, forwards transit IPv4 and drops (and counts)
// everything else; a port whose PortConf.active is false (HA secondary) is
// silent, and dataplane_send() is the control plane's way out. tandemd
// creates the Dataplane, launches it on its worker lcores, publishes config
// snapshots (RCU) and reads the counters; component tests drive one poll
// iteration at a time with dataplane_poll_once().
#pragma once

#include <cstddef>
#include <cstdint>

#include "dataplane/worker/worker_types.h"

struct rte_mbuf;

namespace tandem::dp {

inline constexpr uint32_t kDefaultSessionCapacity = 65536;
inline constexpr uint32_t kDefaultNeighCapacity = 1024;
// A loop that received frames and took longer than this was descheduled
// (a burst of kRxBurst frames costs tens of microseconds at most, a
// scheduler slice is milliseconds): its cycles go to stalled_cycles.
inline constexpr unsigned kStalledLoopUs = 250;

struct DataplaneParams {
  unsigned nb_workers;     // 1..kMaxWorkers; worker i uses queue i of every port
  unsigned idle_sleep_us;  // 0: never sleep (pure poll mode)
  unsigned socket_id;      // NUMA socket for the contexts (SOCKET_ID_ANY allowed)
  // Fixed at create: sessions per worker, neighbours per worker (0: defaults).
  uint32_t session_capacity = 0;
  uint32_t neigh_capacity = 0;
  uint32_t neigh_reachable_s = 0;  // a learnt MAC is used this long (0: 300 s)
  // Session pickup: each worker gets a sync stream (dataplane/sync) with a
  // resend queue of sync_window frames (0: kSyncDefaultWindow).
  bool session_sync = false;
  unsigned sync_window = 0;
  // TCP (dataplane/tcp/tcp_glue.h): each worker gets a TcpStack of this
  // many connections; 0: none, TCP to the node is dropped as unsupported.
  uint32_t tcp_max_conns = 0;
  // The ZTNA proxy on those stacks (dataplane/ztna/ztna_app.h): per-worker
  // connection state for tcp_max_conns connections.
  bool ztna = false;
};

// The clock workers read once per loop, in milliseconds. The default is the
// TSC; tests inject their own to drive session and neighbour timers.
using DataplaneClock = uint64_t (*)(void* arg);

// Owns the workers' contexts, the current snapshot and the RCU QSBR variable.
class Dataplane;

// Allocates everything (rte_zmalloc). nb_workers >= 1. Returns nullptr and
// fills *error on failure. Needs an initialised EAL.
Dataplane* dataplane_create(const DataplaneParams& params, const Snapshot& initial, char* error,
                            size_t error_len);
// Replaces the clock (nullptr: back to the TSC). Only while workers are not
// launched, before the first packet: timers already armed keep their times.
void dataplane_set_clock(Dataplane* dp, DataplaneClock clock, void* arg);
// Stops the workers if running, frees every buffered mbuf and the memory.
void dataplane_destroy(Dataplane* dp);

// Control side: publish a copy of `next` (with its route table built here),
// wait with rte_rcu_qsbr until every running worker has passed a quiescent
// state, then free the old one. Existing sessions keep their routing and
// policy decision. Safe while workers run. Returns 0, -EINVAL (bad
// snapshot) or -ENOMEM.
int dataplane_publish(Dataplane* dp, const Snapshot& next);

// Control-plane transmit path. The control lcore has no TX queue on data
// ports (each worker owns its queue), so it queues frames here (an MP/SC
// ring of kCtlTxRingSize) and worker 0 sends them on its TX queue of the
// port at the snapshot index `port_index` in its next loop (inline in
// dataplane_poll_once when not launched), counting ctl_tx_packets on the
// port. Takes ownership of the mbufs it accepts; returns how many (the
// caller frees the rest). Frames are sent even when the port is !active:
// the control plane uses it for gratuitous ARP at the moment of promotion,
// before or right after publishing the active snapshot. Never blocks (no
// lock, safe from any thread). Writes mbuf->port of all n frames (it carries
// port_index through the ring). A frame whose port_index is no longer in
// the snapshot when worker 0 dequeues it is freed. Latency: the next loop
// of worker 0, or at most idle_sleep_us later when it is asleep.
inline constexpr unsigned kCtlTxRingSize = 1024;
unsigned dataplane_send(Dataplane* dp, unsigned port_index, rte_mbuf** pkts, unsigned n);

// An fd that polls readable (POLLIN) while RX queue `queue` of ethdev
// port_id holds frames (drivers::PortInfo::rx_wait_fds: an AF_XDP queue's
// socket); -1 forgets it. A worker that naps (idle_sleep_us > 0) waits on
// the fds of the ports it polls, so a frame on one of them ends the nap at
// once instead of after idle_sleep_us; ports without one are served when
// the nap ends, as before. Only while workers are not launched.
void dataplane_set_rx_wait_fd(Dataplane* dp, uint16_t port_id, unsigned queue, int fd);

// Launches worker i on lcore lcore_ids[i] (rte_eal_remote_launch); worker i
// uses RX and TX queue i on every port of the snapshot. nb_lcores must equal
// nb_workers. Returns 0 or -errno.
int dataplane_launch(Dataplane* dp, const unsigned* lcore_ids, unsigned nb_lcores);
// Asks workers to stop and waits for them (rte_eal_wait_lcore). Idempotent.
void dataplane_stop(Dataplane* dp);

// Waits until every running worker has finished the loop it is in (an RCU
// grace period: a worker reports a quiescent state at the end of each loop,
// and a sleeping one is offline), so whatever a worker could have read
// before the call, in an rte_eth_rx_burst or tx_burst, is no longer in
// use. Any thread; never from a worker. False when `timeout_us` passed
// first (a worker descheduled for that long).
bool dataplane_quiesce(Dataplane* dp, uint64_t timeout_us);

// The watchdog's switch, any thread: while set, every data port drops what
// it receives (drop_silenced) and sends nothing (tx_silenced), whatever
// its PortConf.active says; the snapshot is untouched, so clearing it gives
// each port its HA role back. Workers read it once per loop. A switch and
// not a snapshot with every port standby: the thread that publishes
// snapshots is the one that hung, and may hold the publish lock. tandemd's
// heartbeat keeper sets it when the control lcore has been hung so long
// that the peer takes over (docs/ha.md, "The watchdog").
void dataplane_set_silenced(Dataplane* dp, bool silenced);
bool dataplane_silenced(const Dataplane* dp);

// One poll iteration of worker i in the caller's thread; returns the number
// of packets received. Returns 0 without polling while workers are launched
// (a queue has exactly one poller).
unsigned dataplane_poll_once(Dataplane* dp, unsigned worker);

// Every worker's neighbour table (`get system arp`), worker by worker: up
// to max entries into out, the number of entries into *total (may exceed
// max). Returns the number written, -ETIMEDOUT when a worker did not answer
// within timeout_ms, -EINVAL on bad arguments. Control threads only.
int dataplane_neigh_list(Dataplane* dp, NeighView* out, unsigned max, unsigned* total,
                         unsigned timeout_ms);

// Counters summed over workers on demand (each worker writes only its own).
PortCounters dataplane_port_counters(const Dataplane* dp, unsigned port_index);
PortCounters dataplane_worker_port_counters(const Dataplane* dp, unsigned worker,
                                            unsigned port_index);
unsigned dataplane_nb_workers(const Dataplane* dp);

// The counters as a table (name, help, field), for `diagnose` output and
// metrics; see worker_format.cc.
struct PortCounterField {
  const char* name;
  const char* help;
  uint64_t PortCounters::*field;
};
extern const PortCounterField kPortCounterFields[];
extern const size_t kNbPortCounterFields;

// Writes "name value" lines for every counter into buf (always
// NUL-terminated). Returns the length it needed, like snprintf.
size_t format_port_counters(const PortCounters& counters, char* buf, size_t buf_len);

}  // namespace tandem::dp
