#include "dataplane/tcp/tcp_glue.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mempool.h>
#include <rte_random.h>

#include "dataplane/arp/arp.h"
#include "dataplane/forward/forward.h"
#include "dataplane/icmp/icmp.h"
#include "dataplane/neigh/neigh.h"
#include "dataplane/packet/parse.h"
#include "dataplane/route/route.h"
#include "dataplane/tcp/tcp.h"
#include "dataplane/tcp/tcp_diag.h"
#include "dataplane/tcp/tcp_wire.h"
#include "dataplane/worker/worker_inl.h"
#include "dataplane/worker/worker_mailbox.h"
#include "dataplane/ztna/ztna_app.h"
#include "dataplane/ztna/ztna_diag.h"

namespace tandem::dp {

struct TcpDiagRequest {
  bool list;  // list: lines into buf; else: stats
  char* buf;
  size_t len, used;
  unsigned listed, total;
  TcpWorkerStats stats;
  std::atomic<bool> done;
};

namespace {

constexpr unsigned kHandoffBurst = 32;
// Frames the engine has emitted and not yet seen freed: a TX batch, the
// neighbour queues, the driver's ring. One window of every connection in
// flight at once would be far more, but the TX path frees as it sends.
constexpr unsigned kPoolMbufs = 4095;
constexpr unsigned kPoolCache = 256;
constexpr uint8_t kIpTtl = 64;
constexpr uint16_t kIpDontFragment = 0x4000;
constexpr size_t kEthLen = RTE_ETHER_HDR_LEN;
constexpr size_t kIpLen = sizeof(rte_ipv4_hdr);
constexpr size_t kTcpChecksumOff = 16;
constexpr size_t kDiagLineMax = 320;

bool node_owns(const Snapshot& s, uint32_t ip_be) {
  for (unsigned p = 0; p < s.nb_ports; ++p)
    if (port_owns_address(s.ports[p], ip_be)) return true;
  return false;
}

// Microseconds for the engine: the TSC the loop already read, or the
// injected clock (tests) at its millisecond grain. Never backwards: the
// timer wheel only moves forward.
void enter(TcpGlue* g, const ActiveConfig& cfg) {
  const WorkerContext* w = g->w;
  const Dataplane* dp = w->dp;
  uint64_t now = dp->clock_ != nullptr ? w->now_ms * 1000 : w->now_tsc / dp->tsc_per_us_;
  g->now_us = std::max(g->now_us, now);
  g->cfg = &cfg;
}

// Our address on `port` in next_hop's subnet (the ARP sender), or the first.
uint32_t arp_source(const PortConf& port, uint32_t ip_be) {
  for (unsigned i = 0; i < port.nb_addrs && i < kMaxPortAddrs; ++i)
    if (((port.addrs[i].ip_be ^ ip_be) & port.addrs[i].mask_be) == 0) return port.addrs[i].ip_be;
  return port.nb_addrs > 0 ? port.addrs[0].ip_be : 0;
}

// The frame is complete but for the destination MAC. A known neighbour gets
// it now; otherwise it waits on the neighbour entry like a forwarded packet
// (forward.cc's learn releases it, its scan probes again and times it out).
void send_via_neighbour(TcpGlue* g, const ActiveConfig& cfg, unsigned port_index,
                        uint32_t next_hop_be, rte_mbuf* m) {
  WorkerContext* w = g->w;
  const PortConf& port = cfg.snap.ports[port_index];
  auto pi = static_cast<uint8_t>(port_index);
  NeighEntry* e = neigh_lookup(w->neigh, pi, next_hop_be);
  if (e != nullptr && e->state == NeighState::kReachable) {
    std::memcpy(rte_pktmbuf_mtod(m, uint8_t*), e->mac.addr_bytes, RTE_ETHER_ADDR_LEN);
    tx_enqueue(w, port_index, port.port_id, m);
    ++g->counters.tx_segments;
    return;
  }
  if (e == nullptr) {
    e = neigh_create(w->neigh, pi, next_hop_be);
    if (e == nullptr) {
      ++g->counters.tx_neigh_dropped;
      rte_pktmbuf_free(m);
      return;
    }
    e->next_probe_ms = w->now_ms;
  }
  if (e->nb_queued == kNeighQueueLen) {
    ++g->counters.tx_neigh_dropped;  // the engine retransmits
    rte_pktmbuf_free(m);
  } else {
    e->queued[e->nb_queued++] = m;
    ++g->counters.tx_neigh_queued;
  }
  if (w->now_ms >= e->next_probe_ms && e->nb_queued > 0) {
    rte_mbuf* req = rte_pktmbuf_alloc(g->pool);
    if (req != nullptr &&
        arp_build_request(req, port.mac, arp_source(port, next_hop_be), next_hop_be) == 0) {
      tx_enqueue(w, port_index, port.port_id, req);
      ++g->counters.arp_requests;
    } else if (req != nullptr) {
      rte_pktmbuf_free(req);
    }
    ++e->probes;
    e->next_probe_ms = w->now_ms + kNeighProbeIntervalMs;
  }
}

// A frame the glue originates toward dst (host order): the route, an mbuf
// with the Ethernet header (the destination MAC left for
// send_via_neighbour) and the IPv4 header of an l4_len-byte payload of
// protocol `proto`, padded to the Ethernet minimum. Returns the payload's
// start, or nullptr (no route or standby port, no mbuf: counted).
struct GlueFrame {
  rte_mbuf* m;
  unsigned port_index;
  uint32_t next_hop_be;
};
uint8_t* start_frame(TcpGlue* g, uint32_t src, uint32_t dst, uint8_t proto, size_t l4_len, GlueFrame* out) {
  const ActiveConfig* cfg = g->cfg;
  uint32_t dst_be = rte_cpu_to_be_32(dst);
  int r = cfg != nullptr ? route_lookup(cfg->routes, dst_be) : -1;
  if (r < 0 || cfg->snap.routes[r].port_index >= cfg->snap.nb_ports ||
      !cfg->snap.ports[cfg->snap.routes[r].port_index].active) {
    ++g->counters.tx_no_route;
    return nullptr;
  }
  const RouteEntry& route = cfg->snap.routes[r];
  const PortConf& port = cfg->snap.ports[route.port_index];
  size_t frame_len = kEthLen + kIpLen + l4_len;
  rte_mbuf* m = rte_pktmbuf_alloc(g->pool);
  auto* eth = m != nullptr ? reinterpret_cast<uint8_t*>(rte_pktmbuf_append(
                                 m, static_cast<uint16_t>(std::max<size_t>(frame_len, kEtherMinFrameLen))))
                           : nullptr;
  if (eth == nullptr) {
    ++g->counters.tx_no_mbuf;
    if (m != nullptr) rte_pktmbuf_free(m);
    return nullptr;
  }
  if (frame_len < kEtherMinFrameLen) std::memset(eth + frame_len, 0, kEtherMinFrameLen - frame_len);
  std::memset(eth, 0, RTE_ETHER_ADDR_LEN);  // the neighbour's, in send_via_neighbour
  std::memcpy(eth + RTE_ETHER_ADDR_LEN, port.mac.addr_bytes, RTE_ETHER_ADDR_LEN);
  uint16_t type_be = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
  std::memcpy(eth + 2 * RTE_ETHER_ADDR_LEN, &type_be, sizeof(type_be));

  auto* ip = reinterpret_cast<rte_ipv4_hdr*>(eth + kEthLen);
  ip->version_ihl = RTE_IPV4_VHL_DEF;
  ip->type_of_service = 0;
  ip->total_length = rte_cpu_to_be_16(static_cast<uint16_t>(kIpLen + l4_len));
  ip->packet_id = rte_cpu_to_be_16(g->ip_id++);
  ip->fragment_offset = rte_cpu_to_be_16(kIpDontFragment);
  ip->time_to_live = kIpTtl;
  ip->next_proto_id = proto;
  ip->hdr_checksum = 0;
  ip->src_addr = rte_cpu_to_be_32(src);
  ip->dst_addr = dst_be;
  ip->hdr_checksum = rte_ipv4_cksum(ip);
  *out = GlueFrame{m, route.port_index, route.gateway_be != 0 ? route.gateway_be : dst_be};
  return eth + kEthLen + kIpLen;
}

// TcpOutput::emit: Ethernet + IPv4 + TCP header + payload in one mbuf.
// Checksums in software: the ports Tandem runs on here (af_packet, af_xdp,
// net_ring) offer no TX checksum offload, and a NIC that does can take
// over by setting ol_flags here later.
void glue_emit(void* ctx, const TcpSegment& seg) {
  auto* g = static_cast<TcpGlue*>(ctx);
  size_t hlen = tcp_wire_header_len(seg);
  size_t payload = size_t{seg.payload_len} + seg.payload2_len;
  GlueFrame fr;
  uint8_t* tcp = start_frame(g, seg.tuple.src_ip, seg.tuple.dst_ip, kIpProtoTcp, hlen + payload, &fr);
  if (tcp == nullptr) return;
  tcp_wire_encode_header(seg, tcp, hlen);
  if (seg.payload_len > 0) std::memcpy(tcp + hlen, seg.payload, seg.payload_len);
  if (seg.payload2_len > 0)
    std::memcpy(tcp + hlen + seg.payload_len, seg.payload2, seg.payload2_len);
  uint16_t sum = tcp_wire_checksum(seg.tuple.src_ip, seg.tuple.dst_ip, tcp, hlen + payload);
  tcp[kTcpChecksumOff] = static_cast<uint8_t>(sum >> 8);
  tcp[kTcpChecksumOff + 1] = static_cast<uint8_t>(sum & 0xff);

  send_via_neighbour(g, *g->cfg, fr.port_index, fr.next_hop_be, fr.m);
}

// A frame for worker `owner`'s glue, through its hand-off ring; m is taken
// either way. The owner may not have taken its stack yet
// (dataplane_ztna_start): the frame is lost, as on a full ring.
void hand_off(WorkerContext* w, unsigned owner, unsigned port_index, rte_mbuf* m) {
  TcpGlue* g = w->tcp;
  TcpGlue* og = std::atomic_ref<TcpGlue*>(w->dp->workers_[owner]->tcp).load(std::memory_order_acquire);
  m->port = static_cast<uint16_t>(port_index);
  if (og == nullptr || rte_ring_mp_enqueue(og->handoff, m) != 0) {
    ++g->counters.rx_handoff_full;
    rte_pktmbuf_free(m);
  } else {
    ++g->counters.rx_handoffs;
  }
}

// An echo reply to one of this node's health pings (identifier
// kTcpGluePingTag | worker), or false.
bool ping_reply_of(const rte_mbuf* m, const ParsedFrame& f, uint16_t* id, uint16_t* seq) {
  return icmp_echo_reply_ids(rte_pktmbuf_mtod(m, const uint8_t*), rte_pktmbuf_data_len(m), f, id, seq) &&
         (*id & 0xff00) == kTcpGluePingTag;
}

void ping_reply_deliver(TcpGlue* g, const ParsedFrame& f, uint16_t seq) {
  ++g->counters.ping_replies;
  if (g->ztna != nullptr) ztna_app_ping_reply(g->ztna, rte_be_to_cpu_32(f.ip_src_be), seq);
}

// A verified frame of this worker's flow into the engine; frees m (the
// engine copied what it keeps into the connection's receive ring).
void deliver(TcpGlue* g, const ActiveConfig& cfg, rte_mbuf* m, const ParsedFrame& f) {
  const uint8_t* tcp = rte_pktmbuf_mtod(m, const uint8_t*) + f.l4_offset;
  uint32_t src = rte_be_to_cpu_32(f.ip_src_be), dst = rte_be_to_cpu_32(f.ip_dst_be);
  uint64_t ck = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
  bool bad = ck == RTE_MBUF_F_RX_L4_CKSUM_BAD ||
             (ck != RTE_MBUF_F_RX_L4_CKSUM_GOOD && tcp_wire_checksum(src, dst, tcp, f.l4_len) != 0);
  TcpSegment seg;
  if (bad) {
    ++g->counters.rx_bad_checksum;
  } else if (!tcp_wire_decode(tcp, f.l4_len, src, dst, &seg)) {
    ++g->counters.rx_malformed;
  } else {
    enter(g, cfg);
    ++g->counters.rx_segments;
    tcp_stack_input(g->stack, seg, g->now_us);
  }
  rte_pktmbuf_free(m);
}

void serve_handoffs(TcpGlue* g, const ActiveConfig& cfg, unsigned* taken) {
  rte_mbuf* pkts[kHandoffBurst];
  unsigned n = rte_ring_sc_dequeue_burst(g->handoff, reinterpret_cast<void**>(pkts),
                                         kHandoffBurst, nullptr);
  for (unsigned i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    ParsedFrame f;
    if (m->port >= cfg.snap.nb_ports || !cfg.snap.ports[m->port].active ||
        parse_frame(rte_pktmbuf_mtod(m, const uint8_t*), rte_pktmbuf_data_len(m), &f) !=
            DropReason::kNone) {
      rte_pktmbuf_free(m);  // the config changed under it
      continue;
    }
    uint16_t id, seq;
    if (ping_reply_of(m, f, &id, &seq)) {
      ping_reply_deliver(g, f, seq);
      rte_pktmbuf_free(m);
      continue;
    }
    deliver(g, cfg, m, f);
  }
  *taken = n;
}

void serve_diag(TcpGlue* g, TcpDiagRequest* req) {
  const TcpStack* s = g->stack;
  if (!req->list) {
    req->stats.stack = s->counters;
    req->stats.glue = g->counters;
    req->stats.live = s->live;
    req->stats.slots = s->cfg.max_conns;
    req->stats.buffers = s->cfg.max_buffers;
    req->stats.buffers_free = s->buf_free_n;
    std::memcpy(req->stats.by_state, s->by_state, sizeof(req->stats.by_state));
    return;
  }
  tcp_stack_for_each(s, [&](const TcpConn& c) {
    ++req->total;
    char line[kDiagLineMax];
    int head = std::snprintf(line, sizeof(line), "worker=%u ", g->w->index);
    size_t n = static_cast<size_t>(head) +
               tcp_format_conn(c, g->now_us, line + head, sizeof(line) - static_cast<size_t>(head));
    n = std::min(n, sizeof(line) - 1);
    if (req->used + n + 1 > req->len) return;
    std::memcpy(req->buf + req->used, line, n);
    req->used += n;
    req->buf[req->used] = '\0';
    ++req->listed;
  });
}

bool run_inline_or_post(Dataplane* dp, TcpGlue* g, TcpDiagRequest* req, unsigned timeout_ms) {
  return mailbox_run(dp->launched_.load(std::memory_order_acquire), g->mailbox, req, timeout_ms,
                     [&] { serve_diag(g, req); });
}

}  // namespace

namespace {

TcpConfig glue_stack_config(const Dataplane* dp) {
  TcpConfig cfg{};
  cfg.max_conns = dp->params_.tcp_max_conns;
  cfg.sndbuf = kTcpGlueBufBytes;
  cfg.rcvbuf = kTcpGlueBufBytes;
  cfg.secret_seed = rte_rand();  // cookies, ISS and the table hash unguessable per boot
  return cfg;
}

uint64_t glue_clock_us(const Dataplane* dp) {
  return dp->clock_ != nullptr ? dataplane_now_ms(dp) * 1000 : rte_rdtsc() / dp->tsc_per_us_;
}

}  // namespace

TcpGlue* tcp_glue_create(Dataplane* dp, WorkerContext* w) {
  int socket = static_cast<int>(dp->params_.socket_id);
  TcpConfig cfg = glue_stack_config(dp);
  auto* g = static_cast<TcpGlue*>(
      rte_zmalloc_socket("tandem_tcp_glue", sizeof(TcpGlue), RTE_CACHE_LINE_SIZE, socket));
  if (g == nullptr) return nullptr;
  new (&g->mailbox) std::atomic<TcpDiagRequest*>(nullptr);
  g->w = w;
  g->echo_listener = g->http_listener = -1;
  static std::atomic<unsigned> serial{0};
  unsigned id = serial.fetch_add(1);
  char name[RTE_MEMPOOL_NAMESIZE];
  std::snprintf(name, sizeof(name), "tdm_tcp_%u", id);
  g->pool = rte_pktmbuf_pool_create(name, kPoolMbufs, kPoolCache, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                    socket);
  std::snprintf(name, sizeof(name), "tdm_tcpho_%u", id);
  g->handoff = rte_ring_create(name, kTcpGlueHandoffRing, socket, RING_F_SC_DEQ);
  void* smem = rte_zmalloc_socket("tandem_tcp_stack", tcp_stack_memsize(cfg), RTE_CACHE_LINE_SIZE,
                                  socket);
  g->conns = static_cast<TcpServiceConn*>(rte_zmalloc_socket(
      "tandem_tcp_service", tcp_service_conn_memsize(cfg.max_conns), RTE_CACHE_LINE_SIZE, socket));
  auto* pattern = static_cast<uint8_t*>(
      rte_malloc_socket("tandem_tcp_pattern", kTcpPatternBlock, RTE_CACHE_LINE_SIZE, socket));
  if (g->pool == nullptr || g->handoff == nullptr || smem == nullptr || g->conns == nullptr ||
      pattern == nullptr) {
    rte_free(smem);
    rte_free(pattern);
    tcp_glue_destroy(g);
    return nullptr;
  }
  if (dp->params_.ztna &&
      (g->ztna = ztna_app_create(g, cfg.max_conns, socket)) == nullptr) {
    rte_free(smem);
    rte_free(pattern);
    tcp_glue_destroy(g);
    return nullptr;
  }
  tcp_service_init_pattern(pattern);
  g->pattern = pattern;
  g->now_us = glue_clock_us(dp);
  g->stack = tcp_stack_init(smem, cfg, TcpOutput{glue_emit, g}, g->now_us);
  return g;
}

void tcp_glue_restart_clock(TcpGlue* g) {
  const Dataplane* dp = g->w->dp;
  g->now_us = glue_clock_us(dp);
  g->stack = tcp_stack_init(g->stack, glue_stack_config(dp), TcpOutput{glue_emit, g}, g->now_us);
  g->service = TcpServiceConf{};
  g->echo_listener = g->http_listener = -1;
}

void tcp_glue_destroy(TcpGlue* g) {
  if (g == nullptr) return;
  free_ring_mbufs(g->handoff);
  rte_ring_free(g->handoff);
  // Frames of this pool may still sit in TX buffers and neighbour queues:
  // the dataplane frees those first (free_dataplane order).
  ztna_app_destroy(g->ztna);
  rte_mempool_free(g->pool);
  rte_free(g->stack);
  rte_free(g->conns);
  rte_free(const_cast<uint8_t*>(g->pattern));
  rte_free(g);
}

bool tcp_glue_input(WorkerContext* w, const ActiveConfig& cfg, unsigned port_index, rte_mbuf* m,
                    const ParsedFrame& f) {
  TcpGlue* g = w->tcp;
  uint16_t id, seq;
  if (g != nullptr && f.ip_proto == kIpProtoIcmp && ping_reply_of(m, f, &id, &seq) &&
      node_owns(cfg.snap, f.ip_dst_be)) {
    unsigned owner = id & 0xffu;  // the worker that sent the request
    if (owner == w->index) {
      ping_reply_deliver(g, f, seq);
      rte_pktmbuf_free(m);
    } else if (owner < w->dp->params_.nb_workers) {
      hand_off(w, owner, port_index, m);
    } else {
      rte_pktmbuf_free(m);  // no such worker: not ours after all
    }
    return true;
  }
  if (g == nullptr || f.ip_proto != kIpProtoTcp || f.ip_fragment || !f.has_l4 ||
      !node_owns(cfg.snap, f.ip_dst_be))
    return false;
  unsigned nb_workers = w->dp->params_.nb_workers;
  if (nb_workers > 1) {
    // A port without RSS (most vdevs) delivers anywhere: the flow's owner is
    // where the engine holds its connection, and where an active open's
    // port choice sends it (tcp_glue_port_is_ours).
    unsigned owner = flow_owner(w->dp->rss_key_, f.ip_src_be, f.ip_dst_be, f.src_port,
                                f.dst_port, true, nb_workers);
    if (owner != w->index) {
      hand_off(w, owner, port_index, m);
      return true;
    }
  }
  deliver(g, cfg, m, f);
  return true;
}

unsigned tcp_glue_poll(WorkerContext* w, const ActiveConfig& cfg) {
  TcpGlue* g = w->tcp;
  if (g == nullptr) {
    // A stack handed over at run time (dataplane_ztna_start) starts here.
    g = std::atomic_ref<TcpGlue*>(w->tcp_adopt).load(std::memory_order_acquire);
    if (g == nullptr) return 0;
    tcp_glue_restart_clock(g);
    std::atomic_ref<TcpGlue*>(w->tcp).store(g, std::memory_order_release);
  }
  if (g->ztna == nullptr) {
    ZtnaApp* a = std::atomic_ref<ZtnaApp*>(g->ztna_adopt).load(std::memory_order_acquire);
    if (a != nullptr) std::atomic_ref<ZtnaApp*>(g->ztna).store(a, std::memory_order_release);
  }
  enter(g, cfg);
  tcp_service_configure(g, cfg.snap.tcp_service);
  ztna_app_configure(g, cfg.snap.ztna);
  unsigned taken = 0;
  serve_handoffs(g, cfg, &taken);
  enter(g, cfg);
  tcp_stack_advance(g->stack, g->now_us);
  if (g->mailbox.load(std::memory_order_relaxed) != nullptr) {
    TcpDiagRequest* req = g->mailbox.exchange(nullptr, std::memory_order_acq_rel);
    if (req != nullptr) {
      serve_diag(g, req);
      req->done.store(true, std::memory_order_release);
    }
  }
  return taken;
}

unsigned tcp_glue_nap_us(const WorkerContext* w, unsigned idle_sleep_us) {
  if (w->tcp == nullptr || w->tcp->stack->live == 0) return idle_sleep_us;
  return std::min(idle_sleep_us, kTcpGlueMaxNapUs);
}

bool tcp_glue_port_is_ours(void* ctx, const TcpTuple& t) {
  const auto* w = static_cast<const WorkerContext*>(ctx);
  unsigned nb_workers = w->dp->params_.nb_workers;
  if (nb_workers <= 1) return true;
  // The key is symmetric: the hash of our SYN is the hash of the answers.
  return flow_owner(w->dp->rss_key_, rte_cpu_to_be_32(t.src_ip), rte_cpu_to_be_32(t.dst_ip),
                    t.src_port, t.dst_port, true, nb_workers) == w->index;
}

TcpConn* tcp_glue_connect(WorkerContext* w, uint32_t local_ip, uint32_t remote_ip,
                          uint16_t remote_port, const TcpCallbacks* cb, void* app) {
  TcpGlue* g = w->tcp;
  if (g == nullptr) return nullptr;
  enter(g, *w->dp->config_.load(std::memory_order_acquire));
  return tcp_connect(g->stack, local_ip, remote_ip, remote_port, tcp_glue_port_is_ours, w, cb,
                     app);
}

bool tcp_glue_send_ping(WorkerContext* w, uint32_t local_ip, uint32_t remote_ip, uint16_t seq) {
  constexpr size_t kIcmpLen = 8, kPayload = 32;
  constexpr uint8_t kIcmpEchoRequest = 8;
  static constexpr char kPayloadText[kPayload + 1] = "tandem-health-check-ping........";
  TcpGlue* g = w->tcp;
  GlueFrame fr;
  uint8_t* icmp = g != nullptr ? start_frame(g, local_ip, remote_ip, kIpProtoIcmp, kIcmpLen + kPayload, &fr)
                               : nullptr;
  if (icmp == nullptr) return false;
  uint16_t id = static_cast<uint16_t>(kTcpGluePingTag | (w->index & 0xffu));
  const uint8_t head[kIcmpLen] = {kIcmpEchoRequest, 0, 0, 0, static_cast<uint8_t>(id >> 8),
                                  static_cast<uint8_t>(id & 0xff), static_cast<uint8_t>(seq >> 8),
                                  static_cast<uint8_t>(seq & 0xff)};
  std::memcpy(icmp, head, kIcmpLen);
  std::memcpy(icmp + kIcmpLen, kPayloadText, kPayload);
  // rte_raw_cksum sums the words as they lie in memory: stored back as
  // they are, the bytes come out in network order.
  uint16_t sum = static_cast<uint16_t>(~rte_raw_cksum(icmp, kIcmpLen + kPayload));
  std::memcpy(icmp + 2, &sum, sizeof(sum));
  ++g->counters.pings_sent;
  send_via_neighbour(g, *g->cfg, fr.port_index, fr.next_hop_be, fr.m);
  return true;
}

bool dataplane_tcp_enabled(const Dataplane* dp) { return dp->params_.tcp_max_conns > 0; }

// An access proxy configured after start: the stacks (or only the proxies,
// when the test service already made stacks) are built here on the control
// lcore and handed to the workers, which take them between two loops;
// nothing is allocated on a worker. Waits until every launched worker took
// its share, so the caller may then publish the snapshot with the proxy.
int dataplane_ztna_start(Dataplane* dp, uint32_t max_conns, unsigned timeout_ms) {
  if (dataplane_ztna_enabled(dp)) return 0;
  const unsigned n = dp->params_.nb_workers;
  const bool had_stacks = dp->params_.tcp_max_conns > 0;
  if (!had_stacks) dp->params_.tcp_max_conns = max_conns;
  dp->params_.ztna = true;  // read by tcp_glue_create below, and by the CLI
  const int socket = static_cast<int>(dp->params_.socket_id);
  for (unsigned i = 0; i < n; ++i) {
    WorkerContext* w = dp->workers_[i];
    if (!had_stacks) {
      TcpGlue* g = tcp_glue_create(dp, w);
      if (g == nullptr) return -ENOMEM;  // the workers that got one keep it
      std::atomic_ref<TcpGlue*>(w->tcp_adopt).store(g, std::memory_order_release);
    } else {
      ZtnaApp* a = ztna_app_create(w->tcp, w->tcp->stack->cfg.max_conns, socket);
      if (a == nullptr) return -ENOMEM;
      std::atomic_ref<ZtnaApp*>(w->tcp->ztna_adopt).store(a, std::memory_order_release);
    }
  }
  // Workers not launched yet take theirs at their first loop.
  if (!dp->launched_.load(std::memory_order_acquire)) return 0;
  const uint64_t deadline = rte_get_timer_cycles() + rte_get_timer_hz() / 1000 * timeout_ms;
  for (;;) {
    bool all = true;
    for (unsigned i = 0; i < n; ++i) {
      TcpGlue* g = std::atomic_ref<TcpGlue*>(dp->workers_[i]->tcp).load(std::memory_order_acquire);
      all = all && g != nullptr && std::atomic_ref<ZtnaApp*>(g->ztna).load(std::memory_order_acquire) != nullptr;
    }
    if (all) return 0;
    if (rte_get_timer_cycles() > deadline) return -ETIMEDOUT;
    rte_delay_us_sleep(100);
  }
}

int dataplane_tcp_list(Dataplane* dp, char* buf, size_t len, unsigned* total,
                       unsigned timeout_ms) {
  if (!dataplane_tcp_enabled(dp)) return -ENOTSUP;
  if (buf == nullptr || len == 0) return -EINVAL;
  std::lock_guard<std::mutex> lock(dp->control_mutex_);
  buf[0] = '\0';
  size_t used = 0;
  unsigned sum = 0;
  for (unsigned i = 0; i < dp->params_.nb_workers; ++i) {
    TcpDiagRequest req{};
    req.list = true;
    req.buf = buf + used;
    req.len = len - used;
    if (!run_inline_or_post(dp, dp->workers_[i]->tcp, &req, timeout_ms)) return -ETIMEDOUT;
    used += req.used;
    sum += req.total;
  }
  if (total != nullptr) *total = sum;
  return static_cast<int>(used);
}

int dataplane_tcp_stats(Dataplane* dp, unsigned worker, TcpWorkerStats* out,
                        unsigned timeout_ms) {
  if (!dataplane_tcp_enabled(dp)) return -ENOTSUP;
  if (worker >= dp->params_.nb_workers || out == nullptr) return -EINVAL;
  std::lock_guard<std::mutex> lock(dp->control_mutex_);
  TcpDiagRequest req{};
  req.list = false;
  if (!run_inline_or_post(dp, dp->workers_[worker]->tcp, &req, timeout_ms)) return -ETIMEDOUT;
  *out = req.stats;
  return 0;
}

}  // namespace tandem::dp
