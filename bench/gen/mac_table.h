// The learning switch of tandem-gen's switch mode. In the HA lab one side
// of the generator is wired to the same port of both nodes; like a real
// switch it learns, from the source MAC of every frame it receives
// (gratuitous ARPs of a new primary included), which port holds an address
// and sends frames for it there. The RX loop learns, the TX loop looks up:
// one writer, one reader, no lock (each entry is one atomic word).
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>

#include <rte_ether.h>

namespace tandem::gen {

class MacTable {
 public:
  // A side has a handful of neighbours (two nodes, their virtual MAC, a
  // router); a linear scan of a cache line or two beats hashing.
  static constexpr unsigned kCapacity = 32;
  static constexpr int kUnknown = -1;

  // Records that mac was seen on port_index. Returns true when this moved
  // or added the address (a station move is what failover looks like).
  bool learn(const rte_ether_addr& mac, unsigned port_index) {
    const uint64_t key = mac_key(mac);
    const uint64_t word = (key << 16) | (port_index + 1);
    for (unsigned i = 0; i < used_; ++i) {
      const uint64_t old = entries_[i].load(std::memory_order_relaxed);
      if ((old >> 16) == key) {
        if (old == word) return false;
        entries_[i].store(word, std::memory_order_release);
        ++moves_;
        return true;
      }
    }
    // Full: the oldest slot goes, as an ageing switch would drop it.
    const unsigned slot = used_ < kCapacity ? used_++ : (next_evict_++ % kCapacity);
    entries_[slot].store(word, std::memory_order_release);
    return true;
  }

  // Port index holding mac, or kUnknown (the caller floods).
  int lookup(const rte_ether_addr& mac) const {
    const uint64_t key = mac_key(mac);
    for (const auto& entry : entries_) {
      const uint64_t word = entry.load(std::memory_order_acquire);
      if (word == 0) break;
      if ((word >> 16) == key) return static_cast<int>((word & 0xffff) - 1);
    }
    return kUnknown;
  }

  uint64_t moves() const { return moves_; }

 private:
  static uint64_t mac_key(const rte_ether_addr& mac) {
    uint64_t key = 0;
    std::memcpy(&key, mac.addr_bytes, RTE_ETHER_ADDR_LEN);
    return key;
  }

  std::atomic<uint64_t> entries_[kCapacity] = {};
  unsigned used_ = 0;        // writer only
  unsigned next_evict_ = 0;  // writer only
  uint64_t moves_ = 0;       // writer only
};

}  // namespace tandem::gen
