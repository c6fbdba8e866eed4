// libFuzzer target: arbitrary bytes through the frame parser and, when they
// parse, through the ARP and ICMP responders on a private copy. The port is
// made to own the frame's target address so the reply paths are reached;
// every reply must parse again with valid checksums. Transit UDP/TCP/ICMP
// goes through the first-packet pieces of forwarding: session key (both
// directions must meet), a session table, the TCP tracker, route lookup and
// policy evaluation. The worker's inline parser of the common frame
// (parse_frame_common) is checked against the general one on every input.
// No EAL needed.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include <rte_ip.h>

#include "dataplane/arp/arp.h"
#include "dataplane/firewall/policy.h"
#include "dataplane/icmp/icmp.h"
#include "dataplane/packet/parse.h"
#include "dataplane/route/route.h"
#include "dataplane/session/session_inl.h"
#include "dataplane/session/session_table.h"

namespace {

using tandem::dp::DropReason;
using tandem::dp::ParsedFrame;
using tandem::dp::PortConf;
using tandem::dp::Verdict;

constexpr uint32_t kArpTargetIpOff = 24;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

PortConf port_for(const uint8_t* frame, const ParsedFrame& p, bool allow_ping) {
  PortConf port{};
  static constexpr uint8_t kMac[6] = {0x02, 0, 0, 0, 0, 1};
  std::memcpy(port.mac.addr_bytes, kMac, sizeof(kMac));
  uint32_t owned = p.ip_dst_be;
  if (p.ether_type == tandem::dp::kEtherTypeArp)
    std::memcpy(&owned, frame + p.l3_offset + kArpTargetIpOff, sizeof(owned));
  port.nb_addrs = 2;
  port.addrs[0] = {0x0101a8c0, 0x00ffffff};
  port.addrs[1] = {owned, 0xffffffff};
  port.allow_ping = allow_ping;
  return port;
}

void check_reply(const std::vector<uint8_t>& reply, const ParsedFrame& request) {
  ParsedFrame p;
  check(tandem::dp::parse_frame(reply.data(), static_cast<uint32_t>(reply.size()), &p) ==
        DropReason::kNone);
  check(p.ether_type == request.ether_type && p.nb_vlans == request.nb_vlans);
  if (p.ether_type == tandem::dp::kEtherTypeArp) {
    check(p.arp_op == 2);
    return;
  }
  check(p.ip_src_be == request.ip_dst_be && p.ip_dst_be == request.ip_src_be);
  check(rte_raw_cksum(reply.data() + p.l4_offset, p.l4_len) == 0xffff);
  check(reply[p.l4_offset] == 0);
}

// A table small enough that the fuzzer fills it, reused across inputs, with
// routes and policies built once.
constexpr uint32_t kFuzzSessions = 64;
alignas(64) uint8_t g_table_mem[1 << 17];  // the wheel is 16 KiB, a block of entries 64 KiB and more
tandem::dp::SessionTable* g_table = nullptr;
tandem::dp::RouteTable g_routes;
tandem::dp::FirewallConf g_fw;
uint64_t g_now_ms = 0;

void init_transit_state() {
  using namespace tandem::dp;
  check(session_table_memsize(kFuzzSessions) <= sizeof(g_table_mem));
  g_table = session_table_init(g_table_mem, kFuzzSessions, 0, 0);
  static const RouteEntry kRoutes[] = {
      {0x0064010a, 24, 1, 0, 0, 0},        // 10.1.100.0/24 connected
      {0x00c810ac, 24, 0, 0, 0, 0},        // 172.16.200.0/24 connected
      {0, 0, 0, 10, 0x01c810ac, 0},        // default via 172.16.200.1
      {0x0000a8c0, 16, 1, 5, 0xfe64010a, 0},  // 192.168/16 via 10.1.100.254
  };
  check(route_table_build(kRoutes, 4, &g_routes));
  g_fw.addrs[g_fw.nb_addrs++] = {0x0a016400, 0x0a0164ff};
  g_fw.services[g_fw.nb_services++] = {6, 0, 1, 1024, 0, 65535};
  g_fw.services[g_fw.nb_services++] = {17, 0, 53, 53, 1024, 65535};
  g_fw.services[g_fw.nb_services++] = {1, 8, 0, 0, 0, 0};
  g_fw.policies[g_fw.nb_policies++] = {1, 2, 1, 0, 1, 0, 0, 0, 3, true, false, true};
  g_fw.policies[g_fw.nb_policies++] = {2, kFwIntfAny, kFwIntfAny, 0, 0, 0, 0, 0, 0, false, false,
                                       true};
}

// What forward_ipv4 does before it touches the mbuf: key, lookup, route,
// policy, insert, TCP tracking, expiry; invariants checked on the way.
void transit(const uint8_t* data, const ParsedFrame& p) {
  using namespace tandem::dp;
  if (p.ether_type != kEtherTypeIpv4 || p.ip_fragment || !p.has_l4) return;
  if (g_table == nullptr) init_transit_state();
  uint16_t sport = p.src_port, dport = p.dst_port;
  uint8_t tcp_flags = p.ip_proto == kIpProtoTcp ? data[p.l4_offset + 13] : 0;
  uint8_t icmp_type = p.ip_proto == kIpProtoIcmp ? data[p.l4_offset] : 0;
  bool lo, lo_rev;
  SessionKey k = session_key_make(p.ip_src_be, p.ip_dst_be, sport, dport, p.ip_proto, 0, &lo);
  SessionKey rev =
      session_key_make(p.ip_dst_be, p.ip_src_be, dport, sport, p.ip_proto, 0, &lo_rev);
  check(session_key_equal(k, rev));
  uint32_t h = session_key_hash(k);
  check(h == session_key_hash(rev));
  check(lo != lo_rev || (p.ip_src_be == p.ip_dst_be && sport == dport));

  g_now_ms += 250;  // inputs arrive a quarter second apart: entries expire
  session_expire(g_table, g_now_ms);
  Session* s = session_lookup(g_table, k, h);
  SessionTimers timers = session_timers_or_default(SessionTimers{});
  if (s == nullptr) {
    int out = route_lookup(g_routes, p.ip_dst_be);
    if (out < 0) return;
    FwFlow flow{__builtin_bswap32(p.ip_src_be), __builtin_bswap32(p.ip_dst_be), sport, dport,
                p.ip_proto, icmp_type, static_cast<uint8_t>(data[0] & 1), static_cast<uint8_t>(out & 1)};
    int pi = policy_lookup(g_fw, flow);
    if (pi < 0 || !g_fw.policies[pi].accept) return;
    uint8_t flags = lo ? kSessionOrigFromLo : 0;
    TcpState st = p.ip_proto == kIpProtoTcp
                      ? tcp_state_next(TcpState::kNone, tcp_flags, kDirOrig, &flags)
                      : TcpState::kNone;
    s = session_insert(g_table, k, h, flags, st, session_timeout_s(timers, p.ip_proto, st),
                       g_now_ms);
    if (s == nullptr) {
      check(g_table->in_use == kFuzzSessions);
      return;
    }
    check(session_lookup(g_table, rev, h) == s);
    // A tuple that is its own reverse (source = destination, same ports or
    // echo id: a LAND packet) has one direction only; every other flow's
    // reverse is its reply direction.
    const bool own_reverse = lo == lo_rev;
    check(session_dir(*s, lo) == kDirOrig && (own_reverse || session_dir(*s, lo_rev) == kDirReply));
    return;
  }
  SessionDir dir = session_dir(*s, lo);
  TcpState st = static_cast<TcpState>(s->state);
  if (p.ip_proto == kIpProtoTcp) st = tcp_state_next(st, tcp_flags, dir, &s->flags);
  check(static_cast<unsigned>(st) < kNbTcpStates);
  session_touch(g_table, s, st, session_timeout_s(timers, p.ip_proto, st), g_now_ms, 0);
  check(s->expire_ms >= g_now_ms);
  if (tcp_flags & kTcpRst) session_delete(g_table, s);
}

// The worker's inline parser of the common frame takes exactly the frames of
// its shape that the general parser accepts, and reads them the same.
void check_common_parser(const uint8_t* data, uint32_t len) {
  ParsedFrame any{}, common{};
  DropReason r = tandem::dp::parse_frame_any(data, len, &any);
  bool taken = tandem::dp::parse_frame_common(data, len, &common);
  bool shape = r == DropReason::kNone && tandem::dp::is_common_frame(any);
  check(taken == shape);
  if (taken) check(common == any);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 65535 + 64) return 0;
  check_common_parser(data, static_cast<uint32_t>(size));
  ParsedFrame parsed;
  if (tandem::dp::parse_frame(data, static_cast<uint32_t>(size), &parsed) != DropReason::kNone)
    return 0;

  // Exactly sized, so ASan sees any write past the frame.
  std::vector<uint8_t> frame(data, data + size);
  bool allow_ping = size > 0 && (data[size - 1] & 1) != 0;
  PortConf port = port_for(frame.data(), parsed, allow_ping);
  Verdict v = Verdict::kDropUnsupported;
  if (parsed.ether_type == tandem::dp::kEtherTypeArp)
    v = tandem::dp::arp_answer(frame.data(), static_cast<uint32_t>(size), parsed, port);
  else if (parsed.ether_type == tandem::dp::kEtherTypeIpv4 &&
           parsed.ip_proto == tandem::dp::kIpProtoIcmp) {
    (void)tandem::dp::icmp_is_echo_request(frame.data(), parsed);
    uint16_t id, seq;  // the health pings' reply matcher reads, never writes
    (void)tandem::dp::icmp_echo_reply_ids(frame.data(), static_cast<uint32_t>(size), parsed, &id, &seq);
    v = tandem::dp::icmp_answer_echo(frame.data(), static_cast<uint32_t>(size), parsed, port);
  }
  if (v == Verdict::kTransmit) check_reply(frame, parsed);
  else check(std::memcmp(frame.data(), data, size) == 0);  // drops leave the frame alone
  transit(data, parsed);

  // The gratuitous ARP writer, with a MAC, address and VLAN from the input.
  if (size >= 12) {
    rte_ether_addr mac;
    std::memcpy(mac.addr_bytes, data, 6);
    uint32_t ip;
    std::memcpy(&ip, data + 6, 4);
    uint16_t vlan = static_cast<uint16_t>((data[10] << 8) | data[11]);
    std::vector<uint8_t> buf(size % 80);
    uint32_t len = tandem::dp::arp_write_gratuitous(buf.data(), static_cast<uint32_t>(buf.size()),
                                                   mac, ip, vlan);
    if (len != 0) {
      ParsedFrame g;
      check(tandem::dp::parse_frame(buf.data(), len, &g) == DropReason::kNone);
      check(g.ether_type == tandem::dp::kEtherTypeArp && g.arp_op == 1);
    }
  }
  return 0;
}
