// The TLS 1.2 session-id cache of a node: every worker's ServerContext of
// every access proxy stores the sessions of its full TLS 1.2 handshakes
// here (OpenSSL's new-session callback) and looks a resuming client's
// session id up here (the get-session callback), so a client whose next
// connection lands on another worker, or on the other node after a
// failover, resumes without a full handshake or a certificate prompt.
// TLS 1.3 and TLS 1.2 clients that take a ticket resume with tickets
// (TicketKeyRing) and are not stored.
//
// One per process, made by tandemd and shared by the contexts of every
// runtime. Workers are share-nothing, but a resuming connection may land
// on any of them, so this one structure is shared and guarded by a mutex:
// it is taken only on the handshake path (a full TLS 1.2 handshake, a
// session-id resumption, a replicated entry from the peer), which already
// allocates and runs public-key crypto inside OpenSSL, never per packet.
// Storage is fixed at construction: `capacity` slots of kSessionDerMax
// bytes, an open-addressing index, and the slots in insertion order, so
// the oldest entry makes room when the cache is full.
//
// Replication (docs/sync.md, record types 7 and 8): the primary's worker
// sends the entry its handshake made (export_of) and the bulk walk sends
// them all (export_next); the peer installs them (install). An entry
// OpenSSL invalidates (remove) is queued on the thread that removed it,
// the worker takes the queue (take_removed) and sends the keys; the peer
// drops them (remove_replicated).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>

#include "dataplane/tls/tls_types.h"

typedef struct ssl_st SSL;
typedef struct ssl_session_st SSL_SESSION;

namespace tandem::dp::tls {

inline constexpr std::size_t kSessionCacheCapacity = 4096;
inline constexpr std::size_t kRemovedQueue = 16;  // per thread, between two take_removed

class SessionCache {
 public:
  // capacity entries (at least 1); storage is reserved here.
  explicit SessionCache(std::size_t capacity = kSessionCacheCapacity);
  SessionCache(const SessionCache&) = delete;
  SessionCache& operator=(const SessionCache&) = delete;

  // The clock of sessions: wall-clock seconds, the one OpenSSL stamps
  // sessions with and checks their lifetime against.
  static uint64_t now_s();

  // The new-session callback's half: keeps a TLS 1.2 session with a
  // session id (DER), replacing one of the same key. False when it is not
  // kept (another version, no id, too big).
  bool store(SSL_SESSION* session, uint64_t now_s);
  // The get-session callback's half: a new SSL_SESSION the caller owns,
  // or nullptr (not here, or past its lifetime).
  SSL_SESSION* fetch(const uint8_t* sid_ctx, std::size_t sid_ctx_len, const uint8_t* id, std::size_t id_len,
                     uint64_t now_s);
  // The remove-session callback's half (OpenSSL invalidates a session).
  // An entry it drops is also queued for the peer on the calling thread
  // (at most kRemovedQueue keys between two take_removed; more are not
  // replicated and expire on the peer).
  void remove(const uint8_t* sid_ctx, std::size_t sid_ctx_len, const uint8_t* id, std::size_t id_len);
  // The keys this thread's remove() dropped since the last call, at most
  // max into out; their number. Cheap when there are none (once per loop).
  static std::size_t take_removed(SessionCacheKey* out, std::size_t max);
  // A removal from the peer: drops the entry, queues nothing. True when
  // there was one.
  bool remove_replicated(const SessionCacheKey& key);
  void count_removal_out() { removals_out_.fetch_add(1, std::memory_order_relaxed); }

  // The entry of the session ssl just made (the replication of a new
  // entry), false when the cache does not hold it.
  bool export_of(const SSL* ssl, uint64_t now_s, SessionCacheEntry* out);
  // Bulk walk: the next live entry at slot *cursor or later, and *cursor
  // moved past it; false once the walk is at the end.
  bool export_next(std::size_t* cursor, uint64_t now_s, SessionCacheEntry* out);
  // An entry from the peer: the DER must decode to a TLS 1.2 session with
  // the entry's session id and context; its lifetime runs on from age_s.
  // False (counted as rejected_in, or expired) when it is not installed.
  bool install(const SessionCacheEntry& entry, uint64_t now_s);
  void count_replicated_out() { replicated_out_.fetch_add(1, std::memory_order_relaxed); }

  std::size_t capacity() const { return capacity_; }
  std::size_t size() const;
  SessionCacheCounters counters() const;

 private:
  struct Key {
    uint8_t sid_ctx_len, id_len;
    uint8_t sid_ctx[kSessionIdCtxMax];
    uint8_t id[kSessionIdMax];
  };
  struct Slot {
    Key key;
    bool used;
    uint16_t der_len;
    uint64_t created_s;
    uint32_t timeout_s;
    int32_t older, newer;  // insertion order (newer doubles as the free list's link)
    uint8_t der[kSessionDerMax];
  };

  static bool make_key(const uint8_t* sid_ctx, std::size_t sid_ctx_len, const uint8_t* id, std::size_t id_len,
                       Key* out);
  static bool expired(const Slot& s, uint64_t now_s) { return now_s >= s.created_s + s.timeout_s; }
  // Everything below: with mu_ held.
  int32_t find(const Key& key) const;
  void unlink(int32_t slot);
  void drop(int32_t slot);
  bool insert(const Key& key, const uint8_t* der, std::size_t der_len, uint64_t created_s, uint32_t timeout_s,
              uint64_t now_s);
  void fill(const Slot& s, uint64_t now_s, SessionCacheEntry* out) const;

  const std::size_t capacity_;
  std::size_t buckets_mask_ = 0;
  std::unique_ptr<Slot[]> slots_;
  std::unique_ptr<int32_t[]> index_;  // slot or -1; linear probing
  int32_t oldest_ = -1, newest_ = -1, free_ = -1;  // free_: slots used before and dropped
  std::size_t fresh_ = 0;  // slots [fresh_, capacity_) were never used (their pages never touched)
  std::size_t size_ = 0;
  mutable std::mutex mu_;
  std::atomic<uint64_t> stored_{0}, hits_{0}, misses_{0}, expired_{0}, evictions_{0}, removed_{0}, too_big_{0},
      replicated_out_{0}, replicated_in_{0}, rejected_in_{0}, removals_out_{0}, removed_in_{0};
};

}  // namespace tandem::dp::tls
