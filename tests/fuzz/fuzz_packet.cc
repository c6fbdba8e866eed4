// libFuzzer target: arbitrary bytes through the frame parser and, when they
// parse, through the ARP and ICMP responders on a private copy. The port is
// made to own the frame's target address so the reply paths are reached;
// every reply must parse again with valid checksums. No EAL needed.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include <rte_ip.h>

#include "dataplane/arp/arp.h"
#include "dataplane/icmp/icmp.h"
#include "dataplane/packet/parse.h"

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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 65535 + 64) return 0;
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
    v = tandem::dp::icmp_answer_echo(frame.data(), static_cast<uint32_t>(size), parsed, port);
  }
  if (v == Verdict::kTransmit) check_reply(frame, parsed);
  else check(std::memcmp(frame.data(), data, size) == 0);  // drops leave the frame alone

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
