#include "controlplane/ha/vmac.h"

#include <cstdio>

namespace tandem::ha {

std::array<uint8_t, 6> virtual_mac(unsigned group_id, unsigned port_index) {
  return {0x02, 0x54, 0x44, uint8_t(group_id >> 8), uint8_t(group_id), uint8_t(port_index)};
}

std::string format_mac(const std::array<uint8_t, 6>& mac) {
  char buf[18];
  std::snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
                mac[4], mac[5]);
  return buf;
}

}  // namespace tandem::ha
