// The client-certificate verification cache (verify_cache.h).
#include "dataplane/tls/verify_cache.h"

#include <cstring>
#include <new>

namespace tandem::dp::tls {

static_assert((kVerifyCacheSlots & (kVerifyCacheSlots - 1)) == 0, "slots must be a power of two");

bool VerifyCache::init() {
  slots_.reset(new (std::nothrow) Slot[kVerifyCacheSlots]());
  counters_ = {};
  return slots_ != nullptr;
}

// The key is a SHA-256: any 8 of its bytes are uniform.
VerifyCache::Slot* VerifyCache::slot_of(const uint8_t* key) const {
  uint64_t h;
  std::memcpy(&h, key, sizeof h);
  return &slots_[h & (kVerifyCacheSlots - 1)];
}

bool VerifyCache::hit(const uint8_t* key, int64_t now_s) {
  if (!slots_) return false;
  Slot* s = slot_of(key);
  if (s->expires_s == 0 || std::memcmp(s->key, key, kChainKeyBytes) != 0) {
    ++counters_.misses;
    return false;
  }
  if (now_s >= s->expires_s) {
    s->expires_s = 0;
    ++counters_.expired;
    ++counters_.misses;
    return false;
  }
  ++counters_.hits;
  return true;
}

void VerifyCache::store(const uint8_t* key, int64_t now_s, int64_t expires_s) {
  if (!slots_ || expires_s <= now_s) return;
  Slot* s = slot_of(key);
  std::memcpy(s->key, key, kChainKeyBytes);
  s->expires_s = expires_s;
  ++counters_.stored;
}

}  // namespace tandem::dp::tls
