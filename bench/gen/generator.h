// tandem-gen's engine: opens the ports of both sides through drivers/port
// (so every `set device` form tandemd accepts works here too), keeps the
// per-flow state in flat arrays, and runs phases: gateway resolution (ARP
// for a routing DUT), warm-up (the first frame of every flow, or with TCP
// the three-way handshake, slowly, so a stateful DUT holds all sessions
// before measuring) and measured trials at a fixed rate or as fast as the
// ports take frames. A trial also tells which flows went dead (stopped
// receiving), which is how a lost session shows after an HA failover.
//
// Called by main.cc and ndr.cc after rte_eal_init, and by the component
// tests, which also drive single RX/TX steps (poll_once/send_once) to check
// the switch mode frame by frame. Not thread-safe: one Generator per
// process; during a trial it runs a TX loop on the first worker lcore and
// the RX loop on the calling (main) lcore, or both on the main lcore when
// EAL was given one core.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "bench/gen/frame_inl.h"
#include "bench/gen/gen_types.h"
#include "bench/gen/mac_table.h"
#include "drivers/port/port_types.h"

namespace tandem::gen {

enum class Side : unsigned { kClient = 0, kServer = 1 };

class Generator {
 public:
  static constexpr unsigned kMaxBurst = 64;
  static constexpr unsigned kControlRingSize = 256;

  Generator() = default;
  Generator(const Generator&) = delete;
  Generator& operator=(const Generator&) = delete;
  ~Generator() { close(); }

  // EAL arguments (--vdev=..., -a ...) that create cfg's ports; call before
  // rte_eal_init and append them to its command line.
  static bool device_eal_args(const GenConfig& cfg, std::vector<std::string>* args,
                              std::string* error);

  // After rte_eal_init: mbuf pool, ports (started), flow arrays.
  bool open(const GenConfig& cfg, std::string* error);
  // Waits until every port reports link up (memif: its peer connected).
  bool wait_links(std::string* error);
  // Router-DUT mode: ARPs for each side's gateway until it answers.
  bool resolve_gateways(std::string* error);
  // First frame of every client->server flow at cfg.warmup_pps (0: unpaced).
  // With --l4 tcp the TCP handshake instead, one step over all flows after
  // the other: SYN (client->server), SYN|ACK (server->client, only with
  // --both) and ACK (client->server), each step drained before the next so
  // the DUT saw the previous one. TrialResult::flows_answered counts the
  // flows whose every warm-up frame came back.
  TrialResult warm_up();
  // One measured trial; per-flow state starts afresh.
  TrialResult run_trial(double rate_pps, double duration_s, bool progress);
  void close();
  // Ends TX of the running phase (and of any later one) as if its time were
  // up; RX still drains. Async-signal-safe: main.cc calls it on SIGINT and
  // SIGTERM so a benchmark driver can end a long trial and get its report.
  static void request_stop();
  // Lets phases run again after request_stop() (tests running several).
  static void clear_stop_request();

  // Single steps, for tests and the resolver: one RX pass over every port
  // (learning MACs, answering ARP for the emulated hosts, accounting
  // stamps), then the ARP replies it queued are sent; the number of frames
  // received. Outside a phase only (during one the TX loop sends them). And n frames of a stream built and handed to its side's port
  // (the learned one, or every port when the destination is unknown); the
  // number the port took.
  unsigned poll_once();
  unsigned send_once(unsigned stream, unsigned n);

  const MacTable& mac_table(Side side) const { return sides_[static_cast<unsigned>(side)].macs; }
  const drivers::PortInfo& port(Side side, unsigned index) const;
  unsigned port_count(Side side) const;
  // Where frames of a side go: the gateway's MAC once resolved, or the
  // configured/peer MAC. False while unresolved.
  bool destination_mac(Side side, rte_ether_addr* mac) const;
  const RxFlowState& rx_flow(unsigned stream, uint32_t flow) const {
    return streams_[stream].rx[flow];
  }
  uint32_t tx_seq(unsigned stream, uint32_t flow) const { return streams_[stream].tx_seq[flow]; }
  // Millisecond of the current/last trial (from TX start) in which flow last
  // received a frame, plus one; 0 = nothing received.
  uint32_t last_rx_ms(uint32_t flow) const { return last_rx_ms_[flow]; }

 private:
  struct GenPort {
    drivers::PortInfo info;
    unsigned side = 0;
    unsigned index_in_side = 0;
    rte_ring* control = nullptr;  // ARP replies from the RX loop, sent by the TX loop
    // af_xdp:IF ports: the interface whose XDP program (Tandem's) must steer
    // every frame to the socket once the port is up; empty when done or
    // not an af_xdp port.
    std::string steer_ifname;
  };
  struct SideState {
    std::vector<unsigned> ports;        // indexes into ports_
    MacTable macs;
    rte_ether_addr host_mac{};          // source MAC of every emulated host on this side
    std::atomic<uint64_t> dst_mac{0};   // packed MAC | kMacValid; written by RX on ARP replies
    uint32_t gateway_ip = 0;
  };
  struct Stream {
    unsigned side = 0;                  // transmitting side
    bool reverse = false;
    const char* name = "";
    uint32_t cursor = 0;
    uint32_t stride = 1;                // flow step this phase (trials: 1, WarmupOrder)
    unsigned size_cursor = 0;
    uint32_t seq_base = 0;
    uint32_t warm_frames = 0;           // sequences the warm-up used per flow
    std::vector<uint32_t> tx_seq;
    std::vector<RxFlowState> rx;
    std::atomic<uint64_t> sent{0};      // this phase; read by the progress line
    uint64_t budget = 0;
    uint64_t tokens_dropped = 0;        // TX loop only: bucket overflow this phase
  };
  // What one phase does; filled by warm_up()/run_trial().
  struct Phase {
    double rate_pps = 0;                // per stream; 0 = max
    uint64_t start_tsc = 0;
    uint64_t end_tsc = 0;               // TX stops here (or at the budgets)
    uint64_t drain_cycles = 0;
    unsigned stream_mask = ~0u;         // streams that send in this phase
    uint8_t tcp_flags = kTcpDataFlags;  // of every TCP segment this phase sends
    bool track_last_rx = false;         // keep last_rx_ms_ (trials)
    bool progress = false;
    std::atomic<bool> tx_done{false};
    std::atomic<uint64_t> tx_total{0};
    uint64_t tx_bytes = 0;              // TX loop only
    uint64_t tx_refused = 0;            // TX loop only
    uint64_t tx_last_tsc = 0;
    uint64_t rx_stamped = 0;            // RX loop only
    uint64_t rx_other = 0;
    uint64_t next_progress_tsc = 0;
    std::vector<uint32_t>* timeline_tx = nullptr;
    std::vector<uint32_t>* timeline_rx = nullptr;
    LatencyHistogram* latency = nullptr;
  };

  static int tx_lcore_main(void* arg);
  TrialResult run_phase(Phase* phase);
  void reset_flows(bool after_warmup);
  void count_dead_flows(const Phase& phase, TrialResult* out) const;
  bool tx_step(Phase* phase, uint64_t now);
  bool rx_step(Phase* phase, uint64_t now);
  unsigned poll_port(unsigned port_index, Phase* phase, uint64_t now);
  void drain_control(unsigned port_index);
  void handle_arp(unsigned port_index, const uint8_t* frame, unsigned len);
  void send_arp_requests(unsigned side);
  unsigned transmit(unsigned side, rte_mbuf** frames, unsigned n);
  bool hosts_include(unsigned side, uint32_t ip) const;
  void print_progress(const Phase& phase, uint64_t now) const;
  void summarise(const Phase& phase, TrialResult* out) const;

  GenConfig cfg_;
  rte_mempool* pool_ = nullptr;
  std::vector<GenPort> ports_;
  SideState sides_[2];
  bool server_on_client_ports_ = false;  // loopback / reflector: one side of ports
  std::vector<Stream> streams_;          // sized once in open(); never reallocated
  std::vector<uint16_t> sizes_;
  std::vector<uint32_t> last_rx_ms_;     // per flow, both streams; see last_rx_ms()
  uint64_t hz_ = 0;
  double ns_per_cycle_ = 0;
  Phase* idle_phase_ = nullptr;          // poll_once/send_once outside a phase
  Phase idle_;
  bool open_ = false;
};

}  // namespace tandem::gen
