// The cluster's virtual MAC per data port. The primary answers for this
// address on every data port, so a failover moves the MAC with the role
// and switches relearn it from the new primary's gratuitous ARPs; clients'
// ARP caches never change. Called by the port setup when a node becomes
// primary (and by the lab generator that plays the switch).
//
// Form: 02:54:44:GG:GG:PP — 0x02 sets the locally administered bit (and
// clears the group bit), so the address can never collide with a vendor
// OUI on the same LAN; 54:44 is "TD" (Tandem); GG:GG is group-id (0..1023,
// big-endian) so two clusters on one LAN differ; PP is the port index
// (0..255). FortiOS uses its own OUI (00:09:0f:09:<group>:<index>); we own
// no OUI, hence the local bit.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace tandem::ha {

inline constexpr unsigned kVirtualMacMaxPort = 255;
inline constexpr unsigned kVirtualMacMaxGroup = 0xffff;

// Values above the maxima are reduced modulo the field width; config limits
// group-id to 0..1023 and a node has far fewer than 256 ports.
std::array<uint8_t, 6> virtual_mac(unsigned group_id, unsigned port_index);

// "02:54:44:00:05:01" form, for logs and `get system ha status`.
std::string format_mac(const std::array<uint8_t, 6>& mac);

}  // namespace tandem::ha
