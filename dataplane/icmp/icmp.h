// ICMP echo responder for the node's own addresses. The worker hands every
// parsed IPv4/ICMP frame to icmp_answer_echo(); a valid echo request to an
// address of the port, on a port whose allowaccess includes ping, becomes
// the echo reply in place (addresses swapped, type 0, checksums fixed, VLAN
// tags and payload kept). Other ICMP to the node waits for later issues.
#pragma once

#include <cstdint>

#include <rte_mbuf.h>

#include "dataplane/packet/packet_types.h"
#include "dataplane/worker/worker_types.h"

namespace tandem::dp {

// TTL of the replies we originate (the Linux default).
inline constexpr uint8_t kReplyTtl = 64;

// True when the parsed frame is an ICMP echo request (type 8), wherever it
// is addressed; the worker counts these.
bool icmp_is_echo_request(const uint8_t* frame, const ParsedFrame& parsed);

// An ICMP echo reply (type 0, code 0, a correct checksum) in a frame of len
// bytes that parse_frame() accepted: its identifier and sequence number
// (host order). False for anything else, a fragment, or an ICMP message
// the frame does not hold whole. The access proxy's health pings are
// matched with it (tcp_glue).
bool icmp_echo_reply_ids(const uint8_t* frame, uint32_t len, const ParsedFrame& parsed, uint16_t* id,
                         uint16_t* seq);

// `parsed` must come from parse_frame() on the same bytes with kNone,
// ether_type IPv4 and ip_proto ICMP. kTransmit: the frame now holds the
// reply; anything else: drop it. A bad ICMP checksum is kDropMalformed; a
// valid request on a port without ping is kDropPingDenied.
Verdict icmp_answer_echo(uint8_t* frame, uint32_t len, const ParsedFrame& parsed,
                         const PortConf& port);

inline Verdict icmp_answer_echo_mbuf(rte_mbuf* m, const ParsedFrame& parsed,
                                     const PortConf& port) {
  return icmp_answer_echo(rte_pktmbuf_mtod(m, uint8_t*), rte_pktmbuf_data_len(m), parsed, port);
}

}  // namespace tandem::dp
