#include "dataplane/forward/forward.h"

#include <cstring>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "dataplane/arp/arp.h"
#include "dataplane/firewall/policy.h"
#include "dataplane/forward/forward_inl.h"
#include "dataplane/log/log.h"
#include "dataplane/neigh/neigh.h"
#include "dataplane/packet/parse.h"
#include "dataplane/route/route.h"
#include "dataplane/session/session_inl.h"
#include "dataplane/session/session_table.h"
#include "dataplane/sync/sync_inl.h"
#include "hw/nic/rss.h"

namespace tandem::dp {
namespace {

constexpr uint32_t kIcmpIdOff = 4;
constexpr uint8_t kIcmpEchoReply = 0;
constexpr uint8_t kIcmpEchoRequest = 8;
constexpr uint32_t kArpShaOff = 8;
constexpr uint32_t kArpSpaOff = 14;
constexpr uint32_t kArpTpaOff = 24;
constexpr unsigned kLearnBurst = 32;


uint16_t load_be16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

// Our address on `port` in the same subnet as ip_be (the ARP sender), or
// the first one.
uint32_t source_address_for(const PortConf& port, uint32_t ip_be) {
  for (unsigned i = 0; i < port.nb_addrs && i < kMaxPortAddrs; ++i)
    if (((port.addrs[i].ip_be ^ ip_be) & port.addrs[i].mask_be) == 0) return port.addrs[i].ip_be;
  return port.nb_addrs > 0 ? port.addrs[0].ip_be : 0;
}

bool in_connected_subnet(const PortConf& port, uint32_t ip_be) {
  for (unsigned i = 0; i < port.nb_addrs && i < kMaxPortAddrs; ++i)
    if (((port.addrs[i].ip_be ^ ip_be) & port.addrs[i].mask_be) == 0) return true;
  return false;
}

void send_arp_request(WorkerContext* w, const ActiveConfig& cfg, unsigned port_index,
                      uint32_t target_be, rte_mempool* pool) {
  if (pool == nullptr || port_index >= cfg.snap.nb_ports) return;
  const PortConf& port = cfg.snap.ports[port_index];
  if (!port.active) return;  // a standby port sends nothing of its own
  rte_mbuf* req = rte_pktmbuf_alloc(pool);
  if (req == nullptr) return;  // the queued packets time out like a lost request
  if (arp_build_request(req, port.mac, source_address_for(port, target_be), target_be) != 0) {
    rte_pktmbuf_free(req);
    return;
  }
  tx_enqueue(w, port_index, port.port_id, req);
  counter_add(w->fwd.arp_requests_sent, 1);
}

void release_queued(WorkerContext* w, const ActiveConfig& cfg, NeighEntry* e) {
  for (unsigned i = 0; i < e->nb_queued; ++i) {
    if (e->port_index >= cfg.snap.nb_ports)
      forward_drop(w, e->queued[i], FwdDrop::kNoRoute);
    else if (!cfg.snap.ports[e->port_index].active)
      forward_drop(w, e->queued[i], FwdDrop::kStandby);
    else
      forward_send_to(w, cfg.snap.ports[e->port_index], e->port_index, e->mac, e->queued[i]);
  }
  e->nb_queued = 0;
}

void fail_neighbour(WorkerContext* w, NeighEntry* e) {
  for (unsigned i = 0; i < e->nb_queued; ++i) forward_drop(w, e->queued[i], FwdDrop::kNoNeighbour);
  e->nb_queued = 0;
  neigh_delete(w->neigh, e);
}

void learn(WorkerContext* w, const ActiveConfig& cfg, uint8_t port_index, uint32_t ip_be,
           const rte_ether_addr& mac, bool create) {
  NeighEntry* e = neigh_lookup(w->neigh, port_index, ip_be);
  if (e == nullptr) {
    if (!create) return;
    e = neigh_create(w->neigh, port_index, ip_be);
    if (e == nullptr) return;  // full: this worker resolves on its own later
  }
  e->mac = mac;
  e->state = NeighState::kReachable;
  e->confirmed_ms = w->now_ms;
  e->probes = 0;
  release_queued(w, cfg, e);
  counter_add(w->fwd.arp_learned, 1);
}

void raise_table_full(WorkerContext* w) {
  if (w->full_latched) return;
  w->full_latched = true;
  w->full_alert.store(1, std::memory_order_release);
}

}  // namespace

void forward_drop(WorkerContext* w, rte_mbuf* m, FwdDrop why) {
  counter_add(w->fwd.drops[static_cast<unsigned>(why)], 1);
  rte_pktmbuf_free(m);
}

void forward_resolve_slow(WorkerContext* w, const ActiveConfig& cfg, unsigned out_port,
                          uint32_t next_hop_be, NeighEntry* e, rte_mbuf* m) {
  // Ingress was active (handle_frame checked), egress may not be: a node
  // whose ports change role one at a time must not leak onto a silent one.
  if (!cfg.snap.ports[out_port].active) return forward_drop(w, m, FwdDrop::kStandby);
  if (e != nullptr && e->state == NeighState::kReachable) {
    // Reachable, so its time is over (a fresh one was sent to inline):
    // resolve again before trusting the MAC.
    e->state = NeighState::kIncomplete;
    e->probes = 0;
    e->next_probe_ms = w->now_ms;
  }
  if (e == nullptr) {
    e = neigh_create(w->neigh, static_cast<uint8_t>(out_port), next_hop_be);
    if (e == nullptr) return forward_drop(w, m, FwdDrop::kNoNeighbour);
    e->next_probe_ms = w->now_ms;
  }
  if (e->nb_queued == kNeighQueueLen) {
    forward_drop(w, m, FwdDrop::kNoNeighbour);  // the queue is bounded: newest dropped
  } else {
    e->queued[e->nb_queued++] = m;
  }
  if (w->now_ms >= e->next_probe_ms && e->nb_queued > 0) {
    send_arp_request(w, cfg, out_port, next_hop_be, e->queued[0]->pool);
    ++e->probes;
    e->next_probe_ms = w->now_ms + kNeighProbeIntervalMs;
  }
}

unsigned flow_owner(const uint8_t* rss_key, uint32_t src_be, uint32_t dst_be, uint16_t sport,
                    uint16_t dport, bool has_ports, unsigned nb_workers) {
  uint8_t input[12];
  std::memcpy(input, &src_be, 4);
  std::memcpy(input + 4, &dst_be, 4);
  uint16_t sp = rte_cpu_to_be_16(sport), dpt = rte_cpu_to_be_16(dport);
  std::memcpy(input + 8, &sp, 2);
  std::memcpy(input + 10, &dpt, 2);
  uint32_t hash = hw::toeplitz_hash(rss_key, kRssKeyLen, input, has_ports ? 12 : 8);
  return (hash % kDefaultRetaSize) % nb_workers;
}

void forward_flow_key(const uint8_t* data, const ParsedFrame& f, FlowKey* out) {
  if (f.has_l4 && (f.ip_proto == kIpProtoTcp || f.ip_proto == kIpProtoUdp))
    return forward_flow_key_ports(data, f, out);
  uint16_t id = 0;
  uint8_t icmp_type = 0;
  if (f.has_l4 && f.ip_proto == kIpProtoIcmp) {
    const uint8_t* l4 = data + f.l4_offset;
    icmp_type = l4[0];
    // Echo request and reply share the identifier: one session.
    if ((icmp_type == kIcmpEchoRequest || icmp_type == kIcmpEchoReply) && f.l4_len >= 8)
      id = load_be16(l4 + kIcmpIdOff);
  }
  out->key = session_key_make(f.ip_src_be, f.ip_dst_be, id, id, f.ip_proto, 0, &out->src_is_lo);
  out->hash = session_key_hash(out->key);
  out->sport = id;
  out->dport = id;
  out->icmp_type = icmp_type;
  out->tcp_flags = 0;
  out->has_ports = false;
}

void forward_ipv4_new(WorkerContext* w, const ActiveConfig& cfg, unsigned port_index, rte_mbuf* m,
                      const ParsedFrame& f, const FlowKey& flow, bool handed_off) {
  uint8_t* ip = rte_pktmbuf_mtod(m, uint8_t*) + f.l3_offset;
  const uint16_t sport = flow.sport, dport = flow.dport;
  const uint8_t icmp_type = flow.icmp_type, tcp_flags = flow.tcp_flags;
  const bool has_ports = flow.has_ports, src_is_lo = flow.src_is_lo;
  const uint32_t ip_bytes = f.ip_total_len;

  // No host sends to its own address through a router: a LAND attack,
  // which would otherwise get a session like any flow the policy allows.
  if (f.ip_src_be == f.ip_dst_be) return forward_drop(w, m, FwdDrop::kLand);
  unsigned nb_workers = w->dp->params_.nb_workers;
  if (!handed_off && nb_workers > 1) {
    unsigned owner =
        flow_owner(w->dp->rss_key_, f.ip_src_be, f.ip_dst_be, sport, dport, has_ports,
                   nb_workers);
    if (owner != w->index) {
      m->port = static_cast<uint16_t>(port_index);
      if (rte_ring_mp_enqueue(w->dp->workers_[owner]->handoff, m) != 0)
        return forward_drop(w, m, FwdDrop::kHandoffFull);
      counter_add(w->fwd.handoffs, 1);
      return;
    }
  }
  session_prefetch_free(w->sessions, flow.home);  // while route and policy are looked up
  if (ip[kForwardIpTtlOff] <= 1) return forward_drop(w, m, FwdDrop::kTtlExceeded);
  int out = route_lookup(cfg.routes, f.ip_dst_be);
  int back = route_lookup(cfg.routes, f.ip_src_be);
  if (out < 0 || back < 0) return forward_drop(w, m, FwdDrop::kNoRoute);
  const RouteEntry& ro = cfg.snap.routes[out];
  const RouteEntry& rb = cfg.snap.routes[back];
  if (f.ip_proto == kIpProtoTcp && (tcp_flags & (kTcpSyn | kTcpAck | kTcpRst)) != kTcpSyn)
    return forward_drop(w, m, FwdDrop::kTcpNotSyn);

  FwFlow fw{rte_be_to_cpu_32(f.ip_src_be), rte_be_to_cpu_32(f.ip_dst_be), sport, dport,
            f.ip_proto, icmp_type, static_cast<uint8_t>(port_index), ro.port_index};
  int pi = policy_lookup(cfg.snap.firewall, fw);
  if (pi < 0) {
    counter_add(w->fwd.implicit_deny, 1);
    return forward_drop(w, m, FwdDrop::kPolicyDeny);
  }
  const FwPolicy& pol = cfg.snap.firewall.policies[pi];
  counter_add(w->policy[pi].hits, 1);
  counter_add(w->policy[pi].bytes, ip_bytes);
  if (!pol.accept) {
    if (pol.log_traffic)
      log_deny(w, f.ip_src_be, f.ip_dst_be, sport, dport, f.ip_proto, icmp_type,
               static_cast<uint8_t>(port_index), ro.port_index, pol.id);
    return forward_drop(w, m, FwdDrop::kPolicyDeny);
  }

  TcpState initial = TcpState::kNone;
  uint8_t flags = static_cast<uint8_t>((src_is_lo ? kSessionOrigFromLo : 0) |
                                       (pol.log_traffic ? kSessionLog : 0));
  if (f.ip_proto == kIpProtoTcp)
    initial = tcp_state_next(TcpState::kNone, tcp_flags, kDirOrig, &flags);
  uint32_t timeout_s = session_timeout_s(cfg.timers, f.ip_proto, initial);
  Session* s =
      session_insert(w->sessions, flow.key, flow.hash, flags, initial, timeout_s, w->now_ms);
  if (s == nullptr) {
    raise_table_full(w);
    return forward_drop(w, m, FwdDrop::kTableFull);
  }
  s->port[kDirOrig] = static_cast<uint8_t>(port_index);
  s->port[kDirReply] = ro.port_index;
  s->next_hop_be[kDirOrig] = ro.gateway_be != 0 ? ro.gateway_be : f.ip_dst_be;
  s->next_hop_be[kDirReply] = rb.gateway_be != 0 ? rb.gateway_be : f.ip_src_be;
  session_cold(s)->policy_id = pol.id;
  s->policy_index = static_cast<uint16_t>(pi);
  s->timers_gen = cfg.timers_gen;
  session_count(s, kDirOrig, ip_bytes);  // the entry starts zeroed
  sync_session_changed(w, cfg, s, timeout_s, true);
  unsigned out_port = s->port[kDirReply];
  if (out_port >= cfg.snap.nb_ports) return forward_drop(w, m, FwdDrop::kNoRoute);
  forward_decrement_ttl(ip);
  forward_resolve_and_send(w, cfg, out_port, s->next_hop_be[kDirOrig], m);
}

bool forward_learn_from_arp(WorkerContext* w, const ActiveConfig& cfg, unsigned port_index,
                            const uint8_t* frame, const ParsedFrame& parsed) {
  const PortConf& port = cfg.snap.ports[port_index];
  const uint8_t* arp = frame + parsed.l3_offset;
  uint32_t spa, tpa;
  std::memcpy(&spa, arp + kArpSpaOff, 4);
  std::memcpy(&tpa, arp + kArpTpaOff, 4);
  rte_ether_addr sha;
  std::memcpy(sha.addr_bytes, arp + kArpShaOff, RTE_ETHER_ADDR_LEN);
  if (spa == 0 || (sha.addr_bytes[0] & 1) != 0 || !in_connected_subnet(port, spa)) return false;
  // New entries only from ARP aimed at us (RFC 826's merge rule); a
  // gratuitous ARP or someone else's exchange only refreshes what we have.
  bool for_us = port_owns_address(port, tpa);
  NeighEntry* e = neigh_lookup(w->neigh, static_cast<uint8_t>(port_index), spa);
  if (!for_us && e == nullptr) return false;
  learn(w, cfg, static_cast<uint8_t>(port_index), spa, sha, true);
  NeighLearn rec{spa, static_cast<uint8_t>(port_index), 0, sha, 0};
  for (unsigned i = 0; i < w->dp->params_.nb_workers; ++i) {
    if (i == w->index) continue;
    // A full ring loses the record: that worker resolves on its own.
    rte_ring_mp_enqueue_elem(w->dp->workers_[i]->neigh_learn, &rec, sizeof(rec));
  }
  return true;
}

void forward_drain_learns(WorkerContext* w, const ActiveConfig& cfg) {
  NeighLearn recs[kLearnBurst];
  unsigned n = rte_ring_sc_dequeue_burst_elem(w->neigh_learn, recs, sizeof(NeighLearn),
                                              kLearnBurst, nullptr);
  for (unsigned i = 0; i < n; ++i) {
    // Learnt while the port was active; it may have gone standby since.
    if (recs[i].port_index >= cfg.snap.nb_ports || !cfg.snap.ports[recs[i].port_index].active)
      continue;
    learn(w, cfg, recs[i].port_index, recs[i].ip_be, recs[i].mac, true);
  }
}

void forward_neigh_scan(WorkerContext* w, const ActiveConfig& cfg) {
  NeighTable* t = w->neigh;
  for (uint32_t i = 0; i < t->capacity; ++i) {
    NeighEntry* e = &t->entries[i];
    if (e->state == NeighState::kIncomplete) {
      if (e->port_index < cfg.snap.nb_ports && !cfg.snap.ports[e->port_index].active) {
        // Standby: no probe may go out, so the packets waiting on it never leave.
        for (unsigned q = 0; q < e->nb_queued; ++q) forward_drop(w, e->queued[q], FwdDrop::kStandby);
        e->nb_queued = 0;
        neigh_delete(t, e);
        continue;
      }
      if (w->now_ms < e->next_probe_ms) continue;
      if (e->probes >= kNeighMaxProbes || e->nb_queued == 0) {
        fail_neighbour(w, e);
        continue;
      }
      send_arp_request(w, cfg, e->port_index, e->ip_be, e->queued[0]->pool);
      ++e->probes;
      e->next_probe_ms = w->now_ms + kNeighProbeIntervalMs;
    } else if (e->state == NeighState::kReachable &&
               w->now_ms >= e->confirmed_ms + w->dp->neigh_reachable_ms_) {
      neigh_delete(t, e);  // stale: the next packet resolves it again
    }
  }
}

void forward_neigh_list(WorkerContext* w, WorkerRequest* req) {
  const NeighTable* t = w->neigh;
  for (uint32_t i = 0; i < t->capacity; ++i) {
    const NeighEntry& e = t->entries[i];
    if (e.state == NeighState::kFree) continue;
    ++req->matched;
    if (req->written >= req->max) continue;
    NeighView& v = req->neigh_out[req->written++];
    v = NeighView{};
    v.ip_be = e.ip_be;
    v.worker = static_cast<uint8_t>(w->index);
    v.port_index = e.port_index;
    v.state = e.state;
    v.probes = e.probes;
    v.nb_queued = e.nb_queued;
    if (e.state == NeighState::kReachable) {
      v.mac = e.mac;
      v.age_ms = w->now_ms > e.confirmed_ms ? w->now_ms - e.confirmed_ms : 0;
    }
  }
}

void forward_neigh_release_all(WorkerContext* w) {
  NeighTable* t = w->neigh;
  for (uint32_t i = 0; i < t->capacity; ++i) {
    NeighEntry* e = &t->entries[i];
    for (unsigned q = 0; q < e->nb_queued; ++q) rte_pktmbuf_free(e->queued[q]);
    e->nb_queued = 0;
  }
}

}  // namespace tandem::dp
