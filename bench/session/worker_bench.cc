// bench-worker: what a transit frame costs the worker loop itself, in TSC
// cycles, at 1k / 100k / 1M live UDP sessions: RX burst from a net_ring
// port, parse, session lookup and refresh, TTL, neighbour, TX burst, as
// dataplane_poll_once() runs it in this thread. No generator and no memif:
// the frames wait in the RX ring before the clock starts and the TX ring is
// drained after it stops, so what other processes do to the core shows only
// as outliers, and the minimum over runs is the path's own cost. It is the
// figure to compare two builds of dataplane/ by (bench/ndr/run --cycles
// adds the memif PMD and the scheduler; docs/bench-forwarding.md).
//
//   bench-worker [--sessions "1000 100000 1000000"] [--runs 7] [--frames N]
//                [--round F] [--gated] [--no-huge] [--random-order] [--pickup]
//                [--table-size N]
//
// --gated: both ports marked as port_setup marks memif ports, so every
// burst asks the worker's LinkGate (drivers/port/unmap_guard.h) the way it
// does on memif: the cost of that check, against a run without.
//
// --random-order: the timed rounds send the flows in a random order (one
// permutation, the same every round) instead of flow 0, 1, 2, ...; the
// warm-up creates the sessions in flow order either way. The entries a
// burst hits are then as scattered as real traffic makes them, where in
// order they are adjacent (tandem-gen's default, --warmup-order seq). Until
// 2026-12-06 the warm-up used the same permutation, so the sessions were
// laid out in the order the rounds visited them, and only the bucket
// array was read out of order.
//
// --table-size N: the session table's capacity (`set session-table-size`,
// default 1048576, as bench/ndr/run): how full the table is at a session
// count, hence how many flows sit off their home entry.
//
// --pickup: the worker is an HA primary with session pickup (connectionless
// on, so the UDP flows are replicated). A second Dataplane in this thread
// is the secondary, its hbdev crossed with the primary's: the warm-up's
// sessions reach it and are acknowledged before the clock starts, and the
// timed loops pay what the primary pays per packet (the check whether the
// peer needs a refresh, the poll of the sync queue). The peer is polled
// between rounds, off the clock.
//
// --round F: frames waiting per round (default 1024, the RX ring: full
// bursts). F = 1 makes every loop a one-frame burst, which shows the
// loop's fixed cost per busy loop.
//
// The `first-frame` column is the warm-up's: TSC cycles of its polls per
// flow, i.e. what a new flow's first frame costs the worker (session miss,
// route, policy, insert; with --pickup also the record for the peer), and
// the new sessions per second that makes on this core. One sample: the
// warm-up runs once per session count. With --pickup the row ends with
// the secondary's side of the warm-up: cycles per record it took (open the
// frame, decode, install), counting only its loops that received frames.
//
// The frames are written just before each round, so their headers are in
// cache, as they would not be fresh from a NIC; the session table is not
// (it is what the session count changes).
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <rte_cycles.h>
#include <rte_arp.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include "dataplane/session/session.h"
#include "dataplane/session/session_table.h"
#include "dataplane/sync/sync.h"
#include "dataplane/sync/sync_stream.h"
#include "dataplane/worker/worker.h"
#include "drivers/port/unmap_guard.h"

namespace {

using tandem::dp::Dataplane;
using tandem::dp::DataplaneParams;
using tandem::dp::kSessionTableDefault;
using tandem::dp::kSessionTableMax;
using tandem::dp::kSessionTableMin;
using tandem::dp::PortConf;
using tandem::dp::Snapshot;

constexpr unsigned kRingSize = 1024;  // frames per round: one RX ring's worth
constexpr unsigned kPoolSize = 4 * kRingSize - 1;
// bench/ndr/run's session-table-size: the config's default.
uint32_t g_table_size = kSessionTableDefault;
constexpr unsigned kServerPort = 0, kClientPort = 1;  // snapshot indexes
constexpr uint16_t kFrameLen = 60;                    // 64 bytes on the wire with the FCS
constexpr uint32_t kClientHosts = 65533;              // 10.1.0.2 .. 10.1.255.254
constexpr uint16_t kServerUdpPort = 5201;
const rte_ether_addr kPort1Mac{{0x02, 0x09, 0x0f, 0x00, 0x00, 0x01}};
const rte_ether_addr kPort2Mac{{0x02, 0x09, 0x0f, 0x00, 0x00, 0x02}};
const rte_ether_addr kClientMac{{0x52, 0x54, 0x00, 0x00, 0x00, 0x22}};
const rte_ether_addr kServerMac{{0x52, 0x54, 0x00, 0x00, 0x02, 0x09}};
constexpr unsigned kHbQueues = 2;  // 0: heartbeats (control lcore), 1: worker 0's stream
constexpr uint64_t kPrimaryEpoch = 0xa0a0a0a0, kSecondaryEpoch = 0xb0b0b0b0;
constexpr char kSyncPassword[] = "bench-worker";
constexpr uint16_t kSyncGroup = 1;
constexpr uint32_t kPort1Ip = 0xac10c801;  // 172.16.200.1/16 (host order)
constexpr uint32_t kPort2Ip = 0x0a010001;  // 10.1.0.1/16
constexpr uint32_t kServerIp = 0xac10c802;  // 172.16.200.2

struct RingPort {
  uint16_t port_id;
  unsigned nb_queues;
  rte_ring* rx[kHbQueues];  // what the port receives: filled here
  rte_ring* tx[kHbQueues];  // what it sent: drained here
};

rte_mempool* g_pool = nullptr;
std::string g_prefix;  // EAL file prefix: its run directory goes at exit

void remove_run_dir() {
  std::error_code ec;
  std::filesystem::remove_all("/var/run/dpdk/" + g_prefix, ec);
}

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "bench-worker: %s (%s)\n", what, rte_strerror(rte_errno));
  remove_run_dir();
  std::exit(1);
}

unsigned drain(rte_ring* r) {
  void* objs[64];
  unsigned total = 0, n;
  while ((n = rte_ring_dequeue_burst(r, objs, 64, nullptr)) > 0) {
    rte_pktmbuf_free_bulk(reinterpret_cast<rte_mbuf**>(objs), n);
    total += n;
  }
  return total;
}

// nb_queues: 1 for a data port, kHbQueues for an hbdev.
RingPort make_port(const std::string& name, unsigned nb_queues = 1) {
  RingPort p{};
  p.nb_queues = nb_queues;
  // Exact size: a round is kRingSize frames, not one less.
  const unsigned flags = RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ;
  for (unsigned q = 0; q < nb_queues; ++q) {
    std::string rx = name + "_rx" + std::to_string(q), tx = name + "_tx" + std::to_string(q);
    p.rx[q] = rte_ring_create(rx.c_str(), kRingSize, SOCKET_ID_ANY, flags);
    p.tx[q] = rte_ring_create(tx.c_str(), kRingSize, SOCKET_ID_ANY, flags);
    if (p.rx[q] == nullptr || p.tx[q] == nullptr) die("ring");
  }
  int id = rte_eth_from_rings(name.c_str(), p.rx, nb_queues, p.tx, nb_queues, SOCKET_ID_ANY);
  if (id < 0) die("rte_eth_from_rings");
  p.port_id = static_cast<uint16_t>(id);
  rte_eth_conf conf{};
  auto nq = static_cast<uint16_t>(nb_queues);
  if (rte_eth_dev_configure(p.port_id, nq, nq, &conf) != 0) die("net_ring port set-up");
  for (uint16_t q = 0; q < nq; ++q)
    if (rte_eth_rx_queue_setup(p.port_id, q, kRingSize, SOCKET_ID_ANY, nullptr, g_pool) != 0 ||
        rte_eth_tx_queue_setup(p.port_id, q, kRingSize, SOCKET_ID_ANY, nullptr) != 0)
      die("net_ring queue set-up");
  if (rte_eth_dev_start(p.port_id) != 0) die("net_ring port start");
  return p;
}

void free_port(const RingPort& p) {
  rte_eth_dev_stop(p.port_id);
  rte_eth_dev_close(p.port_id);
  for (unsigned q = 0; q < p.nb_queues; ++q) {
    drain(p.rx[q]);
    drain(p.tx[q]);
    rte_ring_free(p.rx[q]);
    rte_ring_free(p.tx[q]);
  }
}

PortConf port_conf(const RingPort& p, const rte_ether_addr& mac, uint32_t ip, const char* name,
                   bool active) {
  PortConf c{};
  c.port_id = p.port_id;
  c.mac = mac;
  c.addrs[c.nb_addrs++] = {rte_cpu_to_be_32(ip), rte_cpu_to_be_32(0xffff0000)};
  c.active = active;
  std::snprintf(c.name, sizeof(c.name), "%s", name);
  return c;
}

// Session pickup's settings for one end, as tandemd derives them from
// `config system ha` (keys from the group password and both boot epochs).
tandem::dp::SyncConf sync_conf(bool primary) {
  tandem::dp::SyncConf c;  // connectionless: the flows are UDP
  if (!tandem::dp::sync_conf_for_pair(&c, primary, kSyncGroup, kSyncPassword,
                                      primary ? kPrimaryEpoch : kSecondaryEpoch,
                                      primary ? kSecondaryEpoch : kPrimaryEpoch))
    die("sync keys");
  const uint8_t mac[6] = {0x02, 0x09, 0x0f, 0x00, 0x0a, static_cast<uint8_t>(primary ? 1 : 2)};
  std::memcpy(c.local_mac, mac, sizeof(mac));
  return c;
}

// bench/ndr/run's tandemd: port2 clients, port1 servers, one policy
// port2 -> port1 accept all. With pickup, primary or secondary of a pair
// (the secondary's data ports are standby).
Snapshot make_snapshot(const RingPort& p1, const RingPort& p2, bool pickup, bool primary) {
  Snapshot s{};
  s.generation = 1;
  s.nb_ports = 2;
  s.ports[kServerPort] = port_conf(p1, kPort1Mac, kPort1Ip, "port1", primary);
  s.ports[kClientPort] = port_conf(p2, kPort2Mac, kPort2Ip, "port2", primary);
  if (pickup) s.sync = sync_conf(primary);
  s.routes[s.nb_routes++] = {rte_cpu_to_be_32(kPort1Ip & 0xffff0000), 16, kServerPort, 0, 0, 0};
  s.routes[s.nb_routes++] = {rte_cpu_to_be_32(kPort2Ip & 0xffff0000), 16, kClientPort, 0, 0, 0};
  tandem::dp::FirewallConf& fw = s.firewall;
  fw.policies[fw.nb_policies++] = {1, 1u << kClientPort, 1u << kServerPort, 0, 0, 0, 0, 0, 0,
                                   true, false, true};
  return s;
}

// Flow i: 10.1.0.2 + i % kClientHosts, port 1024 + i / kClientHosts ->
// 172.16.200.2:5201, as tandem-gen numbers bench/ndr/run's flows.
void write_client_udp(rte_mbuf* m, uint32_t flow) {
  auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
  std::memset(eth, 0, kFrameLen);
  eth->dst_addr = kPort2Mac;
  eth->src_addr = kClientMac;
  eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
  auto* ip = reinterpret_cast<rte_ipv4_hdr*>(eth + 1);
  ip->version_ihl = RTE_IPV4_VHL_DEF;
  ip->total_length = rte_cpu_to_be_16(kFrameLen - sizeof(rte_ether_hdr));
  ip->time_to_live = 64;
  ip->next_proto_id = IPPROTO_UDP;
  ip->src_addr = rte_cpu_to_be_32((kPort2Ip & 0xffff0000) + 2 + flow % kClientHosts);
  ip->dst_addr = rte_cpu_to_be_32(kServerIp);
  ip->hdr_checksum = rte_ipv4_cksum(ip);
  auto* udp = reinterpret_cast<rte_udp_hdr*>(ip + 1);
  udp->src_port = rte_cpu_to_be_16(static_cast<uint16_t>(1024 + flow / kClientHosts));
  udp->dst_port = rte_cpu_to_be_16(kServerUdpPort);
  udp->dgram_len = rte_cpu_to_be_16(kFrameLen - sizeof(rte_ether_hdr) - sizeof(rte_ipv4_hdr));
  m->data_len = m->pkt_len = kFrameLen;
}

// The server asks for port1's address: the worker answers and learns its MAC.
void write_server_arp(rte_mbuf* m) {
  auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
  std::memset(eth, 0, kFrameLen);
  std::memset(eth->dst_addr.addr_bytes, 0xff, RTE_ETHER_ADDR_LEN);
  eth->src_addr = kServerMac;
  eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
  auto* arp = reinterpret_cast<rte_arp_hdr*>(eth + 1);
  arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
  arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
  arp->arp_hlen = RTE_ETHER_ADDR_LEN;
  arp->arp_plen = 4;
  arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
  arp->arp_data.arp_sha = kServerMac;
  arp->arp_data.arp_sip = rte_cpu_to_be_32(kServerIp);
  arp->arp_data.arp_tip = rte_cpu_to_be_32(kPort1Ip);
  m->data_len = m->pkt_len = kFrameLen;
}

// Flows first..first+n (mod sessions) into port2's RX ring.
// --random-order: the flow the timed rounds send n-th (empty: flow n). The
// warm-up always sends flow n n-th (`ordered`), so the sessions are laid out
// in flow order and the timed rounds find them scattered.
std::vector<uint32_t> g_order;

void fill(const RingPort& p, uint32_t first, unsigned n, uint32_t sessions, bool ordered = false) {
  rte_mbuf* pkts[kRingSize];
  if (rte_pktmbuf_alloc_bulk(g_pool, pkts, n) != 0) die("mbuf pool empty");
  for (unsigned i = 0; i < n; ++i) {
    uint32_t k = (first + i) % sessions;
    write_client_udp(pkts[i], ordered || g_order.empty() ? k : g_order[k]);
  }
  if (rte_ring_enqueue_bulk(p.rx[0], reinterpret_cast<void**>(pkts), n, nullptr) != n) die("rx ring");
}

struct RunResult {
  double cycles_per_frame;
  uint64_t frames;
};

// What a session count's set-up measured besides its runs.
struct SetupResult {
  uint64_t warmup_cycles = 0;  // the warm-up's polls: every flow's first frame
  uint64_t timed_records = 0;  // --pickup: records to the peer while the clock ran
  // --pickup: the secondary's warm-up loops that received frames, and the
  // records it took in them (decrypt, decode, install).
  uint64_t peer_cycles = 0, peer_records = 0;
};

// Polls until the RX ring is empty; returns the TSC cycles it took.
uint64_t poll_until_empty(Dataplane* dp) {
  uint64_t t0 = rte_rdtsc_precise();
  while (tandem::dp::dataplane_poll_once(dp, 0) > 0) {
  }
  return rte_rdtsc_precise() - t0;
}

// Polls until n frames were received (no trailing empty loop: only loops
// that received are timed, as the busy_cycles counters do).
uint64_t poll_frames(Dataplane* dp, unsigned n) {
  uint64_t t0 = rte_rdtsc_precise();
  for (unsigned got = 0; got < n;) got += tandem::dp::dataplane_poll_once(dp, 0);
  return rte_rdtsc_precise() - t0;
}

// --pickup's secondary: standby data ports, and an hbdev crossed with the
// primary's on the stream's queue.
struct Peer {
  RingPort p1, p2, hb;
  Dataplane* dp = nullptr;
};

// Moves what one hbdev sent on worker 0's stream queue to the other's RX.
unsigned cross(const RingPort& from, const RingPort& to) {
  void* burst[64];
  unsigned n, moved = 0;
  while ((n = rte_ring_dequeue_burst(from.tx[1], burst, 64, nullptr)) > 0) {
    unsigned done = rte_ring_enqueue_burst(to.rx[1], burst, n, nullptr);
    rte_pktmbuf_free_bulk(reinterpret_cast<rte_mbuf**>(burst) + done, n - done);
    moved += n;
  }
  return moved;
}

// Off the clock: the primary's sync frames to the secondary and its acks
// back. settle: until the primary's stream runs with nothing unacked, the
// link was quiet for 2 ms (the stream's flush and ack timers are 50 and
// 200 us), and the secondary holds a complete copy; otherwise one exchange.
// peer_cycles (when not null) adds the TSC cycles of the secondary's loops
// that received frames.
void pump(Dataplane* dp, const RingPort& hb, Peer& peer, bool settle,
          uint64_t* peer_cycles = nullptr) {
  const uint64_t hz = rte_get_tsc_hz();
  uint64_t now = rte_rdtsc(), quiet_since = now, deadline = now + 60 * hz;
  for (;;) {
    unsigned moved = cross(hb, peer.hb);
    for (;;) {
      uint64_t t0 = rte_rdtsc_precise();
      if (tandem::dp::dataplane_poll_once(peer.dp, 0) == 0) break;
      if (peer_cycles != nullptr) *peer_cycles += rte_rdtsc_precise() - t0;
    }
    moved += cross(peer.hb, hb);
    while (tandem::dp::dataplane_poll_once(dp, 0) > 0) {
    }
    if (!settle) return;
    now = rte_rdtsc();
    if (moved > 0) quiet_since = now;
    tandem::dp::SyncStreamView v{};
    tandem::dp::dataplane_sync_view(dp, &v, 1);
    if (v.tx_state == tandem::dp::SyncTxState::kRunning && v.pending_frames == 0 &&
        now - quiet_since > hz / 500 && tandem::dp::dataplane_sync_in_sync(peer.dp))
      return;
    if (now > deadline) die("session pickup: the secondary did not catch up within 60 s");
  }
}

Dataplane* create_dataplane(const RingPort& p1, const RingPort& p2, const RingPort* hb,
                            bool primary) {
  DataplaneParams params{1, 0, static_cast<unsigned>(SOCKET_ID_ANY)};
  params.session_capacity = g_table_size;
  params.session_sync = hb != nullptr;
  char error[256] = "";
  Dataplane* dp = tandem::dp::dataplane_create(params, make_snapshot(p1, p2, hb != nullptr, primary),
                                               error, sizeof(error));
  if (dp == nullptr) {
    std::fprintf(stderr, "bench-worker: %s\n", error);
    remove_run_dir();
    std::exit(1);
  }
  if (hb != nullptr) tandem::dp::dataplane_sync_port(dp, hb->port_id);
  return dp;
}

std::vector<RunResult> bench_sessions(uint32_t sessions, unsigned runs, uint64_t frames_per_run,
                                      unsigned round, bool gated, bool random_order, bool pickup,
                                      SetupResult* setup, bool* ok) {
  static unsigned serial = 0;
  g_order.clear();
  if (random_order) {
    g_order.resize(sessions);
    for (uint32_t i = 0; i < sessions; ++i) g_order[i] = i;
    std::mt19937 rng(sessions);
    std::shuffle(g_order.begin(), g_order.end(), rng);
  }
  std::string tag = "bw" + std::to_string(serial++) + "_";
  RingPort p1 = make_port(tag + "p1"), p2 = make_port(tag + "p2");
  tandem::drivers::link_gate_require(p1.port_id, gated);
  tandem::drivers::link_gate_require(p2.port_id, gated);
  RingPort hb{};
  Peer peer{};
  if (pickup) {
    hb = make_port(tag + "hb", kHbQueues);
    peer.p1 = make_port(tag + "peer_p1");
    peer.p2 = make_port(tag + "peer_p2");
    peer.hb = make_port(tag + "peer_hb", kHbQueues);
    peer.dp = create_dataplane(peer.p1, peer.p2, &peer.hb, false);
  }
  Dataplane* dp = create_dataplane(p1, p2, pickup ? &hb : nullptr, true);
  if (pickup) pump(dp, hb, peer, true);  // the RESET taken, the empty table's bulk walk done
  rte_mbuf* arp;
  if ((arp = rte_pktmbuf_alloc(g_pool)) == nullptr) die("mbuf pool empty");
  write_server_arp(arp);
  rte_ring_enqueue(p1.rx[0], arp);
  poll_until_empty(dp);
  drain(p1.tx[0]);

  // Warm-up: the first frame of every flow creates its session (and with
  // --pickup its copy on the secondary).
  for (uint32_t first = 0; first < sessions; first += kRingSize) {
    fill(p2, first, std::min<uint32_t>(kRingSize, sessions - first), sessions, true);
    setup->warmup_cycles += poll_until_empty(dp);
    drain(p1.tx[0]);
    if (pickup) pump(dp, hb, peer, true, &setup->peer_cycles);
  }
  tandem::dp::SessionStats st = tandem::dp::dataplane_session_stats(dp);
  *ok = st.in_use == sessions;
  if (!*ok)
    std::fprintf(stderr, "bench-worker: %llu sessions after the warm-up, expected %u\n",
                 static_cast<unsigned long long>(st.in_use), sessions);
  if (pickup && *ok) {
    tandem::dp::SyncStreamView v{};
    tandem::dp::dataplane_sync_view(peer.dp, &v, 1);
    setup->peer_records = v.counters.rx_records;
    st = tandem::dp::dataplane_session_stats(peer.dp);
    *ok = st.in_use == sessions;
    if (!*ok)
      std::fprintf(stderr, "bench-worker: the secondary holds %llu sessions, expected %u\n",
                   static_cast<unsigned long long>(st.in_use), sessions);
  }

  auto records_sent = [&] {
    tandem::dp::SyncStreamView v{};
    if (pickup) tandem::dp::dataplane_sync_view(dp, &v, 1);
    return v.counters.tx_records;
  };
  const uint64_t records_before = records_sent();
  std::vector<RunResult> out;
  uint32_t next = 0;
  for (unsigned r = 0; r < runs && *ok; ++r) {
    uint64_t cycles = 0, sent = 0, frames = 0;
    while (frames < frames_per_run) {
      fill(p2, next, round, sessions);
      next = (next + round) % sessions;
      cycles += poll_frames(dp, round);
      frames += round;
      sent += drain(p1.tx[0]);
      if (pickup) pump(dp, hb, peer, false);
    }
    if (sent != frames) {
      std::fprintf(stderr, "bench-worker: %llu of %llu frames forwarded\n",
                   static_cast<unsigned long long>(sent), static_cast<unsigned long long>(frames));
      *ok = false;
    }
    out.push_back({static_cast<double>(cycles) / static_cast<double>(frames), frames});
  }
  setup->timed_records = records_sent() - records_before;
  if (pickup) {
    tandem::dp::dataplane_sync_port(dp, -1);
    tandem::dp::dataplane_sync_port(peer.dp, -1);
  }
  // The rings hold mbufs of the dataplanes' own pools: drained first.
  for (const RingPort* p : {&p1, &p2, &hb, &peer.p1, &peer.p2, &peer.hb})
    for (unsigned q = 0; q < p->nb_queues; ++q) {
      drain(p->rx[q]);
      drain(p->tx[q]);
    }
  tandem::dp::dataplane_destroy(dp);
  if (pickup) tandem::dp::dataplane_destroy(peer.dp);
  for (const RingPort* p : {&p1, &p2, &hb, &peer.p1, &peer.p2, &peer.hb})
    if (p->nb_queues > 0) free_port(*p);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<uint32_t> counts = {1000, 100000, 1000000};
  unsigned runs = 7;
  uint64_t frames = 1u << 21;
  unsigned round = kRingSize;
  bool huge = true;
  bool gated = false;
  bool random_order = false;
  bool pickup = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--sessions" && i + 1 < argc) {
      counts.clear();
      for (char* s = argv[++i]; *s != '\0';) {
        char* end;
        unsigned long v = std::strtoul(s, &end, 10);
        if (end == s) break;
        if (v == 0 || v > kSessionTableMax) {
          std::fprintf(stderr, "bench-worker: --sessions takes 1..%u\n", kSessionTableMax);
          return 2;
        }
        counts.push_back(static_cast<uint32_t>(v));
        s = end;
      }
    } else if (a == "--runs" && i + 1 < argc) {
      runs = static_cast<unsigned>(std::max(1, std::atoi(argv[++i])));
    } else if (a == "--frames" && i + 1 < argc) {
      frames = std::max<uint64_t>(kRingSize, std::strtoull(argv[++i], nullptr, 10));
    } else if (a == "--round" && i + 1 < argc) {
      round = std::min<unsigned>(kRingSize, std::max(1, std::atoi(argv[++i])));
    } else if (a == "--gated") {
      gated = true;
    } else if (a == "--no-huge") {
      huge = false;
    } else if (a == "--random-order") {
      random_order = true;
    } else if (a == "--pickup") {
      pickup = true;
    } else if (a == "--table-size" && i + 1 < argc) {
      char* end;
      unsigned long v = std::strtoul(argv[++i], &end, 10);
      if (*end != '\0' || v < kSessionTableMin || v > kSessionTableMax) {
        std::fprintf(stderr, "bench-worker: --table-size takes %u..%u\n", kSessionTableMin,
                     kSessionTableMax);
        return 2;
      }
      g_table_size = static_cast<uint32_t>(v);
    } else {
      std::fprintf(stderr,
                   "usage: bench-worker [--sessions \"N ...\"] [--runs R] [--frames N] "
                   "[--round F] [--gated] [--no-huge] [--random-order] [--pickup] "
                   "[--table-size N]\n");
      return a == "-h" || a == "--help" ? 0 : 2;
    }
  }

  for (uint32_t n : counts) {
    if (n > g_table_size) {
      std::fprintf(stderr, "bench-worker: --sessions %u: above the table size %u\n", n,
                   g_table_size);
      return 2;
    }
  }

  // Hugepages by default, as tandemd runs: the 132 MiB session table on 4 KiB
  // pages would add TLB misses tandemd does not have.
  g_prefix = "tandem-bench-worker-" + std::to_string(getpid());
  // --pickup: a second table for the secondary. 512 MiB (1024) hold the
  // default table(s) and the rest; a larger table adds its difference.
  size_t tables = pickup ? 2 : 1;
  size_t table = tandem::dp::session_table_memsize(std::max(g_table_size, kSessionTableDefault));
  size_t extra = tables * (table - tandem::dp::session_table_memsize(kSessionTableDefault));
  std::string mem = std::to_string(512 * tables + (extra >> 20) + 1);
  std::vector<const char*> eal = {"bench-worker", "-l", "0", "-m", mem.c_str(), "--no-pci",
                                  "--no-telemetry", "--file-prefix", g_prefix.c_str(),
                                  "--log-level", "lib.eal:error"};
  if (huge) {
    eal.push_back("--in-memory");
  } else {
    eal.push_back("--no-huge");
    eal.push_back("--no-shconf");
  }
  if (rte_eal_init(static_cast<int>(eal.size()), const_cast<char**>(eal.data())) < 0)
    die("rte_eal_init (no hugepages free? try --no-huge)");
  g_pool = rte_pktmbuf_pool_create("bw_pool", kPoolSize, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                   SOCKET_ID_ANY);
  if (g_pool == nullptr) die("mbuf pool");

  std::printf("bench-worker: TSC %.0f MHz, %s, %u runs of %llu frames per session count, "
              "%u waiting per round%s%s%s; TSC cycles per forwarded 64-byte UDP frame\n",
              static_cast<double>(rte_get_tsc_hz()) / 1e6, huge ? "hugepages" : "no hugepages",
              runs, static_cast<unsigned long long>(frames), round,
              gated ? ", ports gated as memif ones" : "", random_order ? ", flows in random order" : "",
              pickup ? ", HA primary with session pickup to a secondary" : "");
  std::printf("%-10s %8s %8s %8s %12s %9s\n", "sessions", "min", "median", "max", "first-frame",
              "new M/s");
  bool all_ok = true;
  for (uint32_t n : counts) {
    bool ok = true;
    SetupResult setup;
    std::vector<RunResult> r =
        bench_sessions(n, runs, frames, round, gated, random_order, pickup, &setup, &ok);
    all_ok = all_ok && ok;
    if (r.empty()) continue;
    std::vector<double> c;
    for (const RunResult& x : r) c.push_back(x.cycles_per_frame);
    std::sort(c.begin(), c.end());
    // The warm-up is one pass, so its column is one sample, not a minimum.
    double first = static_cast<double>(setup.warmup_cycles) / n;
    std::printf("%-10u %8.1f %8.1f %8.1f %12.1f %9.2f", n, c.front(), c[c.size() / 2], c.back(),
                first, static_cast<double>(rte_get_tsc_hz()) / first / 1e6);
    // Refreshes (a quarter TTL of lag) while the clock ran; 0 in a short run.
    if (pickup && setup.peer_records > 0) {
      double per_record = static_cast<double>(setup.peer_cycles) / setup.peer_records;
      std::printf("   secondary %.1f cycles/record (%.2f M/s)", per_record,
                  static_cast<double>(rte_get_tsc_hz()) / per_record / 1e6);
    }
    if (pickup) std::printf(", %llu records while timed",
                            static_cast<unsigned long long>(setup.timed_records));
    std::printf("\n");
  }
  rte_mempool_free(g_pool);
  rte_eal_cleanup();
  remove_run_dir();
  return all_ok ? 0 : 1;
}
