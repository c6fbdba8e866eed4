// The session table's side of session pickup, inline on the forwarding
// path: after a packet created or touched a session, decide whether the
// peer must hear of it. The common case (nothing changed that the peer
// needs) costs one branch on a field already in cache.
#pragma once

#include <cstdint>

#include "dataplane/session/session_types.h"
#include "dataplane/sync/sync_stream.h"
#include "dataplane/tls/tls_types.h"
#include "dataplane/user/user_types.h"
#include "dataplane/worker/worker_context.h"

namespace tandem::dp {

// The worker's side (sync.cc).
bool sync_worker_create(Dataplane* dp, WorkerContext* w, const SyncConf& conf);
void sync_worker_destroy(WorkerContext* w);
// Once per loop: hbdev RX on queue index+1, records applied, bulk walk,
// the stream's timers. Returns the frames received.
unsigned sync_worker_poll(WorkerContext* w, const ActiveConfig& cfg);
// Records one session (upsert) into the worker's stream.
void sync_send_session(WorkerContext* w, Session* s);
// A session is about to be freed (expiry, clear): the peer drops it too.
void sync_session_gone(WorkerContext* w, const Session& s);
// session_expire()'s hook; arg is the WorkerContext.
void sync_session_expired(void* arg, const Session& s);
// A ZTNA user entry of ip is gone on this node (`diagnose wad user clear`,
// expiry): the primary sends a user delete. The second form is
// UserTable::expire()'s hook; arg is the WorkerContext.
void sync_user_gone(WorkerContext* w, uint32_t ip);
void sync_user_expired(const UserEntry& e, void* arg);
// One TLS 1.2 session-cache entry to the peer, in fragments (record type
// 7); false when the stream is not running or took only part of it (the
// bulk walk after the stream's restart sends it again).
bool sync_send_tls_session(WorkerContext* w, const tls::SessionCacheEntry& e);
// The key of an entry OpenSSL invalidated (record type 8), so the peer
// drops it too. False when the stream does not send or is full.
bool sync_send_tls_session_delete(WorkerContext* w, const tls::SessionCacheKey& k);

// The peer is told again once the expiry it knows lags the real one by a
// quarter of the TTL; it keeps sessions a quarter TTL past what it was
// told (session_install_record), so it never ages out a session the
// primary still holds.
inline uint64_t sync_refresh_ms(uint32_t timeout_s) {
  uint64_t q = uint64_t{timeout_s} * 250;
  return q < 1000 ? 1000 : q;
}

inline bool sync_wanted(const SyncConf& c, const Session& s, uint64_t now_ms) {
  if (s.key.proto != 6 && !c.connectionless) return false;
  return !c.delay || now_ms - session_cold(&s)->created_ms >= kSyncPickupDelayMs;
}

// After session_insert/session_touch on the primary.
inline void sync_session_changed(WorkerContext* w, const ActiveConfig& cfg, Session* s,
                                 uint32_t timeout_s, bool state_changed) {
  // Not running (off, or a RESET out): the bulk walk after it covers this.
  if (w->sync == nullptr || w->sync->tx_state != SyncTxState::kRunning) return;
  // Both fields on the entry's first line (session_types.h); 32-bit
  // arithmetic, like the field. An expiry that moved back wraps to a huge
  // difference, and is sent.
  if ((s->sync_flags & kSessionSyncKnown) && !state_changed &&
      static_cast<uint32_t>(s->expire_ms) - s->sync_expire_lo < sync_refresh_ms(timeout_s))
    return;
  if (!sync_wanted(cfg.snap.sync, *s, w->now_ms)) return;
  sync_send_session(w, s);
}

}  // namespace tandem::dp
