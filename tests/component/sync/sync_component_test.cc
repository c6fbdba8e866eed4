// Session pickup through real mbufs. First two sync streams whose frames
// go out with rte_eth_tx_burst() on a net_ring "hbdev" each; the test is
// the link between the two rings and loses, holds back, duplicates and
// bit-flips frames (seeded), and the receiver installs what it takes into a
// real SessionTable the way dataplane/sync/sync.cc does. Then two whole
// Dataplanes with session_sync: sessions made by real IPv4 frames on the
// primary appear, marked synced, on the secondary.
#include <unistd.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dataplane/firewall/firewall_types.h"
#include "dataplane/packet/parse.h"
#include "dataplane/session/session.h"
#include "dataplane/session/session_inl.h"
#include "dataplane/session/session_table.h"
#include "dataplane/sync/sync.h"
#include "dataplane/sync/sync_inl.h"
#include "dataplane/sync/sync_records.h"
#include "dataplane/sync/sync_stream.h"
#include "dataplane/tls/tls.h"
#include "dataplane/worker/worker.h"
#include "dataplane/ztna/ztna_app.h"
#include "dataplane/ztna/ztna_diag.h"
#include "tests/component/lib/eal_ring.h"
#include "tests/component/lib/lab_hosts.h"
#include "tests/unit/dataplane/frame_builder.h"
#include "tests/unit/sync/sync_test_util.h"

namespace tandem::dp {
namespace {

using test::Impairment;
using test::Prng;

constexpr unsigned kRingSize = 1024;
constexpr unsigned kWindow = 16;
constexpr uint64_t kStepUs = 50;
constexpr unsigned kLinkFramesPerStep = 4;
constexpr uint32_t kTableCapacity = 4096;
constexpr unsigned kIdSpace = 3000;
constexpr unsigned kBulkScanPerStep = 256;
constexpr unsigned kBulkRecordsPerStep = 32;
constexpr uint64_t kSettleStepLimit = 2'000'000;

rte_mempool* g_pool = nullptr;

[[maybe_unused]] auto* const g_env = ::testing::AddGlobalTestEnvironment(
    new ::tandem::test::EalRingEnvironment("sync", "0", 4095, &g_pool));

using ::tandem::test::RingPort;
using ::tandem::test::make_ring_port;

using ::tandem::test::drain_ring;
using ::tandem::test::free_ring_port;

SessionKey key_for(unsigned id) {
  SessionKey k{};
  k.ip_lo_be = __builtin_bswap32(0x0a000000u | id);     // 10.0.x.y
  k.ip_hi_be = __builtin_bswap32(0xac10c8d1u);          // 172.16.200.209
  k.port_lo = static_cast<uint16_t>(1024 + id);
  k.port_hi = id % 3 == 0 ? 53 : 443;
  k.proto = id % 3 == 0 ? 17 : 6;
  return k;
}

struct TableMem {
  void operator()(SessionTable* t) const { std::free(t); }
};
using TablePtr = std::unique_ptr<SessionTable, TableMem>;
TablePtr make_table(uint64_t now_ms) {
  size_t size = (session_table_memsize(kTableCapacity) + 63) / 64 * 64;
  void* mem = std::aligned_alloc(64, size);
  return TablePtr(session_table_init(mem, kTableCapacity, 0, now_ms));
}

// One node's end of the hbdev: its stream's frames leave through TX queue 0.
struct Hbdev {
  uint16_t port_id;
  uint64_t emit_fail = 0;
};

bool emit_on_port(void* arg, const uint8_t* frame, size_t len) {
  auto* hb = static_cast<Hbdev*>(arg);
  rte_mbuf* m = rte_pktmbuf_alloc(g_pool);
  if (m == nullptr) return false;
  char* p = rte_pktmbuf_append(m, static_cast<uint16_t>(len));
  if (p == nullptr) {
    rte_pktmbuf_free(m);
    return false;
  }
  std::memcpy(p, frame, len);
  if (rte_eth_tx_burst(hb->port_id, 0, &m, 1) == 1) return true;
  rte_pktmbuf_free(m);
  ++hb->emit_fail;
  return false;
}

// A node: its hbdev, its stream and its live session table, with the
// worker glue of sync.cc (live records, deletes, bulk walk, install).
struct Node {
  RingPort hb;
  Hbdev io{};
  test::StreamPtr stream;
  TablePtr table;
  uint64_t now_ms = 0;
  // Sender's bulk walk (WorkerContext::sync_bulk_*).
  uint64_t bulk_generation = 0;
  uint32_t bulk_cursor = 0, bulk_sent = 0;
  bool bulk_active = false;
  uint64_t bulk_ends = 0;
  uint64_t installs = 0, install_full = 0, bad_records = 0;
};

void send_session(Node& n, Session* s, uint64_t now_us) {
  SessionRecord r;
  session_record_from(*s, n.now_ms, &r);
  uint8_t body[kSessionRecordLen];
  size_t len = session_record_encode(r, body);
  if (sync_tx_record(n.stream.get(), SyncRecordType::kSessionUpsert, body, len, now_us)) {
    s->sync_flags = static_cast<uint8_t>(s->sync_flags | kSessionSyncKnown);
    s->sync_expire_lo = static_cast<uint32_t>(s->expire_ms);
  }
}

void bulk_step(Node& n, uint64_t now_us) {
  SyncStream* st = n.stream.get();
  if (st->tx_state != SyncTxState::kRunning) return;
  if (st->generation != n.bulk_generation) {
    n.bulk_generation = st->generation;
    n.bulk_cursor = 0;
    n.bulk_sent = 0;
    n.bulk_active = true;
  }
  if (!n.bulk_active) return;
  SessionTable* t = n.table.get();
  unsigned scanned = 0, sent = 0;
  while (n.bulk_cursor < t->capacity && scanned < kBulkScanPerStep &&
         sent < kBulkRecordsPerStep && sync_tx_bulk_room(st)) {
    Session* s = session_entry(t, n.bulk_cursor++);
    ++scanned;
    if (!(s->flags & kSessionInUse)) continue;
    s->sync_flags = 0;
    send_session(n, s, now_us);
    ++sent;
  }
  n.bulk_sent += sent;
  if (n.bulk_cursor >= t->capacity && sync_tx_bulk_room(st)) {
    uint8_t body[kBulkEndLen];
    std::memcpy(body, &n.bulk_generation, 8);
    std::memcpy(body + 8, &n.bulk_sent, 4);
    if (sync_tx_record(st, SyncRecordType::kBulkEnd, body, sizeof(body), now_us)) {
      n.bulk_active = false;
      ++n.bulk_ends;
    }
  }
}

void install(Node& n, const SessionRecord& r) {
  SessionTable* t = n.table.get();
  uint32_t hash = session_key_hash(r.key);
  Session* s = session_lookup(t, r.key, hash);
  uint64_t expire = n.now_ms + r.expire_in_ms + sync_refresh_ms(r.timeout_s);
  auto state = static_cast<TcpState>(r.state);
  if (s == nullptr) {
    s = session_insert(t, r.key, hash, r.flags, state, r.timeout_s, n.now_ms);
    if (s == nullptr) {
      ++n.install_full;
      return;
    }
  }
  session_rearm(t, s, state, r.timeout_s, expire);
  s->flags = static_cast<uint8_t>(r.flags | kSessionInUse);
  s->port[0] = r.port[0];
  s->port[1] = r.port[1];
  s->policy_index = r.policy_index < kMaxPolicies ? r.policy_index : kMaxPolicies;
  session_cold(s)->policy_id = r.policy_id;
  s->next_hop_be[0] = r.next_hop_be[0];
  s->next_hop_be[1] = r.next_hop_be[1];
  uint64_t age_ms = uint64_t{r.age_s} * 1000;
  session_cold(s)->created_ms = n.now_ms > age_ms ? n.now_ms - age_ms : 0;
  for (SessionDir d : {kDirOrig, kDirReply}) session_set_counters(s, d, r.packets[d], r.bytes[d]);
  s->sync_flags = kSessionSynced;
  session_cold(s)->sync_generation = static_cast<uint32_t>(n.stream->rx_generation);
  ++n.installs;
}

void node_apply(void* arg, SyncApplyEvent ev, SyncRecordType type, const uint8_t* body,
                size_t len) {
  auto* n = static_cast<Node*>(arg);
  if (ev != SyncApplyEvent::kRecord) return;
  SessionTable* t = n->table.get();
  switch (type) {
    case SyncRecordType::kSessionUpsert: {
      SessionRecord r;
      if (session_record_decode(body, len, &r)) install(*n, r);
      else ++n->bad_records;
      break;
    }
    case SyncRecordType::kSessionDelete: {
      SessionKey k;
      if (!session_key_decode(body, len, &k)) {
        ++n->bad_records;
        break;
      }
      Session* s = session_lookup(t, k, session_key_hash(k));
      if (s != nullptr) session_delete(t, s);
      break;
    }
    case SyncRecordType::kBulkEnd: {
      auto gen = static_cast<uint32_t>(n->stream->rx_generation);
      session_for_each(t, [&](Session* s) {
        if (!(s->sync_flags & kSessionSynced) || session_cold(s)->sync_generation != gen)
          session_delete(t, s);
      });
      break;
    }
    default:
      ++n->bad_records;
  }
}

// The link between the two hbdevs, one direction: frames the sender's
// port sent wait in `held` and reach the other port's RX ring impaired.
struct LinkDir {
  RingPort* from;
  RingPort* to;
  std::deque<std::pair<rte_mbuf*, bool>> held;  // bool: reordered or duplicated once
  uint64_t corrupted = 0;
};

class HbLink {
 public:
  HbLink(uint64_t seed, const Impairment& imp) : rng_(seed), imp_(imp) {}

  void carry(LinkDir& d) {
    rte_mbuf* burst[64];
    unsigned n;
    while ((n = rte_ring_dequeue_burst(d.from->tx[0], reinterpret_cast<void**>(burst), 64,
                                       nullptr)) > 0)
      for (unsigned i = 0; i < n; ++i) d.held.emplace_back(burst[i], false);
    for (unsigned i = 0; i < kLinkFramesPerStep && !d.held.empty(); ++i) {
      auto [m, was_held] = d.held.front();
      d.held.pop_front();
      if (rng_.chance(imp_.loss)) {
        rte_pktmbuf_free(m);
        continue;
      }
      if (!was_held && !d.held.empty() && rng_.chance(imp_.reorder)) {
        size_t at = 1 + rng_.below(std::min<size_t>(d.held.size(), 6));
        d.held.insert(d.held.begin() + static_cast<long>(at), {m, true});
        continue;
      }
      if (!was_held && rng_.chance(imp_.duplicate)) {
        rte_mbuf* copy = rte_pktmbuf_copy(m, g_pool, 0, UINT32_MAX);
        if (copy != nullptr) {
          size_t at = rng_.below(std::min<size_t>(d.held.size(), 12) + 1);
          d.held.insert(d.held.begin() + static_cast<long>(at), {copy, true});
        }
      }
      if (rng_.chance(imp_.corrupt)) {
        uint8_t* p = rte_pktmbuf_mtod(m, uint8_t*);
        size_t at = test::kSyncUnauthenticatedPrefix +
                    rng_.below(rte_pktmbuf_data_len(m) - test::kSyncUnauthenticatedPrefix);
        p[at] ^= static_cast<uint8_t>(1u << rng_.below(8));
        ++d.corrupted;
      }
      if (rte_ring_enqueue(d.to->rx[0], m) != 0) rte_pktmbuf_free(m);
    }
  }
  static void clear(LinkDir& d) {
    for (auto& [m, h] : d.held) rte_pktmbuf_free(m);
    d.held.clear();
  }

 private:
  Prng rng_;
  Impairment imp_;
};

class SyncRings : public ::testing::Test {
 protected:
  void SetUp() override {
    for (Node* n : {&a_, &b_}) {
      n->hb = make_ring_port(1, g_pool);
      n->io.port_id = n->hb.port_id;
      n->now_ms = now_us_ / 1000;
      n->table = make_table(n->now_ms);
      ASSERT_NE(n->table, nullptr);
    }
    a_.stream = test::make_stream(test::make_stream_params(0, kWindow, emit_on_port, &a_.io),
                                  test::make_sync_conf(true, 0xa1a1, 0xb2b2));
    b_.stream = test::make_stream(test::make_stream_params(0, kWindow, emit_on_port, &b_.io),
                                  test::make_sync_conf(false, 0xb2b2, 0xa1a1));
    ASSERT_NE(a_.stream, nullptr);
    ASSERT_NE(b_.stream, nullptr);
    ab_ = {&a_.hb, &b_.hb, {}, 0};
    ba_ = {&b_.hb, &a_.hb, {}, 0};
  }
  void TearDown() override {
    HbLink::clear(ab_);
    HbLink::clear(ba_);
    for (Node* n : {&a_, &b_}) {
      n->stream.reset();
      free_ring_port(n->hb);
    }
    EXPECT_EQ(rte_mempool_in_use_count(g_pool), 0u) << "every mbuf must come back";
  }

  void receive(Node& n) {
    rte_mbuf* pkts[32];
    uint16_t got;
    while ((got = rte_eth_rx_burst(n.hb.port_id, 0, pkts, 32)) > 0) {
      for (uint16_t i = 0; i < got; ++i) {
        SyncRxResult r = sync_rx_frame(n.stream.get(), rte_pktmbuf_mtod(pkts[i], const uint8_t*),
                                       rte_pktmbuf_data_len(pkts[i]), now_us_, node_apply, &n);
        ++results_[static_cast<unsigned>(r)];
      }
      rte_pktmbuf_free_bulk(pkts, got);
    }
  }

  void step(HbLink& link) {
    now_us_ += kStepUs;
    for (Node* n : {&a_, &b_}) n->now_ms = now_us_ / 1000;
    bulk_step(a_, now_us_);
    sync_stream_poll(a_.stream.get(), now_us_);
    sync_stream_poll(b_.stream.get(), now_us_);
    link.carry(ab_);
    link.carry(ba_);
    receive(b_);
    receive(a_);
  }

  bool settled() {
    const SyncStream* t = a_.stream.get();
    return t->tx_state == SyncTxState::kRunning && a_.bulk_generation == t->generation &&
           !a_.bulk_active && t->tx_acked == t->tx_seq && t->open_records == 0 &&
           ab_.held.empty() && ba_.held.empty() && rte_ring_count(a_.hb.tx[0]) == 0 &&
           rte_ring_count(b_.hb.tx[0]) == 0 && sync_idle(b_.stream.get());
  }
  bool settle(HbLink& link) {
    for (uint64_t i = 0; i < kSettleStepLimit && !settled(); ++i) step(link);
    return settled();
  }

  // The primary's traffic: new sessions, state changes, ended sessions,
  // with sync_session_changed()/sync_session_gone()'s rules.
  void change_sessions(unsigned n) {
    SessionTable* t = a_.table.get();
    SyncStream* st = a_.stream.get();
    for (unsigned i = 0; i < n; ++i) {
      unsigned id = static_cast<unsigned>(rng_.below(kIdSpace));
      SessionKey k = key_for(id);
      uint32_t hash = session_key_hash(k);
      Session* s = session_lookup(t, k, hash);
      bool running = st->tx_state == SyncTxState::kRunning;
      if (s != nullptr && rng_.chance(200)) {
        if ((s->sync_flags & kSessionSyncKnown) && running) {
          uint8_t body[kSessionDeleteLen];
          size_t len = session_key_encode(s->key, body);
          sync_tx_record(st, SyncRecordType::kSessionDelete, body, len, now_us_);
        }
        session_delete(t, s);
        continue;
      }
      auto state = k.proto == 6 ? static_cast<TcpState>(1 + rng_.below(kNbTcpStates - 1))
                                : TcpState::kNone;
      if (s == nullptr) {
        s = session_insert(t, k, hash, kSessionOrigFromLo, state, 3600, a_.now_ms);
        ASSERT_NE(s, nullptr);
        s->port[0] = static_cast<uint8_t>(rng_.below(2));
        s->port[1] = static_cast<uint8_t>(1 - s->port[0]);
        s->policy_index = static_cast<uint16_t>(rng_.below(16));
        session_cold(s)->policy_id = s->policy_index + 100u;
        s->next_hop_be[0] = static_cast<uint32_t>(rng_.next());
        s->next_hop_be[1] = static_cast<uint32_t>(rng_.next());
      } else {
        session_touch(t, s, state, 3600, a_.now_ms, 0);
      }
      session_count(s, static_cast<SessionDir>(rng_.below(2)),
                    static_cast<uint32_t>(100 + rng_.below(1400)));
      if (running) send_session(a_, s, now_us_);
    }
  }

  void expect_tables_equal() {
    SessionTable* ta = a_.table.get();
    SessionTable* tb = b_.table.get();
    EXPECT_EQ(tb->in_use, ta->in_use);
    unsigned compared = 0;
    session_for_each(ta, [&](Session* s) {
      Session* r = session_lookup(tb, s->key, session_key_hash(s->key));
      if (r == nullptr) {
        ADD_FAILURE() << "secondary lacks port_lo=" << s->key.port_lo;
        return;
      }
      ++compared;
      EXPECT_EQ(std::memcmp(&r->key, &s->key, sizeof(s->key)), 0);
      EXPECT_EQ(r->state, s->state) << s->key.port_lo;
      EXPECT_EQ(r->flags, s->flags) << s->key.port_lo;
      EXPECT_EQ(r->port[0], s->port[0]);
      EXPECT_EQ(r->port[1], s->port[1]);
      EXPECT_EQ(r->policy_index, s->policy_index);
      EXPECT_EQ(session_cold(r)->policy_id, session_cold(s)->policy_id);
      EXPECT_EQ(r->next_hop_be[0], s->next_hop_be[0]);
      EXPECT_EQ(r->next_hop_be[1], s->next_hop_be[1]);
      EXPECT_EQ(session_cold(r)->timeout_s, session_cold(s)->timeout_s);
      for (SessionDir d : {kDirOrig, kDirReply}) {
        EXPECT_EQ(session_packets(*r, d), session_packets(*s, d));
        EXPECT_EQ(session_bytes(*r, d), session_bytes(*s, d));
      }
      EXPECT_EQ(r->sync_flags, kSessionSynced);
      EXPECT_GE(r->expire_ms, s->expire_ms) << "the secondary never ages out first";
    });
    EXPECT_EQ(compared, ta->in_use);
    EXPECT_EQ(b_.bad_records, 0u);
    EXPECT_EQ(b_.install_full, 0u);
  }

  uint64_t now_us_ = 5'000'000;
  Prng rng_{42};
  Node a_, b_;  // a: primary (sender), b: secondary
  LinkDir ab_{}, ba_{};
  uint64_t results_[16] = {};
};

class SyncOverRings : public SyncRings, public ::testing::WithParamInterface<Impairment> {};

TEST_P(SyncOverRings, SecondaryTableEqualsPrimaryTable) {
  const Impairment& imp = GetParam();
  HbLink link(0xc0ffee ^ imp.loss ^ (uint64_t{imp.corrupt} << 16), imp);
  ASSERT_TRUE(settle(link));
  for (int round = 0; round < 12; ++round) {
    change_sessions(400);  // a burst: more frames than the window
    for (int i = 0; i < 400; ++i) {
      change_sessions(1);
      step(link);
    }
  }
  ASSERT_TRUE(settle(link)) << "tx_seq=" << a_.stream->tx_seq << " acked=" << a_.stream->tx_acked;
  EXPECT_GT(a_.table->in_use, 1000u);
  expect_tables_equal();
  EXPECT_TRUE(b_.stream->rx_in_sync);
  const SyncStreamCounters& tc = a_.stream->counters;
  const SyncStreamCounters& rc = b_.stream->counters;
  EXPECT_GT(tc.tx_overflows, 0u);
  EXPECT_GT(a_.bulk_ends, 1u);
  if (imp.corrupt != 0) {
    EXPECT_GT(ab_.corrupted + ba_.corrupted, 0u);
    EXPECT_GT(rc.rx_bad_auth + rc.rx_malformed + rc.rx_wrong_group + rc.rx_misrouted +
                  tc.acks_bad + a_.stream->counters.rx_bad_auth,
              0u);
  }
  if (imp.loss != 0) {
    EXPECT_GT(tc.tx_retransmits, 0u);
  }
  std::printf("[ %-11s ] sessions=%u frames=%" PRIu64 " rtx=%" PRIu64 " resets=%" PRIu64
              " bulk_ends=%" PRIu64 " rx_gap=%" PRIu64 " rx_dup=%" PRIu64 " bad_auth=%" PRIu64
              " corrupted=%" PRIu64 "\n",
              imp.name, a_.table->in_use, tc.tx_frames, tc.tx_retransmits, tc.tx_resets,
              a_.bulk_ends, rc.rx_gap, rc.rx_dup, rc.rx_bad_auth, ab_.corrupted + ba_.corrupted);
}

INSTANTIATE_TEST_SUITE_P(Impairments, SyncOverRings,
                         ::testing::Values(Impairment{"clean", 0, 0, 0, 0, 0},
                                           Impairment{"loss5", 50, 0, 0, 0, 0},
                                           Impairment{"heavy", 200, 100, 100, 50, 0}),
                         [](const ::testing::TestParamInfo<Impairment>& info) {
                           return std::string(info.param.name);
                         });

TEST_F(SyncRings, WrongKeyAndReplayedFramesInstallNothing) {
  HbLink link(7, {"clean", 0, 0, 0, 0, 0});
  ASSERT_TRUE(settle(link));
  change_sessions(300);
  // Capture what the primary sends, deliver it, then replay all of it.
  std::vector<std::vector<uint8_t>> sent;
  for (int i = 0; i < 4000; ++i) {
    now_us_ += kStepUs;
    a_.now_ms = b_.now_ms = now_us_ / 1000;
    bulk_step(a_, now_us_);
    sync_stream_poll(a_.stream.get(), now_us_);
    sync_stream_poll(b_.stream.get(), now_us_);
    void* obj;
    while (rte_ring_dequeue(a_.hb.tx[0], &obj) == 0) {
      auto* m = static_cast<rte_mbuf*>(obj);
      const uint8_t* p = rte_pktmbuf_mtod(m, const uint8_t*);
      sent.emplace_back(p, p + rte_pktmbuf_data_len(m));
      ASSERT_EQ(rte_ring_enqueue(b_.hb.rx[0], m), 0);
    }
    receive(b_);
    link.carry(ba_);
    receive(a_);
  }
  ASSERT_TRUE(settle(link));
  expect_tables_equal();
  ASSERT_GT(sent.size(), 5u);
  uint64_t installs = b_.installs;
  uint32_t in_use = b_.table->in_use;
  for (const auto& f : sent) {
    SyncRxResult r = sync_rx_frame(b_.stream.get(), f.data(), f.size(), now_us_, node_apply, &b_);
    EXPECT_EQ(r, SyncRxResult::kDuplicate) << sync_rx_result_name(r);
  }
  EXPECT_EQ(b_.installs, installs) << "a replayed frame installs nothing";

  // A secondary configured with another password: nothing authenticates.
  Node c;
  c.hb = make_ring_port(1, g_pool);
  c.io.port_id = c.hb.port_id;
  c.now_ms = now_us_ / 1000;
  c.table = make_table(c.now_ms);
  c.stream = test::make_stream(test::make_stream_params(0, kWindow, emit_on_port, &c.io),
                               test::make_sync_conf(false, 0xc3c3, 0xa1a1, "another-password"));
  for (const auto& f : sent) {
    rte_mbuf* m = rte_pktmbuf_alloc(g_pool);
    ASSERT_NE(m, nullptr);
    std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(f.size())), f.data(), f.size());
    ASSERT_EQ(rte_ring_enqueue(c.hb.rx[0], m), 0);
  }
  rte_mbuf* pkts[32];
  uint16_t got;
  uint64_t bad = 0;
  while ((got = rte_eth_rx_burst(c.hb.port_id, 0, pkts, 32)) > 0) {
    for (uint16_t i = 0; i < got; ++i) {
      SyncRxResult r = sync_rx_frame(c.stream.get(), rte_pktmbuf_mtod(pkts[i], const uint8_t*),
                                     rte_pktmbuf_data_len(pkts[i]), now_us_, node_apply, &c);
      bad += r == SyncRxResult::kBadAuth;
    }
    rte_pktmbuf_free_bulk(pkts, got);
  }
  EXPECT_EQ(bad, sent.size());
  EXPECT_EQ(c.installs, 0u);
  EXPECT_EQ(c.table->in_use, 0u);
  EXPECT_EQ(rte_ring_count(c.hb.tx[0]), 0u) << "no ack for what did not authenticate";
  c.stream.reset();
  free_ring_port(c.hb);
  EXPECT_EQ(b_.table->in_use, in_use);
}


// ---- Two whole dataplanes -------------------------------------------------
//
//   client 10.1.100.22 -- port2 [A: primary] port1 -- server 172.16.200.209
//                          A's hbdev queue 1 <==> B's hbdev queue 1
//   (B has the same ports, silent: it is the secondary)

using test::Bytes;
using test::ipv4;
using test::Mac;
using test::to_be;

using namespace test::lab;  // the lab's hosts and ports (lab_hosts.h)
constexpr unsigned kHbQueues = 2;  // 0: heartbeats (control lcore), 1: worker 0's stream
constexpr auto kSyncDeadline = std::chrono::seconds(10);

uint64_t g_now_ms = 10'000'000;
uint64_t test_clock(void*) { return __atomic_load_n(&g_now_ms, __ATOMIC_RELAXED); }

// Policy 7: the client subnet to DNS and HTTP behind port1.
std::unique_ptr<Snapshot> make_snapshot(const RingPort& p1, const RingPort& p2, bool primary,
                                        uint64_t epoch, uint64_t peer_epoch) {
  auto s = std::make_unique<Snapshot>();
  std::memset(s.get(), 0, sizeof(Snapshot));
  s->generation = 1;
  s->nb_ports = 2;
  s->ports[kServerPort] = lab_port_conf(p1.port_id, kPort1Mac, kPort1Ip, "port1", primary);
  s->ports[kClientPort] = lab_port_conf(p2.port_id, kPort2Mac, kPort2Ip, "port2", primary);
  s->routes[s->nb_routes++] = {to_be(ipv4(172, 16, 200, 0)), 24, kServerPort, 0, 0, 0};
  s->routes[s->nb_routes++] = {to_be(ipv4(10, 1, 100, 0)), 24, kClientPort, 0, 0, 0};
  FirewallConf& fw = s->firewall;
  fw.addrs[fw.nb_addrs++] = {ipv4(10, 1, 100, 0), ipv4(10, 1, 100, 255)};
  fw.services[fw.nb_services++] = {6, 0, 80, 80, 0, 65535};
  fw.services[fw.nb_services++] = {17, 0, 53, 53, 0, 65535};
  fw.policies[fw.nb_policies++] = {7, 1u << kClientPort, 1u << kServerPort, 0, 1, 0, 0, 0, 2,
                                   true, false, true};
  s->sync = test::make_sync_conf(primary, epoch, peer_epoch);
  return s;
}

struct DpNode {
  RingPort p1, p2, hb;
  Dataplane* dp = nullptr;
};

class SyncDataplanes : public ::testing::Test {
 protected:
  void SetUp() override {
    create(a_, true, 0xa0a0a0a0, 0xb0b0b0b0);
    create(b_, false, 0xb0b0b0b0, 0xa0a0a0a0);
  }
  void create(DpNode& n, bool primary, uint64_t epoch, uint64_t peer_epoch) {
    n.p1 = make_ring_port(workers_, g_pool);
    n.p2 = make_ring_port(workers_, g_pool);
    n.hb = make_ring_port(workers_ + 1, g_pool);
    DataplaneParams params{workers_, 0, static_cast<unsigned>(SOCKET_ID_ANY)};
    params.session_capacity = 1024;
    params.neigh_capacity = 64;
    params.session_sync = true;
    params.sync_window = 64;
    if (ztna_) {  // the workers' TCP stacks and ZTNA user tables
      params.tcp_max_conns = 16;
      params.ztna = true;
    }
    char error[256] = "";
    auto snap = make_snapshot(n.p1, n.p2, primary, epoch, peer_epoch);
    n.dp = dataplane_create(params, *snap, error, sizeof(error));
    ASSERT_NE(n.dp, nullptr) << error;
    dataplane_set_clock(n.dp, test_clock, nullptr);
    dataplane_sync_port(n.dp, n.hb.port_id);
  }
  void TearDown() override {
    for (DpNode* n : {&a_, &b_}) {
      if (n->dp == nullptr) continue;
      dataplane_sync_port(n->dp, -1);
      // Frames still in the hbdev rings come from the dataplane's own pool.
      for (unsigned q = 0; q < n->hb.nb_queues; ++q) {
        drain_ring(n->hb.rx[q]);
        drain_ring(n->hb.tx[q]);
      }
      dataplane_destroy(n->dp);
      for (RingPort* p : {&n->p1, &n->p2, &n->hb}) free_ring_port(*p);
    }
    EXPECT_EQ(rte_mempool_in_use_count(g_pool), 0u) << "every mbuf must come back";
  }

  static void cross(const RingPort& from, const RingPort& to) {
    void* burst[64];
    unsigned n;
    while ((n = rte_ring_dequeue_burst(from.tx[1], burst, 64, nullptr)) > 0) {
      unsigned done = rte_ring_enqueue_burst(to.rx[1], burst, n, nullptr);
      for (unsigned i = done; i < n; ++i) rte_pktmbuf_free(static_cast<rte_mbuf*>(burst[i]));
    }
  }
  // One loop of each node's worker, then the hbdev cable; what the data
  // ports send (forwarded frames, ARP replies) is counted and dropped.
  void run_once() {
    dataplane_poll_once(a_.dp, 0);
    dataplane_poll_once(b_.dp, 0);
    cross(a_.hb, b_.hb);
    cross(b_.hb, a_.hb);
    for (DpNode* n : {&a_, &b_})
      for (RingPort* p : {&n->p1, &n->p2}) {
        void* m;
        while (rte_ring_dequeue(p->tx[0], &m) == 0) {
          ++(n == &a_ ? forwarded_a_ : sent_b_);
          rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
        }
      }
  }
  template <typename Pred>
  bool run_until(Pred done) {
    auto deadline = std::chrono::steady_clock::now() + kSyncDeadline;
    while (std::chrono::steady_clock::now() < deadline) {
      run_once();
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::microseconds(20));  // the stream's timers are real
    }
    return false;
  }
  static void inject(const RingPort& p, const Bytes& frame) {
    ::tandem::test::ring_inject(g_pool, p, 0, frame);
  }
  static std::vector<SessionView> list(Dataplane* dp) {
    std::vector<SessionView> v(256);
    unsigned total = 0;
    int n = dataplane_session_list(dp, SessionFilter{}, v.data(), 256, &total, 1000);
    EXPECT_GE(n, 0);
    v.resize(n > 0 ? static_cast<size_t>(n) : 0);
    return v;
  }

  DpNode a_, b_;
  uint64_t forwarded_a_ = 0, sent_b_ = 0;
  bool ztna_ = false;
  unsigned workers_ = 1;
};

Bytes arp_request(const Mac& mac, uint32_t ip, uint32_t target) {
  Bytes f = test::arp_frame(test::kBroadcastMac, mac, 1, mac, ip, Mac{}, target);
  f.resize(60, 0);
  return f;
}

TEST_F(SyncDataplanes, SecondaryHoldsThePrimarysSessionsMarkedSynced) {
  // The empty tables first: RESET taken, bulk walk of nothing, in sync.
  ASSERT_TRUE(run_until([&] { return dataplane_sync_in_sync(b_.dp); }));
  EXPECT_FALSE(dataplane_sync_in_sync(a_.dp)) << "the primary follows nobody";

  inject(a_.p2, arp_request(kClientMac, kClient, kPort2Ip));
  inject(a_.p1, arp_request(kServerMac, kServer, kPort1Ip));
  run_once();
  // With the TCP flows, more frames than one RX burst takes.
  constexpr unsigned kUdpFlows = kRxBurst, kTcpFlows = 12;
  for (unsigned i = 0; i < kUdpFlows; ++i)
    inject(a_.p2, test::ipv4_frame(kPort2Mac, kClientMac, kClient, kServer, kIpProtoUdp,
                                   test::udp_segment(static_cast<uint16_t>(5000 + i), 53,
                                                     test::pattern_bytes(20 + i))));
  for (unsigned i = 0; i < kTcpFlows; ++i)
    inject(a_.p2, test::ipv4_frame(kPort2Mac, kClientMac, kClient, kServer, kIpProtoTcp,
                                   test::tcp_flags_segment(static_cast<uint16_t>(40000 + i), 80,
                                                           0x02)));
  for (int i = 0; i < 3; ++i) run_once();
  // Half the TCP flows get their SYN-ACK: a state change the peer must hear.
  for (unsigned i = 0; i < kTcpFlows; i += 2)
    inject(a_.p1, test::ipv4_frame(kPort1Mac, kServerMac, kServer, kClient, kIpProtoTcp,
                                   test::tcp_flags_segment(80, static_cast<uint16_t>(40000 + i),
                                                           0x12)));
  run_once();
  std::vector<SessionView> primary = list(a_.dp);
  ASSERT_EQ(primary.size(), kUdpFlows + kTcpFlows);

  auto same = [](const SessionView& x, const SessionView& y) {
    return x.proto == y.proto && x.orig.src_be == y.orig.src_be &&
           x.orig.dst_be == y.orig.dst_be && x.orig.sport == y.orig.sport &&
           x.orig.dport == y.orig.dport;
  };
  auto replicated = [&] {
    std::vector<SessionView> secondary = list(b_.dp);
    if (secondary.size() != primary.size()) return false;
    for (const SessionView& p : primary) {
      bool found = false;
      for (const SessionView& s : secondary)
        if (same(p, s) && s.proto_state == p.proto_state && s.packets[0] == p.packets[0] &&
            s.packets[1] == p.packets[1])
          found = true;
      if (!found) return false;
    }
    return true;
  };
  ASSERT_TRUE(run_until(replicated));
  EXPECT_TRUE(dataplane_sync_in_sync(b_.dp));
  EXPECT_GT(forwarded_a_, 0u) << "the primary forwarded the flows";
  EXPECT_EQ(sent_b_, 0u) << "the secondary's data ports stay silent";

  std::vector<SessionView> secondary = list(b_.dp);
  unsigned established = 0;
  for (const SessionView& p : primary) {
    EXPECT_FALSE(p.synced);
    const SessionView* s = nullptr;
    for (const SessionView& v : secondary)
      if (same(p, v)) s = &v;
    ASSERT_NE(s, nullptr) << "sport " << p.orig.sport;
    EXPECT_TRUE(s->synced);
    EXPECT_EQ(s->reply.src_be, p.reply.src_be);
    EXPECT_EQ(s->reply.sport, p.reply.sport);
    EXPECT_EQ(s->proto_state, p.proto_state);
    EXPECT_EQ(s->policy_id, 7u);
    EXPECT_EQ(s->policy_id, p.policy_id);
    EXPECT_EQ(s->in_port, p.in_port);
    EXPECT_EQ(s->out_port, p.out_port);
    EXPECT_EQ(s->gateway_be[0], p.gateway_be[0]);
    EXPECT_EQ(s->gateway_be[1], p.gateway_be[1]);
    EXPECT_EQ(s->timeout_s, p.timeout_s);
    EXPECT_EQ(s->bytes[0], p.bytes[0]);
    EXPECT_EQ(s->bytes[1], p.bytes[1]);
    EXPECT_GE(s->expire_s, p.expire_s) << "the secondary never ages a session out first";
    if (p.proto == 6 && p.proto_state == static_cast<uint8_t>(TcpState::kSynRecv)) ++established;
  }
  EXPECT_EQ(established, kTcpFlows / 2) << "the SYN-ACKs' state change was replicated";

  SyncStreamView views[2];
  ASSERT_EQ(dataplane_sync_view(a_.dp, views, 2), 1u);
  EXPECT_EQ(views[0].tx_state, SyncTxState::kRunning);
  EXPECT_GE(views[0].counters.tx_records, kUdpFlows + kTcpFlows);
  ASSERT_EQ(dataplane_sync_view(b_.dp, views, 2), 1u);
  EXPECT_TRUE(views[0].rx_in_sync);
  EXPECT_EQ(views[0].rx_epoch, 0xa0a0a0a0u);
  EXPECT_EQ(views[0].counters.rx_bad_auth, 0u);
  EXPECT_EQ(views[0].counters.rx_malformed, 0u);
}

// A device that spreads frames over its queues by hash (net_af_packet:
// PACKET_FANOUT_HASH, seeded at boot) puts the peer's sync frames on
// queue 0, which tandemd's control lcore polls, and heartbeats on queue 1,
// worker 0's. Each reaches its consumer anyway: the control lcore passes
// sync frames to the worker of their stream, the worker passes heartbeats
// to the control lcore.
TEST_F(SyncDataplanes, FramesOnAnotherHbdevQueueReachTheirConsumer) {
  Bytes hb(60, 0);
  std::memcpy(hb.data(), test::kBroadcastMac.b, 6);
  std::memcpy(hb.data() + 6, kPort1Mac.b, 6);
  hb[12] = 0x88, hb[13] = 0xb5;  // HA heartbeat EtherType
  rte_mbuf* m = rte_pktmbuf_alloc(g_pool);
  ASSERT_NE(m, nullptr);
  std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(hb.size())), hb.data(), hb.size());
  ASSERT_EQ(rte_ring_enqueue(b_.hb.rx[1], m), 0);

  unsigned control_kept = 0;
  auto deadline = std::chrono::steady_clock::now() + kSyncDeadline;
  while (!dataplane_sync_in_sync(b_.dp) && std::chrono::steady_clock::now() < deadline) {
    dataplane_poll_once(a_.dp, 0);
    dataplane_poll_once(b_.dp, 0);
    void* burst[64];
    unsigned n;
    while ((n = rte_ring_dequeue_burst(a_.hb.tx[1], burst, 64, nullptr)) > 0) {
      unsigned done = rte_ring_enqueue_burst(b_.hb.rx[0], burst, n, nullptr);
      for (unsigned i = done; i < n; ++i) rte_pktmbuf_free(static_cast<rte_mbuf*>(burst[i]));
    }
    rte_mbuf* q0[32];
    uint16_t got = rte_eth_rx_burst(b_.hb.port_id, 0, q0, 32);  // B's control lcore
    for (uint16_t i = 0; i < got; ++i) {
      if (!dataplane_hbdev_dispatch(b_.dp, q0[i])) {
        ++control_kept;
        rte_pktmbuf_free(q0[i]);
      }
    }
    cross(b_.hb, a_.hb);  // B's acks take the right queue
    std::this_thread::sleep_for(std::chrono::microseconds(20));
  }
  EXPECT_TRUE(dataplane_sync_in_sync(b_.dp)) << "the RESET and bulk end came through queue 0";
  EXPECT_EQ(control_kept, 0u) << "every frame on queue 0 was a sync frame";

  rte_mbuf* taken[4];
  ASSERT_EQ(dataplane_hbdev_take(b_.dp, taken, 4), 1u) << "the heartbeat the worker found";
  EXPECT_EQ(rte_pktmbuf_data_len(taken[0]), hb.size());
  EXPECT_EQ(std::memcmp(rte_pktmbuf_mtod(taken[0], const uint8_t*), hb.data(), hb.size()), 0);
  rte_pktmbuf_free(taken[0]);
  EXPECT_EQ(dataplane_hbdev_take(b_.dp, taken, 4), 0u);

  HbdevHandoffCounters c = dataplane_hbdev_handoffs(b_.dp);
  EXPECT_EQ(c.to_control, 1u);
  EXPECT_GT(c.to_worker, 0u);
  EXPECT_EQ(c.dropped, 0u);
  SyncStreamView v;
  ASSERT_EQ(dataplane_sync_view(b_.dp, &v, 1), 1u);
  EXPECT_EQ(v.counters.rx_misrouted, 0u);
  EXPECT_EQ(v.counters.rx_malformed, 0u);
  c = dataplane_hbdev_handoffs(a_.dp);
  EXPECT_EQ(c.to_control + c.to_worker + c.dropped, 0u) << "A's queues got what they expect";
}

// Two workers, on a device that spreads by hash: each stream's frames land
// on the other worker's queue, both ways. Each frame is handed to the
// worker of its stream, and both streams get in sync.
class SyncTwoWorkers : public SyncDataplanes {
 protected:
  void SetUp() override {
    workers_ = 2;
    SyncDataplanes::SetUp();
  }
};

TEST_F(SyncTwoWorkers, StreamsOnEachOthersQueueReachTheirWorker) {
  auto swapped = [](const RingPort& from, const RingPort& to) {
    for (unsigned q : {1u, 2u}) {
      void* burst[64];
      unsigned n;
      while ((n = rte_ring_dequeue_burst(from.tx[q], burst, 64, nullptr)) > 0) {
        unsigned done = rte_ring_enqueue_burst(to.rx[3 - q], burst, n, nullptr);
        for (unsigned i = done; i < n; ++i) rte_pktmbuf_free(static_cast<rte_mbuf*>(burst[i]));
      }
    }
  };
  auto deadline = std::chrono::steady_clock::now() + kSyncDeadline;
  while (!dataplane_sync_in_sync(b_.dp) && std::chrono::steady_clock::now() < deadline) {
    for (unsigned w : {0u, 1u}) {
      dataplane_poll_once(a_.dp, w);
      dataplane_poll_once(b_.dp, w);
    }
    swapped(a_.hb, b_.hb);
    swapped(b_.hb, a_.hb);
    std::this_thread::sleep_for(std::chrono::microseconds(20));
  }
  ASSERT_TRUE(dataplane_sync_in_sync(b_.dp)) << "both streams, each through the other's queue";
  SyncStreamView v[2];
  ASSERT_EQ(dataplane_sync_view(b_.dp, v, 2), 2u);
  for (const SyncStreamView& s : v) {
    EXPECT_TRUE(s.rx_in_sync) << "stream " << s.stream;
    EXPECT_EQ(s.counters.rx_misrouted, 0u) << "stream " << s.stream;
  }
  for (Dataplane* dp : {a_.dp, b_.dp}) {
    HbdevHandoffCounters c = dataplane_hbdev_handoffs(dp);
    EXPECT_GT(c.to_worker, 0u) << "data one way, acks the other";
    EXPECT_EQ(c.to_control, 0u);
    EXPECT_EQ(c.dropped, 0u);
  }
}

// FortiOS semantics: `session-pickup-connectionless disable` keeps UDP and
// ICMP sessions off the stream; `session-pickup-delay enable` sends only
// sessions older than 30 s, the first time a packet or the bulk walk
// touches them past that age.
TEST_F(SyncDataplanes, ConnectionlessAndDelaySettingsDecideWhatIsReplicated) {
  ASSERT_TRUE(run_until([&] { return dataplane_sync_in_sync(b_.dp); }));
  for (auto [n, primary, epoch, peer] : {std::tuple{&a_, true, 0xa0a0a0a0ull, 0xb0b0b0b0ull},
                                         std::tuple{&b_, false, 0xb0b0b0b0ull, 0xa0a0a0a0ull}}) {
    auto snap = make_snapshot(n->p1, n->p2, primary, epoch, peer);
    snap->generation = 2;
    snap->sync.connectionless = false;
    snap->sync.delay = true;
    ASSERT_EQ(dataplane_publish(n->dp, *snap), 0);
  }
  run_once();
  inject(a_.p2, arp_request(kClientMac, kClient, kPort2Ip));
  inject(a_.p1, arp_request(kServerMac, kServer, kPort1Ip));
  run_once();
  constexpr unsigned kFlows = 6;
  auto udp = [&](unsigned i) {
    inject(a_.p2, test::ipv4_frame(kPort2Mac, kClientMac, kClient, kServer, kIpProtoUdp,
                                   test::udp_segment(static_cast<uint16_t>(6000 + i), 53,
                                                     test::pattern_bytes(16))));
  };
  auto tcp = [&](unsigned i, bool from_client, uint8_t flags) {
    uint16_t client_port = static_cast<uint16_t>(41000 + i);
    if (from_client)
      inject(a_.p2, test::ipv4_frame(kPort2Mac, kClientMac, kClient, kServer, kIpProtoTcp,
                                     test::tcp_flags_segment(client_port, 80, flags)));
    else
      inject(a_.p1, test::ipv4_frame(kPort1Mac, kServerMac, kServer, kClient, kIpProtoTcp,
                                     test::tcp_flags_segment(80, client_port, flags)));
  };
  for (unsigned i = 0; i < kFlows; ++i) {
    udp(i);
    tcp(i, true, 0x02);
  }
  run_once();
  for (unsigned i = 0; i < kFlows; ++i) tcp(i, false, 0x12);
  run_once();
  for (unsigned i = 0; i < kFlows; ++i) tcp(i, true, 0x10);
  run_once();
  ASSERT_EQ(list(a_.dp).size(), 2 * kFlows);
  // Young sessions: nothing goes out, however long the stream runs.
  for (int i = 0; i < 2000; ++i) run_once();
  EXPECT_EQ(list(b_.dp).size(), 0u) << "sessions younger than 30 s are not replicated";

  // 31 s later every flow sends a packet: the TCP sessions are old enough
  // now, the UDP ones are never replicated.
  __atomic_fetch_add(&g_now_ms, 31'000, __ATOMIC_RELAXED);
  for (unsigned i = 0; i < kFlows; ++i) {
    udp(i);
    tcp(i, true, 0x10);
  }
  run_once();
  ASSERT_TRUE(run_until([&] { return list(b_.dp).size() == kFlows; }))
      << "secondary holds " << list(b_.dp).size();
  for (int i = 0; i < 2000; ++i) run_once();
  std::vector<SessionView> secondary = list(b_.dp);
  EXPECT_EQ(secondary.size(), kFlows);
  for (const SessionView& v : secondary) {
    EXPECT_EQ(v.proto, kIpProtoTcp) << "connectionless is off: no UDP session";
    EXPECT_TRUE(v.synced);
  }
}

// The primary tells the peer of a packet only when the expiry the peer
// knows lags a quarter TTL behind (UDP: 180 s, so 45 s), comparing the low
// 32 bits the entry keeps on its first line. The clock is set so the
// expiry crosses 2^32 ms between the record and the packets: a compare that
// did not wrap as the field does would refresh at once, or never.
TEST_F(SyncDataplanes, ARefreshGoesOutOnceTheKnownExpiryLagsAQuarterTtl) {
  ASSERT_TRUE(run_until([&] { return dataplane_sync_in_sync(b_.dp); }));
  const uint64_t start = (uint64_t{1} << 32) - 200'000;  // expiry at 2^32 - 20 s
  ASSERT_LT(__atomic_load_n(&g_now_ms, __ATOMIC_RELAXED), start);
  __atomic_store_n(&g_now_ms, start, __ATOMIC_RELAXED);
  inject(a_.p2, arp_request(kClientMac, kClient, kPort2Ip));
  inject(a_.p1, arp_request(kServerMac, kServer, kPort1Ip));
  run_once();
  auto packet = [&] {
    inject(a_.p2, test::ipv4_frame(kPort2Mac, kClientMac, kClient, kServer, kIpProtoUdp,
                                   test::udp_segment(7000, 53, test::pattern_bytes(16))));
  };
  auto records = [&] {
    SyncStreamView v{};
    EXPECT_EQ(dataplane_sync_view(a_.dp, &v, 1), 1u);
    return v.counters.tx_records;
  };
  packet();
  ASSERT_TRUE(run_until([&] { return list(b_.dp).size() == 1; }));
  const uint64_t created = records();
  const uint32_t first_expire_s = list(b_.dp)[0].expire_s;

  // 30 s on (expiry 2^32 + 10 s): it lags 30 s, under the quarter.
  __atomic_store_n(&g_now_ms, start + 30'000, __ATOMIC_RELAXED);
  packet();
  for (int i = 0; i < 200; ++i) run_once();
  EXPECT_EQ(records(), created) << "a lag under a quarter TTL is not sent";

  // 46 s on: 46 s of lag, a refresh.
  __atomic_store_n(&g_now_ms, start + 46'000, __ATOMIC_RELAXED);
  packet();
  ASSERT_TRUE(run_until([&] { return records() == created + 1; }))
      << "records " << records() << ", expected " << created + 1;
  for (int i = 0; i < 200; ++i) run_once();
  EXPECT_EQ(records(), created + 1) << "one packet, one refresh";
  // 4 s later both expiries are past 2^32: 4 s of lag, nothing to send.
  __atomic_store_n(&g_now_ms, start + 50'000, __ATOMIC_RELAXED);
  packet();
  for (int i = 0; i < 200; ++i) run_once();
  EXPECT_EQ(records(), created + 1) << "a lag of 4 s is not sent";
  std::vector<SessionView> secondary = list(b_.dp);
  ASSERT_EQ(secondary.size(), 1u);
  // The secondary keeps it a quarter TTL past what it was told: 180 + 45 s
  // from 46 s on (4 s ago), against 180 + 45 s from the start.
  EXPECT_EQ(secondary[0].expire_s, 221u);
  EXPECT_EQ(first_expire_s, 225u);
}

// ---- The ZTNA side: users and session-ticket keys ---------------------
//
// Both dataplanes run the proxy's per-worker user tables (no access proxy
// listens; the tables fill from the sync stream). A test-owned stream F
// plays an earlier primary that logged three users in and leaves them on
// B; then B takes over with A as its secondary.

bool emit_on_stream_queue(void* arg, const uint8_t* frame, size_t len) {
  auto* port = static_cast<uint16_t*>(arg);
  rte_mbuf* m = rte_pktmbuf_alloc(g_pool);
  if (m == nullptr) return false;
  char* p = rte_pktmbuf_append(m, static_cast<uint16_t>(len));
  if (p != nullptr) std::memcpy(p, frame, len);
  if (p == nullptr || rte_eth_tx_burst(*port, 1, &m, 1) != 1) {
    rte_pktmbuf_free(m);
    return false;
  }
  return true;
}

void ignore_records(void*, SyncApplyEvent, SyncRecordType, const uint8_t*, size_t) {}

uint64_t wall_us() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

// A runtime with no access proxy: what the workers take the ring from.
std::unique_ptr<ZtnaRuntime> ring_runtime(unsigned rotations) {
  auto rt = std::make_unique<ZtnaRuntime>();
  for (unsigned i = 0; i < rotations; ++i) EXPECT_TRUE(tls::ticket_ring_rotate(&rt->ring));
  return rt;
}

class SyncDataplanesZtna : public SyncDataplanes {
 protected:
  SyncDataplanesZtna() { ztna_ = true; }

  static void publish(DpNode& n, bool primary, uint64_t epoch, uint64_t peer, const ZtnaRuntime* rt, uint64_t gen) {
    auto snap = make_snapshot(n.p1, n.p2, primary, epoch, peer);
    snap->generation = gen;
    snap->ztna = rt;
    ASSERT_EQ(dataplane_publish(n.dp, *snap), 0);
  }
  static std::string user_list(Dataplane* dp, unsigned* total) {
    std::string buf(64 * 1024, '\0');
    int n = dataplane_ztna_user_list(dp, buf.data(), buf.size(), total, 1000);
    EXPECT_GE(n, 0);
    buf.resize(n > 0 ? static_cast<size_t>(n) : 0);
    return buf;
  }
  static unsigned users(Dataplane* dp) {
    unsigned total = 0;
    user_list(dp, &total);
    return total;
  }
  static bool has_ring(Dataplane* dp, const tls::TicketKeyRing& want) {
    tls::TicketKeyRing got;
    return dataplane_sync_ticket_ring(dp, &got) != 0 && tls::ticket_ring_equal(got, want);
  }
};

TEST_F(SyncDataplanesZtna, UsersAndTicketKeysFollowTheRoles) {
  constexpr uint64_t kEpochA = 0xa0a0a0a0, kEpochB = 0xb0b0b0b0, kEpochF = 0xf0f0f0f0;
  constexpr unsigned kUsers = 3;
  // B follows F; A stays out of the cable for now.
  publish(b_, false, kEpochB, kEpochF, nullptr, 2);
  RingPort f_hb = make_ring_port(kHbQueues, g_pool);
  uint16_t f_port = f_hb.port_id;
  test::StreamPtr f = test::make_stream(test::make_stream_params(0, 64, emit_on_stream_queue, &f_port),
                                        test::make_sync_conf(true, kEpochF, kEpochB));
  ASSERT_NE(f, nullptr);
  auto step_f = [&] {
    uint64_t now = wall_us();
    sync_stream_poll(f.get(), now);
    cross(f_hb, b_.hb);
    dataplane_poll_once(b_.dp, 0);
    dataplane_poll_once(a_.dp, 0);
    drain_ring(a_.hb.tx[1]);
    cross(b_.hb, f_hb);
    rte_mbuf* pkts[32];
    uint16_t n = rte_eth_rx_burst(f_port, 1, pkts, 32);
    for (uint16_t i = 0; i < n; ++i)
      sync_rx_frame(f.get(), rte_pktmbuf_mtod(pkts[i], const uint8_t*), rte_pktmbuf_data_len(pkts[i]), now,
                    ignore_records, nullptr);
    rte_pktmbuf_free_bulk(pkts, n);
    std::this_thread::sleep_for(std::chrono::microseconds(20));
  };
  auto deadline = std::chrono::steady_clock::now() + kSyncDeadline;
  while (f->tx_state != SyncTxState::kRunning && std::chrono::steady_clock::now() < deadline) step_f();
  ASSERT_EQ(f->tx_state, SyncTxState::kRunning);
  for (unsigned i = 0; i < kUsers; ++i) {
    UserRecord u{};
    u.client_ip_be = to_be(ipv4(10, 1, 100, 22 + i));
    u.expire_in_s = 600;
    u.name_len = 10;
    std::memcpy(u.name, "localuser1", 10);
    u.policy_id = 1;
    u.timeout_s = 600;
    u.user_based = 1;
    uint8_t body[4 + 4 + 1 + kUserNameMax + kUserRecordTailLen];
    size_t len = user_record_encode(u, body, sizeof body);
    ASSERT_TRUE(sync_tx_record(f.get(), SyncRecordType::kUserAdd, body, len, wall_us()));
  }
  deadline = std::chrono::steady_clock::now() + kSyncDeadline;
  while (users(b_.dp) != kUsers && std::chrono::steady_clock::now() < deadline) step_f();
  ASSERT_EQ(users(b_.dp), kUsers);
  EXPECT_EQ(users(a_.dp), 0u);
  f.reset();
  free_ring_port(f_hb);

  // Failover: B is the primary, A its secondary. B's walk carries the
  // users it holds (installed from F: synced entries are sent too), and
  // stream 0 its ticket ring.
  auto ring_b = ring_runtime(2);
  publish(b_, true, kEpochB, kEpochA, ring_b.get(), 3);
  publish(a_, false, kEpochA, kEpochB, nullptr, 3);
  ASSERT_TRUE(run_until([&] { return users(a_.dp) == kUsers && dataplane_sync_in_sync(a_.dp); }))
      << "A holds " << users(a_.dp) << " users";
  unsigned total = 0;
  std::string text = user_list(a_.dp, &total);
  EXPECT_NE(text.find("IPv4: 10.1.100.23"), std::string::npos) << text;
  EXPECT_NE(text.find("user name   : localuser1"), std::string::npos) << text;
  EXPECT_TRUE(has_ring(a_.dp, ring_b->ring)) << "the ring arrives with the walk, before its end";
  tls::TicketKeyRing got;
  uint32_t seq = dataplane_sync_ticket_ring(a_.dp, &got);

  // B rotates: A gets the new ring (the old keys still in it).
  auto rotated = std::make_unique<ZtnaRuntime>();
  rotated->ring = ring_b->ring;
  ASSERT_TRUE(tls::ticket_ring_rotate(&rotated->ring));
  publish(b_, true, kEpochB, kEpochA, rotated.get(), 4);
  ASSERT_TRUE(run_until([&] { return has_ring(a_.dp, rotated->ring); }));
  EXPECT_GT(dataplane_sync_ticket_ring(a_.dp, &got), seq);
  EXPECT_EQ(got.version, ring_b->ring.version + 1);

  // Nothing deletes A's users by itself ...
  for (int i = 0; i < 500; ++i) run_once();
  EXPECT_EQ(users(a_.dp), kUsers);
  // ... until `diagnose wad user clear` on the primary.
  unsigned cleared = 0;
  ASSERT_EQ(dataplane_ztna_user_clear(b_.dp, &cleared, 1000), 0);
  EXPECT_EQ(cleared, kUsers);
  ASSERT_TRUE(run_until([&] { return users(a_.dp) == 0; })) << "A still holds " << users(a_.dp);
  SyncStreamView views[2];
  ASSERT_EQ(dataplane_sync_view(a_.dp, views, 2), 1u);
  EXPECT_EQ(views[0].counters.rx_malformed, 0u);
  EXPECT_GE(views[0].counters.rx_ticket_rings, 2u);
  // Unpublish the runtimes before they go (the workers point into them).
  publish(b_, true, kEpochB, kEpochA, nullptr, 5);
  publish(a_, false, kEpochA, kEpochB, nullptr, 5);
}

}  // namespace
}  // namespace tandem::dp
