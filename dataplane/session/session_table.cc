#include "dataplane/session/session_table.h"

#include <cstring>

#include <rte_common.h>
#include <rte_hash_crc.h>
#include <rte_prefetch.h>

#include "dataplane/session/session_inl.h"
#include "dataplane/worker/worker_inl.h"

namespace tandem::dp {
namespace {

constexpr size_t kAlign = 64;
constexpr size_t kPage = 4096;
constexpr size_t kBlockBytes = 2 * kSessionColdOffset;

size_t round_up(size_t n, size_t a) { return (n + a - 1) / a * a; }

// The tick whose processing (at now >= tick * kWheelTickMs) can see ms as
// passed; entries re-armed behind the cursor wait for the next tick, so an
// entry goes at its expiry or at most one tick later.
uint32_t tick_of(uint64_t ms) { return static_cast<uint32_t>(ms / kWheelTickMs); }

uint64_t& live_counter(SessionTable* t, const Session& s) {
  switch (s.key.proto) {
    case 6: return t->live_tcp[s.state < kNbTcpStates ? s.state : 0];
    case 17: return t->live_udp;
    case 1: return t->live_icmp;
    default: return t->live_other;
  }
}

uint32_t slot_of(const SessionTable* t, const Session* s) {
  return static_cast<uint32_t>(s - t->blocks);
}

SessionCold* cold_at(const SessionTable* t, uint32_t slot) {
  return session_cold(session_at(t, slot));
}

void wheel_unlink(SessionTable* t, Session* s) {
  SessionCold* c = session_cold(s);
  if (c->wheel_prev != kSessionNil) cold_at(t, c->wheel_prev)->wheel_next = c->wheel_next;
  else t->wheel[c->wheel_tick % kWheelSlots] = c->wheel_next;
  if (c->wheel_next != kSessionNil) cold_at(t, c->wheel_next)->wheel_prev = c->wheel_prev;
  // The entry a half-done walk of its slot resumes at leaves: resume after it.
  if (t->expire_cursor == slot_of(t, s)) t->expire_cursor = c->wheel_next;
}

// Arms at the tick of expire_ms, or at the wheel's horizon when further:
// such an entry is looked at once per turn and re-armed.
void wheel_link(SessionTable* t, Session* s) {
  uint32_t tick = tick_of(s->expire_ms);
  uint32_t first = static_cast<uint32_t>(t->wheel_next_tick);
  if (tick < first) tick = first;
  if (tick - first >= kWheelSlots) tick = first + kWheelSlots - 1;
  SessionCold* c = session_cold(s);
  c->wheel_tick = tick;
  uint32_t wheel_slot = tick % kWheelSlots;
  uint32_t slot = slot_of(t, s);
  c->wheel_prev = kSessionNil;
  c->wheel_next = t->wheel[wheel_slot];
  if (c->wheel_next != kSessionNil) cold_at(t, c->wheel_next)->wheel_prev = slot;
  t->wheel[wheel_slot] = slot;
}

void hash_unlink(SessionTable* t, Session* s) {
  uint32_t slot = slot_of(t, s);
  uint32_t* link = &session_at(t, session_home(t, session_key_hash(s->key)))->home_chain;
  while (*link != kSessionNil && *link != slot) link = &session_at(t, *link)->hash_next;
  if (*link == slot) *link = s->hash_next;
}

// Groups of slots, and the words of free_groups' bits for them. The
// groups in the gaps between blocks never hold a free entry.
uint32_t group_count(uint32_t capacity) {
  return (session_slot(capacity - 1) + kSessionGroupEntries) / kSessionGroupEntries;
}
uint32_t bit_words(uint32_t n) { return (n + 63) / 64; }

// The free bits of slot's group. The entries of a const table are
// not const (it holds a pointer to them): find_free reads through this too.
uint32_t& free_bits_of(const SessionTable* t, uint32_t slot) {
  return cold_at(t, session_group_first(slot))->group_free;
}

void mark_free(SessionTable* t, uint32_t slot) {
  uint32_t g = slot / kSessionGroupEntries;
  free_bits_of(t, slot) |= uint32_t{1} << (slot % kSessionGroupEntries);
  t->free_groups[g / 64] |= uint64_t{1} << (g % 64);
}

// The first group at or after `from` (wrapping round) that holds a free
// entry; kSessionNil when none does.
uint32_t next_free_group(const SessionTable* t, uint32_t from) {
  const uint32_t groups = group_count(t->capacity), words = bit_words(groups);
  if (from >= groups) from = 0;
  uint32_t w = from / 64;
  uint64_t bits = t->free_groups[w] & (~uint64_t{0} << (from % 64));
  for (uint32_t i = 0; i <= words; ++i) {  // back to the first word, whole
    if (bits != 0) return w * 64 + static_cast<uint32_t>(__builtin_ctzll(bits));
    w = w + 1 == words ? 0 : w + 1;
    bits = t->free_groups[w];
  }
  return kSessionNil;
}

// The free entry at `home`, or else the next free one after it (wrapping
// round): near home, most often in its group. kSessionNil when the table is
// full.
uint32_t find_free(const SessionTable* t, uint32_t home) {
  if (t->in_use >= t->capacity) return kSessionNil;
  uint32_t g = home / kSessionGroupEntries;
  uint32_t bits = free_bits_of(t, home) & (~uint32_t{0} << (home % kSessionGroupEntries));
  if (bits == 0) {
    g = next_free_group(t, g + 1);
    if (g == kSessionNil) return kSessionNil;
    bits = free_bits_of(t, g * kSessionGroupEntries);
  }
  return g * kSessionGroupEntries + static_cast<uint32_t>(__builtin_ctz(bits));
}

uint32_t take_free(SessionTable* t, uint32_t home) {
  uint32_t slot = find_free(t, home);
  if (slot == kSessionNil) return kSessionNil;
  uint32_t g = slot / kSessionGroupEntries;
  uint32_t& bits = free_bits_of(t, slot);
  bits &= ~(uint32_t{1} << (slot % kSessionGroupEntries));
  if (bits == 0) t->free_groups[g / 64] &= ~(uint64_t{1} << (g % 64));
  return slot;
}

// An entry already off the wheel leaves its chain and is free again.
void release(SessionTable* t, Session* s) {
  hash_unlink(t, s);
  counter_add(live_counter(t, *s), static_cast<uint64_t>(-1));
  s->flags = 0;
  mark_free(t, slot_of(t, s));
  --t->in_use;
  counter_add(t->deletes, 1);
}

// The blocks' bytes: whole blocks, and a last one cut after the second
// lines it holds.
size_t blocks_size(uint32_t capacity) {
  size_t whole = capacity / kSessionBlockEntries, rest = capacity % kSessionBlockEntries;
  return whole * kBlockBytes + (rest == 0 ? 0 : kSessionColdOffset + rest * sizeof(SessionCold));
}

}  // namespace

size_t session_table_memsize(uint32_t capacity) {
  return round_up(sizeof(SessionTable), kAlign) + (kPage - kAlign) + blocks_size(capacity) +
         round_up(size_t{bit_words(group_count(capacity))} * 8, kAlign);
}

SessionTable* session_table_init(void* mem, uint32_t capacity, uint32_t serial_base,
                                 uint64_t now_ms) {
  if (capacity == 0) return nullptr;
  std::memset(mem, 0, session_table_memsize(capacity));
  auto* t = static_cast<SessionTable*>(mem);
  auto p = reinterpret_cast<uintptr_t>(mem) + round_up(sizeof(SessionTable), kAlign);
  t->capacity = capacity;
  t->home_mask = rte_align32pow2(capacity) - 1;
  t->blocks = reinterpret_cast<Session*>(round_up(p, kPage));
  t->free_groups =
      reinterpret_cast<uint64_t*>(reinterpret_cast<uint8_t*>(t->blocks) + blocks_size(capacity));
  t->serial_base = serial_base;
  t->wheel_next_tick = now_ms / kWheelTickMs;
  t->expire_cursor = kSessionNil;
  std::memset(t->wheel, 0xff, sizeof(t->wheel));
  for (uint32_t i = 0; i < capacity; ++i) {
    uint32_t slot = session_slot(i);
    session_at(t, slot)->home_chain = kSessionNil;
    mark_free(t, slot);
  }
  return t;
}

void session_prefetch_free(const SessionTable* t, uint32_t home) {
  uint32_t slot = find_free(t, home);
  if (slot == kSessionNil) return;
  const Session* s = session_at(t, slot);
  rte_prefetch0(s);
  rte_prefetch0(session_cold(s));
}

Session* session_lookup(const SessionTable* t, const SessionKey& key, uint32_t hash) {
  return session_lookup_home(t, key, session_home(t, hash));
}

void session_lookup_bulk(SessionTable* t, const SessionKey* keys, const uint32_t* hashes,
                         unsigned n, Session** out) {
  session_pipeline(
      t, n, 0,
      [&](unsigned i, uint32_t* home, const SessionKey** key) {
        *home = session_home(t, hashes[i]);
        *key = &keys[i];
        return true;
      },
      [&](unsigned i, Session* found) {
        out[i] = found != nullptr ? found : session_lookup(t, keys[i], hashes[i]);
      });
}

Session* session_insert(SessionTable* t, const SessionKey& key, uint32_t hash, uint8_t flags,
                        TcpState state, uint32_t timeout_s, uint64_t now_ms) {
  uint32_t home = session_home(t, hash);
  uint32_t slot = take_free(t, home);
  if (slot == kSessionNil) return nullptr;
  Session* s = session_at(t, slot);
  SessionCold* c = session_cold(s);
  // The entry's own fields stay: home_chain is kept across the first
  // line's clear (a clear on each side of it became a slow `rep stos`),
  // and the second line is cleared up to group_free.
  uint32_t home_chain = s->home_chain;
  std::memset(s, 0, sizeof(Session));
  s->home_chain = home_chain;
  std::memset(c, 0, offsetof(SessionCold, group_free));
  s->key = key;
  s->flags = static_cast<uint8_t>(flags | kSessionInUse);
  s->state = static_cast<uint8_t>(state);
  c->timeout_s = timeout_s;
  c->created_ms = now_ms;
  s->expire_ms = now_ms + uint64_t{timeout_s} * 1000;
  c->serial = t->serial_base | (t->next_serial++ & 0x0fffffffu);
  // A flow in its home entry heads the chain; one placed further on goes
  // after it.
  uint32_t* link = &session_at(t, home)->home_chain;
  if (*link == home) link = &session_at(t, home)->hash_next;
  s->hash_next = *link;
  *link = slot;
  wheel_link(t, s);
  ++t->in_use;
  counter_add(t->inserts, 1);
  counter_add(live_counter(t, *s), 1);
  return s;
}

void session_rearm(SessionTable* t, Session* s, TcpState state, uint32_t timeout_s,
                   uint64_t expire_ms) {
  if (static_cast<uint8_t>(state) != s->state) {
    uint64_t& before = live_counter(t, *s);
    counter_add(before, static_cast<uint64_t>(-1));
    s->state = static_cast<uint8_t>(state);
    counter_add(live_counter(t, *s), 1);
  }
  SessionCold* c = session_cold(s);
  c->timeout_s = timeout_s;
  s->expire_ms = expire_ms;
  // Later expiry: left where it is and re-armed lazily when its slot comes
  // round (no list work per packet). Earlier (a FIN shortened the TTL):
  // moved now, or it would live on for the old TTL.
  if (tick_of(s->expire_ms) < c->wheel_tick) {
    wheel_unlink(t, s);
    wheel_link(t, s);
  }
}

void session_delete(SessionTable* t, Session* s) {
  if (!(s->flags & kSessionInUse)) return;
  wheel_unlink(t, s);
  release(t, s);
}

unsigned session_expire(SessionTable* t, uint64_t now_ms, SessionExpireHook hook,
                        void* hook_arg, unsigned budget) {
  uint64_t now_tick = now_ms / kWheelTickMs;
  unsigned deleted = 0;
  // After a long stall each slot needs one visit, not one per missed tick.
  // A slot left half walked keeps its rest linked and is walked again then.
  if (now_tick >= t->wheel_next_tick + kWheelSlots) {
    t->wheel_next_tick = now_tick - kWheelSlots + 1;
    t->expire_cursor = kSessionNil;
  }
  while (budget > 0) {
    if (t->expire_cursor == kSessionNil) {
      if (t->wheel_next_tick > now_tick) break;
      // The walk is in place: the slot's entries stay linked until visited.
      // Its tick is passed first, so an entry armed meanwhile (a packet's
      // re-arm, a walked entry's next expiry) goes to a later tick; one
      // that lands in this slot (the horizon) goes to its head, behind the
      // walk.
      t->expire_cursor = t->wheel[t->wheel_next_tick % kWheelSlots];
      ++t->wheel_next_tick;
    }
    while (t->expire_cursor != kSessionNil && budget > 0) {
      Session* s = session_at(t, t->expire_cursor);
      SessionCold* c = session_cold(s);
      t->expire_cursor = c->wheel_next;
      --budget;
      wheel_unlink(t, s);
      if (s->expire_ms > now_ms) {
        wheel_link(t, s);
        continue;
      }
      c->wheel_prev = c->wheel_next = kSessionNil;
      if (hook != nullptr) hook(hook_arg, *s);
      release(t, s);
      counter_add(t->expired, 1);
      ++deleted;
    }
  }
  return deleted;
}

}  // namespace tandem::dp
