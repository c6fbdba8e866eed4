// The TCP engine (dataplane/tcp/tcp.h) on the worker lcores: one TcpStack
// per worker, created with the dataplane when DataplaneParams::tcp_max_conns
// asks for it. The worker loop calls tcp_glue_input() for every TCP frame
// addressed to the node (it verifies checksums, steers a stray segment to
// the worker that owns its flow and feeds the engine), tcp_glue_poll() once
// per loop (hand-offs, listeners from the snapshot, timers, CLI mailbox) and
// tcp_glue_nap_us() before an idle nap. What the engine emits becomes an
// mbuf from the glue's own pool and leaves through the route and neighbour
// tables and the worker's TX batching. The test service (tcp_service.cc)
// is the first application. Internal to dataplane/ (takes WorkerContext);
// tandemd uses tcp_diag.h.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dataplane/packet/packet_types.h"
#include "dataplane/tcp/tcp_glue_types.h"
#include "dataplane/worker/worker_context.h"

namespace tandem::dp {

// The engine's types stay out of this header: worker.cc includes it next to
// session_inl.h, whose TCP flag constants clash with tcp_types.h's.
struct TcpCallbacks;
struct TcpConn;
struct TcpStack;
struct TcpTuple;
// Per-connection state of the test service, indexed by TcpConn::id.
struct TcpServiceConn;
// A `diagnose sys tcp list|stat` request, run on the owning worker (tcp_glue.cc).
struct TcpDiagRequest;
// The ZTNA proxy's per-worker state (dataplane/ztna/ztna_app.h).
struct ZtnaApp;

struct TcpGlue {
  WorkerContext* w;
  TcpStack* stack;
  rte_mempool* pool;             // TX frames the engine emits
  rte_ring* handoff;             // TCP frames other workers found to be ours (MP/SC)
  const ActiveConfig* cfg;       // the loop's snapshot, valid while the engine runs
  uint64_t now_us;
  uint64_t snap_generation;      // listeners were last set from this snapshot
  bool snap_seen;
  TcpServiceConf service;        // what the listeners are
  int echo_listener, http_listener;
  uint16_t ip_id;
  TcpServiceConn* conns;         // stack->cfg.max_conns entries
  const uint8_t* pattern;        // kTcpPatternBlock bytes, see tcp_service_pattern
  std::atomic<TcpDiagRequest*> mailbox;
  ZtnaApp* ztna;                 // DataplaneParams::ztna, else nullptr
  ZtnaApp* ztna_adopt;           // handed over by dataplane_ztna_start, taken between loops
  TcpGlueCounters counters;
};

// The stack's shape per worker. Buffers: 128 KiB each way per connection
// (a window that fills a few ms of RTT at the lab's rates); SYN_RECEIVED
// connections per listener before SYNs are answered with cookies.
inline constexpr uint32_t kTcpGlueBufBytes = 128 * 1024;
inline constexpr uint32_t kTcpGlueSynBacklog = 64;
// A listener's backlog on a stack of `table` slots: at most a quarter of
// the table, so the two test listeners' half-open connections never fill
// it and a flood still leaves slots for cookie-validated connections (a
// cookie ACK that finds the table full is dropped).
inline uint32_t tcp_glue_syn_backlog(uint32_t table) {
  uint32_t quarter = table / 4 > 0 ? table / 4 : 1;
  return quarter < kTcpGlueSynBacklog ? quarter : kTcpGlueSynBacklog;
}
inline constexpr unsigned kTcpGlueHandoffRing = 1024;
// An idle worker with live connections naps at most this long, so timers
// (1 ms wheel tick, 40 ms delayed ACK, 200 ms RTO) fire on time whatever
// idle-sleep the operator set.
inline constexpr unsigned kTcpGlueMaxNapUs = 1000;

// At dataplane_create, after the worker's tables. nullptr on no memory.
TcpGlue* tcp_glue_create(Dataplane* dp, WorkerContext* w);
// Frees the stack, pool and ring (connections just vanish).
void tcp_glue_destroy(TcpGlue* g);

// dataplane_set_clock: the stack restarts empty on the new clock (its timer
// wheel only moves forward, so it cannot follow a clock that jumps back).
// Listeners come back from the snapshot at the next poll.
void tcp_glue_restart_clock(TcpGlue* g);

// A TCP frame to one of the node's addresses on an active port, or the
// echo reply to one of its health pings. Takes m and returns true, or
// returns false (neither) and leaves m alone.
bool tcp_glue_input(WorkerContext* w, const ActiveConfig& cfg, unsigned port_index, rte_mbuf* m,
                    const ParsedFrame& frame);
// Once per loop: hand-offs, listeners, timers, mailbox. Returns the frames
// it took from the hand-off ring (work done: the loop is not idle).
unsigned tcp_glue_poll(WorkerContext* w, const ActiveConfig& cfg);
// How long an idle worker may nap: idle_sleep_us, capped while connections live.
unsigned tcp_glue_nap_us(const WorkerContext* w, unsigned idle_sleep_us);

// Active open from this worker: the source port is one whose symmetric RSS
// hash brings the peer's answers back to this worker (tcp_glue_port_is_ours).
TcpConn* tcp_glue_connect(WorkerContext* w, uint32_t local_ip, uint32_t remote_ip,
                          uint16_t remote_port, const TcpCallbacks* cb, void* app);
// The TcpPortFilter tcp_glue_connect uses (ctx: the WorkerContext).
bool tcp_glue_port_is_ours(void* ctx, const TcpTuple& tuple);

// ICMP echo for the access proxy's `health-check-proto ping`: a request
// from the node's address local_ip (host order) to remote_ip, identifier
// kTcpGluePingTag | the worker, sequence `seq`; false when it cannot go
// (no route, no mbuf). The reply comes back to the same worker (handed
// over by whichever received it) and goes to ztna_app_ping_reply.
inline constexpr uint16_t kTcpGluePingTag = 0x5400;  // "T"
bool tcp_glue_send_ping(WorkerContext* w, uint32_t local_ip, uint32_t remote_ip, uint16_t seq);

// The test service (tcp_service.cc): its listeners follow the snapshot.
void tcp_service_configure(TcpGlue* g, const TcpServiceConf& conf);
void tcp_service_init_pattern(uint8_t* block);
inline constexpr uint32_t kTcpPatternBlock = 65536;
inline constexpr uint32_t kTcpPatternStep = 4099;  // rotation per block, see tcp_service_pattern
size_t tcp_service_conn_memsize(uint32_t max_conns);

}  // namespace tandem::dp
