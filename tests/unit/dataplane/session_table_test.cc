// The session stage's pure pieces without EAL: key normalisation, the TCP
// state machine and its timeouts, the table (insert/lookup/delete/full) and
// expiry on the timer wheel with an explicit clock.
#include <cstdlib>
#include <memory>
#include <vector>

#include <gtest/gtest.h>
#include <rte_hash_crc.h>

#include "dataplane/session/session_inl.h"
#include "dataplane/session/session_table.h"
#include "tests/unit/dataplane/frame_builder.h"

namespace tandem::dp {
namespace {

using test::ipv4;
using test::to_be;

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};

struct Table {
  explicit Table(uint32_t capacity, uint64_t now_ms = 0) {
    size_t size = (session_table_memsize(capacity) + 63) / 64 * 64;
    mem.reset(std::aligned_alloc(64, size));
    t = session_table_init(mem.get(), capacity, 0x10000000u, now_ms);
  }
  std::unique_ptr<void, FreeDeleter> mem;
  SessionTable* t;
};

// The entry number of a slot: the tests reason in entries
// (session_entry), the table links slots (session_slot).
uint32_t entry_of_slot(uint32_t slot) {
  return slot - slot / (2 * kSessionBlockEntries) * kSessionBlockEntries;
}
uint32_t entry_of(const SessionTable* t, const Session* s) {
  return entry_of_slot(static_cast<uint32_t>(s - t->blocks));
}

SessionKey key_of(uint32_t src, uint32_t dst, uint16_t sp, uint16_t dp, uint8_t proto,
                  bool* lo = nullptr) {
  bool l;
  SessionKey k = session_key_make(to_be(src), to_be(dst), sp, dp, proto, 0, &l);
  if (lo) *lo = l;
  return k;
}

TEST(SessionKey, BothDirectionsNormaliseToOneKey) {
  bool lo_fwd, lo_rev;
  SessionKey fwd = key_of(ipv4(10, 1, 100, 22), ipv4(172, 16, 200, 209), 40000, 80, 6, &lo_fwd);
  SessionKey rev = key_of(ipv4(172, 16, 200, 209), ipv4(10, 1, 100, 22), 80, 40000, 6, &lo_rev);
  EXPECT_TRUE(session_key_equal(fwd, rev));
  EXPECT_NE(lo_fwd, lo_rev);
  EXPECT_TRUE(lo_fwd) << "10.x is numerically lower than 172.x";
  EXPECT_EQ(fwd.ip_lo_be, to_be(ipv4(10, 1, 100, 22)));
  EXPECT_EQ(fwd.port_lo, 40000);
  EXPECT_EQ(session_key_hash(fwd), session_key_hash(rev));
  // Same addresses, ports decide; different proto or port is another flow.
  bool a, b;
  SessionKey same_ip1 = key_of(ipv4(1, 1, 1, 1), ipv4(1, 1, 1, 1), 9, 5, 17, &a);
  SessionKey same_ip2 = key_of(ipv4(1, 1, 1, 1), ipv4(1, 1, 1, 1), 5, 9, 17, &b);
  EXPECT_TRUE(session_key_equal(same_ip1, same_ip2));
  EXPECT_NE(a, b);
  EXPECT_FALSE(session_key_equal(fwd, key_of(ipv4(10, 1, 100, 22), ipv4(172, 16, 200, 209),
                                              40000, 80, 17)));
  EXPECT_FALSE(session_key_equal(fwd, key_of(ipv4(10, 1, 100, 22), ipv4(172, 16, 200, 209),
                                              40001, 80, 6)));
}

// session_key_make builds the key as two words and session_key_hash runs
// crc32 on them directly: the fields must land where SessionKey declares
// them, and the hash must be the CRC32C rte_hash_crc gives (pickup records
// and the bench rely on the same hash on both nodes).
TEST(SessionKey, WordBuiltKeyHasTheFieldsAndTheCrc32cHash) {
  std::srand(7);
  for (int i = 0; i < 10000; ++i) {
    uint32_t src = static_cast<uint32_t>(std::rand()) * 2654435761u;
    uint32_t dst = static_cast<uint32_t>(std::rand()) * 40503u;
    auto sp = static_cast<uint16_t>(std::rand()), dp = static_cast<uint16_t>(std::rand());
    auto proto = static_cast<uint8_t>(std::rand()), zone = static_cast<uint8_t>(std::rand());
    bool lo;
    SessionKey k = session_key_make(src, dst, sp, dp, proto, zone, &lo);
    EXPECT_EQ(k.ip_lo_be, lo ? src : dst);
    EXPECT_EQ(k.ip_hi_be, lo ? dst : src);
    EXPECT_EQ(k.port_lo, lo ? sp : dp);
    EXPECT_EQ(k.port_hi, lo ? dp : sp);
    EXPECT_EQ(k.proto, proto);
    EXPECT_EQ(k.zone, zone);
    EXPECT_EQ(k.pad, 0);
    ASSERT_EQ(session_key_hash(k), rte_hash_crc(&k, sizeof(k), 0)) << "key " << i;
  }
}

TEST(TcpStateMachine, HandshakeDataAndOrderlyClose) {
  uint8_t fl = 0;
  TcpState s = tcp_state_next(TcpState::kNone, kTcpSyn, kDirOrig, &fl);
  EXPECT_EQ(s, TcpState::kSynSent);
  EXPECT_EQ(tcp_state_next(s, kTcpSyn, kDirOrig, &fl), TcpState::kSynSent) << "SYN retransmit";
  EXPECT_EQ(tcp_state_next(s, kTcpAck, kDirOrig, &fl), TcpState::kSynSent) << "no SYN-ACK yet";
  s = tcp_state_next(s, kTcpSyn | kTcpAck, kDirReply, &fl);
  EXPECT_EQ(s, TcpState::kSynRecv);
  s = tcp_state_next(s, kTcpAck, kDirOrig, &fl);
  EXPECT_EQ(s, TcpState::kEstablished);
  EXPECT_EQ(tcp_state_next(s, kTcpAck, kDirReply, &fl), TcpState::kEstablished);
  s = tcp_state_next(s, kTcpFin | kTcpAck, kDirOrig, &fl);
  EXPECT_EQ(s, TcpState::kFinWait);
  EXPECT_EQ(tcp_state_next(s, kTcpFin | kTcpAck, kDirOrig, &fl), TcpState::kFinWait)
      << "FIN retransmitted by the same side";
  s = tcp_state_next(s, kTcpFin | kTcpAck, kDirReply, &fl);
  EXPECT_EQ(s, TcpState::kTimeWait);
}

TEST(TcpStateMachine, RstClosesFromAnyState) {
  for (TcpState st : {TcpState::kSynSent, TcpState::kSynRecv, TcpState::kEstablished,
                      TcpState::kFinWait}) {
    uint8_t fl = 0;
    EXPECT_EQ(tcp_state_next(st, kTcpRst | kTcpAck, kDirReply, &fl), TcpState::kClose);
  }
  uint8_t fl = 0;
  EXPECT_EQ(tcp_state_next(TcpState::kNone, kTcpAck, kDirOrig, &fl), TcpState::kNone)
      << "no session starts without SYN";
  EXPECT_EQ(tcp_state_next(TcpState::kSynSent, kTcpSyn | kTcpAck, kDirOrig, &fl),
            TcpState::kSynSent) << "SYN-ACK from the originator is not the reply";
}

TEST(TcpStateMachine, TimeoutsFollowStates) {
  SessionTimers t = session_timers_or_default(SessionTimers{});
  EXPECT_EQ(t.tcp_established, 3600u);
  EXPECT_EQ(session_timeout_s(t, 6, TcpState::kSynSent), 10u);
  EXPECT_EQ(session_timeout_s(t, 6, TcpState::kSynRecv), 10u);
  EXPECT_EQ(session_timeout_s(t, 6, TcpState::kEstablished), 3600u);
  EXPECT_EQ(session_timeout_s(t, 6, TcpState::kFinWait), 120u);
  EXPECT_EQ(session_timeout_s(t, 6, TcpState::kTimeWait), 1u);
  EXPECT_EQ(session_timeout_s(t, 6, TcpState::kClose), 1u);
  EXPECT_EQ(session_timeout_s(t, 17, TcpState::kNone), 180u);
  EXPECT_EQ(session_timeout_s(t, 1, TcpState::kNone), 60u);
  EXPECT_EQ(session_timeout_s(t, 47, TcpState::kNone), 3600u);
  SessionTimers custom{5, 0, 0, 0, 30, 0, 0};
  SessionTimers c = session_timers_or_default(custom);
  EXPECT_EQ(c.tcp_halfopen, 5u);
  EXPECT_EQ(c.udp, 30u);
  EXPECT_EQ(c.icmp, 60u);
}

// The counters live in two halves (the low one on the entry's first cache
// line): a packet that wraps a low half carries into the high one.
TEST(SessionCounters, LowPartsCarryIntoTheHighOnes) {
  Table tb(1);
  Session& s = *session_entry(tb.t, 0);
  session_set_counters(&s, kDirReply, 0xffffu, 0xffff'ff00u);
  session_count(&s, kDirReply, 0x100);
  EXPECT_EQ(session_packets(s, kDirReply), uint64_t{1} << 16);
  EXPECT_EQ(session_bytes(s, kDirReply), uint64_t{1} << 32);
  session_count(&s, kDirReply, 1500);
  EXPECT_EQ(session_packets(s, kDirReply), (uint64_t{1} << 16) + 1);
  EXPECT_EQ(session_bytes(s, kDirReply), (uint64_t{1} << 32) + 1500);
  EXPECT_EQ(session_packets(s, kDirOrig), 0u) << "the other direction is its own";
  session_set_counters(&s, kDirOrig, (uint64_t{7} << 32) | 0xffff, (uint64_t{3} << 40) | 9);
  session_count(&s, kDirOrig, 0xffff'ffffu);  // the largest addend wraps too
  EXPECT_EQ(session_packets(s, kDirOrig), (uint64_t{7} << 32) | 0x10000);
  EXPECT_EQ(session_bytes(s, kDirOrig), ((uint64_t{3} << 40) | 9) + 0xffff'ffffu);
  // 64-bit counts survive the split both ways.
  session_set_counters(&s, kDirOrig, ~uint64_t{0} - 1, ~uint64_t{0} - 1);
  EXPECT_EQ(session_packets(s, kDirOrig), ~uint64_t{0} - 1);
  EXPECT_EQ(session_bytes(s, kDirOrig), ~uint64_t{0} - 1);
  for (unsigned i = 0; i < 70000; ++i) session_count(&s, kDirReply, 1);
  EXPECT_EQ(session_packets(s, kDirReply), (uint64_t{1} << 16) + 1 + 70000);
}

// Everything an established flow's packet reads or writes is on the
// entry's first cache line (the lookup prefetches only that one).
TEST(SessionCounters, APacketsFieldsAreOnTheFirstLine) {
  EXPECT_LE(offsetof(Session, packets_lo) + sizeof(Session::packets_lo), 64u);
  EXPECT_LE(offsetof(Session, bytes_lo) + sizeof(Session::bytes_lo), 64u);
  EXPECT_LE(offsetof(Session, expire_ms) + sizeof(Session::expire_ms), 64u);
  EXPECT_LE(offsetof(Session, next_hop_be) + sizeof(Session::next_hop_be), 64u);
  EXPECT_LE(offsetof(Session, sync_flags) + 1, 64u);
  EXPECT_LE(offsetof(Session, sync_expire_lo) + sizeof(Session::sync_expire_lo), 64u)
      << "an HA primary's refresh check reads it for every packet";
  EXPECT_EQ(sizeof(Session), 64u) << "the second line's fields (SessionCold) lie apart";
}

TEST(SessionTable, InsertLookupDeleteAndFull) {
  Table tb(4);
  SessionTable* t = tb.t;
  std::vector<Session*> live;
  for (uint16_t i = 0; i < 4; ++i) {
    SessionKey k = key_of(ipv4(10, 0, 0, 1), ipv4(10, 0, 1, 1), 1000 + i, 53, 17);
    Session* s = session_insert(t, k, session_key_hash(k), 0, TcpState::kNone, 180, 0);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(session_cold(s)->serial >> 28, 1u) << "serial carries the worker";
    live.push_back(s);
  }
  SessionKey fifth = key_of(ipv4(10, 0, 0, 1), ipv4(10, 0, 1, 1), 2000, 53, 17);
  EXPECT_EQ(session_insert(t, fifth, session_key_hash(fifth), 0, TcpState::kNone, 180, 0), nullptr);
  EXPECT_EQ(t->in_use, 4u);
  EXPECT_EQ(t->live_udp, 4u);
  for (uint16_t i = 0; i < 4; ++i) {
    SessionKey k = key_of(ipv4(10, 0, 1, 1), ipv4(10, 0, 0, 1), 53, 1000 + i, 17);  // reply
    EXPECT_EQ(session_lookup(t, k, session_key_hash(k)), live[i]);
  }
  session_delete(t, live[1]);
  EXPECT_EQ(t->in_use, 3u);
  SessionKey k1 = key_of(ipv4(10, 0, 0, 1), ipv4(10, 0, 1, 1), 1001, 53, 17);
  EXPECT_EQ(session_lookup(t, k1, session_key_hash(k1)), nullptr);
  EXPECT_NE(session_insert(t, fifth, session_key_hash(fifth), 0, TcpState::kNone, 180, 0), nullptr);
  // Bulk lookup agrees with single lookups, hits and misses alike.
  SessionKey keys[3] = {fifth, k1, key_of(ipv4(10, 0, 0, 1), ipv4(10, 0, 1, 1), 1003, 53, 17)};
  uint32_t hashes[3];
  for (int i = 0; i < 3; ++i) hashes[i] = session_key_hash(keys[i]);
  Session* out[3];
  session_lookup_bulk(t, keys, hashes, 3, out);
  EXPECT_NE(out[0], nullptr);
  EXPECT_EQ(out[1], nullptr);
  EXPECT_EQ(out[2], live[3]);
}

// session_pipeline hands every lookup to the caller once, in order, for
// bursts that end inside a prefetch group and ones longer than its window,
// skipping none that has no flow; and the bulk lookup built on it agrees
// with single lookups.
TEST(SessionTable, PipelineHandlesEveryLookupInOrder) {
  Table tb(4096);
  SessionTable* t = tb.t;
  std::vector<SessionKey> keys;
  std::vector<uint32_t> hashes;
  for (uint16_t p = 1; p <= 200; ++p) {
    keys.push_back(key_of(ipv4(10, 0, 0, 1), ipv4(10, 0, 1, 1), p, 53, 17));
    hashes.push_back(session_key_hash(keys.back()));
    if (p % 3 != 0) {  // two in three present
      ASSERT_NE(session_insert(t, keys.back(), hashes.back(), 0, TcpState::kNone, 180, 0), nullptr);
    }
  }
  for (unsigned n : {0u, 1u, 5u, 8u, 13u, 16u, 17u, 64u, 200u}) {
    std::vector<unsigned> order;
    unsigned nb_found = 0;
    session_pipeline(
        t, n, 0,
        [&](unsigned i, uint32_t* home, const SessionKey** key) {
          *home = session_home(t, hashes[i]);
          *key = &keys[i];
          return i % 5 != 0;  // some lookups have no flow to prefetch for
        },
        [&](unsigned i, Session* found) {
          order.push_back(i);
          if (found != nullptr) {
            ++nb_found;
            ASSERT_EQ(found, session_lookup(t, keys[i], hashes[i])) << "lookup " << i;
          }
        });
    ASSERT_EQ(order.size(), n);
    for (unsigned i = 0; i < n; ++i) ASSERT_EQ(order[i], i) << "burst of " << n;
    // A 1/16-full table: most present flows sit in their home entry, and
    // the pipeline hands those over found.
    if (n >= 64) {
      EXPECT_GT(nb_found, n / 3) << "burst of " << n;
    }

    std::vector<Session*> out(n, reinterpret_cast<Session*>(1));
    session_lookup_bulk(t, keys.data(), hashes.data(), n, out.data());
    for (unsigned i = 0; i < n; ++i)
      ASSERT_EQ(out[i], session_lookup(t, keys[i], hashes[i])) << "lookup " << i << " of " << n;
  }
}

TEST(TimerWheel, ExpiresAtTimeoutNotBefore) {
  Table tb(16, 1'000'000);
  SessionTable* t = tb.t;
  uint64_t now = 1'000'000;
  SessionKey a = key_of(ipv4(1, 0, 0, 1), ipv4(2, 0, 0, 1), 1, 2, 17);
  SessionKey b = key_of(ipv4(1, 0, 0, 1), ipv4(2, 0, 0, 1), 1, 3, 17);
  session_insert(t, a, session_key_hash(a), 0, TcpState::kNone, 5, now);
  Session* sb = session_insert(t, b, session_key_hash(b), 0, TcpState::kNone, 5, now);
  EXPECT_EQ(session_expire(t, now + 4999), 0u);
  // b is hit at +3 s: lives until +8 s (lazily re-armed, not moved).
  session_touch(t, sb, TcpState::kNone, 5, now + 3000, 0);
  EXPECT_EQ(session_expire(t, now + 5000), 1u);
  EXPECT_EQ(session_lookup(t, a, session_key_hash(a)), nullptr);
  EXPECT_EQ(session_lookup(t, b, session_key_hash(b)), sb);
  EXPECT_EQ(session_expire(t, now + 7999), 0u);
  EXPECT_EQ(session_expire(t, now + 8000), 1u);
  EXPECT_EQ(t->in_use, 0u);
  EXPECT_EQ(t->expired, 2u);
}

// A packet of the same state writes only the expiry; the TTL the entry
// shows (timeout_s) follows a timers change through the generation.
TEST(TimerWheel, TouchFollowsTimersGeneration) {
  Table tb(16, 0);
  SessionTable* t = tb.t;
  SessionKey a = key_of(ipv4(1, 0, 0, 1), ipv4(2, 0, 0, 1), 1, 2, 17);
  Session* s = session_insert(t, a, session_key_hash(a), 0, TcpState::kNone, 180, 0);
  session_touch(t, s, TcpState::kNone, 180, 1'000, 0);
  EXPECT_EQ(session_cold(s)->timeout_s, 180u);
  EXPECT_EQ(s->expire_ms, 181'000u);
  // The timers went to 600 s (generation 1): the next packet re-arms.
  session_touch(t, s, TcpState::kNone, 600, 2'000, 1);
  EXPECT_EQ(session_cold(s)->timeout_s, 600u);
  EXPECT_EQ(s->timers_gen, 1u);
  EXPECT_EQ(s->expire_ms, 602'000u);
  EXPECT_EQ(session_expire(t, 601'999), 0u);
  EXPECT_EQ(session_expire(t, 602'000), 1u);
}

TEST(TimerWheel, ShorterTimeoutMovesEntryAndLongTtlsSurviveHorizon) {
  Table tb(16, 0);
  SessionTable* t = tb.t;
  SessionKey a = key_of(ipv4(1, 0, 0, 1), ipv4(2, 0, 0, 1), 1, 2, 6);
  Session* s = session_insert(t, a, session_key_hash(a), 0, TcpState::kEstablished, 3600, 0);
  EXPECT_EQ(t->live_tcp[1], 1u);
  // FIN/FIN: time_wait of 1 s must take effect now, not after an hour.
  session_touch(t, s, TcpState::kTimeWait, 1, 10'000, 0);
  EXPECT_EQ(t->live_tcp[1], 0u);
  EXPECT_EQ(t->live_tcp[5], 1u);
  EXPECT_EQ(session_expire(t, 10'999), 0u);
  EXPECT_EQ(session_expire(t, 11'000), 1u);

  // Same state, shorter TTL (a config change lowered it): also moved now.
  SessionKey c = key_of(ipv4(1, 0, 0, 1), ipv4(2, 0, 0, 1), 1, 4, 17);
  Session* u = session_insert(t, c, session_key_hash(c), 0, TcpState::kNone, 3600, 11'000);
  session_touch(t, u, TcpState::kNone, 5, 12'000, 0);
  EXPECT_EQ(session_expire(t, 16'999), 0u);
  EXPECT_EQ(session_expire(t, 17'000), 1u);
  // Same state, longer expiry: left in its slot, re-armed when it comes round.
  Session* v = session_insert(t, c, session_key_hash(c), 0, TcpState::kNone, 5, 17'000);
  session_touch(t, v, TcpState::kNone, 5, 20'000, 0);
  EXPECT_EQ(session_expire(t, 22'000), 0u);
  EXPECT_EQ(session_expire(t, 25'000), 1u);

  // Past the wheel's horizon (409.6 s): re-armed each turn, expires on time.
  SessionKey b = key_of(ipv4(1, 0, 0, 1), ipv4(2, 0, 0, 1), 1, 3, 6);
  session_insert(t, b, session_key_hash(b), 0, TcpState::kEstablished, 3600, 11'000);
  for (uint64_t ms = 11'000; ms < 11'000 + 3'600'000; ms += 50'000)
    ASSERT_EQ(session_expire(t, ms), 0u) << "at " << ms;
  EXPECT_EQ(session_expire(t, 11'000 + 3'600'000), 1u);
  EXPECT_EQ(t->in_use, 0u);
}

TEST(TimerWheel, ManySessionsAllExpireAfterAStall) {
  Table tb(1000, 0);
  SessionTable* t = tb.t;
  for (uint16_t i = 0; i < 1000; ++i) {
    SessionKey k = key_of(ipv4(1, 0, 0, 1), ipv4(2, 0, 0, 1), i, 9, 17);
    ASSERT_NE(session_insert(t, k, session_key_hash(k), 0, TcpState::kNone, 1 + i % 300,
                             i), nullptr);
  }
  // The worker was away for 20 minutes: one call catches up.
  EXPECT_EQ(session_expire(t, 1'200'000), 1000u);
  EXPECT_EQ(t->in_use, 0u);
  EXPECT_EQ(t->live_udp, 0u);
}

// The live sessions of the table, walking the home entries' chains and the
// wheel: both must hold exactly the in-use entries, each once; a chain
// holds only flows of its home, and a flow in its home entry heads it.
void expect_consistent(SessionTable* t) {
  uint32_t in_chains = 0, on_wheel = 0;
  for (uint32_t h = 0; h < t->capacity; ++h) {
    const uint32_t hs = session_slot(h);
    for (uint32_t i = session_at(t, hs)->home_chain; i != kSessionNil;
         i = session_at(t, i)->hash_next) {
      const Session* s = session_at(t, i);
      ASSERT_LT(entry_of_slot(i), t->capacity) << "slot " << i << " in a chain";
      ASSERT_EQ(session_slot(entry_of_slot(i)), i) << "slot " << i << " is in a gap";
      ASSERT_TRUE(s->flags & kSessionInUse) << "free entry " << i << " in a chain";
      ASSERT_EQ(session_home(t, session_key_hash(s->key)), hs) << "entry " << i;
      if (i == hs) {
        ASSERT_EQ(session_at(t, hs)->home_chain, hs) << "home entry " << h << " not first";
      }
      ASSERT_LE(++in_chains, t->capacity);
    }
  }
  for (uint32_t slot = 0; slot < kWheelSlots; ++slot) {
    uint32_t prev = kSessionNil;
    for (uint32_t i = t->wheel[slot]; i != kSessionNil; i = session_cold(session_at(t, i))->wheel_next) {
      const SessionCold* c = session_cold(session_at(t, i));
      ASSERT_TRUE(session_at(t, i)->flags & kSessionInUse) << "free entry " << i << " on the wheel";
      ASSERT_EQ(c->wheel_prev, prev);
      ASSERT_EQ(c->wheel_tick % kWheelSlots, slot);
      prev = i;
      ASSERT_LE(++on_wheel, t->capacity);
    }
  }
  EXPECT_EQ(in_chains, t->in_use);
  EXPECT_EQ(on_wheel, t->in_use);
  // A group's free bits, in its first entry, say which of its entries are
  // free (the other entries hold none), and free_groups which groups hold
  // one; nothing past the capacity is ever free, nor any group in a gap.
  const uint32_t groups = (t->capacity + kSessionGroupEntries - 1) / kSessionGroupEntries;
  for (uint32_t g = 0; g < groups; ++g) {
    uint32_t first = g * kSessionGroupEntries;
    uint32_t bits = session_cold(session_entry(t, first))->group_free;
    for (uint32_t b = 0; b < kSessionGroupEntries; ++b) {
      uint32_t i = first + b;
      bool free_bit = (bits >> b) & 1;
      bool free_entry = i < t->capacity && !(session_entry(t, i)->flags & kSessionInUse);
      ASSERT_EQ(free_bit, free_entry) << "entry " << i;
      if (b != 0 && i < t->capacity) {
        ASSERT_EQ(session_cold(session_entry(t, i))->group_free, 0u) << "entry " << i;
      }
    }
    uint32_t sg = session_slot(first) / kSessionGroupEntries;
    ASSERT_EQ((t->free_groups[sg / 64] >> (sg % 64)) & 1, bits != 0 ? 1u : 0u) << "group " << g;
    if (first % kSessionBlockEntries == 0 && first + kSessionBlockEntries < t->capacity) {
      uint32_t gap = sg + kSessionBlockEntries / kSessionGroupEntries;  // a gap's first group
      ASSERT_EQ((t->free_groups[gap / 64] >> (gap % 64)) & 1, 0u) << "gap after group " << g;
    }
  }
}

Session* insert_udp(SessionTable* t, uint16_t sport, uint32_t timeout_s, uint64_t now_ms) {
  SessionKey k = key_of(ipv4(1, 0, 0, 1), ipv4(2, 0, 0, 1), sport, 9, 17);
  return session_insert(t, k, session_key_hash(k), 0, TcpState::kNone, timeout_s, now_ms);
}

// An entry holds the head of its home's chain whether it is in use or
// free, and whichever flow takes it: a flow displaced into another flow's
// home must not cut that home's chain. Home h holds A, then B (home h too)
// goes after it; A leaves; D, whose home h - 1 is taken, lands in h. B is
// still found, through h's chain.
TEST(SessionTable, AnEntryKeepsItsHomesChainWhenAnotherFlowTakesIt) {
  Table tb(64);
  SessionTable* t = tb.t;
  constexpr uint32_t h = 10;
  auto key_with_home = [&](uint32_t home, uint16_t* port) {
    for (;; ++*port) {
      SessionKey k = key_of(ipv4(1, 0, 0, 1), ipv4(2, 0, 0, 1), *port, 9, 17);
      if (session_home(t, session_key_hash(k)) == session_slot(home)) {
        ++*port;
        return k;
      }
    }
  };
  uint16_t port = 1;
  SessionKey e = key_with_home(h - 1, &port), a = key_with_home(h, &port),
             b = key_with_home(h, &port), d = key_with_home(h - 1, &port);
  auto insert = [&](const SessionKey& k) {
    return session_insert(t, k, session_key_hash(k), 0, TcpState::kNone, 180, 0);
  };
  ASSERT_EQ(insert(e), session_entry(t, h - 1));
  Session* sa = insert(a);
  ASSERT_EQ(sa, session_entry(t, h));
  ASSERT_EQ(insert(b), session_entry(t, h + 1));
  session_delete(t, sa);
  ASSERT_EQ(insert(d), session_entry(t, h)) << "D is displaced into A's old entry";
  EXPECT_EQ(session_lookup(t, b, session_key_hash(b)), session_entry(t, h + 1));
  EXPECT_EQ(session_lookup(t, d, session_key_hash(d)), session_entry(t, h));
  EXPECT_EQ(session_lookup(t, a, session_key_hash(a)), nullptr);
  expect_consistent(t);
}

// An insert takes the flow's home entry (session_home, from the hash) when
// it is free, else the first free one after it, wrapping round; so the RX
// pass finds most flows in the entry that holds their chain's head. A
// model of which entries are in use predicts every placement through
// inserts and deletes, with capacities that end inside a group of free
// bits, and ones that span blocks (whose first lines and second lines lie
// apart: the next entry after a block's last is the next block's first).
TEST(SessionTable, AnEntryGoesToItsHomeOrTheNextFreeEntryAfterIt) {
  for (uint32_t capacity : {1u, 5u, 32u, 64u, 130u, 1000u, 1024u, 2080u, 3001u}) {
    Table tb(capacity);
    SessionTable* t = tb.t;
    std::vector<bool> used(capacity, false);
    std::vector<Session*> live;
    std::srand(capacity);
    uint16_t next_port = 1;
    for (int op = 0; op < 20000; ++op) {
      bool insert = live.empty() || (std::rand() % 100 < 55 && live.size() < capacity) ||
                    (std::rand() % 100 < 5);  // sometimes at a full table
      if (insert) {
        SessionKey k = key_of(ipv4(1, 0, 0, 1), ipv4(2, 0, 0, 1), next_port++, 9, 17);
        uint32_t hash = session_key_hash(k);
        uint32_t home = entry_of_slot(session_home(t, hash));
        ASSERT_LT(home, capacity);
        Session* s = session_insert(t, k, hash, 0, TcpState::kNone, 180, 0);
        if (live.size() == capacity) {
          ASSERT_EQ(s, nullptr) << "capacity " << capacity << " is full";
          continue;
        }
        ASSERT_NE(s, nullptr);
        uint32_t want = home;
        while (used[want]) want = want + 1 == capacity ? 0 : want + 1;
        ASSERT_EQ(entry_of(t, s), want)
            << "capacity " << capacity << ", home " << home << ", op " << op;
        used[want] = true;
        live.push_back(s);
      } else {
        size_t victim = static_cast<size_t>(std::rand()) % live.size();
        used[entry_of(t, live[victim])] = false;
        session_delete(t, live[victim]);
        live[victim] = live.back();
        live.pop_back();
      }
      ASSERT_EQ(t->in_use, live.size());
      if (op % 997 == 0) {
        expect_consistent(t);
        for (Session* s : live) ASSERT_EQ(session_lookup(t, s->key, session_key_hash(s->key)), s);
      }
    }
    expect_consistent(t);
  }
}

TEST(TimerWheel, ABudgetSpreadsAMassExpiryOverCalls) {
  // 1000 flows that started in the same tick expire in the same tick: a
  // budget of 64 entries per call takes them 64 at a time.
  Table tb(1000, 0);
  SessionTable* t = tb.t;
  for (uint16_t i = 0; i < 1000; ++i) ASSERT_NE(insert_udp(t, i, 5, 0), nullptr);
  EXPECT_FALSE(session_expire_pending(t, 0) && session_expire(t, 0, nullptr, nullptr, 64) != 0);
  unsigned calls = 0, total = 0;
  while (session_expire_pending(t, 5'000)) {
    unsigned n = session_expire(t, 5'000, nullptr, nullptr, 64);
    ASSERT_LE(n, 64u);
    total += n;
    ++calls;
    ASSERT_NO_FATAL_FAILURE(expect_consistent(t));
    ASSERT_LT(calls, 2000u) << "the walk does not end";
  }
  EXPECT_EQ(total, 1000u);
  EXPECT_GE(calls, 1000u / 64);
  EXPECT_EQ(t->in_use, 0u);
  EXPECT_EQ(t->live_udp, 0u);
  EXPECT_EQ(t->expired, 1000u);
}

TEST(TimerWheel, AWalkInProgressSurvivesDeletesAndReArms) {
  // A slot of 300 entries, walked 50 at a time; between calls the entry the
  // walk resumes at is deleted, re-armed earlier, or kept alive by a packet.
  Table tb(512, 0);
  SessionTable* t = tb.t;
  std::vector<Session*> s;
  for (uint16_t i = 0; i < 300; ++i) s.push_back(insert_udp(t, i, 5, 0));
  // Half of them saw a packet at 4 s: their expiry moved to 9 s, but they
  // stay in the 5 s slot until the walk comes round.
  for (uint16_t i = 0; i < 300; i += 2) session_touch(t, s[i], TcpState::kNone, 5, 4'000, 0);
  unsigned expired = 0, deleted = 0;
  expired += session_expire(t, 5'000, nullptr, nullptr, 50);
  ASSERT_NE(t->expire_cursor, kSessionNil) << "the slot is left half walked";
  for (int round = 0; t->expire_cursor != kSessionNil; ++round) {
    ASSERT_NE(t->expire_cursor, kSessionNil);
    Session* next = session_at(t, t->expire_cursor);
    switch (round % 3) {
      case 0:  // the CLI clears it (or a RST ends it)
        session_delete(t, next);
        ++deleted;
        break;
      case 1:  // a FIN shortened its TTL: moved to an earlier tick now
        session_rearm(t, next, TcpState::kNone, 1, 5'500);
        break;
      case 2:  // a packet: later expiry, left in place
        session_touch(t, next, TcpState::kNone, 5, 5'000, 0);
        break;
    }
    ASSERT_NO_FATAL_FAILURE(expect_consistent(t));
    expired += session_expire(t, 5'000, nullptr, nullptr, 50);
    ASSERT_NO_FATAL_FAILURE(expect_consistent(t));
    ASSERT_LT(round, 100);
  }
  // Everything left lives on: 150 touched at 4 s (9 s), plus what the rounds
  // kept or moved; nothing with a passed expiry is still in the table.
  for (uint32_t i = 0; i < t->capacity; ++i)
    if (session_entry(t, i)->flags & kSessionInUse) {
      EXPECT_GT(session_entry(t, i)->expire_ms, 5'000u);
    }
  EXPECT_EQ(expired + deleted + t->in_use, 300u);
  // And all of them go by 10 s.
  while (session_expire_pending(t, 10'000)) expired += session_expire(t, 10'000, nullptr, nullptr, 50);
  EXPECT_EQ(t->in_use, 0u);
  EXPECT_EQ(expired + deleted, 300u);
}

}  // namespace
}  // namespace tandem::dp
