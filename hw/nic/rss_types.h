// RSS plan: what hw::plan_rss decided for one port, and why. Filled at port
// set-up (drivers/port) and printed by `get hardware nic`; plain data only.
#pragma once

#include <cstdint>
#include <string>

namespace tandem::hw {

// 40 bytes is the Toeplitz key length of most NICs (ixgbe, mlx5, virtio);
// i40e/ice report 52. 64 leaves room for anything dev_info has reported so far.
inline constexpr unsigned kRssKeyDefaultLen = 40;
inline constexpr unsigned kRssKeyMaxLen = 64;

struct RssPlan {
  bool enabled = false;
  uint64_t rss_hf = 0;          // RTE_ETH_RSS_* types asked of the NIC
  uint8_t key[kRssKeyMaxLen] = {};
  uint8_t key_len = 0;
  uint16_t reta_size = 0;
  std::string note;             // what is used, or why the port falls back to software steering
};

}  // namespace tandem::hw
