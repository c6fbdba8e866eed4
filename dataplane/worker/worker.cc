#include "dataplane/worker/worker.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <new>

#include <poll.h>
#include <time.h>

#include <rte_arp.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "dataplane/arp/arp.h"
#include "dataplane/forward/forward.h"
#include "dataplane/forward/forward_inl.h"
#include "dataplane/log/log.h"
#include "dataplane/icmp/icmp.h"
#include "dataplane/neigh/neigh.h"
#include "dataplane/packet/parse.h"
#include "dataplane/route/route.h"
#include "dataplane/session/session_inl.h"
#include "dataplane/session/session_types.h"
#include "dataplane/sync/sync_inl.h"
#include "dataplane/worker/worker_mailbox.h"
#include "dataplane/tcp/tcp_glue.h"
#include "dataplane/worker/worker_context.h"
#include "dataplane/worker/worker_inl.h"
#include "hw/nic/rss.h"

namespace tandem::dp {
namespace {

constexpr unsigned kPrefetchOffset = 3;  // frames prefetched ahead of the one parsed
constexpr uint64_t kTxDrainUs = 100;     // longest a reply waits in a TX buffer
// Empty loops before an idle worker may sleep: long enough that a burst gap
// under load never triggers it, short enough (a few µs of polling) that an
// idle node gives the shared cores back quickly.
constexpr unsigned kIdleLoopsBeforeSleep = 256;
// Hand-off and learn rings: a few bursts of strays; overflow is counted.
constexpr unsigned kHandoffRingSize = 1024;
constexpr unsigned kLearnRingSize = 256;
constexpr unsigned kHandoffBurst = 32;
constexpr uint64_t kNeighScanMs = 100;  // neighbour probe/timeout granularity
// Work a loop may spend on the session table's upkeep besides its frames:
// wheel entries walked by expiry, and the time a `diagnose sys session
// list|clear` walks the table. A million sessions that started together
// expire (or are re-armed) together, and a list walks every slot: done at
// once, either would hold the RX queues for 5-8 ms (1 M entries).
constexpr unsigned kExpireBudget = 256;
constexpr uint64_t kMailboxSliceUs = 20;
// A CLI walk is optional work: its slices go to loops that found every RX
// queue short of a full burst (the worker keeps up, and the queues' slack
// absorbs a slice), and under a backlog to one loop per this period, so
// that it always moves on. Expiry is not optional (under a flood of new
// flows it frees the entries the next ones need): it runs every loop.
constexpr uint64_t kMailboxUnderLoadUs = 1000;
// Control-plane frames worker 0 takes per loop: a promotion's gratuitous
// ARPs (one per address per port) fit in a loop or two.
constexpr unsigned kCtlTxBurst = 32;

uint64_t tsc_clock_ms(void*) { return rte_rdtsc() / (rte_get_tsc_hz() / 1000); }

static_assert(kMaxPorts <= 32, "WorkerContext::tx_pending has a bit per port");

// The loop's clock from the TSC it already read, without a call into EAL
// (it showed in profiles of idle loops) and dividing by the rate fixed at
// create time only once per millisecond (the division was 8 % of an idle
// loop): the same now_ms as dividing on every loop.
inline void loop_clock(const Dataplane* dp, WorkerContext* w) {
  if (dp->clock_ != nullptr) {
    w->now_ms = dp->clock_(dp->clock_arg_);
  } else if (w->now_tsc >= w->next_ms_tsc) {
    w->now_ms = w->now_tsc / dp->tsc_per_ms_;
    w->next_ms_tsc = (w->now_ms + 1) * dp->tsc_per_ms_;
  }
}

int socket_arg(const Dataplane* dp) { return static_cast<int>(dp->params_.socket_id); }

bool validate_snapshot(const Snapshot& s, char* error, size_t error_len) {
  if (s.nb_ports > kMaxPorts) {
    std::snprintf(error, error_len, "snapshot has %u ports, at most %u are supported",
                  unsigned{s.nb_ports}, kMaxPorts);
    return false;
  }
  for (unsigned p = 0; p < s.nb_ports; ++p) {
    const PortConf& port = s.ports[p];
    if (port.nb_addrs > kMaxPortAddrs) {
      std::snprintf(error, error_len, "port %u has %u addresses, at most %u are supported", p,
                    unsigned{port.nb_addrs}, kMaxPortAddrs);
      return false;
    }
    if (!rte_eth_dev_is_valid_port(port.port_id)) {
      std::snprintf(error, error_len, "port %u: ethdev %u does not exist", p,
                    unsigned{port.port_id});
      return false;
    }
    for (unsigned q = 0; q < p; ++q) {
      if (s.ports[q].port_id == port.port_id) {
        std::snprintf(error, error_len, "ethdev %u appears twice in the snapshot",
                      unsigned{port.port_id});
        return false;
      }
    }
  }
  if (s.nb_routes > kMaxRoutes) {
    std::snprintf(error, error_len, "snapshot has %u routes, at most %u are supported",
                  unsigned{s.nb_routes}, kMaxRoutes);
    return false;
  }
  for (unsigned r = 0; r < s.nb_routes; ++r) {
    if (s.routes[r].depth > 32 || s.routes[r].port_index >= s.nb_ports) {
      std::snprintf(error, error_len, "route %u: depth %u or port index %u is out of range", r,
                    unsigned{s.routes[r].depth}, unsigned{s.routes[r].port_index});
      return false;
    }
  }
  const FirewallConf& fw = s.firewall;
  if (fw.nb_addrs > kMaxFwAddrRanges || fw.nb_services > kMaxFwServices ||
      fw.nb_policies > kMaxPolicies) {
    std::snprintf(error, error_len, "firewall pools too large (%u addresses, %u services, %u "
                  "policies; at most %u, %u, %u)", unsigned{fw.nb_addrs},
                  unsigned{fw.nb_services}, unsigned{fw.nb_policies}, kMaxFwAddrRanges,
                  kMaxFwServices, kMaxPolicies);
    return false;
  }
  return true;
}

// Worker i polls queue i: every port needs a queue per worker.
bool check_queues(const Snapshot& s, unsigned nb_workers) {
  for (unsigned p = 0; p < s.nb_ports; ++p) {
    rte_eth_dev_info info;
    if (rte_eth_dev_info_get(s.ports[p].port_id, &info) != 0) return false;
    if (info.nb_rx_queues < nb_workers || info.nb_tx_queues < nb_workers) return false;
  }
  return true;
}

// A MAC address as the low 48 bits of a little-endian word, as an 8-byte
// load from its first byte reads it (kMacMask keeps those bits).
static_assert(std::endian::native == std::endian::little, "mac_word reads little-endian words");
inline constexpr uint64_t kMacMask = (uint64_t{1} << 48) - 1;
uint64_t mac_word(const uint8_t* mac) {
  uint64_t v = 0;
  std::memcpy(&v, mac, RTE_ETHER_ADDR_LEN);
  return v;
}

// The control side's half of a generation: copy, route table, timers,
// and what the RX pass compares frames with.
ActiveConfig* build_config(const Dataplane* dp, const Snapshot& from) {
  auto* c = static_cast<ActiveConfig*>(rte_zmalloc_socket("tandem_config", sizeof(ActiveConfig),
                                                          RTE_CACHE_LINE_SIZE, socket_arg(dp)));
  if (c == nullptr) return nullptr;
  c->snap = from;
  route_table_build(c->snap.routes, c->snap.nb_routes, &c->routes);
  c->timers = session_timers_or_default(from.session_timers);
  for (unsigned p = 0; p < c->snap.nb_ports; ++p) {
    c->port_mac_words[p] = mac_word(c->snap.ports[p].mac.addr_bytes);
    for (unsigned i = 0; i < c->snap.ports[p].nb_addrs; ++i)
      c->local_addrs_be[c->nb_local_addrs++] = c->snap.ports[p].addrs[i].ip_be;
  }
  for (unsigned i = 0; i < c->nb_local_addrs; ++i)
    c->local_addr_bits |= uint64_t{1} << local_addr_bit(c->local_addrs_be[i]);
  return c;
}

void tx_flush_all(WorkerContext* w) {
  for (unsigned p = 0; p < kMaxPorts; ++p) tx_flush(w, p);
}

bool node_owns_address(const ActiveConfig& cfg, uint32_t ip_be) {
  if (!((cfg.local_addr_bits >> local_addr_bit(ip_be)) & 1)) return false;
  for (unsigned i = 0; i < cfg.nb_local_addrs; ++i)
    if (cfg.local_addrs_be[i] == ip_be) return true;
  return false;
}

Verdict classify_ipv4(rte_mbuf* m, const uint8_t* data, const ParsedFrame& frame,
                      const PortConf& port, PortCounters& c) {
  if (frame.ip_proto != kIpProtoIcmp)
    // TCP/UDP to the node is the proxy's (issue 3 onward).
    return port_owns_address(port, frame.ip_dst_be) ? Verdict::kDropUnsupported
                                                    : Verdict::kDropNotLocal;
  if (icmp_is_echo_request(data, frame)) counter_add(c.icmp_echo_requests, 1);
  Verdict v = icmp_answer_echo_mbuf(m, frame, port);
  if (v == Verdict::kTransmit) counter_add(c.icmp_echo_replies, 1);
  return v;
}

// Where a frame of a burst goes. The RX pass tells it (classify_frame)
// while it has the header in hand; handle_frame acts on it.
enum class FrameClass : uint8_t {
  kTransit,      // IPv4 to the port's MAC, not to the node: forwarded
  kOwnMac,       // sent from the port's own MAC
  kSilent,       // the port is standby or silenced
  kMalformed,    // the parser refused it
  kNotLocal,     // neither to the port's MAC nor broadcast
  kArp,
  kLocal,        // IPv4 to one of the node's addresses, or broadcast
  kUnsupported,  // IPv6, LLDP, ...
};

// The class of the frame in [data, data + len) received on a port whose
// MAC is port_mac (ActiveConfig::port_mac_words), parsed (frame, parsed)
// unless the port is not active. Each MAC is compared as one word.
[[gnu::always_inline]] inline FrameClass classify_frame(const uint8_t* data, uint32_t len,
                                                        const ParsedFrame& frame,
                                                        DropReason parsed, bool active,
                                                        uint64_t port_mac,
                                                        const ActiveConfig& cfg) {
  // A frame whose Ethernet source is the port's own (virtual) MAC was sent
  // by another box that holds it: on an active port that is the HA
  // split-brain signal the control plane watches. Checked before the role:
  // the signal matters on a standby port too. Never processed further:
  // learning or answering it would teach the segment that we are the
  // other box.
  if (len >= 2 * RTE_ETHER_ADDR_LEN) {
    uint64_t src;
    std::memcpy(&src, data + 4, sizeof(src));  // bytes 4-11: the source is 6-11
    if (src >> 16 == port_mac) return FrameClass::kOwnMac;
  }
  // An HA secondary's port is silent: no answer, no forwarding, no
  // learning (the neighbour entries it has stay and age as usual). So is
  // every port the watchdog silenced.
  if (!active) return FrameClass::kSilent;
  if (parsed != DropReason::kNone) return FrameClass::kMalformed;
  uint64_t dst;  // a parsed frame holds an Ethernet header
  std::memcpy(&dst, data, sizeof(dst));
  dst &= kMacMask;
  const bool broadcast = dst == kMacMask;
  // Promiscuous ports and multicast we do not join.
  if (dst != port_mac && !broadcast) return FrameClass::kNotLocal;
  if (frame.ether_type == kEtherTypeArp) return FrameClass::kArp;
  if (frame.ether_type != kEtherTypeIpv4) return FrameClass::kUnsupported;
  if (broadcast || node_owns_address(cfg, frame.ip_dst_be)) return FrameClass::kLocal;
  return FrameClass::kTransit;
}

// One frame of a burst, parsed (and its flow hashed) and classified by
// handle_burst; `found` is its flow's session when the burst's prefetch
// pass found it in its home entry (session_pipeline), else nullptr.
void handle_frame(WorkerContext* w, const ActiveConfig& cfg, unsigned port_index, FrameClass cls,
                  rte_mbuf* m, const ParsedFrame& frame, const FlowKey& flow, Session* found) {
  // Nearly every frame: one compare, not the switch's jump table.
  if (cls == FrameClass::kTransit)
    return forward_ipv4(w, cfg, port_index, m, frame, flow, found, false);  // takes the mbuf

  const PortConf& port = cfg.snap.ports[port_index];
  PortCounters& c = w->port_counters[port_index].counters;
  const uint8_t* data = rte_pktmbuf_mtod(m, const uint8_t*);
  Verdict v = Verdict::kDropOther;  // every class below sets it
  switch (cls) {
    case FrameClass::kTransit: break;  // forwarded above
    case FrameClass::kOwnMac:
      counter_add(c.rx_own_mac_foreign, 1);
      if ((data[0] & 0x01) == 0) counter_add(c.rx_own_mac_answer, 1);
      rte_pktmbuf_free(m);
      return;
    case FrameClass::kSilent:
      counter_add(w->silenced ? c.drop_silenced : c.drop_standby, 1);
      rte_pktmbuf_free(m);
      return;
    case FrameClass::kMalformed: v = Verdict::kDropMalformed; break;
    case FrameClass::kNotLocal: v = Verdict::kDropNotLocal; break;
    case FrameClass::kArp: {
      if (frame.arp_op == RTE_ARP_OP_REQUEST) counter_add(c.arp_requests, 1);
      // Learn before answering: the answer rewrites the frame in place.
      bool learnt = forward_learn_from_arp(w, cfg, port_index, data, frame);
      v = arp_answer_mbuf(m, frame, port);
      if (v == Verdict::kTransmit) counter_add(c.arp_replies, 1);
      if (learnt && frame.arp_op == RTE_ARP_OP_REPLY) {
        rte_pktmbuf_free(m);  // consumed: it answered our request
        return;
      }
      break;
    }
    case FrameClass::kLocal:
      // TCP to the node: the worker's TCP stack (dataplane/tcp/tcp_glue).
      if (w->tcp != nullptr && tcp_glue_input(w, cfg, port_index, m, frame)) return;
      v = classify_ipv4(m, data, frame, port, c);
      break;
    case FrameClass::kUnsupported: v = Verdict::kDropUnsupported; break;
  }

  switch (v) {
    case Verdict::kTransmit:
      tx_enqueue(w, port_index, port.port_id, m);
      return;
    case Verdict::kDropMalformed: counter_add(c.drop_malformed, 1); break;
    case Verdict::kDropNotLocal: counter_add(c.drop_not_local, 1); break;
    case Verdict::kDropUnsupported: counter_add(c.drop_unsupported, 1); break;
    case Verdict::kDropPingDenied: counter_add(c.drop_ping_denied, 1); break;
    case Verdict::kDropOther: counter_add(c.drop_other, 1); break;
  }
  rte_pktmbuf_free(m);
}

// One RX burst in two passes, so that the session table's memory is on its
// way before a frame needs it (at 1 M sessions a lookup was half of the
// worker's time, stalled on the table's lines): parse every frame, tell
// where it goes (classify_frame), hash its flow and find its home entry
// (session_home, once for the prefetches and the lookup); then handle the
// frames in order, with the table's lines of the frames ahead in flight
// (session_pipeline, which says how; the parse sends the first two
// groups' home entries). The first pass only
// reads the frames, so the frames are handled exactly as they would be
// one by one.
void handle_burst(WorkerContext* w, const ActiveConfig& cfg, unsigned port_index,
                  rte_mbuf** pkts, uint16_t n) {
  ParsedFrame frames[kRxBurst];
  FlowKey flows[kRxBurst];
  bool has_flow[kRxBurst];
  FrameClass cls[kRxBurst];
  const uint64_t port_mac = cfg.port_mac_words[port_index];
  const SessionTable* table = w->sessions;
  auto flow_of = [&](unsigned i, uint32_t* home, const SessionKey** key) {
    if (!has_flow[i]) return false;
    *home = flows[i].home;
    *key = &flows[i].key;
    return true;
  };
  // A standby (or silenced) port parses no frame: its frames are told
  // apart by their source MAC alone (classify_frame).
  bool active = cfg.snap.ports[port_index].active && !w->silenced;
  for (uint16_t i = 0; i < n && i < kPrefetchOffset; ++i)
    rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void*));
  uint64_t rx_bytes = 0;
  for (uint16_t i = 0; i < n; ++i) {
    if (i + kPrefetchOffset < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + kPrefetchOffset], void*));
    rx_bytes += rte_pktmbuf_pkt_len(pkts[i]);
    has_flow[i] = false;
    // Headers are read from the first segment only; a chain whose headers
    // straddle segments parses as truncated.
    const uint8_t* data = rte_pktmbuf_mtod(pkts[i], const uint8_t*);
    uint32_t len = rte_pktmbuf_data_len(pkts[i]);
    if (!active) {
      cls[i] = classify_frame(data, len, frames[i], DropReason::kNone, false, port_mac, cfg);
      continue;
    }
    // Untagged IPv4 UDP/TCP inline; anything else through the general parser.
    // Each branch classifies its own frames: what the parse established
    // (a clean parse, IPv4) is then known to classify_frame inlined there.
    if (parse_frame_common(data, len, &frames[i])) {
      has_flow[i] = true;
      forward_flow_key_ports(data, frames[i], &flows[i]);
      cls[i] = classify_frame(data, len, frames[i], DropReason::kNone, true, port_mac, cfg);
    } else {
      DropReason parsed = parse_frame_any(data, len, &frames[i]);
      has_flow[i] = parsed == DropReason::kNone && frames[i].ether_type == kEtherTypeIpv4 &&
                    !frames[i].ip_fragment;
      if (has_flow[i]) forward_flow_key(data, frames[i], &flows[i]);
      cls[i] = classify_frame(data, len, frames[i], parsed, true, port_mac, cfg);
    }
    if (has_flow[i]) flows[i].home = session_home(table, flows[i].hash);
    // The first groups, a group at a time (a short burst's last one when
    // it ends): in flight while the rest are parsed.
    if ((i % kSessionPrefetchGroup == kSessionPrefetchGroup - 1 || i + 1 == n) &&
        i < kSessionTableAhead)
      session_prefetch_tables(table, i - i % kSessionPrefetchGroup, i + 1u, n, flow_of);
  }
  PortCounters& c = w->port_counters[port_index].counters;
  counter_add(c.rx_packets, n);
  counter_add(c.rx_bytes, rx_bytes);
  session_pipeline(table, n, std::min<unsigned>(n, kSessionTableAhead), flow_of,
                   [&](unsigned i, Session* found) {
                     handle_frame(w, cfg, port_index, cls[i], pkts[i], frames[i], flows[i],
                                  found);
                   });
}

// Packets another worker found to belong to our flows: they arrive with
// mbuf->port set to the snapshot index of the port they came in on, and are
// never handed on again.
void serve_handoffs(WorkerContext* w, const ActiveConfig& cfg) {
  rte_mbuf* pkts[kHandoffBurst];
  unsigned n = rte_ring_sc_dequeue_burst(w->handoff, reinterpret_cast<void**>(pkts),
                                         kHandoffBurst, nullptr);
  for (unsigned i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    unsigned port_index = m->port;
    ParsedFrame frame;
    FlowKey flow{};
    if (port_index < cfg.snap.nb_ports && !cfg.snap.ports[port_index].active) {
      // Received while active, handed over, and the port went standby since.
      counter_add(w->fwd.drops[static_cast<unsigned>(FwdDrop::kStandby)], 1);
      rte_pktmbuf_free(m);
      continue;
    }
    if (port_index >= cfg.snap.nb_ports ||
        parse_frame(rte_pktmbuf_mtod(m, const uint8_t*), rte_pktmbuf_data_len(m), &frame) !=
            DropReason::kNone) {
      rte_pktmbuf_free(m);  // the config changed under it
      continue;
    }
    if (!frame.ip_fragment) {
      forward_flow_key(rte_pktmbuf_mtod(m, const uint8_t*), frame, &flow);
      flow.home = session_home(w->sessions, flow.hash);
    }
    forward_ipv4(w, cfg, port_index, m, frame, flow, nullptr, true);
  }
}

// dataplane_send() frames, on worker 0 only: whatever the port's role.
void serve_ctl_tx(Dataplane* dp, WorkerContext* w, const ActiveConfig& cfg) {
  rte_mbuf* pkts[kCtlTxBurst];
  unsigned n = rte_ring_sc_dequeue_burst(dp->ctl_tx_, reinterpret_cast<void**>(pkts),
                                         kCtlTxBurst, nullptr);
  for (unsigned i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    unsigned port_index = m->port;
    if (port_index >= cfg.snap.nb_ports) {
      rte_pktmbuf_free(m);  // a publish removed the port after it was queued
      continue;
    }
    counter_add(w->port_counters[port_index].counters.ctl_tx_packets, 1);
    tx_enqueue(w, port_index, cfg.snap.ports[port_index].port_id, m);
  }
}

// The cost of a loop that received frames on a data port or sent some: from
// its first TSC read to now, bookkeeping and TX included.
void account_busy_loop(const Dataplane* dp, WorkerContext* w, unsigned port_index,
                       unsigned frames) {
  uint64_t cycles = rte_rdtsc() - w->now_tsc;
  PortCounters& c = w->port_counters[port_index].counters;
  if (cycles < dp->stalled_loop_tsc_) {
    counter_add(c.busy_loops, 1);
    counter_add(c.busy_cycles, cycles);
  } else {
    counter_add(c.stalled_loops, 1);
    counter_add(c.stalled_packets, frames);
    counter_add(c.stalled_cycles, cycles);
  }
}

// session_expire()'s hook: the peer hears of the end, the log gets a line.
void session_ended(void* arg, const Session& s) {
  auto* w = static_cast<WorkerContext*>(arg);
  if (w->sync != nullptr) sync_session_expired(arg, s);
  if (s.flags & kSessionLog) log_session_end(w, s);
}

// One slice of a request, until deadline_tsc; true when it is done.
bool serve_request(WorkerContext* w, WorkerRequest* req, uint64_t deadline_tsc) {
  switch (req->kind) {
    case WorkerRequestKind::kSessions: return session_mailbox_serve(w, req, deadline_tsc);
    case WorkerRequestKind::kNeighbours: forward_neigh_list(w, req); return true;
  }
  return true;
}

// A request goes on over as many loops as it needs (w->serving), a slice
// until deadline_tsc each; the requester waits for `done`.
void serve_mailbox(WorkerContext* w, uint64_t deadline_tsc) {
  WorkerRequest* req = w->serving;
  if (req == nullptr) {
    if (w->mailbox.load(std::memory_order_relaxed) == nullptr) return;
    req = w->mailbox.exchange(nullptr, std::memory_order_acq_rel);
    if (req == nullptr) return;
    req->cursor = 0;
    w->serving = req;
  }
  if (!serve_request(w, req, deadline_tsc)) return;
  w->serving = nullptr;
  req->done.store(true, std::memory_order_release);
}

// One loop of a worker: every port of the snapshot once. Returns the number
// of frames received. Ends with the RCU quiescent state: no snapshot pointer
// survives past it.
unsigned worker_poll(Dataplane* dp, WorkerContext* w) {
  const ActiveConfig* cfg = dp->config_.load(std::memory_order_acquire);
  const Snapshot& snap = cfg->snap;
  w->now_tsc = rte_rdtsc();
  loop_clock(dp, w);
  w->loop_cfg = cfg;
  w->silenced = dp->silenced_.load(std::memory_order_relaxed);
  w->loop_sent = false;
  unsigned total = 0;
  unsigned last_rx_port = 0;  // where the loop's cost is charged
  bool backlog = false;       // some RX queue gave a full burst
  bool queue_drained[kMaxPorts];
  for (unsigned p = 0; p < kMaxPorts; ++p) queue_drained[p] = true;

  forward_drain_learns(w, *cfg);
  serve_handoffs(w, *cfg);
  if (w->index == 0) serve_ctl_tx(dp, w, *cfg);
  for (unsigned p = 0; p < snap.nb_ports; ++p) {
    const PortConf& port = snap.ports[p];
    rte_mbuf* pkts[kRxBurst];
    uint16_t n = w->link_gate.rx_burst(port.port_id, static_cast<uint16_t>(w->index), pkts, kRxBurst);
    if (n > 0) handle_burst(w, *cfg, p, pkts, n);
    queue_drained[p] = n < kRxBurst;
    backlog |= n == kRxBurst;
    if (n > 0) last_rx_port = p;
    total += n;
  }
  unsigned data_frames = total;

  total += sync_worker_poll(w, *cfg);
  // hand-offs, timers, CLI; or a stack handed over at run time to take
  if (w->tcp != nullptr || std::atomic_ref<TcpGlue*>(w->tcp_adopt).load(std::memory_order_relaxed) != nullptr)
    total += tcp_glue_poll(w, *cfg);
  session_expire(w->sessions, w->now_ms, session_ended, w, kExpireBudget);
  if (w->full_latched &&
      uint64_t{w->sessions->in_use} * 100 < uint64_t{w->sessions->capacity} * kFullRearmPercent)
    w->full_latched = false;
  if (w->now_ms >= w->next_neigh_scan_ms) {
    forward_neigh_scan(w, *cfg);
    w->next_neigh_scan_ms = w->now_ms + kNeighScanMs;
  }
  if (!backlog || w->now_tsc >= w->mailbox_due_tsc) {
    serve_mailbox(w, w->now_tsc + dp->mailbox_slice_tsc_);
    w->mailbox_due_tsc = w->now_tsc + dp->mailbox_under_load_tsc_;
  }

  // Hold frames back only while more are waiting to join the batch, and
  // never longer than the drain period.
  for (uint32_t pending = w->tx_pending; pending != 0; pending &= pending - 1) {
    unsigned p = static_cast<unsigned>(__builtin_ctz(pending));
    const TxBuffer& b = w->tx[p];
    if (queue_drained[p] || w->now_tsc - b.oldest_tsc >= dp->drain_tsc_) tx_flush(w, p);
  }
  w->loop_cfg = nullptr;  // no snapshot pointer lives past the quiescent state
  rte_rcu_qsbr_quiescent(dp->qsbr_, w->index);
  // A loop that only sent (frames held back by an earlier loop, timers of
  // the TCP stack) counts too: its work is the frames' as much as the
  // receiving loop's.
  if (data_frames > 0 || w->loop_sent)
    account_busy_loop(dp, w, data_frames > 0 ? last_rx_port : w->loop_tx_port, data_frames);
  return total;
}

// An idle worker's nap: `us` microseconds, or less when a frame arrives
// on a port with an RX wait fd (dataplane_set_rx_wait_fd). Called while
// online; the fds are read from the snapshot first, then the worker goes
// offline, so a publish does not wait for the nap.
void worker_nap(Dataplane* dp, WorkerContext* w, unsigned us) {
  const Snapshot& snap = dp->config_.load(std::memory_order_acquire)->snap;
  pollfd fds[kMaxPorts];
  uint8_t port_of[kMaxPorts];
  nfds_t nfds = 0;
  for (unsigned p = 0; p < snap.nb_ports; ++p) {
    const int fd = dp->rx_wait_fd_[snap.ports[p].port_id][w->index];
    if (fd < 0) continue;
    fds[nfds] = pollfd{fd, POLLIN, 0};
    port_of[nfds++] = static_cast<uint8_t>(p);
  }
  rte_rcu_qsbr_thread_offline(dp->qsbr_, w->index);
  if (nfds == 0) {
    rte_delay_us_sleep(us);
  } else {
    const timespec timeout{static_cast<time_t>(us / US_PER_S),
                           static_cast<long>(us % US_PER_S) * 1000};
    if (ppoll(fds, nfds, &timeout, nullptr) > 0) {
      for (nfds_t i = 0; i < nfds; ++i) {
        if (fds[i].revents & POLLIN)
          counter_add(w->port_counters[port_of[i]].counters.rx_wakeups, 1);
      }
    }
  }
  rte_rcu_qsbr_thread_online(dp->qsbr_, w->index);
}

int worker_main(void* arg) {
  auto* w = static_cast<WorkerContext*>(arg);
  Dataplane* dp = w->dp;
  rte_rcu_qsbr_thread_online(dp->qsbr_, w->index);
  while (!dp->stop_.load(std::memory_order_acquire)) {
    if (worker_poll(dp, w) > 0) {
      w->idle_loops = 0;
      continue;
    }
    // Frames or acks still owed on the sync stream: their timers need the
    // loop. So does table upkeep left for the next loops.
    if (w->idle_loops < kIdleLoopsBeforeSleep || (w->sync != nullptr && !sync_idle(w->sync)) ||
        w->serving != nullptr || session_expire_pending(w->sessions, w->now_ms)) {
      ++w->idle_loops;
      continue;
    }
    if (dp->params_.idle_sleep_us > 0) {
      // A syscall on a worker, on purpose: the operator set idle_sleep_us so
      // that nodes and a generator can share the cores of a small machine.
      // It happens only after kIdleLoopsBeforeSleep empty loops, with every
      // TX buffer flushed. Capped while TCP connections live, so their
      // timers fire on time.
      worker_nap(dp, w, tcp_glue_nap_us(w, dp->params_.idle_sleep_us));
    }
  }
  tx_flush_all(w);
  // A request in progress is finished: its requester waits for it.
  while (w->serving != nullptr) serve_mailbox(w, UINT64_MAX);
  rte_rcu_qsbr_thread_offline(dp->qsbr_, w->index);
  return 0;
}

void free_dataplane(Dataplane* dp) {
  for (unsigned i = 0; i < kMaxWorkers; ++i) {
    WorkerContext* w = dp->workers_[i];
    if (w == nullptr) continue;
    for (unsigned p = 0; p < kMaxPorts; ++p) {
      TxBuffer& b = w->tx[p];
      rte_pktmbuf_free_bulk(b.pkts, b.nb_pkts);
      b.nb_pkts = 0;
    }
    if (w->neigh != nullptr) forward_neigh_release_all(w);
    free_ring_mbufs(w->handoff);
    rte_ring_free(w->handoff);
    rte_ring_free(w->neigh_learn);
    sync_worker_destroy(w);
    log_worker_destroy(w);
    tcp_glue_destroy(w->tcp);
    rte_free(w->sessions);
    rte_free(w->neigh);
    rte_free(w);
  }
  free_ring_mbufs(dp->hbdev_ctl_);
  rte_ring_free(dp->hbdev_ctl_);
  rte_mempool_free(dp->sync_pool_);
  free_ring_mbufs(dp->ctl_tx_);
  rte_ring_free(dp->ctl_tx_);
  rte_free(dp->config_.load());
  rte_free(dp->qsbr_);
  dp->~Dataplane();
  rte_free(dp);
}

bool create_worker_state(Dataplane* dp, WorkerContext* w) {
  int socket = socket_arg(dp);
  uint32_t sessions = dp->params_.session_capacity;
  uint32_t neigh = dp->params_.neigh_capacity;
  void* smem = rte_zmalloc_socket("tandem_sessions", session_table_memsize(sessions),
                                  RTE_CACHE_LINE_SIZE, socket);
  void* nmem = rte_zmalloc_socket("tandem_neigh", neigh_table_memsize(neigh),
                                  RTE_CACHE_LINE_SIZE, socket);
  if (smem != nullptr)
    // Serials carry the worker in their top bits: unique across the node.
    w->sessions = session_table_init(smem, sessions, w->index << 28, dataplane_now_ms(dp));
  if (nmem != nullptr) w->neigh = neigh_table_init(nmem, neigh);
  // Ring names are global to the EAL: make them unique per dataplane.
  static std::atomic<unsigned> ring_serial{0};
  unsigned id = ring_serial.fetch_add(1);
  char name[RTE_RING_NAMESIZE];
  std::snprintf(name, sizeof(name), "tdm_ho_%u", id);
  w->handoff = rte_ring_create(name, kHandoffRingSize, socket, RING_F_SC_DEQ);
  std::snprintf(name, sizeof(name), "tdm_nl_%u", id);
  w->neigh_learn =
      rte_ring_create_elem(name, sizeof(NeighLearn), kLearnRingSize, socket, RING_F_SC_DEQ);
  bool ok = w->sessions != nullptr && w->neigh != nullptr && w->handoff != nullptr &&
            w->neigh_learn != nullptr;
  ok = ok && log_worker_create(w, id);
  if (ok && dp->params_.session_sync)
    ok = sync_worker_create(dp, w, dp->config_.load()->snap.sync);
  if (ok && dp->params_.tcp_max_conns > 0) ok = (w->tcp = tcp_glue_create(dp, w)) != nullptr;
  return ok;
}

}  // namespace

void free_ring_mbufs(rte_ring* r) {
  if (r == nullptr) return;
  void* obj;
  while (rte_ring_dequeue(r, &obj) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(obj));
}

bool worker_request_run(Dataplane* dp, WorkerContext* w, WorkerRequest* req, unsigned timeout_ms) {
  return mailbox_run(dp->launched_.load(std::memory_order_acquire), w->mailbox, req, timeout_ms,
                     [&] {
                       w->now_ms = dataplane_now_ms(dp);
                       req->cursor = 0;
                       serve_request(w, req, UINT64_MAX);  // no deadline: in one go
                     });
}

int dataplane_neigh_list(Dataplane* dp, NeighView* out, unsigned max, unsigned* total,
                         unsigned timeout_ms) {
  if (out == nullptr && max > 0) return -EINVAL;
  return worker_request_gather(dp, max, total, timeout_ms, [&](WorkerRequest* req, unsigned written) {
    req->kind = WorkerRequestKind::kNeighbours;
    req->neigh_out = out + written;
  });
}

uint64_t dataplane_now_ms(const Dataplane* dp) {
  return dp->clock_ != nullptr ? dp->clock_(dp->clock_arg_) : tsc_clock_ms(nullptr);
}


void tx_flush(WorkerContext* w, unsigned port_index) {
  TxBuffer& b = w->tx[port_index];
  if (b.nb_pkts == 0) return;
  if (w->silenced) {
    rte_pktmbuf_free_bulk(b.pkts, b.nb_pkts);
    counter_add(w->port_counters[port_index].counters.tx_silenced, b.nb_pkts);
    b.nb_pkts = 0;
    w->tx_pending &= ~(1u << port_index);
    return;
  }
  uint64_t bytes = 0;
  for (uint16_t i = 0; i < b.nb_pkts; ++i) bytes += rte_pktmbuf_pkt_len(b.pkts[i]);
  // A port whose link is not up yet drops them, as a NIC would.
  uint16_t sent = w->link_gate.tx_burst(b.port_id, static_cast<uint16_t>(w->index), b.pkts, b.nb_pkts);
  // Replies are cheap to lose and the peer retries; waiting for room would
  // stall every other port of this worker.
  for (uint16_t i = sent; i < b.nb_pkts; ++i) {
    bytes -= rte_pktmbuf_pkt_len(b.pkts[i]);
    rte_pktmbuf_free(b.pkts[i]);
  }
  w->loop_sent = true;
  w->loop_tx_port = static_cast<uint8_t>(port_index);
  PortCounters& c = w->port_counters[port_index].counters;
  counter_add(c.tx_packets, sent);
  counter_add(c.tx_bytes, bytes);
  counter_add(c.tx_dropped, b.nb_pkts - sent);
  b.nb_pkts = 0;
  w->tx_pending &= ~(1u << port_index);
}

void tx_enqueue(WorkerContext* w, unsigned port_index, uint16_t port_id, rte_mbuf* m) {
  TxBuffer& b = w->tx[port_index];
  // A new snapshot may have moved another port to this index.
  if (b.nb_pkts > 0 && b.port_id != port_id) tx_flush(w, port_index);
  if (b.nb_pkts == 0) {
    b.port_id = port_id;
    b.oldest_tsc = w->now_tsc;
    w->tx_pending |= 1u << port_index;
  }
  b.pkts[b.nb_pkts++] = m;
  if (b.nb_pkts == kTxBurst) tx_flush(w, port_index);
}

Dataplane* dataplane_create(const DataplaneParams& params_in, const Snapshot& initial, char* error,
                            size_t error_len) {
  DataplaneParams params = params_in;
  if (params.session_capacity == 0) params.session_capacity = kDefaultSessionCapacity;
  if (params.neigh_capacity == 0) params.neigh_capacity = kDefaultNeighCapacity;
  if (params.neigh_reachable_s == 0) params.neigh_reachable_s = kNeighDefaultReachableS;
  if (params.nb_workers < 1 || params.nb_workers > kMaxWorkers) {
    std::snprintf(error, error_len, "nb_workers is %u, it must be 1..%u", params.nb_workers,
                  kMaxWorkers);
    return nullptr;
  }
  if (!validate_snapshot(initial, error, error_len)) return nullptr;
  int socket = static_cast<int>(params.socket_id);
  void* mem = rte_zmalloc_socket("tandem_dataplane", sizeof(Dataplane), RTE_CACHE_LINE_SIZE, socket);
  if (mem == nullptr) {
    std::snprintf(error, error_len, "out of memory for the dataplane (socket %d)", socket);
    return nullptr;
  }
  auto* dp = new (mem) Dataplane();
  dp->params_ = params;
  dp->drain_tsc_ = (rte_get_tsc_hz() + US_PER_S - 1) / US_PER_S * kTxDrainUs;
  dp->mailbox_slice_tsc_ = (rte_get_tsc_hz() + US_PER_S - 1) / US_PER_S * kMailboxSliceUs;
  dp->mailbox_under_load_tsc_ = (rte_get_tsc_hz() + US_PER_S - 1) / US_PER_S * kMailboxUnderLoadUs;
  dp->tsc_per_ms_ = rte_get_tsc_hz() / 1000;
  dp->tsc_per_us_ = rte_get_tsc_hz() / US_PER_S > 0 ? rte_get_tsc_hz() / US_PER_S : 1;
  dp->stalled_loop_tsc_ = dp->tsc_per_us_ * kStalledLoopUs;
  dp->neigh_reachable_ms_ = uint64_t{params.neigh_reachable_s} * 1000;
  for (auto& fds : dp->rx_wait_fd_)
    for (int& fd : fds) fd = -1;
  hw::fill_symmetric_rss_key(dp->rss_key_, kRssKeyLen);

  size_t qsbr_size = rte_rcu_qsbr_get_memsize(params.nb_workers);
  dp->qsbr_ = static_cast<rte_rcu_qsbr*>(
      rte_zmalloc_socket("tandem_dp_qsbr", qsbr_size, RTE_CACHE_LINE_SIZE, socket));
  ActiveConfig* cfg = build_config(dp, initial);
  dp->config_.store(cfg);
  static std::atomic<unsigned> ctl_ring_serial{0};
  char ring_name[RTE_RING_NAMESIZE];
  std::snprintf(ring_name, sizeof(ring_name), "tdm_ctl_%u", ctl_ring_serial.fetch_add(1));
  // Exact size: the API promises kCtlTxRingSize frames, not one less.
  dp->ctl_tx_ = rte_ring_create(ring_name, kCtlTxRingSize, socket,
                                RING_F_SC_DEQ | RING_F_EXACT_SZ);
  bool ok = dp->qsbr_ != nullptr && cfg != nullptr && dp->ctl_tx_ != nullptr &&
            rte_rcu_qsbr_init(dp->qsbr_, params.nb_workers) == 0;
  for (unsigned i = 0; ok && i < params.nb_workers; ++i) {
    auto* w = static_cast<WorkerContext*>(
        rte_zmalloc_socket("tandem_worker", sizeof(WorkerContext), RTE_CACHE_LINE_SIZE, socket));
    if (w == nullptr) {
      ok = false;
      break;
    }
    w->dp = dp;
    w->index = i;
    dp->workers_[i] = w;
    ok = create_worker_state(dp, w);
    // Registered but offline: a worker counts for RCU only while it polls.
    ok = ok && rte_rcu_qsbr_thread_register(dp->qsbr_, i) == 0;
  }
  if (!ok) {
    std::snprintf(error, error_len,
                  "out of memory for %u workers with %u sessions and %u neighbours each "
                  "(socket %d): lower session_capacity",
                  params.nb_workers, params.session_capacity, params.neigh_capacity, socket);
    free_dataplane(dp);
    return nullptr;
  }
  return dp;
}

void dataplane_set_rx_wait_fd(Dataplane* dp, uint16_t port_id, unsigned queue, int fd) {
  std::lock_guard<std::mutex> lock(dp->control_mutex_);
  if (dp->launched_ || port_id >= RTE_MAX_ETHPORTS || queue >= kMaxWorkers) return;
  dp->rx_wait_fd_[port_id][queue] = fd < 0 ? -1 : fd;
}

void dataplane_set_clock(Dataplane* dp, DataplaneClock clock, void* arg) {
  std::lock_guard<std::mutex> lock(dp->control_mutex_);
  if (dp->launched_) return;
  dp->clock_ = clock;
  dp->clock_arg_ = arg;
  uint64_t now = dataplane_now_ms(dp);
  for (unsigned i = 0; i < dp->params_.nb_workers; ++i) {
    WorkerContext* w = dp->workers_[i];
    // The wheel restarts at the new clock's "now" (nothing is armed yet).
    if (w->sessions->in_use == 0) w->sessions->wheel_next_tick = now / kWheelTickMs;
    w->next_neigh_scan_ms = 0;
    w->next_ms_tsc = 0;  // back on the TSC: read it afresh
    if (w->tcp != nullptr) tcp_glue_restart_clock(w->tcp);
  }
}

void dataplane_destroy(Dataplane* dp) {
  if (dp == nullptr) return;
  dataplane_stop(dp);
  free_dataplane(dp);
}

int dataplane_publish(Dataplane* dp, const Snapshot& next) {
  std::lock_guard<std::mutex> lock(dp->control_mutex_);
  char error[128];
  if (!validate_snapshot(next, error, sizeof(error))) return -EINVAL;
  if (dp->launched_ && !check_queues(next, dp->params_.nb_workers)) return -EINVAL;
  ActiveConfig* fresh = build_config(dp, next);
  if (fresh == nullptr) return -ENOMEM;
  const ActiveConfig* cur = dp->config_.load(std::memory_order_acquire);
  fresh->timers_gen = static_cast<uint8_t>(
      cur->timers_gen + (std::memcmp(&cur->timers, &fresh->timers, sizeof(SessionTimers)) != 0));
  ActiveConfig* old = dp->config_.exchange(fresh, std::memory_order_acq_rel);
  rte_rcu_qsbr_synchronize(dp->qsbr_, RTE_QSBR_THRID_INVALID);
  rte_free(old);
  return 0;
}

bool dataplane_quiesce(Dataplane* dp, uint64_t timeout_us) {
  uint64_t token = rte_rcu_qsbr_start(dp->qsbr_);
  uint64_t deadline = rte_get_timer_cycles() + timeout_us * rte_get_timer_hz() / 1'000'000;
  while (rte_rcu_qsbr_check(dp->qsbr_, token, false) == 0) {
    if (rte_get_timer_cycles() >= deadline) return false;
    rte_pause();
  }
  return true;
}

int dataplane_launch(Dataplane* dp, const unsigned* lcore_ids, unsigned nb_lcores) {
  std::lock_guard<std::mutex> lock(dp->control_mutex_);
  if (dp->launched_) return -EBUSY;
  if (nb_lcores != dp->params_.nb_workers) return -EINVAL;
  for (unsigned i = 0; i < nb_lcores; ++i) {
    if (lcore_ids[i] >= RTE_MAX_LCORE || !rte_lcore_is_enabled(lcore_ids[i]) ||
        lcore_ids[i] == rte_get_main_lcore())
      return -EINVAL;
    for (unsigned j = 0; j < i; ++j)
      if (lcore_ids[j] == lcore_ids[i]) return -EINVAL;
  }
  if (!check_queues(dp->config_.load()->snap, dp->params_.nb_workers)) return -EINVAL;

  dp->stop_.store(false, std::memory_order_release);
  for (unsigned i = 0; i < nb_lcores; ++i) {
    WorkerContext* w = dp->workers_[i];
    w->lcore_id = lcore_ids[i];
    w->idle_loops = 0;
    int rc = rte_eal_remote_launch(worker_main, w, lcore_ids[i]);
    if (rc != 0) {
      dp->stop_.store(true, std::memory_order_release);
      for (unsigned j = 0; j < i; ++j) rte_eal_wait_lcore(dp->workers_[j]->lcore_id);
      dp->stop_.store(false, std::memory_order_release);
      return rc < 0 ? rc : -rc;
    }
  }
  dp->launched_ = true;
  return 0;
}

void dataplane_stop(Dataplane* dp) {
  std::lock_guard<std::mutex> lock(dp->control_mutex_);
  if (!dp->launched_) return;
  dp->stop_.store(true, std::memory_order_release);
  for (unsigned i = 0; i < dp->params_.nb_workers; ++i)
    rte_eal_wait_lcore(dp->workers_[i]->lcore_id);
  dp->launched_ = false;
  dp->stop_.store(false, std::memory_order_release);
}

unsigned dataplane_poll_once(Dataplane* dp, unsigned worker) {
  if (worker >= dp->params_.nb_workers) return 0;
  if (dp->launched_.load(std::memory_order_acquire)) return 0;
  WorkerContext* w = dp->workers_[worker];
  rte_rcu_qsbr_thread_online(dp->qsbr_, worker);
  unsigned n = worker_poll(dp, w);
  rte_rcu_qsbr_thread_offline(dp->qsbr_, worker);
  return n;
}

unsigned dataplane_send(Dataplane* dp, unsigned port_index, rte_mbuf** pkts, unsigned n) {
  if (dp == nullptr || pkts == nullptr || n == 0 || port_index >= kMaxPorts) return 0;
  for (unsigned i = 0; i < n; ++i) pkts[i]->port = static_cast<uint16_t>(port_index);
  return rte_ring_mp_enqueue_burst(dp->ctl_tx_, reinterpret_cast<void**>(pkts), n, nullptr);
}

PortCounters dataplane_worker_port_counters(const Dataplane* dp, unsigned worker,
                                            unsigned port_index) {
  PortCounters sum{};
  if (worker >= dp->params_.nb_workers || port_index >= kMaxPorts) return sum;
  const PortCounters& c = dp->workers_[worker]->port_counters[port_index].counters;
  for (size_t f = 0; f < kNbPortCounterFields; ++f) {
    auto field = kPortCounterFields[f].field;
    sum.*field = counter_read(c.*field);
  }
  return sum;
}

PortCounters dataplane_port_counters(const Dataplane* dp, unsigned port_index) {
  PortCounters sum{};
  for (unsigned i = 0; i < dp->params_.nb_workers; ++i) {
    PortCounters one = dataplane_worker_port_counters(dp, i, port_index);
    for (size_t f = 0; f < kNbPortCounterFields; ++f) {
      auto field = kPortCounterFields[f].field;
      sum.*field += one.*field;
    }
  }
  return sum;
}

unsigned dataplane_nb_workers(const Dataplane* dp) { return dp->params_.nb_workers; }

void dataplane_set_silenced(Dataplane* dp, bool silenced) {
  dp->silenced_.store(silenced, std::memory_order_relaxed);
}

bool dataplane_silenced(const Dataplane* dp) { return dp->silenced_.load(std::memory_order_relaxed); }

}  // namespace tandem::dp
