// IPv4 forwarding between data ports for the worker loop: session lookup,
// and for a flow's first packet route lookup (both directions), firewall
// policy and session creation; then TTL decrement, neighbour resolution
// (ARP, with a bounded queue per miss) and TX on the worker's queue of the
// egress port. Also the neighbour learning every worker does from ARP.
// Internal to dataplane/ (takes the WorkerContext).
#pragma once

#include <cstdint>

#include <rte_mbuf.h>

#include "dataplane/neigh/neigh_types.h"
#include "dataplane/packet/packet_types.h"
#include "dataplane/packet/parse.h"
#include "dataplane/session/session_inl.h"
#include "dataplane/session/session_types.h"
#include "dataplane/worker/worker_context.h"

namespace tandem::dp {

// What forwarding needs to know of a packet's flow before it looks the
// session up: the normalised key, its hash and home entry, and the L4
// fields policy and the TCP tracker read. Made by forward_flow_key (all but
// the home, which the worker adds from its table) for a whole RX burst
// ahead of forward_ipv4, so the worker can prefetch the session table.
struct FlowKey {
  SessionKey key;
  uint32_t hash;
  uint32_t home;  // session_home(w->sessions, hash)
  uint16_t sport, dport;  // host order; the ICMP echo identifier for both
  uint8_t icmp_type;
  uint8_t tcp_flags;
  bool has_ports;  // TCP or UDP
  bool src_is_lo;  // the sender is the key's lo end
};

// The flow of an unfragmented IPv4 packet that parse_frame accepted
// (frame.ether_type IPv4, !frame.ip_fragment).
void forward_flow_key(const uint8_t* data, const ParsedFrame& frame, FlowKey* out);

// forward_flow_key of a TCP or UDP packet (frame.has_l4), inline for the
// worker's RX pass after parse_frame_common.
inline void forward_flow_key_ports(const uint8_t* data, const ParsedFrame& f, FlowKey* out) {
  constexpr uint32_t kTcpFlagsOff = 13;
  out->key = session_key_make(f.ip_src_be, f.ip_dst_be, f.src_port, f.dst_port, f.ip_proto, 0,
                              &out->src_is_lo);
  out->hash = session_key_hash(out->key);
  out->sport = f.src_port;
  out->dport = f.dst_port;
  out->icmp_type = 0;
  out->tcp_flags = f.ip_proto == kIpProtoTcp ? data[f.l4_offset + kTcpFlagsOff] : 0;
  out->has_ports = true;
}

// forward_ipv4 (forward_inl.h), the per-packet step, is inline for the
// worker's loop; these are its out-of-line cases.
//
// A packet of a flow the table does not hold (forward_ipv4's arguments):
// hand-off to the owner worker, route both ways, policy, the flow's
// session inserted, and the packet sent on.
void forward_ipv4_new(WorkerContext* w, const ActiveConfig& cfg, unsigned port_index, rte_mbuf* m,
                      const ParsedFrame& frame, const FlowKey& flow, bool handed_off);
// forward_resolve_and_send's every other case: a standby egress port, or
// a next hop not yet (or no longer) resolved, whose entry `e` is the one
// neigh_lookup found (nullptr: none; not looked up on a standby port).
// Queues m on the entry (created if need be) and probes, or drops it.
void forward_resolve_slow(WorkerContext* w, const ActiveConfig& cfg, unsigned out_port,
                          uint32_t next_hop_be, NeighEntry* e, rte_mbuf* m);
// Frees m and counts the transit drop.
void forward_drop(WorkerContext* w, rte_mbuf* m, FwdDrop why);

// Learns from an ARP frame received on port_index (before it is answered)
// and tells the other workers. True when something was learnt.
bool forward_learn_from_arp(WorkerContext* w, const ActiveConfig& cfg, unsigned port_index,
                            const uint8_t* frame, const ParsedFrame& parsed);
// Applies the other workers' learns.
void forward_drain_learns(WorkerContext* w, const ActiveConfig& cfg);
// Probes and times out unresolved neighbours, forgets stale ones.
void forward_neigh_scan(WorkerContext* w, const ActiveConfig& cfg);
// Frees every queued packet (dataplane teardown).
void forward_neigh_release_all(WorkerContext* w);

// The worker a flow belongs to: the queue the NIC's default RETA would pick
// with the symmetric key (hw::toeplitz_hash), so software and hardware agree.
unsigned flow_owner(const uint8_t* rss_key, uint32_t src_be, uint32_t dst_be, uint16_t sport,
                    uint16_t dport, bool has_ports, unsigned nb_workers);

}  // namespace tandem::dp
