#include "bench/gen/options.h"

#include <arpa/inet.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace tandem::gen {

namespace {

bool parse_ipv4(const std::string& text, uint32_t* out) {
  in_addr addr{};
  if (inet_pton(AF_INET, text.c_str(), &addr) != 1) return false;
  *out = ntohl(addr.s_addr);
  return true;
}

bool parse_double(const std::string& text, double* out) {
  if (text.empty()) return false;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0' || !std::isfinite(v) || v < 0) return false;
  *out = v;
  return true;
}

bool parse_unsigned(const std::string& text, uint64_t max, uint64_t* out) {
  if (text.empty() || text[0] == '-') return false;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (*end == 'k' || *end == 'K') {
    ++end;
    if (*end == '\0' && v <= max / 1000) return *out = v * 1000, true;
    return false;
  }
  if (*end == 'M') {
    ++end;
    if (*end == '\0' && v <= max / 1000000) return *out = v * 1000000, true;
    return false;
  }
  if (end == text.c_str() || *end != '\0' || v > max) return false;
  *out = v;
  return true;
}

bool parse_mac(const std::string& text, std::array<uint8_t, 6>* out) {
  unsigned b[6];
  char tail = 0;
  if (std::sscanf(text.c_str(), "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
                  &tail) != 6) {
    return false;
  }
  for (int i = 0; i < 6; ++i) {
    if (b[i] > 0xff) return false;
    (*out)[i] = static_cast<uint8_t>(b[i]);
  }
  return true;
}

// Option table: name, argument (empty: a flag), help. --help prints it in
// this order; parse_options() dispatches on the name.
struct OptionDoc {
  const char* name;
  const char* arg;
  const char* help;
};

constexpr OptionDoc kOptions[] = {
    {"--client-port", "DEVICE", "port the emulated clients sit behind, in `set device` form:\n"
        "net_memif0,role=client,socket=/tmp/x.sock,socket-abstract=no | 0000:03:00.0 |\n"
        "af_packet:IF | af_xdp:IF | net_ring0 ... Repeat it to play a learning switch\n"
        "wired to several DUT nodes (HA lab): frames go to the port that last showed\n"
        "the destination MAC, unknown destinations are flooded."},
    {"--server-port", "DEVICE", "port of the emulated servers (repeatable, as above). Without it,\n"
        "frames are expected back on the client ports (loopback, reflector)."},
    {"--client-gw", "IP", "router-DUT mode: the DUT's address on the client side. tandem-gen ARPs\n"
        "for it (frames go to its MAC, relearned from its gratuitous ARPs) and answers\n"
        "ARP for every client address so the DUT can reach them."},
    {"--server-gw", "IP", "the same on the server side."},
    {"--client-dst-mac", "MAC", "destination MAC of client->server frames when there is no\n"
        "gateway (default: the MAC of the first server port)."},
    {"--server-dst-mac", "MAC", "destination MAC of server->client frames (default: first client port)."},
    {"--flows", "N", "number of flows (k/M suffixes; up to 2^31-1). Flow i spreads over client\n"
        "IP first, then client port, server IP, server port. Default 1."},
    {"--client-ip", "A[-B]", "client address range. Default 10.1.0.2-10.1.255.254."},
    {"--client-port-range", "P[-Q]", "client (source) L4 ports. Default 1024-65535."},
    {"--server-ip", "A[-B]", "server address range. Default 172.16.200.2."},
    {"--server-port-range", "P[-Q]", "server (destination) L4 ports. Default 5201."},
    {"--l4", "udp|tcp", "flow shape. tcp: ACK|PSH segments, seq/ack fields carry the stamp; with\n"
        "--warmup-pps the warm-up is the three-way handshake (SYN, SYN|ACK with --both,\n"
        "ACK) so a stateful DUT holds established sessions. Default udp."},
    {"--size", "LIST", "frame size(s) with FCS, 64..1518: one size, a comma list (cycled), or\n"
        "imix (64/570/1518 at 7:4:1). Default 64."},
    {"--rate", "PPS|max", "frames per second per stream (k/M suffixes, decimals allowed, at least\n"
        "0.001), or max. Paced by a token bucket on the TSC. Default max."},
    {"--duration", "SECONDS", "length of a run. Default 10."},
    {"--both", "", "also send the server's replies: a reverse stream with the swapped 5-tuple\n"
        "out of the server ports, at the same rate, so a stateful DUT sees both ways."},
    {"--warmup-pps", "PPS|max", "before measuring, send the first frame of every client->server flow at\n"
        "this rate so a stateful DUT creates every session first. max: as fast as\n"
        "the ports take them (memif pushes back, so the warm-up then lasts as long\n"
        "as the DUT needs to set the sessions up). Default off."},
    {"--warmup-order", "seq|spread", "the order the warm-up sends the flows in (trials always go 0, 1, 2, ...).\n"
        "seq: the same order, so a stateful DUT that lays its sessions out in creation\n"
        "order finds a burst's sessions side by side. spread: a fixed stride near\n"
        "0.618 x flows, so flows the trials send back to back were created far apart\n"
        "and their sessions lie scattered over the DUT's table, as with interleaved\n"
        "real traffic. Needs --warmup-pps. Default seq."},
    {"--dead-after", "MS", "a flow that received frames in the trial but none in its last MS\n"
        "milliseconds counts as dead (dead_flows in the summary and JSON): a session the\n"
        "DUT lost, e.g. at an HA failover. Keep it above twice the time between two\n"
        "frames of one flow (flows / rate). Default 500."},
    {"--trial-hook", "CMD", "run CMD with /bin/sh after the warm-up and after every trial, with\n"
        "TANDEM_GEN_PHASE set to warmup or trial<N> (N from 0), e.g. to record the\n"
        "DUT's session count between trials. Its exit status is ignored."},
    {"--drain", "SECONDS", "how long RX waits for frames still in flight after TX stops. Default 0.2."},
    {"--ndr", "", "RFC 2544 style search for the highest rate with loss <= --loss-pct:\n"
        "binary search between 0 and --ndr-max, each trial --trial seconds."},
    {"--trial", "SECONDS", "NDR trial length. Default 10."},
    {"--loss-pct", "PCT", "loss a passing NDR trial may have. Default 0."},
    {"--resolution-pct", "PCT", "stop the search when the bracket is below this share of the\n"
        "upper bound. Default 1."},
    {"--ndr-max", "PPS", "upper bound of the search per stream (default: what a first trial at max\n"
        "rate achieved)."},
    {"--json", "FILE", "write a JSON summary (the run, or the NDR search and its best trial)."},
    {"--timeline", "FILE", "write a CSV with one row per millisecond: ms,rx_frames,tx_frames,\n"
        "lost_so_far,flows_last_rx (of the run, or of the trial at NDR). The JSON's\n"
        "start_unix_ns is the wall clock of ms 0. SIGINT/SIGTERM end a run's TX early\n"
        "and still write every report."},
    {"--hist", "", "print latency percentiles (p50/p99/p99.9/max) in the summary (default on)."},
    {"--no-hist", "", "leave latency percentiles out of the summary."},
    {"--quiet", "", "no progress line on stderr (default: one per second)."},
    {"--bucket-ms", "MS", "token bucket depth in milliseconds of frames: how far a paced TX that\n"
        "fell behind may catch up in one go; the rest is dropped (the trial then shows\n"
        "a lower achieved rate rather than a burst the DUT never asked for). Default 1."},
    {"--burst", "N", "frames per rx/tx burst, 1..64. Default 32."},
    {"--rx-desc", "N", "RX descriptors per port. Default 1024."},
    {"--tx-desc", "N", "TX descriptors per port. Default 1024."},
    {"--pool", "N", "mbufs in the pool. Default 32767."},
    {"--link-timeout", "SECONDS", "wait this long for every port's link (memif peer). Default 10."},
    {"--resolve-timeout", "SECONDS", "wait this long for the gateways' ARP replies. Default 5."},
    {"--help", "", "this text."},
};

}  // namespace

bool parse_addr_range(const std::string& text, AddrRange* out) {
  const size_t dash = text.find('-');
  uint32_t first = 0;
  uint32_t last = 0;
  if (!parse_ipv4(text.substr(0, dash), &first)) return false;
  last = first;
  if (dash != std::string::npos && !parse_ipv4(text.substr(dash + 1), &last)) return false;
  // All 2^32 addresses would not fit the count (it would read 0).
  if (last < first || (first == 0 && last == UINT32_MAX)) return false;
  *out = AddrRange{first, last - first + 1};
  return true;
}

bool parse_port_range(const std::string& text, PortRange* out) {
  const size_t dash = text.find('-');
  uint64_t first = 0;
  uint64_t last = 0;
  if (!parse_unsigned(text.substr(0, dash), UINT16_MAX, &first)) return false;
  last = first;
  if (dash != std::string::npos && !parse_unsigned(text.substr(dash + 1), UINT16_MAX, &last)) {
    return false;
  }
  if (last < first) return false;
  *out = PortRange{static_cast<uint16_t>(first), static_cast<uint32_t>(last - first + 1)};
  return true;
}

bool parse_frame_sizes(const std::string& text, std::vector<uint16_t>* out) {
  out->clear();
  if (text == "imix") {
    // Simple IMIX, 7:4:1 by frame count, interleaved so every burst mixes.
    *out = {64, 570, 64, 64, 570, 64, 1518, 64, 570, 64, 570, 64};
    return true;
  }
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    const std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    uint64_t size = 0;
    if (!parse_unsigned(item, kMaxFrameSize, &size) || size < kMinFrameSize) return false;
    out->push_back(static_cast<uint16_t>(size));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return !out->empty();
}

bool parse_rate(const std::string& text, double* pps) {
  if (text == "max") {
    *pps = 0;
    return true;
  }
  if (text.empty()) return false;
  double scale = 1;
  std::string number = text;
  if (number.back() == 'k' || number.back() == 'K') scale = 1e3;
  if (number.back() == 'M') scale = 1e6;
  if (scale != 1) number.pop_back();
  double v = 0;
  if (!parse_double(number, &v) || v <= 0) return false;
  // A rate the pacing can invert: a frame at least every 1000 s, and no
  // overflow from the suffix ("1e308M").
  v *= scale;
  if (!std::isfinite(v) || v < 1e-3) return false;
  *pps = v;
  return true;
}

std::string help_text() {
  std::string out =
      "tandem-gen: Tandem's DPDK traffic generator.\n\n"
      "usage: tandem-gen [EAL options] -- [options]\n"
      "  EAL example: -l 0 -m 256 --file-prefix gen1 --no-pci  (one core: TX and RX share it;\n"
      "  give two lcores, e.g. -l 0,1, for a TX lcore beside the RX lcore).\n\n"
      "Every frame carries magic, flow id, per-flow sequence and TX timestamp; the\n"
      "receiver reports per-flow loss, reordering, duplicates and latency percentiles.\n\n"
      "options:\n";
  for (const OptionDoc& opt : kOptions) {
    std::string head = std::string("  ") + opt.name + (opt.arg[0] ? std::string(" ") + opt.arg : "");
    out += head + "\n";
    std::string help = opt.help;
    size_t start = 0;
    while (start < help.size()) {
      const size_t nl = help.find('\n', start);
      out += "      " + help.substr(start, nl == std::string::npos ? std::string::npos : nl - start) + "\n";
      if (nl == std::string::npos) break;
      start = nl + 1;
    }
  }
  out += "\nexamples:\n"
         "  tandem-gen -l 0 -m 256 --file-prefix g -- \\\n"
         "    --client-port net_memif0,role=client,socket=/tmp/a.sock,socket-abstract=no \\\n"
         "    --server-port net_memif1,role=client,socket=/tmp/b.sock,socket-abstract=no \\\n"
         "    --flows 1000 --size 64 --rate 1M --duration 5 --json out.json\n"
         "  ... --ndr --trial 1 --client-gw 10.1.0.1 --server-gw 172.16.200.1 --warmup-pps 200k\n";
  return out;
}

ParseOutcome parse_options(const std::vector<std::string>& args, GenConfig* cfg, std::string* error) {
  GenConfig c;
  c.flows.client_ip = AddrRange{0x0a010002, 65533};  // 10.1.0.2-10.1.255.254
  c.flows.client_port = PortRange{1024, 64512};
  c.flows.server_ip = AddrRange{0xac10c802, 1};      // 172.16.200.2
  c.flows.server_port = PortRange{5201, 1};
  uint64_t flows = 1;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& name = args[i];
    const OptionDoc* doc = nullptr;
    for (const OptionDoc& opt : kOptions) {
      if (name == opt.name) doc = &opt;
    }
    if (doc == nullptr) {
      *error = "unknown option " + name + " (tandem-gen -- --help lists them)";
      return ParseOutcome::kError;
    }
    std::string value;
    if (doc->arg[0] != '\0') {
      if (i + 1 >= args.size()) {
        *error = name + " needs " + doc->arg;
        return ParseOutcome::kError;
      }
      value = args[++i];
    }
    bool ok = true;
    uint64_t u = 0;
    if (name == "--help") return ParseOutcome::kHelp;
    else if (name == "--client-port") c.client.devices.push_back(value);
    else if (name == "--server-port") c.server.devices.push_back(value);
    else if (name == "--client-gw") ok = parse_ipv4(value, &c.client.gateway_ip);
    else if (name == "--server-gw") ok = parse_ipv4(value, &c.server.gateway_ip);
    else if (name == "--client-dst-mac") ok = c.client.dst_mac_set = parse_mac(value, &c.client.dst_mac);
    else if (name == "--server-dst-mac") ok = c.server.dst_mac_set = parse_mac(value, &c.server.dst_mac);
    else if (name == "--flows") ok = parse_unsigned(value, kMaxFlows, &flows) && flows > 0;
    else if (name == "--client-ip") ok = parse_addr_range(value, &c.flows.client_ip);
    else if (name == "--client-port-range") ok = parse_port_range(value, &c.flows.client_port);
    else if (name == "--server-ip") ok = parse_addr_range(value, &c.flows.server_ip);
    else if (name == "--server-port-range") ok = parse_port_range(value, &c.flows.server_port);
    else if (name == "--warmup-order") {
      ok = value == "seq" || value == "spread";
      c.warmup_order = value == "spread" ? WarmupOrder::kSpread : WarmupOrder::kSequential;
    }
    else if (name == "--l4") {
      ok = value == "udp" || value == "tcp";
      c.flows.shape = value == "tcp" ? L4Shape::kTcp : L4Shape::kUdp;
    }
    else if (name == "--size") ok = parse_frame_sizes(value, &c.frame_sizes);
    else if (name == "--rate") ok = parse_rate(value, &c.rate_pps);
    else if (name == "--duration") ok = parse_double(value, &c.duration_s) && c.duration_s > 0;
    else if (name == "--both") c.directions = Directions::kBoth;
    else if (name == "--warmup-pps") ok = c.warmup = parse_rate(value, &c.warmup_pps);
    else if (name == "--trial-hook") c.trial_hook = value;
    else if (name == "--dead-after") {
      ok = parse_double(value, &c.dead_after_s);
      c.dead_after_s /= 1000;
    }
    else if (name == "--drain") ok = parse_double(value, &c.drain_s);
    else if (name == "--ndr") c.ndr = true;
    else if (name == "--trial") ok = parse_double(value, &c.ndr_trial_s) && c.ndr_trial_s > 0;
    else if (name == "--loss-pct") ok = parse_double(value, &c.ndr_loss_pct) && c.ndr_loss_pct < 100;
    else if (name == "--resolution-pct") ok = parse_double(value, &c.ndr_resolution_pct) && c.ndr_resolution_pct > 0;
    else if (name == "--ndr-max") ok = parse_rate(value, &c.ndr_max_pps);
    else if (name == "--json") c.json_path = value;
    else if (name == "--timeline") c.timeline_path = value;
    else if (name == "--hist") c.histogram = true;
    else if (name == "--no-hist") c.histogram = false;
    else if (name == "--quiet") c.progress = false;
    else if (name == "--bucket-ms") {
      ok = parse_double(value, &c.bucket_s);
      c.bucket_s /= 1000;
      ok = ok && c.bucket_s > 0;  // also after the division ("1e-322")
    }
    else if (name == "--burst") ok = parse_unsigned(value, 64, &u) && u > 0, c.burst = static_cast<unsigned>(u);
    else if (name == "--rx-desc") ok = parse_unsigned(value, 65535, &u) && u > 0, c.rx_desc = static_cast<unsigned>(u);
    else if (name == "--tx-desc") ok = parse_unsigned(value, 65535, &u) && u > 0, c.tx_desc = static_cast<unsigned>(u);
    else if (name == "--pool") ok = parse_unsigned(value, 1u << 24, &u) && u >= 1024, c.pool_size = static_cast<unsigned>(u);
    else if (name == "--link-timeout") ok = parse_double(value, &c.link_timeout_s);
    else if (name == "--resolve-timeout") ok = parse_double(value, &c.resolve_timeout_s);
    if (!ok) {
      *error = name + " " + value + ": expected " + doc->arg;
      return ParseOutcome::kError;
    }
  }
  const double space = static_cast<double>(c.flows.client_ip.count) * c.flows.client_port.count *
                       static_cast<double>(c.flows.server_ip.count) * c.flows.server_port.count;
  if (static_cast<double>(flows) > space) {
    *error = std::to_string(flows) + " flows do not fit the address/port ranges (" +
             std::to_string(static_cast<uint64_t>(space)) + " distinct 5-tuples); widen them";
    return ParseOutcome::kError;
  }
  c.flows.flows = static_cast<uint32_t>(flows);
  if (c.client.devices.empty()) {
    *error = "no --client-port given";
    return ParseOutcome::kError;
  }
  if (c.warmup_order == WarmupOrder::kSpread && !c.warmup) {
    *error = "--warmup-order spread orders the warm-up: give --warmup-pps too";
    return ParseOutcome::kError;
  }
  if (c.directions == Directions::kBoth && c.server.devices.empty() && c.server.gateway_ip != 0) {
    *error = "--server-gw needs --server-port";
    return ParseOutcome::kError;
  }
  *cfg = std::move(c);
  return ParseOutcome::kRun;
}

}  // namespace tandem::gen
