// The per-worker session table: a chained hash over one preallocated block
// of 128-byte entries, with no bucket array and no free bitmap beside them:
// each entry holds the head of the chain of the flows whose home it is, and
// each group's first entry the free bits of the group's 32; a flow sits in
// its home entry or near it. An entry's two lines lie apart: the first
// lines of kSessionBlockEntries entries together, then their second lines
// (session_types.h). Expiry on a timer wheel; lock-free by
// ownership (only the owning worker writes; the control side reads only
// its counters, and lists/clears through the worker's mailbox). The worker
// calls it for every transit packet; the benchmark and unit tests drive it
// directly over memory they provide (no EAL needed).
#pragma once

#include <cstddef>
#include <cstdint>

#include <rte_prefetch.h>

#include "dataplane/session/session_inl.h"
#include "dataplane/session/session_types.h"

namespace tandem::dp {

inline constexpr uint64_t kWheelTickMs = 100;  // expiry precision
inline constexpr uint32_t kWheelSlots = 4096;  // horizon 409.6 s; longer TTLs re-arm

struct SessionTable {
  uint32_t capacity;
  uint32_t home_mask;
  uint32_t in_use;
  uint32_t serial_base, next_serial;
  uint64_t wheel_next_tick;  // first tick not yet processed
  // Where session_expire() goes on in a slot it left half walked (its
  // work budget ran out), kSessionNil when it left none. That slot's tick
  // is already behind wheel_next_tick.
  uint32_t expire_cursor;
  // Page aligned: blocks of kSessionBlockEntries first lines followed by
  // as many second lines. Entry i is session_entry(t, i).
  Session* blocks;
  // Free entries: a bit each in their group's first entry
  // (SessionCold::group_free), and here a bit per group (1: the group holds a
  // free entry). An insert takes the flow's home entry (session_home) when
  // it is free, else the next free one after it.
  uint64_t* free_groups;
  // Counters: written by the owner only, read with counter_read().
  uint64_t inserts, deletes, expired, cleared;
  uint64_t live_tcp[kNbTcpStates];
  uint64_t live_udp, live_icmp, live_other;
  uint32_t wheel[kWheelSlots];
};

// Bytes needed for a table of `capacity` sessions (capacity >= 1).
size_t session_table_memsize(uint32_t capacity);
// Lays a table out in `mem` (64-byte aligned, session_table_memsize bytes;
// the entries start at the first page boundary in it).
// serial_base is OR-ed into every serial (the worker number in the top bits).
SessionTable* session_table_init(void* mem, uint32_t capacity, uint32_t serial_base,
                                 uint64_t now_ms);

Session* session_lookup(const SessionTable* t, const SessionKey& key, uint32_t hash);

// Where entry i of the table (0 <= i < capacity) lies: its slot, the
// number of its first line in the blocks. The slots skip the second lines
// (each block's kSessionBlockEntries slots, then a gap as long). The
// table's links (chains, wheel, free bits) are slots, so that an entry is
// a shift and an add from its link: entry numbers took two more
// operations a hop, a few cycles a frame at 1 k (docs/bench-forwarding.md,
// "First lines apart").
inline uint32_t session_slot(uint32_t i) { return i + (i & ~(kSessionBlockEntries - 1)); }
// The entry at `slot` (its first line; session_cold gives the second).
inline Session* session_at(const SessionTable* t, uint32_t slot) { return t->blocks + slot; }
// Entry i: what a walk of the whole table (0 <= i < capacity) visits.
inline Session* session_entry(const SessionTable* t, uint32_t i) {
  return session_at(t, session_slot(i));
}

// A flow's home entry, from the hash alone: the hash's low bits (less the
// capacity, for the numbers beyond it: the mask is below twice the
// capacity). The home holds the head of the flow's chain (home_chain), and
// the flow itself when the home was free at its insert, else the next free
// entry after it, most often in the same page. So a lookup fetches one
// page, where a bucket array took a second: with sessions scattered over
// the table (real traffic) each is a page walk here (docs/bench-forwarding.md,
// "The chain's head in its home entry, again"). The low bits, not a
// multiply-shift of the high ones: on tandem-gen's and bench-worker's
// flows the high bits of the CRC sent pairs of flows to one home.
inline uint32_t session_home(const SessionTable* t, uint32_t hash) {
  uint32_t b = hash & t->home_mask;
  return session_slot(b >= t->capacity ? b - t->capacity : b);
}

// session_lookup from the flow's home (session_home). The worker computes
// a frame's home once, while it parses the burst, and hands it to the
// prefetches and the lookup below: computed three times a frame from the
// hash it cost bench-worker ~3-4 cycles a frame at 1 k and ~7 at 1 M
// (docs/bench-forwarding.md, "The home once a frame, and two lookups
// fewer").
inline Session* session_lookup_home(const SessionTable* t, const SessionKey& key, uint32_t home) {
  for (uint32_t i = session_at(t, home)->home_chain; i != kSessionNil;) {
    Session* s = session_at(t, i);
    if (session_key_equal(s->key, key)) return s;
    i = s->hash_next;
  }
  return nullptr;
}

// The first slot of slot's group: the one that holds the group's free
// bits (SessionCold::group_free).
inline uint32_t session_group_first(uint32_t slot) { return slot - slot % kSessionGroupEntries; }

// The prefetches take the flow's home (session_home), as the lookup above.
//
// The free bits of the home's group, which an insert reads and writes: a
// second line near the home's.
inline void session_prefetch_free_bits(const SessionTable* t, uint32_t home) {
  rte_prefetch0(session_cold(session_at(t, session_group_first(home))));
}
// Both lines of the entry an insert of this flow would take now: its home,
// or the next free entry after it. It reads the free bits: the worker
// calls it for a lookup that missed, while route and policy are looked up,
// and the RX pass has prefetched them (session_prefetch_entry) when it
// could tell that the lookup would miss.
void session_prefetch_free(const SessionTable* t, uint32_t home);

// session_pipeline (below) calls these for the lookups some way ahead of
// the one it does, so that the misses of several packets overlap. First
// (session_prefetch) the home entry's first line, which holds every field
// an established flow's packet uses and the chain's head (session_types.h).
// Then, once it had time to arrive (session_prefetch_entry): nothing more
// for a flow found in its home entry, which it returns (nullptr for any
// other); for any other, the chain's first entry other than the home one,
// or, when there is none and the lookup is sure to miss, the free bits the
// insert after it reads (and the home's second line, when the insert will
// take the home).
inline void session_prefetch(const SessionTable* t, uint32_t home) {
  rte_prefetch0(session_at(t, home));
}
inline Session* session_prefetch_entry(const SessionTable* t, uint32_t home,
                                       const SessionKey& key) {
  Session& h = *session_at(t, home);
  uint32_t away = h.home_chain;  // a flow in its home heads the chain
  if (away == home) {
    if (session_key_equal(h.key, key)) return &h;
    away = h.hash_next;
  }
  if (away != kSessionNil) {
    rte_prefetch0(session_at(t, away));
    return nullptr;
  }
  // Sure to miss: the insert reads the free bits, and takes the home
  // when it is free, clearing its second line too.
  session_prefetch_free_bits(t, home);
  if (!(h.flags & kSessionInUse)) rte_prefetch0(session_cold(&h));
  return nullptr;
}
// session_prefetch_entry for a lookup that inserts when it misses and may
// well miss (the HA receiver's session records): the free bits whatever
// the chain holds.
inline void session_prefetch_upsert(const SessionTable* t, uint32_t home, const SessionKey& key) {
  session_prefetch_entry(t, home, key);
  session_prefetch_free_bits(t, home);
}
// A burst's lookups, in order, with the table's lines of the ones ahead in
// flight: every kSessionPrefetchGroup lookups, the group two ahead has its
// home entries prefetched (session_prefetch), the group one ahead its
// chains' first entries (session_prefetch_entry, which reads the heads
// prefetched a group earlier). Not a whole burst at once: 128
// prefetches issued together overflow the core's miss buffers, and on some
// hosts the ones that do not fit bought nothing, as if dropped. Not a
// lookup's few at a time either: where the hypervisor backs hugepages with
// small pages, the time goes right after each prefetch, as if one that
// misses the TLB held retirement until its page walk ended; spread out,
// few walks overlap, and grouped, a group's do (docs/bench-forwarding.md,
// "A window of prefetches" and "Prefetches in groups").
//
// flow_of(i, &home, &key) says whether lookup i has a flow, and its home
// (session_home) and key; handle(i, found) does lookup i, where found is
// the flow's entry when session_prefetch_entry found it in its home (a
// group earlier), else nullptr: then the lookup is the caller's. A found
// entry is still the flow's when handle(i) runs, as long as the handlers
// delete no session: an entry never moves, and an insert takes a free one
// (the worker deletes only between bursts). Most flows sit in their home
// (all at 1 k, half at 1 M and 95 % full), and their lookup is then not
// done twice: ~3 cycles a frame at 1 k and ~4 at 1 M in bench-worker
// (docs/bench-forwarding.md, "The home once a frame, and two lookups
// fewer"). The caller may have prefetched the home entries of the first
// `sent` lookups already (the worker does, a group at a time, while it
// parses the burst).
inline constexpr unsigned kSessionPrefetchGroup = 8;
inline constexpr unsigned kSessionTableAhead = 2 * kSessionPrefetchGroup;
inline constexpr unsigned kSessionEntryAhead = kSessionPrefetchGroup;

// The home entries of lookups [from, min(to, n)).
template <typename FlowOf>
void session_prefetch_tables(const SessionTable* t, unsigned from, unsigned to, unsigned n,
                             FlowOf&& flow_of) {
  uint32_t home;
  const SessionKey* key;
  for (unsigned i = from; i < to && i < n; ++i)
    if (flow_of(i, &home, &key)) session_prefetch(t, home);
}

template <typename FlowOf, typename Handle>
void session_pipeline(const SessionTable* t, unsigned n, unsigned sent, FlowOf&& flow_of,
                      Handle&& handle) {
  constexpr unsigned kGroup = kSessionPrefetchGroup;
  constexpr unsigned kFound = kSessionEntryAhead + kGroup;
  Session* found[kFound];
  auto prefetch_entries = [&](unsigned from, unsigned to) {
    uint32_t home;
    const SessionKey* key;
    for (unsigned i = from; i < to && i < n; ++i)
      found[i % kFound] = flow_of(i, &home, &key) ? session_prefetch_entry(t, home, *key) : nullptr;
  };
  session_prefetch_tables(t, sent, kSessionTableAhead, n, flow_of);
  prefetch_entries(0, kSessionEntryAhead);
  for (unsigned i = 0; i < n; ++i) {
    if (i % kGroup == 0) {
      session_prefetch_tables(t, i + kSessionTableAhead, i + kSessionTableAhead + kGroup, n,
                              flow_of);
      prefetch_entries(i + kSessionEntryAhead, i + kSessionEntryAhead + kGroup);
    }
    handle(i, found[i % kFound]);
  }
}

// Up to n lookups through session_pipeline; out[i] is nullptr on a miss.
void session_lookup_bulk(SessionTable* t, const SessionKey* keys, const uint32_t* hashes,
                         unsigned n, Session** out);

// A new entry for `key` (which must not be present), armed to expire at
// now_ms + timeout_s; nullptr when the table is full. The caller fills the
// rest (ports, policy, ...).
Session* session_insert(SessionTable* t, const SessionKey& key, uint32_t hash, uint8_t flags,
                        TcpState state, uint32_t timeout_s, uint64_t now_ms);
// New state, TTL and absolute expiry (session pickup installs the peer's).
void session_rearm(SessionTable* t, Session* s, TcpState state, uint32_t timeout_s,
                   uint64_t expire_ms);
// A packet hit the session: new state/timeout, expiry pushed to now + timeout.
// Inline for the common packet, same state, no earlier expiry and the same
// timers as when the entry was last armed (timers_gen, ActiveConfig's):
// the entry stays in its wheel slot (re-armed lazily when the slot comes
// round), and only expire_ms changes, on the first line. Anything else
// re-arms, which also writes timeout_s on the second line.
inline void session_touch(SessionTable* t, Session* s, TcpState state, uint32_t timeout_s,
                          uint64_t now_ms, uint8_t timers_gen) {
  uint64_t expire_ms = now_ms + uint64_t{timeout_s} * 1000;
  if (static_cast<uint8_t>(state) == s->state && expire_ms >= s->expire_ms &&
      timers_gen == s->timers_gen) {
    s->expire_ms = expire_ms;
    return;
  }
  s->timers_gen = timers_gen;
  session_rearm(t, s, state, timeout_s, expire_ms);
}
void session_delete(SessionTable* t, Session* s);

// Called with each session session_expire() is about to free.
using SessionExpireHook = void (*)(void* arg, const Session& s);

// Deletes every session whose expiry has passed (ticks up to now_ms), and
// moves the entries of the slots it walks that a packet kept alive since.
// Returns how many were deleted. `budget` caps the entries it looks at in
// one call: when a tick's slot holds more (a million flows that started
// together expire, or are re-armed, together), the walk stops there and
// the next call goes on, so a worker's loop stays short. A deleted or
// re-armed entry is never left behind by a walk in progress.
unsigned session_expire(SessionTable* t, uint64_t now_ms, SessionExpireHook hook = nullptr,
                        void* hook_arg = nullptr, unsigned budget = UINT32_MAX);
// Whether session_expire(t, now_ms) has work left: a slot half walked, or
// ticks up to now_ms not walked yet.
inline bool session_expire_pending(const SessionTable* t, uint64_t now_ms) {
  return t->expire_cursor != kSessionNil || t->wheel_next_tick <= now_ms / kWheelTickMs;
}

// Calls fn(session, arg) for every live session; fn may delete it.
template <typename Fn>
void session_for_each(SessionTable* t, Fn&& fn) {
  for (uint32_t i = 0; i < t->capacity; ++i)
    if (Session* s = session_entry(t, i); s->flags & kSessionInUse) fn(s);
}

}  // namespace tandem::dp
