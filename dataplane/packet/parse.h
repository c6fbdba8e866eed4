// Bounds-checked parsing of the headers the dataplane looks at: Ethernet,
// up to two VLAN tags (802.1Q / 802.1ad), ARP, IPv4 (with header checksum),
// ICMP and enough of UDP/TCP to find the ports. Pure functions over a byte
// range, so unit tests and the fuzzer need neither EAL nor mbufs. Called by
// the worker for every received frame; the session stage builds on it.
#pragma once

#include <cstdint>

#include "dataplane/packet/packet_types.h"

namespace tandem::dp {

inline constexpr uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr uint16_t kEtherTypeArp = 0x0806;
inline constexpr uint16_t kEtherTypeVlan = 0x8100;      // 802.1Q C-tag
inline constexpr uint16_t kEtherTypeQinQ = 0x88a8;      // 802.1ad S-tag
inline constexpr uint16_t kEtherTypeQinQLegacy = 0x9100;  // pre-802.1ad S-tag
inline constexpr uint8_t kIpProtoIcmp = 1;
inline constexpr uint8_t kIpProtoTcp = 6;
inline constexpr uint8_t kIpProtoUdp = 17;

// Parses the headers of the frame in [data, data + len). On kNone, *out
// describes the frame; on any other reason *out holds what was parsed
// before the fault and the frame must be dropped. Never reads outside the
// range.
DropReason parse_frame(const uint8_t* data, uint32_t len, ParsedFrame* out);

// Human-readable name of a reason, for counters and logs.
const char* drop_reason_name(DropReason reason);

}  // namespace tandem::dp
