// ARP for the node's own addresses. The worker hands every parsed ARP frame
// to arp_answer(), which turns a request for one of the port's addresses
// into the reply in place (same buffer, VLAN tags kept). Learning into the
// neighbour table is the forwarding stage's (dataplane/forward/), which also
// sends requests built here on a miss. arp_build_gratuitous() is
// for HA takeover: the new primary announces its addresses with the virtual
// MAC so switches and hosts move to it at once.
#pragma once

#include <cstdint>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "dataplane/packet/packet_types.h"
#include "dataplane/worker/worker_types.h"

namespace tandem::dp {

// Frame size of an ARP packet without VLAN tags, before padding.
inline constexpr uint32_t kArpFrameLen = 14 + 28;
// Shortest Ethernet frame without FCS; a built frame is padded to it.
inline constexpr uint32_t kEtherMinFrameLen = RTE_ETHER_MIN_LEN - RTE_ETHER_CRC_LEN;

// `parsed` must come from parse_frame() on the same bytes with kNone and
// ether_type ARP. kTransmit: the frame now holds the reply, addressed to the
// requester from port.mac; anything else: leave the frame alone and drop it.
Verdict arp_answer(uint8_t* frame, uint32_t len, const ParsedFrame& parsed,
                   const PortConf& port);

// The same on the first segment of an mbuf (the parser only reads that).
inline Verdict arp_answer_mbuf(rte_mbuf* m, const ParsedFrame& parsed, const PortConf& port) {
  return arp_answer(rte_pktmbuf_mtod(m, uint8_t*), rte_pktmbuf_data_len(m), parsed, port);
}

// Writes a gratuitous ARP (an ARP request with sender and target set to
// ip_be, to the broadcast address, RFC 5227 "announcement") from mac into
// buf, with one 802.1Q tag when vlan_tci != 0, padded to the minimum frame.
// Returns the frame length, or 0 when capacity is too small.
uint32_t arp_write_gratuitous(uint8_t* buf, uint32_t capacity, const rte_ether_addr& mac,
                              uint32_t ip_be, uint16_t vlan_tci);

// The same appended to an empty mbuf. Returns 0, -EINVAL when m already
// holds data, or -ENOSPC when it has no room.
int arp_build_gratuitous(rte_mbuf* m, const rte_ether_addr& mac, uint32_t ip_be,
                         uint16_t vlan_tci);

// Writes an ARP request for target_ip_be from (mac, sender_ip_be) to the
// broadcast address, untagged, padded to the minimum frame: what a worker
// sends on a neighbour miss. Returns the length, or 0 when capacity is short.
uint32_t arp_write_request(uint8_t* buf, uint32_t capacity, const rte_ether_addr& mac,
                           uint32_t sender_ip_be, uint32_t target_ip_be);

// The same appended to an empty mbuf: 0, -EINVAL or -ENOSPC.
int arp_build_request(rte_mbuf* m, const rte_ether_addr& mac, uint32_t sender_ip_be,
                      uint32_t target_ip_be);

}  // namespace tandem::dp
