// The shared TLS 1.2 session-id cache (session_cache.h): fixed slots, an
// open-addressing index over them, and an insertion-order list for
// oldest-first eviction; OpenSSL's DER in and out.
#include "dataplane/tls/session_cache.h"

#include <openssl/ssl.h>

#include <cstring>
#include <ctime>
#include <new>

namespace tandem::dp::tls {
namespace {

uint32_t hash_key(const uint8_t* p, std::size_t n, uint32_t h = 2166136261u) {
  for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 16777619u;
  return h;
}

}  // namespace

SessionCache::SessionCache(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {
  std::size_t buckets = 1;
  while (buckets < 2 * capacity_) buckets <<= 1;  // load factor at most 1/2
  buckets_mask_ = buckets - 1;
  // Slot has no initialisers: the pages of unused slots are never touched.
  slots_.reset(new Slot[capacity_]);
  index_.reset(new int32_t[buckets]);
  for (std::size_t i = 0; i < buckets; ++i) index_[i] = -1;
}

uint64_t SessionCache::now_s() { return static_cast<uint64_t>(std::time(nullptr)); }

bool SessionCache::make_key(const uint8_t* sid_ctx, std::size_t sid_ctx_len, const uint8_t* id, std::size_t id_len,
                            Key* out) {
  if (sid_ctx_len > kSessionIdCtxMax || id_len == 0 || id_len > kSessionIdMax) return false;
  std::memset(out, 0, sizeof *out);
  out->sid_ctx_len = static_cast<uint8_t>(sid_ctx_len);
  out->id_len = static_cast<uint8_t>(id_len);
  if (sid_ctx_len) std::memcpy(out->sid_ctx, sid_ctx, sid_ctx_len);
  std::memcpy(out->id, id, id_len);
  return true;
}

// Keys are zero-padded, so the whole struct compares and hashes.
int32_t SessionCache::find(const Key& key) const {
  std::size_t b = hash_key(reinterpret_cast<const uint8_t*>(&key), sizeof key) & buckets_mask_;
  for (;; b = (b + 1) & buckets_mask_) {
    int32_t s = index_[b];
    if (s < 0) return -1;
    if (std::memcmp(&slots_[s].key, &key, sizeof key) == 0) return s;
  }
}

void SessionCache::unlink(int32_t slot) {
  Slot& s = slots_[slot];
  (s.older >= 0 ? slots_[s.older].newer : oldest_) = s.newer;
  (s.newer >= 0 ? slots_[s.newer].older : newest_) = s.older;
}

// Frees the slot: out of the order list and the index (backward-shift
// deletion, so probing needs no tombstones), onto the free list.
void SessionCache::drop(int32_t slot) {
  Slot& s = slots_[slot];
  std::size_t b = hash_key(reinterpret_cast<const uint8_t*>(&s.key), sizeof s.key) & buckets_mask_;
  while (index_[b] != slot) b = (b + 1) & buckets_mask_;
  std::size_t hole = b;
  for (std::size_t j = (hole + 1) & buckets_mask_; index_[j] >= 0; j = (j + 1) & buckets_mask_) {
    const Key& k = slots_[index_[j]].key;
    std::size_t home = hash_key(reinterpret_cast<const uint8_t*>(&k), sizeof k) & buckets_mask_;
    // The entry at j may move into the hole unless its home lies in (hole, j].
    bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
    if (stays) continue;
    index_[hole] = index_[j];
    hole = j;
  }
  index_[hole] = -1;
  unlink(slot);
  s.used = false;
  s.newer = free_;
  free_ = slot;
  --size_;
}

bool SessionCache::insert(const Key& key, const uint8_t* der, std::size_t der_len, uint64_t created_s,
                          uint32_t timeout_s, uint64_t now_s) {
  int32_t old = find(key);
  if (old >= 0) drop(old);
  // Sessions all live kTicketLifetimeS, so the oldest are the first to
  // expire: sweep those before counting anything as an eviction.
  while (oldest_ >= 0 && expired(slots_[oldest_], now_s)) {
    drop(oldest_);
    expired_.fetch_add(1, std::memory_order_relaxed);
  }
  if (free_ < 0 && fresh_ == capacity_) {
    drop(oldest_);
    evictions_.fetch_add(1, std::memory_order_relaxed);
  }
  int32_t slot;
  if (free_ >= 0) {
    slot = free_;
    free_ = slots_[slot].newer;
  } else {
    slot = static_cast<int32_t>(fresh_++);
  }
  Slot& s = slots_[slot];
  s.key = key;
  s.used = true;
  s.der_len = static_cast<uint16_t>(der_len);
  std::memcpy(s.der, der, der_len);
  s.created_s = created_s;
  s.timeout_s = timeout_s;
  s.older = newest_;
  s.newer = -1;
  (newest_ >= 0 ? slots_[newest_].newer : oldest_) = slot;
  newest_ = slot;
  std::size_t b = hash_key(reinterpret_cast<const uint8_t*>(&key), sizeof key) & buckets_mask_;
  while (index_[b] >= 0) b = (b + 1) & buckets_mask_;
  index_[b] = slot;
  ++size_;
  return true;
}

bool SessionCache::store(SSL_SESSION* session, uint64_t now_s) {
  if (session == nullptr || SSL_SESSION_get_protocol_version(session) != TLS1_2_VERSION) return false;
  unsigned int id_len = 0, ctx_len = 0;
  const unsigned char* id = SSL_SESSION_get_id(session, &id_len);
  const unsigned char* ctx = SSL_SESSION_get0_id_context(session, &ctx_len);
  Key key;
  if (!make_key(ctx, ctx_len, id, id_len, &key)) return false;
  int len = i2d_SSL_SESSION(session, nullptr);
  if (len <= 0 || static_cast<std::size_t>(len) > kSessionDerMax) {
    too_big_.fetch_add(len > 0 ? 1 : 0, std::memory_order_relaxed);
    return false;
  }
  // Encoded outside the lock: the lock covers only the copy into a slot.
  uint8_t der[kSessionDerMax];
  unsigned char* p = der;
  if (i2d_SSL_SESSION(session, &p) != len) return false;
  long t = SSL_SESSION_get_time(session), timeout = SSL_SESSION_get_timeout(session);
  if (t < 0 || timeout <= 0) return false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    insert(key, der, static_cast<std::size_t>(len), static_cast<uint64_t>(t), static_cast<uint32_t>(timeout), now_s);
  }
  stored_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

SSL_SESSION* SessionCache::fetch(const uint8_t* sid_ctx, std::size_t sid_ctx_len, const uint8_t* id,
                                 std::size_t id_len, uint64_t now_s) {
  Key key;
  if (!make_key(sid_ctx, sid_ctx_len, id, id_len, &key)) {
    misses_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  uint8_t der[kSessionDerMax];
  std::size_t der_len = 0;
  uint64_t created_s = 0;
  uint32_t timeout_s = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    int32_t slot = find(key);
    if (slot >= 0 && expired(slots_[slot], now_s)) {
      drop(slot);
      expired_.fetch_add(1, std::memory_order_relaxed);
      slot = -1;
    }
    if (slot < 0) {
      misses_.fetch_add(1, std::memory_order_relaxed);
      return nullptr;
    }
    const Slot& s = slots_[slot];
    der_len = s.der_len;
    std::memcpy(der, s.der, der_len);
    created_s = s.created_s;
    timeout_s = s.timeout_s;
  }
  const unsigned char* p = der;
  SSL_SESSION* session = d2i_SSL_SESSION(nullptr, &p, static_cast<long>(der_len));
  if (session == nullptr) {
    misses_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  // A replicated entry's creation time is on this node's clock (install),
  // which is the one OpenSSL checks the lifetime against.
  SSL_SESSION_set_time(session, static_cast<long>(created_s));
  SSL_SESSION_set_timeout(session, static_cast<long>(timeout_s));
  hits_.fetch_add(1, std::memory_order_relaxed);
  return session;
}

namespace {

// The keys remove() dropped on this thread, for take_removed.
thread_local SessionCacheKey removed_queue[kRemovedQueue];
thread_local std::size_t removed_count = 0;

}  // namespace

void SessionCache::remove(const uint8_t* sid_ctx, std::size_t sid_ctx_len, const uint8_t* id, std::size_t id_len) {
  Key key;
  if (!make_key(sid_ctx, sid_ctx_len, id, id_len, &key)) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    int32_t slot = find(key);
    if (slot < 0) return;
    drop(slot);
  }
  removed_.fetch_add(1, std::memory_order_relaxed);
  if (removed_count == kRemovedQueue) return;
  SessionCacheKey& q = removed_queue[removed_count++];
  q.sid_ctx_len = key.sid_ctx_len;
  std::memcpy(q.sid_ctx, key.sid_ctx, sizeof q.sid_ctx);
  q.id_len = key.id_len;
  std::memcpy(q.id, key.id, sizeof q.id);
}

std::size_t SessionCache::take_removed(SessionCacheKey* out, std::size_t max) {
  std::size_t n = removed_count < max ? removed_count : max;
  std::memcpy(out, removed_queue, n * sizeof *out);
  // What did not fit moves to the front for the next call.
  std::memmove(removed_queue, removed_queue + n, (removed_count - n) * sizeof *out);
  removed_count -= n;
  return n;
}

bool SessionCache::remove_replicated(const SessionCacheKey& k) {
  Key key;
  if (!make_key(k.sid_ctx, k.sid_ctx_len, k.id, k.id_len, &key)) return false;
  std::lock_guard<std::mutex> lock(mu_);
  int32_t slot = find(key);
  if (slot < 0) return false;
  drop(slot);
  removed_in_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void SessionCache::fill(const Slot& s, uint64_t now_s, SessionCacheEntry* out) const {
  out->sid_ctx_len = s.key.sid_ctx_len;
  std::memcpy(out->sid_ctx, s.key.sid_ctx, sizeof out->sid_ctx);
  out->id_len = s.key.id_len;
  std::memcpy(out->id, s.key.id, sizeof out->id);
  uint64_t age = now_s > s.created_s ? now_s - s.created_s : 0;
  out->age_s = age > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(age);
  out->timeout_s = s.timeout_s;
  out->der_len = s.der_len;
  std::memcpy(out->der, s.der, s.der_len);
}

bool SessionCache::export_of(const SSL* ssl, uint64_t now_s, SessionCacheEntry* out) {
  const SSL_SESSION* session = ssl != nullptr ? SSL_get_session(ssl) : nullptr;
  if (session == nullptr) return false;
  unsigned int id_len = 0, ctx_len = 0;
  const unsigned char* id = SSL_SESSION_get_id(session, &id_len);
  const unsigned char* ctx = SSL_SESSION_get0_id_context(session, &ctx_len);
  Key key;
  if (!make_key(ctx, ctx_len, id, id_len, &key)) return false;
  std::lock_guard<std::mutex> lock(mu_);
  int32_t slot = find(key);
  if (slot < 0 || expired(slots_[slot], now_s)) return false;
  fill(slots_[slot], now_s, out);
  return true;
}

bool SessionCache::export_next(std::size_t* cursor, uint64_t now_s, SessionCacheEntry* out) {
  std::lock_guard<std::mutex> lock(mu_);
  for (std::size_t i = *cursor; i < fresh_; ++i) {
    const Slot& s = slots_[i];
    if (!s.used || expired(s, now_s)) continue;
    fill(s, now_s, out);
    *cursor = i + 1;
    return true;
  }
  *cursor = fresh_;
  return false;
}

bool SessionCache::install(const SessionCacheEntry& e, uint64_t now_s) {
  Key key;
  if (!make_key(e.sid_ctx, e.sid_ctx_len, e.id, e.id_len, &key) || e.der_len == 0 || e.der_len > kSessionDerMax ||
      e.timeout_s == 0) {
    rejected_in_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  if (e.age_s >= e.timeout_s) {
    expired_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  // What the peer sent must be the session it says it is: OpenSSL parses
  // it now rather than at the client's resumption.
  const unsigned char* p = e.der;
  SSL_SESSION* session = d2i_SSL_SESSION(nullptr, &p, e.der_len);
  bool good = session != nullptr && p == e.der + e.der_len &&
              SSL_SESSION_get_protocol_version(session) == TLS1_2_VERSION;
  if (good) {
    unsigned int id_len = 0, ctx_len = 0;
    const unsigned char* id = SSL_SESSION_get_id(session, &id_len);
    const unsigned char* ctx = SSL_SESSION_get0_id_context(session, &ctx_len);
    good = id_len == e.id_len && ctx_len == e.sid_ctx_len && std::memcmp(id, e.id, id_len) == 0 &&
           std::memcmp(ctx, e.sid_ctx, ctx_len) == 0;
  }
  SSL_SESSION_free(session);
  if (!good) {
    rejected_in_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    insert(key, e.der, e.der_len, now_s - (e.age_s < now_s ? e.age_s : now_s), e.timeout_s, now_s);
  }
  replicated_in_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

std::size_t SessionCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return size_;
}

SessionCacheCounters SessionCache::counters() const {
  SessionCacheCounters c{};
  c.entries = size();
  c.capacity = capacity_;
  c.stored = stored_.load(std::memory_order_relaxed);
  c.hits = hits_.load(std::memory_order_relaxed);
  c.misses = misses_.load(std::memory_order_relaxed);
  c.expired = expired_.load(std::memory_order_relaxed);
  c.evictions = evictions_.load(std::memory_order_relaxed);
  c.removed = removed_.load(std::memory_order_relaxed);
  c.too_big = too_big_.load(std::memory_order_relaxed);
  c.replicated_out = replicated_out_.load(std::memory_order_relaxed);
  c.replicated_in = replicated_in_.load(std::memory_order_relaxed);
  c.rejected_in = rejected_in_.load(std::memory_order_relaxed);
  c.removals_out = removals_out_.load(std::memory_order_relaxed);
  c.removed_in = removed_in_.load(std::memory_order_relaxed);
  return c;
}

}  // namespace tandem::dp::tls
