#include "bench/gen/generator.h"

#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_prefetch.h>

#include "bench/gen/frame_inl.h"
#include "bench/gen/report.h"
#include "drivers/port/device.h"
#include "drivers/port/port.h"
#include "drivers/port/unmap_guard.h"
#include "drivers/xdp/xdp_loader.h"

namespace tandem::gen {

namespace {

constexpr uint64_t kMacValid = 1ull << 63;
// How often an unanswered gateway is asked again while resolving.
constexpr double kArpRetrySeconds = 0.1;
// TX may run this long past the trial end to send the last paced frames.
constexpr double kTxGraceSeconds = 0.01;
// A paced trial may run over by this share of its length to send its whole
// budget when the bucket had to drop tokens (see kBucketDepthSeconds).
constexpr double kPacedOverrunShare = 0.25;
constexpr double kProgressSeconds = 1.0;
// The stamp sits in the frame's first cache line; touching it two frames
// ahead hides the miss of memif/ring copies landing in another core's cache.
constexpr unsigned kPrefetchAhead = 2;

// Set from a signal handler: a lock-free atomic is async-signal-safe.
std::atomic<bool> g_stop_requested{false};
static_assert(std::atomic<bool>::is_always_lock_free);

int64_t unix_now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

bool fail(std::string* error, const std::string& text) {
  if (error != nullptr) *error = text;
  return false;
}

uint64_t pack_mac(const rte_ether_addr& mac) {
  uint64_t v = 0;
  std::memcpy(&v, mac.addr_bytes, RTE_ETHER_ADDR_LEN);
  return v | kMacValid;
}

rte_ether_addr unpack_mac(uint64_t v) {
  rte_ether_addr mac;
  std::memcpy(mac.addr_bytes, &v, RTE_ETHER_ADDR_LEN);
  return mac;
}

std::string port_name(unsigned side, unsigned index) {
  return std::string(side == 0 ? "client" : "server") + std::to_string(index);
}

void add_latency(LatencyHistogram* hist, uint64_t ns) {
  ++hist->counts[latency_bucket(ns)];
  ++hist->samples;
  hist->sum_ns += static_cast<double>(ns);
  if (ns > hist->max_ns) hist->max_ns = ns;
}

}  // namespace

bool Generator::device_eal_args(const GenConfig& cfg, std::vector<std::string>* args,
                                std::string* error) {
  const SideConfig* sides[2] = {&cfg.client, &cfg.server};
  for (unsigned s = 0; s < 2; ++s) {
    for (unsigned i = 0; i < sides[s]->devices.size(); ++i) {
      drivers::DeviceSpec spec;
      if (!drivers::parse_device(port_name(s, i), sides[s]->devices[i], 1, &spec, error)) {
        return false;
      }
      if (spec.kind == drivers::DeviceKind::kKernel) {
        return fail(error, "--" + port_name(s, i) + ": a kernel interface cannot carry "
                           "generated traffic; use af_packet:<ifname> or af_xdp:<ifname>");
      }
      args->insert(args->end(), spec.eal_args.begin(), spec.eal_args.end());
    }
  }
  return true;
}

bool Generator::open(const GenConfig& cfg, std::string* error) {
  cfg_ = cfg;
  if (cfg_.client.devices.empty()) return fail(error, "no client port (--client-port DEVICE)");
  if (cfg_.burst == 0 || cfg_.burst > kMaxBurst) {
    return fail(error, "--burst must be 1.." + std::to_string(kMaxBurst));
  }
  hz_ = rte_get_tsc_hz();
  ns_per_cycle_ = 1e9 / static_cast<double>(hz_);
  pool_ = rte_pktmbuf_pool_create("gen_pool", cfg_.pool_size, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                  static_cast<int>(rte_socket_id()));
  if (pool_ == nullptr) {
    return fail(error, std::string("mbuf pool of ") + std::to_string(cfg_.pool_size) +
                           " frames: " + rte_strerror(rte_errno) + " (raise EAL -m)");
  }
  server_on_client_ports_ = cfg_.server.devices.empty();
  const SideConfig* side_cfg[2] = {&cfg_.client, &cfg_.server};
  for (unsigned s = 0; s < 2; ++s) {
    sides_[s].gateway_ip = side_cfg[s]->gateway_ip;
    for (unsigned i = 0; i < side_cfg[s]->devices.size(); ++i) {
      drivers::DeviceSpec spec;
      if (!drivers::parse_device(port_name(s, i), side_cfg[s]->devices[i], 1, &spec, error)) {
        return false;
      }
      GenPort port;
      // Deferred start: a memif client cannot start before its server
      // exists; wait_links() retries until the peer is there.
      if (!drivers::port_setup_deferred(spec, port_name(s, i), 1, 1, cfg_.rx_desc, cfg_.tx_desc,
                                        pool_, &port.info, error)) {
        return false;
      }
      port.side = s;
      port.index_in_side = i;
      if (spec.kind == drivers::DeviceKind::kAfXdp) port.steer_ifname = spec.ifname;
      const std::string ring_name = "gen_ctl_" + std::to_string(ports_.size());
      port.control = rte_ring_create(ring_name.c_str(), kControlRingSize, SOCKET_ID_ANY,
                                     RING_F_SP_ENQ | RING_F_SC_DEQ);
      if (port.control == nullptr) {
        return fail(error, "control ring: " + std::string(rte_strerror(rte_errno)));
      }
      sides_[s].ports.push_back(static_cast<unsigned>(ports_.size()));
      ports_.push_back(port);
    }
  }
  if (server_on_client_ports_) sides_[1].ports = sides_[0].ports;
  for (unsigned s = 0; s < 2; ++s) {
    sides_[s].host_mac = ports_[sides_[s].ports[0]].info.mac;
    if (side_cfg[s]->dst_mac_set) {
      rte_ether_addr mac;
      std::memcpy(mac.addr_bytes, side_cfg[s]->dst_mac.data(), RTE_ETHER_ADDR_LEN);
      sides_[s].dst_mac.store(pack_mac(mac));
    } else if (sides_[s].gateway_ip == 0) {
      // No router in between: address the frames to the other side's port,
      // which is what a wire or an L2 forwarder delivers them to.
      sides_[s].dst_mac.store(pack_mac(ports_[sides_[1 - s].ports[0]].info.mac));
    }
  }

  const unsigned size_count = static_cast<unsigned>(cfg_.frame_sizes.size());
  if (size_count == 0) return fail(error, "no frame size");
  const unsigned min_size = cfg_.flows.shape == L4Shape::kTcp
                                ? kEthHdrLen + kIpv4HdrLen + l4_header_len(L4Shape::kTcp) +
                                      kTcpStampLen + kFcsLen
                                : kEthHdrLen + kIpv4HdrLen + l4_header_len(L4Shape::kUdp) +
                                      kUdpStampLen + kFcsLen;
  for (uint16_t size : cfg_.frame_sizes) {
    if (size < std::max(min_size, kMinFrameSize) || size > kMaxFrameSize) {
      return fail(error, "frame size " + std::to_string(size) + " outside " +
                             std::to_string(std::max(min_size, kMinFrameSize)) + ".." +
                             std::to_string(kMaxFrameSize));
    }
  }
  sizes_ = cfg_.frame_sizes;

  const unsigned stream_count = cfg_.directions == Directions::kBoth ? 2 : 1;
  streams_ = std::vector<Stream>(stream_count);
  for (unsigned i = 0; i < stream_count; ++i) {
    Stream& st = streams_[i];
    st.side = i;
    st.reverse = i == 1;
    st.name = i == 0 ? "client->server" : "server->client";
    st.tx_seq.assign(cfg_.flows.flows, 0);
    st.rx.assign(cfg_.flows.flows, RxFlowState{0, 0, 0, 0});
  }
  last_rx_ms_.assign(cfg_.flows.flows, 0);
  idle_phase_ = &idle_;
  open_ = true;
  return true;
}

const drivers::PortInfo& Generator::port(Side side, unsigned index) const {
  return ports_[sides_[static_cast<unsigned>(side)].ports[index]].info;
}

unsigned Generator::port_count(Side side) const {
  return static_cast<unsigned>(sides_[static_cast<unsigned>(side)].ports.size());
}

bool Generator::destination_mac(Side side, rte_ether_addr* mac) const {
  const uint64_t v = sides_[static_cast<unsigned>(side)].dst_mac.load(std::memory_order_acquire);
  if ((v & kMacValid) == 0) return false;
  *mac = unpack_mac(v);
  return true;
}

bool Generator::wait_links(std::string* error) {
  const uint64_t deadline = rte_get_tsc_cycles() + static_cast<uint64_t>(cfg_.link_timeout_s * hz_);
  for (;;) {
    std::string down;
    for (GenPort& port : ports_) {
      std::string start_error;
      if (!port.info.started && !drivers::port_start(&port.info, &start_error)) {
        down += " " + port.info.name + " (" + port.info.dpdk_name + ": " + start_error + ")";
        continue;
      }
      // Tandem's XDP program passes to the kernel every frame not for a
      // node address, and a generator has none: without this, an af_xdp
      // port would send and never receive.
      if (!port.steer_ifname.empty()) {
        auto map = drivers::XdpAddressMap::open(port.steer_ifname, &start_error);
        if (!map || !map->set_steer_all(true, &start_error)) {
          return fail(error, port.info.name + ": cannot steer " + port.steer_ifname +
                                 "'s frames to its AF_XDP socket: " + start_error);
        }
        port.steer_ifname.clear();
      }
      rte_eth_link link;
      std::memset(&link, 0, sizeof(link));
      if (rte_eth_link_get_nowait(port.info.port_id, &link) != 0 ||
          link.link_status != RTE_ETH_LINK_UP) {
        down += " " + port.info.name + " (" + port.info.dpdk_name + ")";
      }
    }
    if (down.empty()) return true;
    if (rte_get_tsc_cycles() > deadline) {
      return fail(error, "link still down after " + std::to_string(cfg_.link_timeout_s) +
                             " s on" + down + "; is the peer (memif server, DUT) running?");
    }
    rte_delay_ms(10);
  }
}

bool Generator::hosts_include(unsigned side, uint32_t ip) const {
  const AddrRange& range = side == 0 ? cfg_.flows.client_ip : cfg_.flows.server_ip;
  return ip >= range.first && ip - range.first < range.count;
}

void Generator::send_arp_requests(unsigned side) {
  const SideState& st = sides_[side];
  static const rte_ether_addr kBroadcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
  const rte_ether_addr zero{};
  // The request comes from the first emulated host, which the DUT then
  // knows already when it forwards to it.
  const uint32_t spa = side == 0 ? cfg_.flows.client_ip.first : cfg_.flows.server_ip.first;
  for (unsigned port_index : st.ports) {
    rte_mbuf* m = rte_pktmbuf_alloc(pool_);
    if (m == nullptr) return;
    build_arp(rte_pktmbuf_mtod(m, uint8_t*), RTE_ARP_OP_REQUEST, kBroadcast, st.host_mac, spa,
              zero, st.gateway_ip);
    m->data_len = m->pkt_len = kArpFrameLen;
    if (rte_ring_sp_enqueue(ports_[port_index].control, m) != 0) rte_pktmbuf_free(m);
  }
}

bool Generator::resolve_gateways(std::string* error) {
  const uint64_t start = rte_get_tsc_cycles();
  const uint64_t deadline = start + static_cast<uint64_t>(cfg_.resolve_timeout_s * hz_);
  const uint64_t retry = static_cast<uint64_t>(kArpRetrySeconds * hz_);
  uint64_t next_request = start;
  for (;;) {
    bool pending = false;
    const uint64_t now = rte_get_tsc_cycles();
    for (unsigned s = 0; s < 2; ++s) {
      if (sides_[s].gateway_ip == 0) continue;
      if ((sides_[s].dst_mac.load() & kMacValid) != 0) continue;
      pending = true;
      if (now >= next_request) send_arp_requests(s);
    }
    if (!pending) return true;
    if (now >= next_request) next_request = now + retry;
    if (now > deadline) {
      return fail(error, "no ARP reply from the gateway(s) within " +
                             std::to_string(cfg_.resolve_timeout_s) +
                             " s; is the DUT up with that interface address?");
    }
    for (unsigned p = 0; p < ports_.size(); ++p) drain_control(p);
    poll_once();
  }
}

void Generator::handle_arp(unsigned port_index, const uint8_t* frame, unsigned len) {
  const rte_arp_hdr* arp = arp_of(frame, len);
  if (arp == nullptr) return;
  const unsigned side = ports_[port_index].side;
  const uint32_t spa = rte_be_to_cpu_32(arp->arp_data.arp_sip);
  const uint32_t tpa = rte_be_to_cpu_32(arp->arp_data.arp_tip);
  const uint16_t op = rte_be_to_cpu_16(arp->arp_opcode);
  // Replies and gratuitous ARPs from the gateway (re)learn its MAC: after an
  // HA failover the new primary announces the virtual MAC this way.
  for (unsigned s = 0; s < 2; ++s) {
    if (sides_[s].gateway_ip != 0 && spa == sides_[s].gateway_ip &&
        (s == side || server_on_client_ports_)) {
      sides_[s].dst_mac.store(pack_mac(arp->arp_data.arp_sha), std::memory_order_release);
    }
  }
  if (op != RTE_ARP_OP_REQUEST || spa == tpa) return;
  const bool ours = hosts_include(side, tpa) || (server_on_client_ports_ && hosts_include(1, tpa));
  if (!ours) return;
  rte_mbuf* m = rte_pktmbuf_alloc(pool_);
  if (m == nullptr) return;
  build_arp(rte_pktmbuf_mtod(m, uint8_t*), RTE_ARP_OP_REPLY, arp->arp_data.arp_sha,
            sides_[side].host_mac, tpa, arp->arp_data.arp_sha, spa);
  m->data_len = m->pkt_len = kArpFrameLen;
  if (rte_ring_sp_enqueue(ports_[port_index].control, m) != 0) rte_pktmbuf_free(m);
}

void Generator::drain_control(unsigned port_index) {
  rte_mbuf* frames[kControlRingSize];
  const unsigned n = rte_ring_sc_dequeue_burst(ports_[port_index].control,
                                               reinterpret_cast<void**>(frames), kMaxBurst,
                                               nullptr);
  if (n == 0) return;
  uint16_t sent;
  {
    drivers::BurstSection section;
    sent = rte_eth_tx_burst(ports_[port_index].info.port_id, 0, frames, static_cast<uint16_t>(n));
  }
  for (unsigned i = sent; i < n; ++i) rte_pktmbuf_free(frames[i]);
}

unsigned Generator::transmit(unsigned side, rte_mbuf** frames, unsigned n) {
  // A node killed under load makes its memif port unmap: not while we are
  // inside a burst on it (drivers/port/unmap_guard.h).
  drivers::BurstSection section;
  const SideState& st = sides_[side];
  const unsigned port_count = static_cast<unsigned>(st.ports.size());
  int target = 0;
  if (port_count > 1) {
    const rte_ether_addr dst = *rte_pktmbuf_mtod(frames[0], rte_ether_addr*);
    target = st.macs.lookup(dst);
  }
  if (target != MacTable::kUnknown) {
    return rte_eth_tx_burst(ports_[st.ports[static_cast<unsigned>(target)]].info.port_id, 0,
                            frames, static_cast<uint16_t>(n));
  }
  // Unknown unicast: flood, as a switch does. The first port decides how
  // many frames count as sent; the others get only those, sharing the mbufs.
  for (unsigned i = 0; i < n; ++i) rte_mbuf_refcnt_update(frames[i], static_cast<int16_t>(port_count - 1));
  const unsigned sent = rte_eth_tx_burst(ports_[st.ports[0]].info.port_id, 0, frames,
                                         static_cast<uint16_t>(n));
  for (unsigned i = sent; i < n; ++i) {
    for (unsigned k = 1; k < port_count; ++k) rte_pktmbuf_free(frames[i]);
  }
  for (unsigned p = 1; p < port_count; ++p) {
    const unsigned took = rte_eth_tx_burst(ports_[st.ports[p]].info.port_id, 0, frames,
                                           static_cast<uint16_t>(sent));
    for (unsigned i = took; i < sent; ++i) rte_pktmbuf_free(frames[i]);
  }
  return sent;
}

unsigned Generator::send_once(unsigned stream_index, unsigned n) {
  Stream& st = streams_[stream_index];
  Phase* phase = idle_phase_;
  rte_ether_addr dst;
  if (!destination_mac(static_cast<Side>(st.side), &dst)) return 0;
  n = std::min(n, kMaxBurst);
  rte_mbuf* frames[kMaxBurst];
  if (rte_pktmbuf_alloc_bulk(pool_, frames, n) != 0) return 0;
  const SideState& side = sides_[st.side];
  const uint32_t flow_count = cfg_.flows.flows;
  const uint32_t stream_bit = st.reverse ? kReverseStreamBit : 0;
  const uint32_t tsc32 = static_cast<uint32_t>(rte_rdtsc());
  const uint32_t first_cursor = st.cursor;
  const unsigned first_size_cursor = st.size_cursor;
  uint64_t bytes = 0;
  for (unsigned i = 0; i < n; ++i) {
    const uint32_t flow = st.cursor;
    st.cursor = next_flow(flow, st.stride, flow_count);
    const unsigned size = sizes_[st.size_cursor];
    st.size_cursor = st.size_cursor + 1 == sizes_.size() ? 0 : st.size_cursor + 1;
    const Stamp stamp{flow | stream_bit, st.tx_seq[flow]++, tsc32};
    const unsigned len = size - kFcsLen;
    build_frame(rte_pktmbuf_mtod(frames[i], uint8_t*), len, dst, side.host_mac,
                flow_tuple(cfg_.flows, flow, st.reverse), cfg_.flows.shape, stamp,
                phase->tcp_flags);
    frames[i]->data_len = static_cast<uint16_t>(len);
    frames[i]->pkt_len = len;
    bytes += size;
  }
  const unsigned sent = transmit(st.side, frames, n);
  if (sent < n) {
    // Give back the sequence numbers of what the port refused, so the
    // receiver never sees a gap that was not a loss.
    uint32_t flow = first_cursor;
    unsigned size_cursor = first_size_cursor;
    for (unsigned i = 0; i < n; ++i) {
      if (i >= sent) {
        --st.tx_seq[flow];
        bytes -= sizes_[size_cursor];
        rte_pktmbuf_free(frames[i]);
      }
      flow = next_flow(flow, st.stride, flow_count);
      size_cursor = size_cursor + 1 == sizes_.size() ? 0 : size_cursor + 1;
    }
    // Unsent frames are the tail; rewinding the cursors by their count
    // restores the order exactly.
    const uint32_t unsent = n - sent;
    const uint64_t back = uint64_t{unsent} * st.stride % flow_count;
    st.cursor = static_cast<uint32_t>((st.cursor + flow_count - back) % flow_count);
    const unsigned size_n = static_cast<unsigned>(sizes_.size());
    st.size_cursor = (st.size_cursor + size_n - unsent % size_n) % size_n;
    phase->tx_refused += unsent;
  }
  phase->tx_bytes += bytes;
  st.sent.store(st.sent.load(std::memory_order_relaxed) + sent, std::memory_order_relaxed);
  return sent;
}

bool Generator::tx_step(Phase* phase, uint64_t now) {
  for (unsigned p = 0; p < ports_.size(); ++p) drain_control(p);
  const bool past_end =
      now >= phase->end_tsc || g_stop_requested.load(std::memory_order_relaxed);
  bool all_done = true;
  const double elapsed = static_cast<double>(now - phase->start_tsc);
  for (unsigned i = 0; i < streams_.size(); ++i) {
    if ((phase->stream_mask & (1u << i)) == 0) continue;
    Stream& st = streams_[i];
    const uint64_t sent = st.sent.load(std::memory_order_relaxed);
    if (sent >= st.budget || past_end) continue;
    all_done = false;
    uint64_t allowed = st.budget;
    if (phase->rate_pps > 0) {
      const uint64_t earned =
          static_cast<uint64_t>(elapsed * phase->rate_pps / static_cast<double>(hz_)) + 1 -
          st.tokens_dropped;
      const uint64_t depth = std::max<uint64_t>(
          cfg_.burst, static_cast<uint64_t>(phase->rate_pps * cfg_.bucket_s));
      if (earned > sent + depth) st.tokens_dropped += earned - sent - depth;
      allowed = std::min<uint64_t>(st.budget, std::min(earned, sent + depth));
    }
    if (allowed <= sent) continue;
    const unsigned n = static_cast<unsigned>(std::min<uint64_t>(allowed - sent, cfg_.burst));
    const unsigned took = send_once(i, n);
    if (took > 0) {
      phase->tx_total.store(phase->tx_total.load(std::memory_order_relaxed) + took,
                            std::memory_order_relaxed);
      phase->tx_last_tsc = now;
      if (phase->timeline_tx != nullptr) {
        const uint64_t ms = (now - phase->start_tsc) * 1000 / hz_;
        std::vector<uint32_t>& tl = *phase->timeline_tx;
        tl[std::min<uint64_t>(ms, tl.size() - 1)] += took;
      }
    }
  }
  return all_done;
}

unsigned Generator::poll_port(unsigned port_index, Phase* phase, uint64_t now) {
  GenPort& port = ports_[port_index];
  rte_mbuf* frames[kMaxBurst];
  unsigned n;
  {
    drivers::BurstSection section;
    n = rte_eth_rx_burst(port.info.port_id, 0, frames, static_cast<uint16_t>(cfg_.burst));
  }
  if (n == 0) return 0;
  SideState& side = sides_[port.side];
  const bool switching = side.ports.size() > 1;
  // Read again rather than using the loop's `now`: in the one-core loop TX
  // stamped these frames after `now` was taken.
  const uint32_t now32 = static_cast<uint32_t>(rte_rdtsc());
  const uint32_t flow_count = cfg_.flows.flows;
  // One clock read per burst is exact enough for "when did this flow last
  // hear back" at millisecond resolution.
  const uint32_t rx_ms1 =
      phase->track_last_rx ? static_cast<uint32_t>((now - phase->start_tsc) * 1000 / hz_) + 1 : 0;
  unsigned stamped = 0;
  for (unsigned i = 0; i < n; ++i) {
    if (i + kPrefetchAhead < n) rte_prefetch0(rte_pktmbuf_mtod(frames[i + kPrefetchAhead], void*));
    const uint8_t* data = rte_pktmbuf_mtod(frames[i], const uint8_t*);
    const unsigned len = rte_pktmbuf_data_len(frames[i]);
    if (switching && len >= kEthHdrLen) {
      const auto* eth = reinterpret_cast<const rte_ether_hdr*>(data);
      if (!rte_is_multicast_ether_addr(&eth->src_addr)) side.macs.learn(eth->src_addr, port.index_in_side);
    }
    Stamp stamp;
    if (read_stamp(data, len, &stamp)) {
      const unsigned stream = (stamp.wire_flow & kReverseStreamBit) != 0 ? 1 : 0;
      const uint32_t flow = stamp.wire_flow & ~kReverseStreamBit;
      if (stream < streams_.size() && flow < flow_count) {
        RxFlowState& f = streams_[stream].rx[flow];
        ++f.received;
        if (rx_ms1 != 0) last_rx_ms_[flow] = rx_ms1;
        if (stamp.seq >= f.next_seq) {
          f.next_seq = stamp.seq + 1;
        } else if (stamp.seq + 1 == f.next_seq) {
          ++f.duplicate;
        } else {
          ++f.late;
        }
        if (phase->latency != nullptr) {
          const uint32_t cycles = now32 - stamp.tsc32;
          add_latency(phase->latency, static_cast<uint64_t>(cycles * ns_per_cycle_));
        }
        ++stamped;
        continue;
      }
    }
    ++phase->rx_other;
    handle_arp(port_index, data, len);
  }
  rte_pktmbuf_free_bulk(frames, n);
  phase->rx_stamped += stamped;
  if (phase->timeline_rx != nullptr && stamped > 0) {
    const uint64_t ms = (now - phase->start_tsc) * 1000 / hz_;
    std::vector<uint32_t>& tl = *phase->timeline_rx;
    tl[std::min<uint64_t>(ms, tl.size() - 1)] += stamped;
  }
  return n;
}

unsigned Generator::poll_once() {
  unsigned total = 0;
  const uint64_t now = rte_rdtsc();
  for (unsigned p = 0; p < ports_.size(); ++p) total += poll_port(p, idle_phase_, now);
  for (unsigned p = 0; p < ports_.size(); ++p) drain_control(p);
  return total;
}

bool Generator::rx_step(Phase* phase, uint64_t now) {
  for (unsigned p = 0; p < ports_.size(); ++p) poll_port(p, phase, now);
  if (phase->progress && now >= phase->next_progress_tsc) {
    print_progress(*phase, now);
    phase->next_progress_tsc = now + static_cast<uint64_t>(kProgressSeconds * hz_);
  }
  if (!phase->tx_done.load(std::memory_order_acquire)) return false;
  if (phase->rx_stamped >= phase->tx_total.load(std::memory_order_relaxed)) return true;
  return now >= phase->tx_last_tsc + phase->drain_cycles;
}

void Generator::print_progress(const Phase& phase, uint64_t now) const {
  const double t = static_cast<double>(now - phase.start_tsc) / static_cast<double>(hz_);
  const uint64_t tx = phase.tx_total.load(std::memory_order_relaxed);
  std::fprintf(stderr, "[tandem-gen] %6.1f s  tx %12" PRIu64 "  rx %12" PRIu64
               "  (%.3f Mpps tx avg)  in flight/lost %" PRId64 "\n",
               t, tx, phase.rx_stamped, t > 0 ? static_cast<double>(tx) / t / 1e6 : 0.0,
               static_cast<int64_t>(tx) - static_cast<int64_t>(phase.rx_stamped));
}

int Generator::tx_lcore_main(void* arg) {
  auto* self = static_cast<Generator*>(arg);
  Phase* phase = self->idle_phase_;
  while (!self->tx_step(phase, rte_rdtsc())) {
  }
  phase->tx_done.store(true, std::memory_order_release);
  return 0;
}

void Generator::request_stop() { g_stop_requested.store(true, std::memory_order_relaxed); }
void Generator::clear_stop_request() { g_stop_requested.store(false, std::memory_order_relaxed); }

void Generator::reset_flows(bool after_warmup) {
  for (unsigned i = 0; i < streams_.size(); ++i) {
    Stream& st = streams_[i];
    // The warm-up used the first sequences of each flow: the measurement
    // starts after them so stale warm-up frames count as late.
    st.seq_base = after_warmup ? st.warm_frames : 0;
    std::fill(st.tx_seq.begin(), st.tx_seq.end(), st.seq_base);
    std::fill(st.rx.begin(), st.rx.end(), RxFlowState{st.seq_base, 0, 0, 0});
    st.cursor = 0;
    st.stride = 1;
    st.size_cursor = 0;
    st.sent.store(0);
    st.tokens_dropped = 0;
  }
}

TrialResult Generator::run_phase(Phase* phase) {
  TrialResult result;
  result.offered_pps = phase->rate_pps;
  phase->drain_cycles = static_cast<uint64_t>(cfg_.drain_s * hz_);
  // The phase is published to the TX lcore through idle_phase_ before the
  // launch (rte_eal_remote_launch is a full barrier).
  idle_phase_ = phase;
  result.start_unix_ns = unix_now_ns();
  phase->start_tsc = rte_rdtsc();
  phase->end_tsc += phase->start_tsc;
  phase->tx_last_tsc = phase->start_tsc;
  phase->next_progress_tsc = phase->start_tsc + static_cast<uint64_t>(kProgressSeconds * hz_);
  const unsigned tx_lcore = rte_get_next_lcore(-1, 1, 0);
  const bool two_lcores = tx_lcore < RTE_MAX_LCORE;
  if (two_lcores && rte_eal_remote_launch(tx_lcore_main, this, tx_lcore) == 0) {
    while (!rx_step(phase, rte_rdtsc())) {
    }
    rte_eal_wait_lcore(tx_lcore);
  } else {
    // One core beside the DUT: TX and RX take turns.
    bool tx_done = false;
    for (;;) {
      const uint64_t now = rte_rdtsc();
      if (!tx_done && tx_step(phase, now)) {
        tx_done = true;
        phase->tx_done.store(true, std::memory_order_release);
      }
      if (rx_step(phase, now)) break;
    }
  }
  idle_phase_ = &idle_;
  summarise(*phase, &result);
  result.stopped_early = g_stop_requested.load(std::memory_order_relaxed);
  return result;
}

void Generator::summarise(const Phase& phase, TrialResult* out) const {
  out->elapsed_s = static_cast<double>(phase.tx_last_tsc - phase.start_tsc) / static_cast<double>(hz_);
  out->tx_bytes = phase.tx_bytes;
  out->tx_refused = phase.tx_refused;
  out->rx_other = phase.rx_other;
  for (unsigned i = 0; i < streams_.size(); ++i) {
    const Stream& st = streams_[i];
    StreamResult sr;
    sr.name = st.name;
    for (uint32_t f = 0; f < cfg_.flows.flows; ++f) {
      const RxFlowState& rx = st.rx[f];
      const uint64_t sent = st.tx_seq[f] - st.seq_base;
      const uint64_t unique = rx.received - rx.duplicate;
      sr.tx_frames += sent;
      sr.rx_frames += unique;
      sr.late += rx.late;
      sr.duplicate += rx.duplicate;
      if (unique < sent) {
        sr.lost += sent - unique;
        ++sr.flows_with_loss;
      }
    }
    out->tx_frames += sr.tx_frames;
    out->rx_frames += sr.rx_frames;
    out->lost += sr.lost;
    out->late += sr.late;
    out->duplicate += sr.duplicate;
    out->streams.push_back(sr);
  }
  if (out->elapsed_s > 0) {
    out->tx_pps = static_cast<double>(out->tx_frames) / out->elapsed_s;
    out->rx_pps = static_cast<double>(out->rx_frames) / out->elapsed_s;
  }
}

TrialResult Generator::warm_up() {
  reset_flows(false);
  struct Step {
    unsigned stream;
    uint8_t tcp_flags;
  };
  std::vector<Step> steps;
  if (cfg_.flows.shape == L4Shape::kTcp) {
    // What tandemd's tracker (and any stateful firewall) needs to call the
    // connection established; without a server stream the SYN|ACK is left
    // out and the session stays half-open, which still forwards.
    steps.push_back({0, RTE_TCP_SYN_FLAG});
    if (streams_.size() > 1) steps.push_back({1, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG});
    steps.push_back({0, RTE_TCP_ACK_FLAG});
  } else {
    steps.push_back({0, kTcpDataFlags});
  }
  TrialResult total;
  double elapsed = 0;
  for (const Step& step : steps) {
    for (unsigned i = 0; i < streams_.size(); ++i) {
      Stream& st = streams_[i];
      st.cursor = 0;
      st.stride = cfg_.warmup_order == WarmupOrder::kSpread ? spread_stride(cfg_.flows.flows) : 1;
      st.size_cursor = 0;
      st.sent.store(0);
      st.tokens_dropped = 0;
      st.budget = i == step.stream ? cfg_.flows.flows : 0;
    }
    Phase phase;
    phase.rate_pps = cfg_.warmup_pps;
    phase.stream_mask = 1u << step.stream;
    phase.tcp_flags = step.tcp_flags;
    phase.progress = cfg_.progress;
    // At least a second per step: a descheduled TX (shared cores) drops
    // bucket tokens and needs the slack to send every flow's frame.
    const double seconds = std::max(
        1.0, cfg_.warmup_pps > 0
                 ? static_cast<double>(cfg_.flows.flows) / cfg_.warmup_pps * (1 + kPacedOverrunShare)
                 : static_cast<double>(cfg_.flows.flows) / 1e6 * cfg_.warmup_max_s_per_mflow);
    phase.end_tsc = static_cast<uint64_t>((seconds + kTxGraceSeconds) * hz_);
    // Per-flow counters accumulate over the steps (no reset between them),
    // so the last step's summary covers the whole warm-up.
    TrialResult r = run_phase(&phase);
    elapsed += r.elapsed_s;
    const int64_t start = total.start_unix_ns;
    const uint64_t bytes = total.tx_bytes + r.tx_bytes;
    const uint64_t refused = total.tx_refused + r.tx_refused;
    const uint64_t other = total.rx_other + r.rx_other;
    total = std::move(r);
    if (start != 0) total.start_unix_ns = start;
    total.tx_bytes = bytes;
    total.tx_refused = refused;
    total.rx_other = other;
  }
  total.elapsed_s = elapsed;
  total.tx_pps = elapsed > 0 ? static_cast<double>(total.tx_frames) / elapsed : 0;
  total.rx_pps = elapsed > 0 ? static_cast<double>(total.rx_frames) / elapsed : 0;
  for (Stream& st : streams_) st.warm_frames = 0;
  for (const Step& step : steps) ++streams_[step.stream].warm_frames;
  for (uint32_t f = 0; f < cfg_.flows.flows; ++f) {
    bool answered = true;
    for (const Stream& st : streams_) {
      const RxFlowState& rx = st.rx[f];
      if (st.warm_frames > 0 && rx.received - rx.duplicate < st.warm_frames) answered = false;
    }
    if (answered) ++total.flows_answered;
  }
  return total;
}

TrialResult Generator::run_trial(double rate_pps, double duration_s, bool progress) {
  reset_flows(cfg_.warmup);
  Phase phase;
  phase.rate_pps = rate_pps;
  phase.progress = progress;
  for (Stream& st : streams_) {
    st.budget = rate_pps > 0 ? static_cast<uint64_t>(std::llround(rate_pps * duration_s)) : UINT64_MAX;
  }
  const double overrun = rate_pps > 0 ? kTxGraceSeconds + kPacedOverrunShare * duration_s : 0;
  phase.end_tsc = static_cast<uint64_t>((duration_s + overrun) * hz_);
  TrialResult result;
  const size_t timeline_ms = static_cast<size_t>(std::ceil((duration_s + cfg_.drain_s) * 1000)) + 2;
  result.timeline_tx.assign(timeline_ms, 0);
  result.timeline_rx.assign(timeline_ms, 0);
  phase.timeline_tx = &result.timeline_tx;
  phase.timeline_rx = &result.timeline_rx;
  phase.latency = &result.latency;
  phase.track_last_rx = true;
  std::fill(last_rx_ms_.begin(), last_rx_ms_.end(), 0);
  TrialResult measured = run_phase(&phase);
  measured.timeline_tx = std::move(result.timeline_tx);
  measured.timeline_rx = std::move(result.timeline_rx);
  measured.latency = result.latency;
  count_dead_flows(phase, &measured);
  return measured;
}

void Generator::count_dead_flows(const Phase& phase, TrialResult* out) const {
  const double tx_ms = static_cast<double>(phase.tx_last_tsc - phase.start_tsc) * 1000.0 /
                       static_cast<double>(hz_);
  // Alive = heard from at or after this millisecond. A run shorter than the
  // window has no dead flows by definition.
  const double alive_from_ms = tx_ms - cfg_.dead_after_s * 1000.0;
  out->dead_after_s = cfg_.dead_after_s;
  const double per_stream_pps =
      phase.rate_pps > 0 ? phase.rate_pps
                         : (out->streams.empty() ? 0 : out->tx_pps / static_cast<double>(out->streams.size()));
  out->flow_revisit_s = per_stream_pps > 0 ? static_cast<double>(cfg_.flows.flows) / per_stream_pps : 0;
  out->timeline_last_rx.assign(out->timeline_rx.size(), 0);
  const size_t last_slot = out->timeline_last_rx.empty() ? 0 : out->timeline_last_rx.size() - 1;
  for (uint32_t f = 0; f < cfg_.flows.flows; ++f) {
    const uint32_t ms1 = last_rx_ms_[f];
    if (ms1 == 0) {
      ++out->silent_flows;
      continue;
    }
    const uint32_t ms = ms1 - 1;
    if (!out->timeline_last_rx.empty()) ++out->timeline_last_rx[std::min<size_t>(ms, last_slot)];
    if (static_cast<double>(ms) + 1 <= alive_from_ms) ++out->dead_flows;
  }
}

void Generator::close() {
  if (!open_) return;
  for (GenPort& port : ports_) {
    drivers::port_shutdown(port.info.port_id);
    if (port.control != nullptr) {
      void* frame = nullptr;
      while (rte_ring_sc_dequeue(port.control, &frame) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(frame));
      rte_ring_free(port.control);
    }
  }
  ports_.clear();
  rte_mempool_free(pool_);
  pool_ = nullptr;
  open_ = false;
}

}  // namespace tandem::gen
