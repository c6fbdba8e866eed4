// The hosts, addresses and ports of the two-port lab that the forwarding
// and the session pickup component tests build their frames and snapshots
// for: one node (or an HA pair with the same ports) between a client and
// a server, and a gateway behind port1 for a remote subnet.
//
//   client 10.1.100.22 --- port2 (index 1) [node] port1 (index 0) --- server 172.16.200.209
//                                                                  \-- gw 172.16.200.254 -> 192.168.50.0/24
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>

#include "dataplane/worker/worker_types.h"
#include "tests/unit/dataplane/frame_builder.h"

namespace tandem::dp::test::lab {

inline constexpr Mac kPort1Mac{{0x02, 0x09, 0x0f, 0x00, 0x00, 0x01}};
inline constexpr Mac kPort2Mac{{0x02, 0x09, 0x0f, 0x00, 0x00, 0x02}};
inline constexpr Mac kClientMac{{0x52, 0x54, 0x00, 0x00, 0x00, 0x22}};
inline constexpr Mac kServerMac{{0x52, 0x54, 0x00, 0x00, 0x02, 0x09}};
inline constexpr Mac kGwMac{{0x52, 0x54, 0x00, 0x00, 0x02, 0xfe}};
inline constexpr uint32_t kClient = ipv4(10, 1, 100, 22);
inline constexpr uint32_t kServer = ipv4(172, 16, 200, 209);
inline constexpr uint32_t kGw = ipv4(172, 16, 200, 254);
inline constexpr uint32_t kRemote = ipv4(192, 168, 50, 5);
inline constexpr uint32_t kPort1Ip = ipv4(172, 16, 200, 1);
inline constexpr uint32_t kPort2Ip = ipv4(10, 1, 100, 1);
inline constexpr unsigned kServerPort = 0, kClientPort = 1;  // snapshot indexes

// A lab port of the node: ethdev port_id with `mac` and ip/24, ping
// allowed; active, or silent as an HA secondary's.
inline PortConf lab_port_conf(uint16_t port_id, const Mac& mac, uint32_t ip, const char* name,
                              bool active) {
  PortConf c{};
  c.port_id = port_id;
  std::memcpy(c.mac.addr_bytes, mac.b, 6);
  c.addrs[c.nb_addrs++] = {to_be(ip), to_be(0xffffff00)};
  c.allow_ping = true;
  c.active = active;
  std::snprintf(c.name, sizeof(c.name), "%s", name);
  return c;
}

}  // namespace tandem::dp::test::lab
