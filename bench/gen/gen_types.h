// Plain types of tandem-gen, the traffic generator in bench/: what the
// operator asked for (GenConfig, filled by options.cc), the per-flow state
// the TX and RX loops keep in flat arrays, and what one trial measured
// (TrialResult, printed by report_format.cc and searched over by ndr.cc).
// No code here, so tests and the report can include it alone.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace tandem::gen {

// The stamp every generated frame carries after its L4 header; RX ignores
// frames without the magic (ARP, the DUT's own traffic, other generators).
constexpr uint16_t kStampMagic = 0x7d6e;
// Top bit of the flow id on the wire: set on the server->client stream, so
// one id space serves both directions and a 5tswap reflector cannot confuse
// them (it swaps headers, never the payload).
constexpr uint32_t kReverseStreamBit = 1u << 31;
constexpr uint32_t kMaxFlows = kReverseStreamBit - 1;
// Ethernet FCS: the operator's "64-byte frame" is 60 bytes in the mbuf.
constexpr unsigned kFcsLen = 4;
constexpr unsigned kMinFrameSize = 64;
constexpr unsigned kMaxFrameSize = 1518;

enum class L4Shape { kUdp, kTcp };

// The order the warm-up sends the flows' first frames in; trials always go
// 0, 1, 2, ... Sequential: the same order, so a stateful DUT that lays its
// sessions out in creation order (most do) finds consecutive frames'
// sessions side by side in memory, which interleaved real traffic never
// gives it. Spread: a fixed stride near 0.618 x flows, coprime with it
// (spread_stride), so flows the trials send back to back were created far
// apart. The generator's own per-flow state is read in the same order in
// the trials either way.
enum class WarmupOrder { kSequential, kSpread };

// Which streams run: client->server only, or also the server's replies as
// reverse flows (swapped 5-tuple) so a stateful DUT sees both directions.
enum class Directions { kClientToServer, kBoth };

// Host-order address/port ranges; count >= 1.
struct AddrRange {
  uint32_t first = 0;
  uint32_t count = 1;
};
struct PortRange {
  uint16_t first = 0;
  uint32_t count = 1;
};

// Flow i is decoded mixed-radix over (client ip, client port, server ip,
// server port), client ip fastest, so consecutive flows spread over
// addresses first (what RSS and a session hash like to see).
struct FlowSpace {
  AddrRange client_ip;
  PortRange client_port;
  AddrRange server_ip;
  PortRange server_port;
  uint32_t flows = 1;
  L4Shape shape = L4Shape::kUdp;
};

// One side of the DUT: the ports the emulated hosts sit behind. With more
// than one port the side plays a learning switch (HA lab: one port per node).
struct SideConfig {
  std::vector<std::string> devices;  // `set device` syntax, see drivers/port/device.h
  uint32_t gateway_ip = 0;           // router DUT interface address; 0: no ARP
  std::array<uint8_t, 6> dst_mac{};  // fixed destination when no gateway
  bool dst_mac_set = false;
};

struct GenConfig {
  SideConfig client;
  SideConfig server;  // no devices: frames come back on the client ports
  FlowSpace flows;
  std::vector<uint16_t> frame_sizes = {64};  // cycled; IMIX expands to 7:4:1
  double rate_pps = 0;                       // per stream; 0 = as fast as the ports take
  double duration_s = 10;
  Directions directions = Directions::kClientToServer;
  bool warmup = false;                       // send every flow's first frame before measuring
  double warmup_pps = 0;                     // warm-up pace; 0 = as fast as the ports take
  WarmupOrder warmup_order = WarmupOrder::kSequential;
  // A flow counts as dead when it received something in the trial but
  // nothing in its last dead_after_s (a session the DUT lost at failover).
  double dead_after_s = 0.5;
  // Wall-clock bound of an unpaced warm-up, per million flows: the DUT's
  // session setup rate sets its length, and a stalled DUT must not hang us.
  double warmup_max_s_per_mflow = 30;
  // Shell command run after the warm-up and after every trial (the DUT is
  // idle then), e.g. to read the DUT's session count; empty = none.
  std::string trial_hook;
  double drain_s = 0.2;                      // wait for frames in flight after TX stops
  double resolve_timeout_s = 5;
  double link_timeout_s = 10;
  bool ndr = false;
  double ndr_trial_s = 10;
  double ndr_loss_pct = 0;                   // loss tolerance of a passing trial
  double ndr_resolution_pct = 1;             // stop when hi-lo < this % of hi
  double ndr_max_pps = 0;                    // 0 = first trial at max rate sets it
  std::string json_path;
  std::string timeline_path;
  bool histogram = true;
  bool progress = true;
  // Token bucket depth: when TX falls behind (descheduled on a shared core)
  // it catches up by at most this much time's worth of frames instead of
  // bursting the whole backlog into the DUT, which would measure the
  // generator's hiccup as the DUT's loss. Tokens beyond it are dropped.
  double bucket_s = 0.001;
  unsigned burst = 32;
  unsigned rx_desc = 1024;
  unsigned tx_desc = 1024;
  unsigned pool_size = 32767;
};

// Per flow, per stream: 4 bytes on TX, 16 on RX, plus 4 per flow for the
// time of its last received frame (the "flat arrays" budget: 20 M flows x
// (2 streams x 20 B + 4 B) = 880 MB).
struct RxFlowState {
  uint32_t next_seq;   // highest sequence seen + 1
  uint32_t received;   // every stamped frame, duplicates included
  uint32_t late;       // arrived after a higher sequence (reordered)
  uint32_t duplicate;  // the highest sequence seen, again
};

// Log-linear latency histogram in nanoseconds: exact below 16 ns, then 16
// buckets per power of two (<= 6.25 % error), up to 2^64.
constexpr unsigned kLatencySubBits = 4;
constexpr unsigned kLatencyBuckets = (64 - kLatencySubBits + 1) << kLatencySubBits;
struct LatencyHistogram {
  std::array<uint64_t, kLatencyBuckets> counts{};
  uint64_t samples = 0;
  uint64_t max_ns = 0;
  double sum_ns = 0;
};

struct StreamResult {
  const char* name = "";  // "client->server" / "server->client"
  uint64_t tx_frames = 0;
  uint64_t rx_frames = 0;  // unique stamped frames
  uint64_t lost = 0;
  uint64_t late = 0;
  uint64_t duplicate = 0;
  uint64_t flows_with_loss = 0;
};

struct TrialResult {
  double offered_pps = 0;  // per stream, as asked; 0 = max
  double elapsed_s = 0;    // TX time
  uint64_t tx_frames = 0;
  uint64_t tx_bytes = 0;   // with FCS
  uint64_t rx_frames = 0;  // unique stamped frames
  uint64_t lost = 0;
  uint64_t late = 0;
  uint64_t duplicate = 0;
  uint64_t rx_other = 0;   // frames without a valid stamp (ARP, foreign)
  uint64_t tx_refused = 0; // frames the port would not take (retried later)
  double tx_pps = 0;       // achieved, all streams
  double rx_pps = 0;
  std::vector<StreamResult> streams;
  LatencyHistogram latency;
  // Per millisecond since TX start: frames sent / received.
  std::vector<uint32_t> timeline_tx;
  std::vector<uint32_t> timeline_rx;
  // Per millisecond: flows whose last received frame (either stream) fell
  // in it. Where the flows that died at a failover stopped.
  std::vector<uint32_t> timeline_last_rx;
  // Flows that received frames in the trial but none in its last
  // dead_after_s (before TX stopped): sessions the DUT no longer holds.
  uint64_t dead_flows = 0;
  uint64_t silent_flows = 0;     // flows that received nothing at all
  double dead_after_s = 0;       // the window used
  double flow_revisit_s = 0;     // how often one flow is sent a frame (flows / rate)
  // CLOCK_REALTIME at TX start, to line the timeline up with outside events
  // (a kill -9 of the DUT's primary).
  int64_t start_unix_ns = 0;
  // Warm-up only: flows whose every warm-up frame came back (the whole TCP
  // handshake with --l4 tcp).
  uint64_t flows_answered = 0;
  bool stopped_early = false;    // SIGINT/SIGTERM ended TX before the planned end
};

struct NdrTrial {
  double rate_pps = 0;  // per stream
  TrialResult result;
  bool passed = false;
};

struct NdrResult {
  double ndr_pps = 0;   // per stream; highest passing rate
  double max_pps = 0;   // per stream, the upper bound searched
  std::vector<NdrTrial> trials;
  TrialResult at_ndr;
};

}  // namespace tandem::gen
