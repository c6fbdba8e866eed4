// The worker's half of session pickup: moves frames between its sync
// stream and hbdev queue index+1, installs the peer's records into the
// live session table (the receiving worker of the same index owns the same
// flows: both nodes hash flows to workers the same way), and walks its own
// table for the peer after every RESET (bulk sync).
#include "dataplane/sync/sync.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>

#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "dataplane/session/session_inl.h"
#include "dataplane/session/session_table.h"
#include "dataplane/sync/sync_inl.h"
#include "dataplane/sync/sync_records.h"
#include "dataplane/sync/sync_stream.h"
#include "dataplane/tcp/tcp_glue.h"
#include "dataplane/tls/session_cache.h"
#include "dataplane/worker/worker_context.h"
#include "dataplane/ztna/ztna_app.h"

namespace tandem::dp {
namespace {

constexpr uint16_t kSyncRxBurst = 32;
// Bulk walk budget per loop: entries looked at, records sent. Keeps a walk
// of a million-entry table from stalling the worker's own traffic.
constexpr unsigned kBulkScanPerLoop = 512;
constexpr unsigned kBulkRecordsPerLoop = 128;
constexpr unsigned kSyncPoolPerWorker = 2048;
// User-table slots the bulk walk looks at per loop (after the sessions).
constexpr std::size_t kBulkUserScanPerLoop = 512;
// Hand-off rings between hbdev queues (frames that landed on a queue
// other than their consumer's): a burst or two of heartbeats and acks.
constexpr unsigned kHbdevHandoffRing = 256;
// TLS session-cache entries the bulk walk sends per loop (stream 0, after
// the users): each is up to kTlsFragmentsMax records.
constexpr unsigned kBulkTlsPerLoop = 8;

bool emit_frame(void* arg, const uint8_t* frame, size_t len) {
  auto* w = static_cast<WorkerContext*>(arg);
  int port = w->dp->sync_port_.load(std::memory_order_acquire);
  if (port < 0) return false;
  rte_mbuf* m = rte_pktmbuf_alloc(w->dp->sync_pool_);
  if (m == nullptr) return false;
  char* p = rte_pktmbuf_append(m, static_cast<uint16_t>(len));
  if (p == nullptr) {
    rte_pktmbuf_free(m);
    return false;
  }
  std::memcpy(p, frame, len);
  if (w->link_gate.tx_burst(static_cast<uint16_t>(port), static_cast<uint16_t>(w->index + 1), &m, 1) == 1)
    return true;
  rte_pktmbuf_free(m);
  return false;
}

void install(WorkerContext* w, const SessionRecord& r) {
  SessionRecord clamped = r;
  // An index the snapshot cannot have (a sender with more policies):
  // counted nowhere rather than out of bounds.
  if (clamped.policy_index >= kMaxPolicies) clamped.policy_index = kMaxPolicies;
  if (!session_install_record(w->sessions, clamped, w->now_ms,
                              static_cast<uint32_t>(w->sync->rx_generation)))
    ++w->sync->counters.rx_install_full;
}

// End of the peer's walk: whatever this generation did not write is gone
// on the peer.
void drop_stale(WorkerContext* w) {
  auto gen = static_cast<uint32_t>(w->sync->rx_generation);
  SessionTable* t = w->sessions;
  session_for_each(t, [&](Session* s) {
    if (!(s->sync_flags & kSessionSynced) || session_cold(s)->sync_generation != gen)
      session_delete(t, s);
  });
}

UserTable* users_of(WorkerContext* w) {
  return w->tcp != nullptr && w->tcp->ztna != nullptr ? ztna_app_users(w->tcp->ztna) : nullptr;
}

tls::SessionCache* tls_cache_of(WorkerContext* w) {
  return w->tcp != nullptr && w->tcp->ztna != nullptr ? ztna_app_session_cache(w->tcp->ztna) : nullptr;
}

// A fragment of a TLS session-cache entry; the whole entry goes into the
// node's shared cache (every worker's contexts resume from it).
void apply_tls_fragment(WorkerContext* w, const uint8_t* body, size_t len) {
  SyncStream* st = w->sync;
  TlsSessionFragment f;
  if (!tls_session_fragment_decode(body, len, &f)) {
    ++st->counters.rx_malformed;
    st->tls_rx.reset();
    return;
  }
  uint64_t now_ms = w->now_us / 1000;
  bool complete = st->tls_rx.add(f, now_ms);
  st->counters.rx_tls_dropped = st->tls_rx.dropped;
  if (!complete) return;
  static thread_local tls::SessionCacheEntry entry;  // 4 KB, off the worker's stack
  if (!tls_session_entry_decode(st->tls_rx.blob, st->tls_rx.total, &entry)) {
    ++st->counters.rx_malformed;
    return;
  }
  tls::SessionCache* cache = tls_cache_of(w);
  if (cache != nullptr && cache->install(entry, tls::SessionCache::now_s()))
    ++st->counters.rx_tls_sessions;
  else
    ++st->counters.rx_tls_rejected;
}

// A complete ring for the control lcore (dataplane_sync_ticket_ring): the
// sequence is odd while the copy is being written.
void publish_ring(SyncStream* st, const tls::TicketKeyRing& ring) {
  uint32_t seq = st->ring_out_seq;
  __atomic_store_n(&st->ring_out_seq, seq + 1, __ATOMIC_RELAXED);
  __atomic_thread_fence(__ATOMIC_RELEASE);
  st->ring_out = ring;
  __atomic_store_n(&st->ring_out_seq, seq + 2, __ATOMIC_RELEASE);
}

void apply(void* arg, SyncApplyEvent ev, SyncRecordType type, const uint8_t* body, size_t len) {
  auto* w = static_cast<WorkerContext*>(arg);
  if (ev == SyncApplyEvent::kFrame) {
    session_prefetch_records(w->sessions, body, len);
    return;
  }
  if (ev == SyncApplyEvent::kGeneration) {
    // Every generation sends the whole ring again: no half ring of an
    // earlier one (or an earlier boot of the peer) is mixed into it. The
    // same for a half TLS session entry.
    w->sync->ring_rx = TicketRingAssembler{};
    w->sync->tls_rx.reset();
    return;
  }
  if (ev != SyncApplyEvent::kRecord) return;
  switch (type) {
    case SyncRecordType::kSessionUpsert: {
      SessionRecord r;
      if (session_record_decode(body, len, &r)) install(w, r);
      else ++w->sync->counters.rx_malformed;
      break;
    }
    case SyncRecordType::kSessionDelete: {
      SessionKey k;
      if (!session_key_decode(body, len, &k)) {
        ++w->sync->counters.rx_malformed;
        break;
      }
      Session* s = session_lookup(w->sessions, k, session_key_hash(k));
      if (s != nullptr) session_delete(w->sessions, s);
      break;
    }
    case SyncRecordType::kBulkEnd:
      // Both nodes sending (split brain) must not wipe each other's tables.
      if (w->sync->tx_state == SyncTxState::kOff) {
        drop_stale(w);
        if (UserTable* users = users_of(w)) users->drop_stale(static_cast<uint32_t>(w->sync->rx_generation));
      }
      break;
    case SyncRecordType::kTicketKey: {
      TicketKeyRecord r;
      if (!ticket_key_record_decode(body, len, &r)) {
        ++w->sync->counters.rx_malformed;
        break;
      }
      // Assembled here, adopted by tandemd (it decides whether this node
      // follows the peer's ring) and handed back to every worker in the
      // TLS contexts of the next snapshot.
      tls::TicketKeyRing ring;
      if (w->sync->ring_rx.add(r, &ring)) {
        publish_ring(w->sync, ring);
        ++w->sync->counters.rx_ticket_rings;
      }
      break;
    }
    case SyncRecordType::kTlsSession:
      apply_tls_fragment(w, body, len);
      break;
    case SyncRecordType::kTlsSessionDelete: {
      tls::SessionCacheKey k;
      if (!tls_session_key_decode(body, len, &k)) {
        ++w->sync->counters.rx_malformed;
        break;
      }
      tls::SessionCache* cache = tls_cache_of(w);
      if (cache != nullptr) cache->remove_replicated(k);
      break;
    }
    case SyncRecordType::kUserAdd:
    case SyncRecordType::kUserDelete: {
      UserRecord u;
      if (!user_record_decode(body, len, &u)) {
        ++w->sync->counters.rx_malformed;
        break;
      }
      ++w->sync->counters.rx_users;
      // Into the ZTNA user table of the worker with the same index (on the
      // table's clock), so the client is not asked to log in after failover.
      UserTable* users = users_of(w);
      if (users == nullptr) break;
      if (type == SyncRecordType::kUserAdd)
        users->install(u, w->tcp->now_us / 1000, static_cast<uint32_t>(w->sync->rx_generation));
      else
        users->remove(rte_be_to_cpu_32(u.client_ip_be));
      break;
    }
    default:
      break;  // a newer sender's record type: skipped by length
  }
}

void send_bulk_end(WorkerContext* w) {
  uint8_t body[kBulkEndLen];
  uint64_t gen = w->sync_bulk_generation;
  std::memcpy(body, &gen, 8);
  std::memcpy(body + 8, &w->sync_bulk_sent, 4);
  if (sync_tx_record(w->sync, SyncRecordType::kBulkEnd, body, sizeof(body), w->now_us)) {
    w->sync_bulk_active = false;
    ++w->sync->counters.bulk_done;
  }
}

bool send_user(WorkerContext* w, SyncRecordType type, const UserRecord& r) {
  uint8_t body[4 + 4 + 1 + kUserNameMax + kUserRecordTailLen];
  size_t n = user_record_encode(r, body, sizeof body);
  return n > 0 && sync_tx_record(w->sync, type, body, n, w->now_us);
}

struct BulkUserCtx {
  WorkerContext* w;
  uint64_t now_ms;
  unsigned sent;
};

void bulk_user_one(const UserEntry& e, void* arg) {
  auto* c = static_cast<BulkUserCtx*>(arg);
  if (c->now_ms >= e.expire_ms) return;  // expired, not swept yet
  UserRecord r;
  UserTable::record_from(e, c->now_ms, &r);
  if (send_user(c->w, SyncRecordType::kUserAdd, r)) ++c->sent;
}

// The third part of stream 0's walk: the node's TLS session cache, a few
// entries per loop. True once the cache is walked (or there is none).
bool bulk_tls_step(WorkerContext* w) {
  SyncStream* st = w->sync;
  tls::SessionCache* cache = w->index == 0 ? tls_cache_of(w) : nullptr;
  if (cache == nullptr) return true;
  static thread_local tls::SessionCacheEntry entry;
  uint64_t now_s = tls::SessionCache::now_s();
  for (unsigned i = 0; i < kBulkTlsPerLoop && sync_tx_bulk_room(st); ++i) {
    std::size_t cursor = static_cast<std::size_t>(st->bulk_tls_cursor);
    if (!cache->export_next(&cursor, now_s, &entry)) return true;
    if (!sync_send_tls_session(w, entry)) return false;  // the stream restarts: so does the walk
    st->bulk_tls_cursor = cursor;
    cache->count_replicated_out();
    ++st->counters.bulk_records;
  }
  return false;
}

// Stream 0 carries the session-ticket ring of the snapshot's ZTNA runtime
// (tandemd's, the same in every runtime): at the start of every generation
// (before its bulk end, so an in-sync secondary holds it) and whenever
// tandemd rotated it. A record that finds no room is tried next loop.
void send_ticket_ring(WorkerContext* w, const ActiveConfig& cfg) {
  SyncStream* st = w->sync;
  if (w->index != 0 || st->tx_state != SyncTxState::kRunning || cfg.snap.ztna == nullptr) return;
  const tls::TicketKeyRing& ring = cfg.snap.ztna->ring;
  if (st->ring_sent_generation == st->generation && st->ring_sent_version == ring.version) return;
  TicketKeyRecord recs[tls::kTicketRingSize];
  unsigned n = ticket_ring_records(ring, recs);
  if (n == 0 || !sync_tx_bulk_room(st)) return;
  for (unsigned i = 0; i < n; ++i) {
    uint8_t body[kTicketKeyRecordLen];
    ticket_key_record_encode(recs[i], body);
    if (!sync_tx_record(st, SyncRecordType::kTicketKey, body, sizeof body, w->now_us)) return;
  }
  st->ring_sent_generation = st->generation;
  st->ring_sent_version = ring.version;
  ++st->counters.tx_ticket_rings;
}

// A slice of the table walk; resumes where it stopped next loop. Live
// records keep flowing beside it: a session changed behind the cursor was
// sent live, one ahead of it is sent (again) when the cursor gets there.
// The ZTNA user table follows the sessions, the same way (a user changed
// behind the cursor went out live with its request).
void bulk_step(WorkerContext* w, const ActiveConfig& cfg) {
  SyncStream* st = w->sync;
  if (st->tx_state != SyncTxState::kRunning) return;
  if (st->generation != w->sync_bulk_generation) {
    w->sync_bulk_generation = st->generation;
    w->sync_bulk_cursor = 0;
    w->sync_bulk_sent = 0;
    w->sync_bulk_active = true;
    st->bulk_user_cursor = 0;
    st->bulk_users_done = false;
    st->bulk_tls_cursor = 0;
    st->bulk_tls_done = false;
    ++st->counters.bulk_started;
  }
  if (!w->sync_bulk_active) return;
  SessionTable* t = w->sessions;
  unsigned scanned = 0, sent = 0;
  while (w->sync_bulk_cursor < t->capacity && scanned < kBulkScanPerLoop &&
         sent < kBulkRecordsPerLoop && sync_tx_bulk_room(st)) {
    Session* s = session_entry(t, w->sync_bulk_cursor++);
    ++scanned;
    if (!(s->flags & kSessionInUse)) continue;
    s->sync_flags = 0;
    if (!sync_wanted(cfg.snap.sync, *s, w->now_ms)) continue;
    sync_send_session(w, s);
    ++sent;
  }
  if (w->sync_bulk_cursor >= t->capacity && !st->bulk_users_done && sync_tx_bulk_room(st)) {
    UserTable* users = users_of(w);
    BulkUserCtx uc{w, w->tcp != nullptr ? w->tcp->now_us / 1000 : 0, 0};
    std::size_t cursor = st->bulk_user_cursor;
    st->bulk_users_done = users == nullptr || users->walk(&cursor, kBulkUserScanPerLoop, bulk_user_one, &uc);
    st->bulk_user_cursor = static_cast<uint32_t>(cursor);
    sent += uc.sent;
  }
  if (w->sync_bulk_cursor >= t->capacity && st->bulk_users_done && !st->bulk_tls_done && sync_tx_bulk_room(st))
    st->bulk_tls_done = bulk_tls_step(w);
  st->counters.bulk_records += sent;
  w->sync_bulk_sent += sent;
  if (w->sync_bulk_cursor >= t->capacity && st->bulk_users_done && st->bulk_tls_done && sync_tx_bulk_room(st))
    send_bulk_end(w);
}

// The stream a sync frame belongs to, or -1 for any other frame.
int sync_frame_stream(const uint8_t* f, size_t len) {
  if (len <= kSyncOffStream || f[12] != uint8_t(kSyncEtherType >> 8) ||
      f[13] != uint8_t(kSyncEtherType & 0xff))
    return -1;
  return f[kSyncOffStream];
}

// A sync frame of `stream` that reached another queue: to its worker's
// ring. False when no worker here has that stream (the caller's stream
// counts it as misrouted); a full ring drops it (the sender resends).
bool hbdev_handoff_to_worker(Dataplane* dp, rte_mbuf* m, int stream) {
  if (stream >= int(dp->params_.nb_workers) || dp->workers_[stream] == nullptr ||
      dp->workers_[stream]->sync_in == nullptr)
    return false;
  if (rte_ring_mp_enqueue(dp->workers_[stream]->sync_in, m) == 0) {
    dp->hbdev_to_worker_.fetch_add(1, std::memory_order_relaxed);
  } else {
    dp->hbdev_handoff_dropped_.fetch_add(1, std::memory_order_relaxed);
    rte_pktmbuf_free(m);
  }
  return true;
}

void hbdev_handoff_to_control(Dataplane* dp, rte_mbuf* m) {
  if (dp->hbdev_ctl_ != nullptr && rte_ring_mp_enqueue(dp->hbdev_ctl_, m) == 0) {
    dp->hbdev_to_control_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  dp->hbdev_handoff_dropped_.fetch_add(1, std::memory_order_relaxed);
  rte_pktmbuf_free(m);
}

}  // namespace

bool sync_worker_create(Dataplane* dp, WorkerContext* w, const SyncConf& conf) {
  int socket = static_cast<int>(dp->params_.socket_id);  // SOCKET_ID_ANY survives the cast
  unsigned window = dp->params_.sync_window != 0 ? dp->params_.sync_window : kSyncDefaultWindow;
  void* mem = rte_zmalloc_socket("tandem_sync", sync_stream_memsize(window), 64, socket);
  if (mem == nullptr) return false;
  SyncStreamParams p{};
  p.stream = w->index;
  p.window = window;
  p.rto_us = kSyncDefaultRtoUs;
  p.rto_max_us = kSyncDefaultRtoMaxUs;
  p.ack_delay_us = kSyncDefaultAckDelayUs;
  p.ack_every = kSyncDefaultAckEvery;
  p.emit = emit_frame;
  p.emit_arg = w;
  w->sync = sync_stream_init(mem, p, conf);
  if (w->sync == nullptr) {
    rte_free(mem);
    return false;
  }
  // Names are global to the EAL: one serial for every dataplane's rings.
  static std::atomic<unsigned> serial{0};
  char name[RTE_RING_NAMESIZE];
  std::snprintf(name, sizeof(name), "tdm_syin_%u", serial.fetch_add(1));
  w->sync_in = rte_ring_create(name, kHbdevHandoffRing, socket, RING_F_SC_DEQ);
  if (w->sync_in == nullptr) return false;
  if (dp->hbdev_ctl_ == nullptr) {
    std::snprintf(name, sizeof(name), "tdm_hbctl_%u", serial.fetch_add(1));
    dp->hbdev_ctl_ = rte_ring_create(name, kHbdevHandoffRing, socket, RING_F_SC_DEQ);
    if (dp->hbdev_ctl_ == nullptr) return false;
  }
  if (dp->sync_pool_ == nullptr) {
    std::snprintf(name, sizeof(name), "tdm_sync_%u", serial.fetch_add(1));
    dp->sync_pool_ = rte_pktmbuf_pool_create(name, kSyncPoolPerWorker * dp->params_.nb_workers - 1,
                                             64, 0, RTE_MBUF_DEFAULT_BUF_SIZE, socket);
    if (dp->sync_pool_ == nullptr) return false;
  }
  return true;
}

void sync_worker_destroy(WorkerContext* w) {
  free_ring_mbufs(w->sync_in);
  rte_ring_free(w->sync_in);
  w->sync_in = nullptr;
  if (w->sync == nullptr) return;
  sync_stream_fini(w->sync);
  rte_free(w->sync);
  w->sync = nullptr;
}

void sync_send_session(WorkerContext* w, Session* s) {
  SessionRecord r;
  session_record_from(*s, w->now_ms, &r);
  uint8_t body[kSessionRecordLen];
  size_t n = session_record_encode(r, body);
  if (sync_tx_record(w->sync, SyncRecordType::kSessionUpsert, body, n, w->now_us)) {
    s->sync_flags = static_cast<uint8_t>(s->sync_flags | kSessionSyncKnown);
    s->sync_expire_lo = static_cast<uint32_t>(s->expire_ms);
  }
}

void sync_session_gone(WorkerContext* w, const Session& s) {
  if (w->sync == nullptr || !(s.sync_flags & kSessionSyncKnown)) return;
  if (w->sync->tx_state != SyncTxState::kRunning) return;
  uint8_t body[kSessionDeleteLen];
  size_t n = session_key_encode(s.key, body);
  sync_tx_record(w->sync, SyncRecordType::kSessionDelete, body, n, w->now_us);
}

void sync_session_expired(void* arg, const Session& s) {
  sync_session_gone(static_cast<WorkerContext*>(arg), s);
}

void sync_user_gone(WorkerContext* w, uint32_t ip) {
  if (w->sync == nullptr || w->sync->tx_state != SyncTxState::kRunning) return;
  UserRecord r{};
  r.client_ip_be = rte_cpu_to_be_32(ip);
  send_user(w, SyncRecordType::kUserDelete, r);
}

bool sync_send_tls_session_delete(WorkerContext* w, const tls::SessionCacheKey& k) {
  SyncStream* st = w->sync;
  if (st == nullptr || st->tx_state != SyncTxState::kRunning) return false;
  uint8_t body[kTlsSessionKeyMax];
  size_t n = tls_session_key_encode(k, body, sizeof body);
  return n > 0 && sync_tx_record(st, SyncRecordType::kTlsSessionDelete, body, n, w->now_us);
}

bool sync_send_tls_session(WorkerContext* w, const tls::SessionCacheEntry& e) {
  SyncStream* st = w->sync;
  if (st == nullptr || st->tx_state != SyncTxState::kRunning) return false;
  static thread_local uint8_t blob[kTlsSessionBlobMax];
  size_t total = tls_session_entry_encode(e, blob, sizeof blob);
  unsigned count = tls_session_fragment_count(total);
  if (count == 0) return false;
  uint32_t entry = ++st->tls_tx_entry;
  for (unsigned i = 0; i < count; ++i) {
    uint8_t body[255];
    size_t n = tls_session_fragment_encode(entry, blob, total, i, body);
    if (!sync_tx_record(st, SyncRecordType::kTlsSession, body, n, w->now_us)) return false;
  }
  ++st->counters.tx_tls_sessions;
  return true;
}

void sync_user_expired(const UserEntry& e, void* arg) {
  // A synced entry expires on both nodes by itself; this node's own logins
  // are the ones the peer must hear about.
  if (!e.synced) sync_user_gone(static_cast<WorkerContext*>(arg), e.ip);
}

unsigned sync_worker_poll(WorkerContext* w, const ActiveConfig& cfg) {
  SyncStream* st = w->sync;
  if (st == nullptr) return 0;
  uint16_t received = 0;
  w->now_us = w->now_tsc / w->dp->tsc_per_us_;
  if (w->sync_snap_generation != cfg.snap.generation) {
    w->sync_snap_generation = cfg.snap.generation;
    bool was_sender = st->tx_state != SyncTxState::kOff;
    sync_stream_configure(st, cfg.snap.sync, w->now_us);
    // A receiver's marks mean nothing to a sender, and the reverse.
    if (!was_sender && st->tx_state != SyncTxState::kOff) {
      SessionTable* t = w->sessions;
      session_for_each(t, [](Session* s) { s->sync_flags &= uint8_t(~kSessionSyncKnown); });
      // The old primary's logins are this node's to refresh and log out
      // now (the proxy sends adds only for entries not marked synced).
      if (UserTable* users = users_of(w)) users->adopt_synced();
    }
  }
  int port = w->dp->sync_port_.load(std::memory_order_acquire);
  if (port >= 0) {
    rte_mbuf* pkts[kSyncRxBurst];
    received = w->link_gate.rx_burst(static_cast<uint16_t>(port), static_cast<uint16_t>(w->index + 1),
                                     pkts, kSyncRxBurst);
    // A device that spreads by hash (net_af_packet's fanout) can put
    // heartbeats here and another stream's frames: each goes to its
    // consumer. Pickup off: the rest is only drained.
    uint16_t mine = 0;
    for (uint16_t i = 0; i < received; ++i) {
      rte_mbuf* m = pkts[i];
      int stream = sync_frame_stream(rte_pktmbuf_mtod(m, const uint8_t*), rte_pktmbuf_data_len(m));
      if (stream == int(w->index) || (stream >= 0 && !hbdev_handoff_to_worker(w->dp, m, stream)))
        pkts[mine++] = m;
      else if (stream < 0)
        hbdev_handoff_to_control(w->dp, m);
    }
    received = mine;
    if (w->sync_in != nullptr) {
      received += static_cast<uint16_t>(rte_ring_sc_dequeue_burst(
          w->sync_in, reinterpret_cast<void**>(pkts + mine), kSyncRxBurst - mine, nullptr));
    }
    for (uint16_t i = 0; i < received && st->conf.enabled; ++i) {
      rte_mbuf* m = pkts[i];
      if (rte_pktmbuf_is_contiguous(m))
        sync_rx_frame(st, rte_pktmbuf_mtod(m, const uint8_t*), rte_pktmbuf_data_len(m),
                      w->now_us, apply, w);
      else
        ++st->counters.rx_malformed;
    }
    rte_pktmbuf_free_bulk(pkts, received);
  }
  send_ticket_ring(w, cfg);
  bulk_step(w, cfg);
  sync_stream_poll(st, w->now_us);
  return received;
}

bool dataplane_hbdev_dispatch(Dataplane* dp, rte_mbuf* m) {
  int stream = sync_frame_stream(rte_pktmbuf_mtod(m, const uint8_t*), rte_pktmbuf_data_len(m));
  if (stream < 0) return false;
  if (!hbdev_handoff_to_worker(dp, m, stream)) {
    dp->hbdev_handoff_dropped_.fetch_add(1, std::memory_order_relaxed);
    rte_pktmbuf_free(m);
  }
  return true;
}

unsigned dataplane_hbdev_take(Dataplane* dp, rte_mbuf** out, unsigned max) {
  if (dp->hbdev_ctl_ == nullptr) return 0;
  return rte_ring_sc_dequeue_burst(dp->hbdev_ctl_, reinterpret_cast<void**>(out), max, nullptr);
}

HbdevHandoffCounters dataplane_hbdev_handoffs(const Dataplane* dp) {
  HbdevHandoffCounters c;
  c.to_control = dp->hbdev_to_control_.load(std::memory_order_relaxed);
  c.to_worker = dp->hbdev_to_worker_.load(std::memory_order_relaxed);
  c.dropped = dp->hbdev_handoff_dropped_.load(std::memory_order_relaxed);
  return c;
}

void dataplane_sync_port(Dataplane* dp, int port_id) {
  if (dp->sync_pool_ == nullptr) return;
  dp->sync_port_.store(port_id, std::memory_order_release);
  rte_rcu_qsbr_synchronize(dp->qsbr_, RTE_QSBR_THRID_INVALID);
}

unsigned dataplane_sync_view(const Dataplane* dp, SyncStreamView* out, unsigned max) {
  unsigned n = 0;
  uint64_t now_us = rte_rdtsc() / dp->tsc_per_us_;
  for (unsigned i = 0; i < dp->params_.nb_workers && n < max; ++i) {
    const WorkerContext* w = dp->workers_[i];
    if (w->sync == nullptr) continue;
    sync_stream_view(w->sync, now_us, &out[n]);
    out[n].bulk_cursor = w->sync_bulk_cursor;
    out[n].bulk_total = w->sessions->capacity;
    out[n].bulk_active = w->sync_bulk_active;
    ++n;
  }
  return n;
}

uint32_t dataplane_sync_ticket_ring(const Dataplane* dp, tls::TicketKeyRing* out) {
  if (dp->sync_pool_ == nullptr || dp->params_.nb_workers == 0) return 0;
  const SyncStream* st = dp->workers_[0]->sync;
  if (st == nullptr) return 0;
  for (;;) {
    uint32_t before = __atomic_load_n(&st->ring_out_seq, __ATOMIC_ACQUIRE);
    if (before == 0) return 0;
    if (before & 1) continue;  // the worker is writing it: a copy takes nanoseconds
    *out = st->ring_out;
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (__atomic_load_n(&st->ring_out_seq, __ATOMIC_RELAXED) == before) return before;
  }
}

bool dataplane_sync_in_sync(const Dataplane* dp) {
  if (dp->sync_pool_ == nullptr) return false;
  for (unsigned i = 0; i < dp->params_.nb_workers; ++i) {
    const SyncStream* s = dp->workers_[i]->sync;
    if (s == nullptr || !__atomic_load_n(&s->rx_in_sync, __ATOMIC_RELAXED)) return false;
  }
  return true;
}

}  // namespace tandem::dp
