#include "dataplane/arp/arp.h"

#include <cerrno>
#include <cstring>

#include <rte_arp.h>

#include "dataplane/packet/parse.h"
#include "dataplane/worker/worker_inl.h"

namespace tandem::dp {
namespace {

// Offsets inside the ARP body (Ethernet/IPv4 form, RFC 826). Bytes are
// copied rather than cast to rte_arp_hdr: a frame may sit at any alignment.
constexpr uint32_t kArpOpOff = 6;
constexpr uint32_t kArpShaOff = 8;
constexpr uint32_t kArpSpaOff = 14;
constexpr uint32_t kArpThaOff = 18;
constexpr uint32_t kArpTpaOff = 24;
constexpr uint32_t kArpBodyLen = 28;
constexpr uint32_t kEtherDstOff = 0;
constexpr uint32_t kEtherSrcOff = 6;
constexpr uint32_t kIpv4AddrLen = 4;

void store_be16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

bool is_group_mac(const uint8_t* mac) { return (mac[0] & 0x01) != 0; }

}  // namespace

Verdict arp_answer(uint8_t* frame, uint32_t len, const ParsedFrame& parsed,
                   const PortConf& port) {
  if (parsed.ether_type != kEtherTypeArp || len < parsed.l3_offset + kArpBodyLen)
    return Verdict::kDropMalformed;
  // Replies would feed the neighbour table (issue 3); nothing uses them yet.
  if (parsed.arp_op != RTE_ARP_OP_REQUEST) return Verdict::kDropUnsupported;
  uint8_t* arp = frame + parsed.l3_offset;
  // A group address as a sender cannot be answered (and would flood).
  if (is_group_mac(arp + kArpShaOff) || is_group_mac(frame + kEtherSrcOff))
    return Verdict::kDropMalformed;
  uint32_t target_ip;
  std::memcpy(&target_ip, arp + kArpTpaOff, kIpv4AddrLen);
  if (!port_owns_address(port, target_ip)) return Verdict::kDropNotLocal;

  // Answer to whoever sent the frame; an RFC 5227 probe (sender IP 0) gets
  // a reply to 0.0.0.0, which is what the prober listens for.
  std::memcpy(frame + kEtherDstOff, frame + kEtherSrcOff, RTE_ETHER_ADDR_LEN);
  std::memcpy(frame + kEtherSrcOff, port.mac.addr_bytes, RTE_ETHER_ADDR_LEN);
  store_be16(arp + kArpOpOff, RTE_ARP_OP_REPLY);
  std::memcpy(arp + kArpThaOff, arp + kArpShaOff, RTE_ETHER_ADDR_LEN);
  std::memcpy(arp + kArpTpaOff, arp + kArpSpaOff, kIpv4AddrLen);
  std::memcpy(arp + kArpShaOff, port.mac.addr_bytes, RTE_ETHER_ADDR_LEN);
  std::memcpy(arp + kArpSpaOff, &target_ip, kIpv4AddrLen);
  return Verdict::kTransmit;
}

uint32_t arp_write_gratuitous(uint8_t* buf, uint32_t capacity, const rte_ether_addr& mac,
                              uint32_t ip_be, uint16_t vlan_tci) {
  uint32_t vlan_len = vlan_tci != 0 ? sizeof(rte_vlan_hdr) : 0;
  uint32_t len = kArpFrameLen + vlan_len;
  if (len < kEtherMinFrameLen) len = kEtherMinFrameLen;
  if (capacity < len) return 0;
  std::memset(buf, 0, len);

  std::memset(buf + kEtherDstOff, 0xff, RTE_ETHER_ADDR_LEN);
  std::memcpy(buf + kEtherSrcOff, mac.addr_bytes, RTE_ETHER_ADDR_LEN);
  uint8_t* p = buf + 2 * RTE_ETHER_ADDR_LEN;
  if (vlan_tci != 0) {
    store_be16(p, kEtherTypeVlan);
    store_be16(p + 2, vlan_tci);
    p += sizeof(rte_vlan_hdr);
  }
  store_be16(p, kEtherTypeArp);
  uint8_t* arp = p + 2;
  store_be16(arp, RTE_ARP_HRD_ETHER);
  store_be16(arp + 2, kEtherTypeIpv4);
  arp[4] = RTE_ETHER_ADDR_LEN;
  arp[5] = kIpv4AddrLen;
  store_be16(arp + kArpOpOff, RTE_ARP_OP_REQUEST);
  std::memcpy(arp + kArpShaOff, mac.addr_bytes, RTE_ETHER_ADDR_LEN);
  std::memcpy(arp + kArpSpaOff, &ip_be, kIpv4AddrLen);
  // Target hardware address stays zero (RFC 5227 section 2.3).
  std::memcpy(arp + kArpTpaOff, &ip_be, kIpv4AddrLen);
  return len;
}

uint32_t arp_write_request(uint8_t* buf, uint32_t capacity, const rte_ether_addr& mac,
                           uint32_t sender_ip_be, uint32_t target_ip_be) {
  // The announcement's layout, with a different target address.
  uint32_t len = arp_write_gratuitous(buf, capacity, mac, sender_ip_be, 0);
  if (len != 0) std::memcpy(buf + 14 + kArpTpaOff, &target_ip_be, kIpv4AddrLen);
  return len;
}

int arp_build_request(rte_mbuf* m, const rte_ether_addr& mac, uint32_t sender_ip_be,
                      uint32_t target_ip_be) {
  if (rte_pktmbuf_pkt_len(m) != 0) return -EINVAL;
  uint32_t room = rte_pktmbuf_tailroom(m);
  uint32_t len =
      arp_write_request(rte_pktmbuf_mtod(m, uint8_t*), room, mac, sender_ip_be, target_ip_be);
  if (len == 0 || rte_pktmbuf_append(m, static_cast<uint16_t>(len)) == nullptr) return -ENOSPC;
  return 0;
}

int arp_build_gratuitous(rte_mbuf* m, const rte_ether_addr& mac, uint32_t ip_be,
                         uint16_t vlan_tci) {
  if (rte_pktmbuf_pkt_len(m) != 0) return -EINVAL;
  uint32_t room = rte_pktmbuf_tailroom(m);
  uint32_t len = arp_write_gratuitous(rte_pktmbuf_mtod(m, uint8_t*), room, mac, ip_be, vlan_tci);
  if (len == 0 || rte_pktmbuf_append(m, static_cast<uint16_t>(len)) == nullptr) return -ENOSPC;
  return 0;
}

}  // namespace tandem::dp
