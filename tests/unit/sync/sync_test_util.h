// Test helpers shared by the sync stream's unit and component tests: the
// SyncConf of one node, the owned memory of a SyncStream, a seeded PRNG
// and the impairment rules (loss, reordering, duplication, bit flips) a
// test applies to the frames between two streams. Header-only; no EAL.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "dataplane/sync/sync_stream.h"
#include "dataplane/sync/sync_types.h"

namespace tandem::dp::test {

inline constexpr uint16_t kTestGroup = 7;
inline constexpr char kTestPassword[] = "tandem-ha-secret";

// splitmix64: the same sequence on every platform and library, so a seed
// names one run exactly (std distributions may differ between libstdc++s).
class Prng {
 public:
  explicit Prng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) { return n == 0 ? 0 : next() % n; }
  // True with probability permille / 1000.
  bool chance(unsigned permille) { return permille != 0 && below(1000) < permille; }

 private:
  uint64_t state_;
};

// Per mille of frames each impairment hits, on each direction.
struct Impairment {
  const char* name;
  unsigned loss, reorder, duplicate, corrupt;
  unsigned emit_fail;  // the TX path refuses a frame (ring full)
};

// One node's conf as tandemd fills it: `peer_epoch` is the boot the
// peer's heartbeats announce (0: none yet), keyed from the same password.
inline SyncConf make_sync_conf(bool sender, uint64_t epoch, uint64_t peer_epoch,
                               const char* password = kTestPassword,
                               uint16_t group = kTestGroup) {
  SyncConf c;
  if (!sync_conf_for_pair(&c, sender, group, password, epoch, peer_epoch)) std::abort();
  const uint8_t mac[6] = {0x02, 0x09, 0x0f, 0x00, 0x0a, static_cast<uint8_t>(sender ? 1 : 2)};
  std::memcpy(c.local_mac, mac, 6);
  return c;
}

inline SyncStreamParams make_stream_params(unsigned stream, unsigned window, SyncEmitFn emit,
                                           void* emit_arg) {
  SyncStreamParams p{};
  p.stream = stream;
  p.window = window;
  p.rto_us = kSyncDefaultRtoUs;
  p.rto_max_us = kSyncDefaultRtoMaxUs;
  p.ack_delay_us = kSyncDefaultAckDelayUs;
  p.ack_every = kSyncDefaultAckEvery;
  p.emit = emit;
  p.emit_arg = emit_arg;
  return p;
}

// A SyncStream in its own 64-byte aligned block; fini + free on reset.
struct StreamDeleter {
  void operator()(SyncStream* s) const {
    sync_stream_fini(s);
    std::free(s);
  }
};
using StreamPtr = std::unique_ptr<SyncStream, StreamDeleter>;

inline StreamPtr make_stream(const SyncStreamParams& params, const SyncConf& conf) {
  size_t size = (sync_stream_memsize(params.window) + 63) / 64 * 64;
  void* mem = std::aligned_alloc(64, size);
  if (mem == nullptr) return nullptr;
  SyncStream* s = sync_stream_init(mem, params, conf);
  if (s == nullptr) {
    std::free(mem);
    return nullptr;
  }
  return StreamPtr(s);
}

// Results a frame with a flipped bit may get: the header checks, or the
// AES-GCM tag. The Ethernet addresses (first 12 bytes) are not
// authenticated, so a flip there is no corruption as far as sync goes.
inline constexpr size_t kSyncUnauthenticatedPrefix = 12;
inline bool rejected(SyncRxResult r) {
  switch (r) {
    case SyncRxResult::kBadAuth:
    case SyncRxResult::kMalformed:
    case SyncRxResult::kReplay:
    case SyncRxResult::kUnknownEpoch:
    case SyncRxResult::kWrongGroup:
    case SyncRxResult::kMisrouted:
    case SyncRxResult::kNotSync:
      return true;
    default:
      return false;
  }
}

}  // namespace tandem::dp::test
