// forward_ipv4, inline for the worker's burst loop: a packet of a flow
// the session table knows, which is nearly every transit packet, goes
// from the lookup to the TX buffer without a call. A flow's first packet
// (route, policy, insert), a neighbour not resolved or gone stale, and the
// drops go out of line (forward.cc). Internal to dataplane/, like
// forward.h.
#pragma once

#include <cstdint>
#include <cstring>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "dataplane/forward/forward.h"
#include "dataplane/neigh/neigh.h"
#include "dataplane/session/session_inl.h"
#include "dataplane/session/session_table.h"
#include "dataplane/sync/sync_inl.h"
#include "dataplane/worker/worker_context.h"

namespace tandem::dp {

inline constexpr uint32_t kForwardIpTtlOff = 8;
inline constexpr uint32_t kForwardIpChecksumOff = 10;

// RFC 1624 for the one word that changes: TTL drops by one, so the
// checksum goes up by 0x0100 with the end-around carry.
inline void forward_decrement_ttl(uint8_t* ip) {
  --ip[kForwardIpTtlOff];
  uint16_t sum;
  std::memcpy(&sum, ip + kForwardIpChecksumOff, sizeof(sum));
  uint32_t s = uint32_t{sum} + rte_cpu_to_be_16(0x0100);
  s = (s & 0xffff) + (s >> 16);
  sum = static_cast<uint16_t>(s);
  std::memcpy(ip + kForwardIpChecksumOff, &sum, sizeof(sum));
}

// m to `mac` out of port_index, from the port's MAC.
inline void forward_send_to(WorkerContext* w, const PortConf& port, unsigned port_index,
                            const rte_ether_addr& mac, rte_mbuf* m) {
  uint8_t* eth = rte_pktmbuf_mtod(m, uint8_t*);
  std::memcpy(eth, mac.addr_bytes, RTE_ETHER_ADDR_LEN);
  std::memcpy(eth + RTE_ETHER_ADDR_LEN, port.mac.addr_bytes, RTE_ETHER_ADDR_LEN);
  tx_enqueue(w, port_index, port.port_id, m);
  counter_add(w->fwd.forwarded, 1);
}

// Resolves next_hop on the egress port and sends m, or queues it on the
// miss: the common frame (an active port, a neighbour reachable and
// fresh) here, the rest in forward_resolve_slow.
inline void forward_resolve_and_send(WorkerContext* w, const ActiveConfig& cfg, unsigned out_port,
                                     uint32_t next_hop_be, rte_mbuf* m) {
  const PortConf& port = cfg.snap.ports[out_port];
  NeighEntry* e = nullptr;
  if (port.active) {
    e = neigh_lookup(w->neigh, static_cast<uint8_t>(out_port), next_hop_be);
    if (e != nullptr && e->state == NeighState::kReachable &&
        w->now_ms < e->confirmed_ms + w->dp->neigh_reachable_ms_)
      return forward_send_to(w, port, out_port, e->mac, m);
  }
  forward_resolve_slow(w, cfg, out_port, next_hop_be, e, m);
}

// A transit IPv4 packet received on port_index (not for the node), with its
// flow from forward_flow_key (not read for a fragment, which is dropped).
// `found`, when not null, is the flow's session, which the burst's
// prefetch pass found in its home entry (session_pipeline); else
// forward_ipv4 looks the flow up. Takes ownership of m: sent, queued on a
// neighbour, handed to its owner worker (only when !handed_off) or freed
// and counted.
[[gnu::always_inline]] inline void forward_ipv4(WorkerContext* w, const ActiveConfig& cfg,
                                                unsigned port_index, rte_mbuf* m,
                                                const ParsedFrame& f, const FlowKey& flow,
                                                Session* found, bool handed_off) {
  if (f.ip_fragment) return forward_drop(w, m, FwdDrop::kFragment);
  Session* s = found != nullptr ? found : session_lookup_home(w->sessions, flow.key, flow.home);
  if (s == nullptr) return forward_ipv4_new(w, cfg, port_index, m, f, flow, handed_off);

  uint8_t* ip = rte_pktmbuf_mtod(m, uint8_t*) + f.l3_offset;
  if (ip[kForwardIpTtlOff] <= 1) return forward_drop(w, m, FwdDrop::kTtlExceeded);
  const uint32_t ip_bytes = f.ip_total_len;
  SessionDir dir = session_dir(*s, flow.src_is_lo);
  TcpState state = static_cast<TcpState>(s->state);
  if (f.ip_proto == kIpProtoTcp) state = tcp_state_next(state, flow.tcp_flags, dir, &s->flags);
  session_count(s, dir, ip_bytes);
  if (s->policy_index < kMaxPolicies) counter_add(w->policy[s->policy_index].bytes, ip_bytes);
  bool state_changed = static_cast<uint8_t>(state) != s->state;
  uint32_t timeout_s = session_timeout_s(cfg.timers, f.ip_proto, state);
  session_touch(w->sessions, s, state, timeout_s, w->now_ms, cfg.timers_gen);
  sync_session_changed(w, cfg, s, timeout_s, state_changed);
  // The reply goes back out of the original's ingress, to its sender.
  const SessionDir out_dir = dir == kDirReply ? kDirOrig : kDirReply;
  unsigned out_port = s->port[out_dir];
  if (out_port >= cfg.snap.nb_ports) return forward_drop(w, m, FwdDrop::kNoRoute);
  forward_decrement_ttl(ip);
  forward_resolve_and_send(w, cfg, out_port, s->next_hop_be[dir], m);
}

}  // namespace tandem::dp
