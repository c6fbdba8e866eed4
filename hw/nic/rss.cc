#include "hw/nic/rss.h"

#include <algorithm>
#include <string>

namespace tandem::hw {

namespace {

// Hash types a worker can use to find a flow's owner: addresses, plus ports
// where the NIC can hash them. Anything finer (SCTP, tunnels) buys nothing.
constexpr uint64_t kWantedRssTypes = RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP;

std::string driver_name(const rte_eth_dev_info& info) {
  return info.driver_name != nullptr ? info.driver_name : "unknown";
}

}  // namespace

void fill_symmetric_rss_key(uint8_t* key, unsigned key_len) {
  for (unsigned i = 0; i < key_len; ++i) key[i] = (i % 2 == 0) ? 0x6d : 0x5a;
}

RssPlan plan_rss(const rte_eth_dev_info& info, unsigned nb_queues) {
  RssPlan plan;
  plan.reta_size = info.reta_size;
  const std::string driver = driver_name(info);
  if (info.flow_type_rss_offloads == 0) {
    plan.note = "driver " + driver + " has no RSS; workers steer in software";
    return plan;
  }
  if (nb_queues <= 1) {
    plan.note = "single rx queue; RSS not needed";
    return plan;
  }
  plan.rss_hf = info.flow_type_rss_offloads & kWantedRssTypes;
  if (plan.rss_hf == 0) {
    plan.note = "driver " + driver + " hashes no IP/TCP/UDP types; workers steer in software";
    return plan;
  }
  // hash_key_size 0 means the driver does not say; the common 40 bytes is
  // what such drivers (virtio, net_tap) accept.
  unsigned key_len = info.hash_key_size != 0 ? info.hash_key_size : kRssKeyDefaultLen;
  if (key_len > kRssKeyMaxLen) {
    plan.rss_hf = 0;
    plan.note = "driver " + driver + " wants a " + std::to_string(key_len) +
                "-byte RSS key, more than " + std::to_string(kRssKeyMaxLen) +
                "; workers steer in software";
    return plan;
  }
  plan.key_len = static_cast<uint8_t>(key_len);
  fill_symmetric_rss_key(plan.key, key_len);
  plan.enabled = true;
  // DPDK 22.11 ethdev has no hash-function field in rte_eth_rss_conf (the
  // symmetric Toeplitz algorithm arrived in 23.11), so symmetry comes from the
  // key alone.
  plan.note = "symmetric Toeplitz key (0x6d5a x" + std::to_string(key_len / 2) + "), " +
              std::to_string(nb_queues) + " queues, reta " + std::to_string(info.reta_size);
  return plan;
}

uint32_t toeplitz_hash(const uint8_t* key, unsigned key_len, const uint8_t* input, unsigned len) {
  auto key_byte = [&](unsigned i) -> uint32_t { return i < key_len ? key[i] : 0u; };
  // window holds key bits [bit, bit + 32); it slides left one bit per input
  // bit, taking the next key bit in at the bottom.
  uint32_t window = (key_byte(0) << 24) | (key_byte(1) << 16) | (key_byte(2) << 8) | key_byte(3);
  uint32_t hash = 0;
  for (unsigned byte = 0; byte < len; ++byte) {
    const uint8_t next_key = static_cast<uint8_t>(key_byte(byte + 4));
    for (int bit = 7; bit >= 0; --bit) {
      if ((input[byte] >> bit) & 1u) hash ^= window;
      window = (window << 1) | ((next_key >> bit) & 1u);
    }
  }
  return hash;
}

}  // namespace tandem::hw
