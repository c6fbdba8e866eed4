// Two sync streams (a sender and a receiver) over an in-memory wire the
// test controls: frames are lost, held back, duplicated and bit-flipped by
// a seeded PRNG, time is a fake microsecond clock, and the sender's table
// is a model (std::map) walked in bulk the way dataplane/sync/sync.cc
// walks the session table. Whatever the wire does, once it settles the
// receiver's table must equal the sender's; frames of the wrong key,
// group, stream or of a retired boot must never be applied.
#include <cinttypes>
#include <cstdio>
#include <deque>
#include <map>
#include <tuple>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "dataplane/sync/sync_records.h"
#include "dataplane/sync/sync_stream.h"
#include "tests/unit/sync/sync_test_util.h"

namespace tandem::dp {
namespace {

using test::Impairment;
using test::Prng;

constexpr unsigned kSmallWindow = 16;
constexpr uint64_t kStepUs = 50;
constexpr unsigned kWireFramesPerStep = 4;  // link budget per direction and step
// sync.cc's bulk budget, scaled down so live records interleave with a walk.
constexpr unsigned kBulkScanPerStep = 64;
constexpr unsigned kBulkRecordsPerStep = 32;
constexpr uint64_t kSettleStepLimit = 2'000'000;

using Key = std::tuple<uint32_t, uint32_t, uint16_t, uint16_t, uint8_t, uint8_t>;
Key key_of(const SessionKey& k) {
  return {k.ip_lo_be, k.ip_hi_be, k.port_lo, k.port_hi, k.proto, k.zone};
}

std::vector<uint8_t> encoded(const SessionRecord& r) {
  std::vector<uint8_t> b(kSessionRecordLen);
  session_record_encode(r, b.data());
  return b;
}

SessionKey key_for(unsigned id) {
  SessionKey k{};
  uint32_t lo = 0x0a000000u | id;  // 10.0.x.y
  k.ip_lo_be = __builtin_bswap32(lo);
  k.ip_hi_be = __builtin_bswap32(0xac10c8d1u);  // 172.16.200.209
  k.port_lo = static_cast<uint16_t>(1024 + id % 60000);
  k.port_hi = id % 3 == 0 ? 53 : 443;
  k.proto = id % 3 == 0 ? 17 : 6;
  return k;
}

SessionRecord random_record(unsigned id, Prng& rng) {
  SessionRecord r{};
  r.key = key_for(id);
  r.state = r.key.proto == 6 ? static_cast<uint8_t>(1 + rng.below(kNbTcpStates - 1)) : 0;
  r.flags = static_cast<uint8_t>(rng.below(2) ? kSessionOrigFromLo : 0);
  r.port[0] = static_cast<uint8_t>(rng.below(4));
  r.port[1] = static_cast<uint8_t>(rng.below(4));
  r.policy_index = static_cast<uint16_t>(rng.below(64));
  r.policy_id = static_cast<uint32_t>(rng.below(1000));
  r.next_hop_be[0] = static_cast<uint32_t>(rng.next());
  r.next_hop_be[1] = static_cast<uint32_t>(rng.next());
  r.timeout_s = 3600;
  r.expire_in_ms = static_cast<uint32_t>(rng.below(3'600'000));
  r.age_s = static_cast<uint32_t>(rng.below(100'000));
  r.packets[0] = rng.below(1u << 20);
  r.packets[1] = rng.below(1u << 20);
  r.bytes[0] = rng.next() >> 20;
  r.bytes[1] = rng.next() >> 20;
  return r;
}

// One direction of the link. Frames wait here until the test delivers them.
struct WireFrame {
  std::vector<uint8_t> bytes;
  bool held;  // reordered or duplicated once already: not again
};
struct Wire {
  std::deque<WireFrame> queue;
  Prng* rng = nullptr;
  unsigned emit_fail = 0;
  uint64_t emitted = 0, refused = 0;
};

bool wire_emit(void* arg, const uint8_t* frame, size_t len) {
  auto* w = static_cast<Wire*>(arg);
  if (w->rng != nullptr && w->rng->chance(w->emit_fail)) {
    ++w->refused;
    return false;
  }
  w->queue.push_back({std::vector<uint8_t>(frame, frame + len), false});
  ++w->emitted;
  return true;
}

// The sender's session table, and the worker glue of sync.cc around it:
// live records only while the stream runs (sync_session_changed), deletes
// only of sessions the peer was sent (sync_session_gone), a bulk walk per
// generation (bulk_step).
struct SenderModel {
  struct Entry {
    SessionRecord rec;
    bool known;  // kSessionSyncKnown
  };
  std::map<Key, Entry> table;
  uint64_t bulk_generation = 0;
  bool bulk_active = false;
  bool cursor_at_start = true;
  Key cursor{};
  uint32_t bulk_sent = 0;
  uint64_t bulk_ends = 0;

  static bool send(SyncStream* st, Entry& e, uint64_t now_us) {
    uint8_t body[kSessionRecordLen];
    size_t n = session_record_encode(e.rec, body);
    if (!sync_tx_record(st, SyncRecordType::kSessionUpsert, body, n, now_us)) return false;
    e.known = true;
    return true;
  }
  void upsert(SyncStream* st, const SessionRecord& r, uint64_t now_us) {
    Entry& e = table[key_of(r.key)];
    e.rec = r;
    if (st->tx_state == SyncTxState::kRunning) send(st, e, now_us);
  }
  void erase(SyncStream* st, const Key& k, uint64_t now_us) {
    auto it = table.find(k);
    if (it == table.end()) return;
    if (it->second.known && st->tx_state == SyncTxState::kRunning) {
      uint8_t body[kSessionDeleteLen];
      size_t n = session_key_encode(it->second.rec.key, body);
      sync_tx_record(st, SyncRecordType::kSessionDelete, body, n, now_us);
    }
    table.erase(it);
  }
  void forget_peer() {
    for (auto& [k, e] : table) e.known = false;
    bulk_generation = 0;
    bulk_active = false;
  }
  void bulk_step(SyncStream* st, uint64_t now_us) {
    if (st->tx_state != SyncTxState::kRunning) return;
    if (st->generation != bulk_generation) {
      bulk_generation = st->generation;
      cursor_at_start = true;
      bulk_sent = 0;
      bulk_active = true;
    }
    if (!bulk_active) return;
    auto it = cursor_at_start ? table.begin() : table.upper_bound(cursor);
    unsigned scanned = 0, sent = 0;
    while (it != table.end() && scanned < kBulkScanPerStep && sent < kBulkRecordsPerStep &&
           sync_tx_bulk_room(st)) {
      cursor = it->first;
      cursor_at_start = false;
      ++scanned;
      it->second.known = false;
      send(st, it->second, now_us);
      ++sent;
      ++it;
    }
    bulk_sent += sent;
    if (it == table.end() && sync_tx_bulk_room(st)) {
      uint8_t body[kBulkEndLen];
      std::memcpy(body, &bulk_generation, 8);
      std::memcpy(body + 8, &bulk_sent, 4);
      if (sync_tx_record(st, SyncRecordType::kBulkEnd, body, sizeof(body), now_us)) {
        bulk_active = false;
        ++bulk_ends;
      }
    }
  }
};

// The receiving worker's table, maintained as sync.cc's apply() does.
struct ReceiverTable {
  struct Entry {
    SessionRecord rec;
    uint64_t generation;
  };
  std::map<Key, Entry> table;
  uint64_t generation = 0;
  uint64_t records = 0, generations = 0, bulk_ends = 0, bad_records = 0, users = 0;
  // kFrame events, and the records sync_for_each_record found in them.
  uint64_t frames = 0, frame_records = 0;
};

void receiver_apply(void* arg, SyncApplyEvent ev, SyncRecordType type, const uint8_t* body,
                    size_t len) {
  auto* t = static_cast<ReceiverTable*>(arg);
  if (ev == SyncApplyEvent::kFrame) {  // its records follow one by one
    ++t->frames;
    sync_for_each_record(body, len, [&](SyncRecordType, const uint8_t*, size_t) { ++t->frame_records; });
    return;
  }
  if (ev == SyncApplyEvent::kGeneration) {
    ++t->generation;
    ++t->generations;
    return;
  }
  ++t->records;
  switch (type) {
    case SyncRecordType::kSessionUpsert: {
      SessionRecord r;
      if (!session_record_decode(body, len, &r)) {
        ++t->bad_records;
        return;
      }
      t->table[key_of(r.key)] = {r, t->generation};
      break;
    }
    case SyncRecordType::kSessionDelete: {
      SessionKey k;
      if (!session_key_decode(body, len, &k)) {
        ++t->bad_records;
        return;
      }
      t->table.erase(key_of(k));
      break;
    }
    case SyncRecordType::kBulkEnd:
      if (len != kBulkEndLen) ++t->bad_records;
      ++t->bulk_ends;
      std::erase_if(t->table, [&](const auto& kv) { return kv.second.generation != t->generation; });
      break;
    case SyncRecordType::kUserAdd:
    case SyncRecordType::kUserDelete: {
      UserRecord u;
      if (user_record_decode(body, len, &u)) ++t->users;
      else ++t->bad_records;
      break;
    }
    default:
      ++t->bad_records;
  }
}

// A sender never gets data frames in these tests: reaching this is a bug.
uint64_t g_sender_applies = 0;
void sender_apply(void*, SyncApplyEvent, SyncRecordType, const uint8_t*, size_t) {
  ++g_sender_applies;
}

class SyncPair {
 public:
  SyncPair(uint64_t seed, const Impairment& imp, unsigned window = kSmallWindow)
      : rng_(seed), wire_rng_(seed ^ 0x5eed), imp_(imp), window_(window) {
    to_receiver_.rng = &wire_rng_;
    to_receiver_.emit_fail = imp.emit_fail;
    to_sender_.rng = &wire_rng_;
    to_sender_.emit_fail = imp.emit_fail;
    tx_ = test::make_stream(test::make_stream_params(0, window, wire_emit, &to_receiver_),
                            test::make_sync_conf(true, sender_epoch_, receiver_epoch_));
    rx_ = test::make_stream(test::make_stream_params(0, window, wire_emit, &to_sender_),
                            test::make_sync_conf(false, receiver_epoch_, sender_epoch_));
    g_sender_applies = 0;
  }

  SyncStream* tx() { return tx_.get(); }
  SyncStream* rx() { return rx_.get(); }
  SenderModel& model() { return model_; }
  ReceiverTable& peer() { return peer_; }
  uint64_t now() const { return now_us_; }
  Wire& to_receiver() { return to_receiver_; }
  Impairment& impairment() { return imp_; }
  Wire& to_sender() { return to_sender_; }
  const std::vector<std::vector<uint8_t>>& delivered_data() const { return delivered_data_; }
  const std::vector<std::vector<uint8_t>>& delivered_acks() const { return delivered_acks_; }
  uint64_t result_count(SyncRxResult r) const {
    auto it = results_.find(r);
    return it == results_.end() ? 0 : it->second;
  }
  uint64_t corrupted_accepted() const { return corrupted_accepted_; }
  uint64_t corrupted() const { return corrupted_; }

  // A burst of table changes on the sender (new, changed, ended sessions).
  void change_sessions(unsigned n, unsigned id_space) {
    for (unsigned i = 0; i < n; ++i) {
      unsigned id = static_cast<unsigned>(rng_.below(id_space));
      if (rng_.chance(200)) model_.erase(tx(), key_of(test_key(id)), now_us_);
      else model_.upsert(tx(), random_record(id, rng_), now_us_);
    }
  }

  // One step of the fake clock: the worker loop of both nodes, then the link.
  void step() {
    now_us_ += kStepUs;
    model_.bulk_step(tx(), now_us_);
    sync_stream_poll(tx(), now_us_);
    sync_stream_poll(rx(), now_us_);
    deliver(to_receiver_, rx(), receiver_apply, &peer_);
    deliver(to_sender_, tx(), sender_apply, nullptr);
  }

  // Nothing left to send, retransmit or walk: the streams are at rest.
  bool settled() const {
    const SyncStream* t = tx_.get();
    return t->tx_state == SyncTxState::kRunning && model_.bulk_generation == t->generation &&
           !model_.bulk_active && t->tx_acked == t->tx_seq && t->open_records == 0 &&
           to_receiver_.queue.empty() && to_sender_.queue.empty() && sync_idle(rx_.get());
  }
  bool settle() {
    for (uint64_t i = 0; i < kSettleStepLimit; ++i) {
      if (settled()) return true;
      step();
    }
    return settled();
  }

  // The receiver's table equals the sender's, record for record.
  void expect_tables_equal() const {
    EXPECT_EQ(peer_.table.size(), model_.table.size());
    for (const auto& [k, e] : model_.table) {
      auto it = peer_.table.find(k);
      if (it == peer_.table.end()) {
        ADD_FAILURE() << "receiver lacks session port_lo=" << std::get<2>(k);
        continue;
      }
      EXPECT_EQ(encoded(it->second.rec), encoded(e.rec)) << "port_lo=" << std::get<2>(k);
    }
    for (const auto& [k, e] : peer_.table)
      if (!model_.table.contains(k)) ADD_FAILURE() << "stale session port_lo=" << std::get<2>(k);
    EXPECT_EQ(peer_.bad_records, 0u);
  }

  void restart_receiver(uint64_t epoch) {
    receiver_epoch_ = epoch;
    rx_ = test::make_stream(test::make_stream_params(0, window_, wire_emit, &to_sender_),
                            test::make_sync_conf(false, epoch, sender_epoch_));
    // tandemd keys the new boot once its first heartbeat arrives.
    sync_stream_configure(tx(), test::make_sync_conf(true, sender_epoch_, epoch), now_us_);
    peer_ = ReceiverTable{};
  }
  void restart_sender(uint64_t epoch) {
    sender_epoch_ = epoch;
    to_receiver_.queue.clear();  // the old boot's frames in flight die with it
    tx_ = test::make_stream(test::make_stream_params(0, window_, wire_emit, &to_receiver_),
                            test::make_sync_conf(true, epoch, receiver_epoch_));
    sync_stream_configure(rx(), test::make_sync_conf(false, receiver_epoch_, epoch), now_us_);
    model_.forget_peer();
  }

  SyncRxResult deliver_to_receiver(const std::vector<uint8_t>& f) {
    return sync_rx_frame(rx(), f.data(), f.size(), now_us_, receiver_apply, &peer_);
  }
  SyncRxResult deliver_to_sender(const std::vector<uint8_t>& f) {
    return sync_rx_frame(tx(), f.data(), f.size(), now_us_, sender_apply, nullptr);
  }

  static SessionKey test_key(unsigned id) { return key_for(id); }

 private:
  void deliver(Wire& w, SyncStream* to, SyncApplyFn apply, void* arg) {
    for (unsigned i = 0; i < kWireFramesPerStep && !w.queue.empty(); ++i) {
      WireFrame f = std::move(w.queue.front());
      w.queue.pop_front();
      if (wire_rng_.chance(imp_.loss)) continue;
      if (!f.held && !w.queue.empty() && wire_rng_.chance(imp_.reorder)) {
        f.held = true;
        size_t at = 1 + wire_rng_.below(std::min<size_t>(w.queue.size(), 6));
        w.queue.insert(w.queue.begin() + static_cast<long>(at), std::move(f));
        continue;
      }
      if (!f.held && wire_rng_.chance(imp_.duplicate)) {
        WireFrame copy{f.bytes, true};
        size_t at = wire_rng_.below(std::min<size_t>(w.queue.size(), 12) + 1);
        w.queue.insert(w.queue.begin() + static_cast<long>(at), std::move(copy));
      }
      size_t flipped = SIZE_MAX;
      if (wire_rng_.chance(imp_.corrupt)) {
        flipped = wire_rng_.below(f.bytes.size());
        f.bytes[flipped] ^= static_cast<uint8_t>(1u << wire_rng_.below(8));
      }
      SyncRxResult r = sync_rx_frame(to, f.bytes.data(), f.bytes.size(), now_us_, apply, arg);
      ++results_[r];
      if (flipped != SIZE_MAX && flipped >= test::kSyncUnauthenticatedPrefix) {
        ++corrupted_;
        if (!test::rejected(r)) ++corrupted_accepted_;
      } else if (r == SyncRxResult::kData) {
        delivered_data_.push_back(f.bytes);
      } else if (r == SyncRxResult::kAck) {
        delivered_acks_.push_back(f.bytes);
      }
    }
  }

  Prng rng_, wire_rng_;
  Impairment imp_;
  unsigned window_;
  uint64_t now_us_ = 1'000'000;
  uint64_t sender_epoch_ = 0x1111'2222'3333'4444ull, receiver_epoch_ = 0x5555'6666'7777'8888ull;
  Wire to_receiver_, to_sender_;
  test::StreamPtr tx_, rx_;
  SenderModel model_;
  ReceiverTable peer_;
  std::map<SyncRxResult, uint64_t> results_;
  std::vector<std::vector<uint8_t>> delivered_data_, delivered_acks_;
  uint64_t corrupted_ = 0, corrupted_accepted_ = 0;
};

// Live changes in bursts that outrun the link (overflow -> RESET -> bulk),
// and a trickle between them.
void run_workload(SyncPair& p, unsigned rounds, unsigned id_space) {
  for (unsigned round = 0; round < rounds; ++round) {
    p.change_sessions(400, id_space);  // ~22 frames at once: more than the window
    for (int i = 0; i < 400; ++i) {      // 20 ms of a trickle: live records flow
      p.change_sessions(1, id_space);
      p.step();
    }
  }
}

struct ConvergeCase {
  Impairment imp;
  uint64_t seed;
};

class SyncConverge : public ::testing::TestWithParam<ConvergeCase> {};

TEST_P(SyncConverge, ReceiverTableEqualsSenderTable) {
  const ConvergeCase& c = GetParam();
  SyncPair p(c.seed, c.imp);
  ASSERT_NE(p.tx(), nullptr);
  ASSERT_NE(p.rx(), nullptr);
  ASSERT_TRUE(p.settle()) << "the RESET of an empty table is taken";
  EXPECT_EQ(p.tx()->tx_state, SyncTxState::kRunning);
  EXPECT_TRUE(p.rx()->rx_in_sync);

  run_workload(p, 30, 3000);
  ASSERT_TRUE(p.settle()) << "tx_seq=" << p.tx()->tx_seq << " acked=" << p.tx()->tx_acked
                          << " state=" << sync_tx_state_name(p.tx()->tx_state);
  EXPECT_GT(p.model().table.size(), 1000u);
  p.expect_tables_equal();
  EXPECT_TRUE(p.rx()->rx_in_sync);
  EXPECT_EQ(g_sender_applies, 0u);
  EXPECT_EQ(p.corrupted_accepted(), 0u) << "a flipped bit was accepted";

  const SyncStreamCounters& tc = p.tx()->counters;
  const SyncStreamCounters& rc = p.rx()->counters;
  std::printf("[ %-11s ] sessions=%zu frames=%" PRIu64 " rtx=%" PRIu64 " resets=%" PRIu64
              " overflows=%" PRIu64 " bulk_ends=%" PRIu64 " rx_gap=%" PRIu64 " dup=%" PRIu64
              " bad_auth=%" PRIu64 " corrupted=%" PRIu64 " t=%.1fs\n",
              c.imp.name, p.model().table.size(), tc.tx_frames, tc.tx_retransmits, tc.tx_resets,
              tc.tx_overflows, p.model().bulk_ends, rc.rx_gap, rc.rx_dup, rc.rx_bad_auth,
              p.corrupted(), double(p.now() - 1'000'000) / 1e6);
  EXPECT_GT(tc.tx_overflows, 0u) << "the bursts must overflow the window";
  EXPECT_GT(tc.tx_resets, 1u);
  EXPECT_GT(p.model().bulk_ends, 1u) << "overflow leads to a new bulk walk";
  EXPECT_EQ(rc.rx_resets, p.peer().generations);
  EXPECT_EQ(rc.rx_records, p.peer().records);
  EXPECT_EQ(p.peer().frames, rc.rx_frames) << "each data frame taken is announced once";
  EXPECT_EQ(p.peer().frame_records, rc.rx_records) << "the announcement holds exactly its records";
  if (c.imp.loss == 0 && c.imp.reorder == 0 && c.imp.corrupt == 0 && c.imp.emit_fail == 0) {
    EXPECT_EQ(rc.rx_bad_auth, 0u);
    EXPECT_EQ(rc.rx_gap, 0u) << "no loss, no reordering: no gap";
  } else {
    EXPECT_GT(tc.tx_retransmits, 0u);
    EXPECT_GT(rc.rx_gap, 0u);
  }
  if (c.imp.corrupt != 0) {
    EXPECT_GT(p.corrupted(), 0u);
  }
  if (c.imp.duplicate != 0) {
    EXPECT_GT(p.result_count(SyncRxResult::kDuplicate), 0u);
  }
}

std::vector<ConvergeCase> converge_cases() {
  const Impairment kMixes[] = {
      {"clean", 0, 0, 0, 0, 0},
      {"loss5", 50, 0, 0, 0, 0},
      {"reorder_dup", 0, 200, 200, 0, 0},
      {"heavy", 200, 100, 100, 50, 20},  // 20% loss + reorder + dup + corruption
      {"brutal", 300, 200, 200, 100, 50},
  };
  std::vector<ConvergeCase> v;
  uint64_t seed = 1;
  for (const Impairment& m : kMixes)
    for (int i = 0; i < 4; ++i) v.push_back({m, seed++});
  return v;
}

INSTANTIATE_TEST_SUITE_P(
    Impairments, SyncConverge, ::testing::ValuesIn(converge_cases()),
    [](const ::testing::TestParamInfo<ConvergeCase>& info) {
      return std::string(info.param.imp.name) + "_seed" + std::to_string(info.param.seed);
    });

TEST(SyncStream, WrongPasswordRejectsEveryFrame) {
  std::deque<std::vector<uint8_t>> wire;
  Wire to_rx, to_tx;
  auto tx = test::make_stream(test::make_stream_params(0, kSmallWindow, wire_emit, &to_rx),
                              test::make_sync_conf(true, 1001, 2002, "password-a"));
  auto rx = test::make_stream(test::make_stream_params(0, kSmallWindow, wire_emit, &to_tx),
                              test::make_sync_conf(false, 2002, 1001, "password-b"));
  ReceiverTable peer;
  uint64_t now = 1'000'000, delivered = 0;
  for (int i = 0; i < 10000; ++i) {  // 0.5 s: RTOs of 20, 40, 80, 160, 200 ms
    now += kStepUs;
    sync_stream_poll(tx.get(), now);
    sync_stream_poll(rx.get(), now);
    while (!to_rx.queue.empty()) {
      auto f = std::move(to_rx.queue.front().bytes);
      to_rx.queue.pop_front();
      EXPECT_EQ(sync_rx_frame(rx.get(), f.data(), f.size(), now, receiver_apply, &peer),
                SyncRxResult::kBadAuth);
      ++delivered;
    }
  }
  EXPECT_GE(delivered, 5u) << "the sender keeps probing with its RESET";
  EXPECT_EQ(rx->counters.rx_bad_auth, delivered);
  EXPECT_EQ(peer.records + peer.generations, 0u) << "nothing applied";
  // The receiver follows nobody, so it only sends its periodic NEED_RESET
  // probe (every 100 ms): nothing answers the frames themselves.
  EXPECT_LE(to_tx.queue.size(), 6u) << "no ack for a frame that did not authenticate";
  EXPECT_EQ(rx->counters.rx_frames, 0u);
  EXPECT_EQ(tx->tx_state, SyncTxState::kProbing);
  EXPECT_FALSE(rx->rx_in_sync);
}

// A worker never runs the key schedule: frames of a boot the peer's
// heartbeats have not announced are refused on their epoch alone, and the
// stream starts once tandemd hands over the peer's key.
TEST(SyncStream, UnannouncedPeerBootIsRefusedUntilItsKeyArrives) {
  Wire to_rx, to_tx;
  constexpr uint64_t kTx = 0x7001, kRx = 0x7002;
  auto tx = test::make_stream(test::make_stream_params(0, kSmallWindow, wire_emit, &to_rx),
                              test::make_sync_conf(true, kTx, 0));
  auto rx = test::make_stream(test::make_stream_params(0, kSmallWindow, wire_emit, &to_tx),
                              test::make_sync_conf(false, kRx, 0));
  ReceiverTable peer;
  uint64_t now = 1'000'000, refused_rx = 0, refused_tx = 0;
  auto exchange = [&](int steps) {
    for (int i = 0; i < steps; ++i) {
      now += kStepUs;
      sync_stream_poll(tx.get(), now);
      sync_stream_poll(rx.get(), now);
      while (!to_rx.queue.empty()) {
        auto f = std::move(to_rx.queue.front().bytes);
        to_rx.queue.pop_front();
        refused_rx += sync_rx_frame(rx.get(), f.data(), f.size(), now, receiver_apply, &peer) ==
                      SyncRxResult::kUnknownEpoch;
      }
      while (!to_tx.queue.empty()) {
        auto f = std::move(to_tx.queue.front().bytes);
        to_tx.queue.pop_front();
        refused_tx += sync_rx_frame(tx.get(), f.data(), f.size(), now, sender_apply, nullptr) ==
                      SyncRxResult::kUnknownEpoch;
      }
    }
  };
  exchange(4000);  // 200 ms: RESET probes one way, NEED_RESET probes the other
  EXPECT_GE(refused_rx, 3u);
  EXPECT_GE(refused_tx, 1u);
  EXPECT_EQ(rx->counters.rx_unknown_epoch, refused_rx);
  EXPECT_EQ(rx->counters.rx_frames + rx->counters.rx_bad_auth, 0u) << "not even decrypted";
  EXPECT_EQ(peer.generations, 0u);
  EXPECT_EQ(tx->tx_state, SyncTxState::kProbing);

  // The receiver learns the sender's boot first (its heartbeat arrived):
  // its acks still wait for the sender to learn the receiver's.
  sync_stream_configure(rx.get(), test::make_sync_conf(false, kRx, kTx), now);
  exchange(4000);
  EXPECT_EQ(peer.generations, 1u) << "the RESET is taken once the key is there";
  EXPECT_EQ(tx->tx_state, SyncTxState::kProbing) << "the sender cannot open the acks yet";
  sync_stream_configure(tx.get(), test::make_sync_conf(true, kTx, kRx), now);
  uint64_t refused_before = refused_rx + refused_tx;
  exchange(8000);
  EXPECT_EQ(tx->tx_state, SyncTxState::kRunning);
  EXPECT_EQ(tx->tx_acked, tx->tx_seq) << "every frame acknowledged";
  EXPECT_EQ(refused_rx + refused_tx, refused_before) << "both keys known: nothing refused";
  EXPECT_EQ(g_sender_applies, 0u);
}

TEST(SyncStream, ReplayedFramesAreNeverAppliedTwice) {
  SyncPair p(11, {"clean", 0, 0, 0, 0, 0});
  ASSERT_TRUE(p.settle());
  run_workload(p, 3, 500);
  ASSERT_TRUE(p.settle());
  p.expect_tables_equal();
  ASSERT_GT(p.delivered_data().size(), 10u);
  ASSERT_GT(p.delivered_acks().size(), 5u);
  uint64_t records = p.peer().records, generations = p.peer().generations;
  auto before = p.peer().table.size();
  for (const auto& f : p.delivered_data()) {
    SyncRxResult r = p.deliver_to_receiver(f);
    EXPECT_EQ(r, SyncRxResult::kDuplicate) << sync_rx_result_name(r);
  }
  for (const auto& f : p.delivered_acks()) {
    SyncRxResult r = p.deliver_to_sender(f);
    EXPECT_EQ(r, SyncRxResult::kReplay) << sync_rx_result_name(r);
  }
  EXPECT_EQ(p.peer().records, records);
  EXPECT_EQ(p.peer().generations, generations);
  EXPECT_EQ(p.peer().table.size(), before);
  ASSERT_TRUE(p.settle()) << "the re-acks of duplicates change nothing";
  p.expect_tables_equal();
}

TEST(SyncStream, FramesOfAnotherGroupOrStreamAreRejected) {
  SyncPair p(12, {"clean", 0, 0, 0, 0, 0});
  ASSERT_TRUE(p.settle());
  // Same password, other cluster: the group is checked before the key.
  Wire other;
  auto foreign = test::make_stream(test::make_stream_params(0, kSmallWindow, wire_emit, &other),
                                   test::make_sync_conf(true, 4242, 0x5555'6666'7777'8888ull,
                                                        test::kTestPassword, 8));
  // Same cluster, worker 1's stream arriving on worker 0's queue.
  Wire misrouted;
  auto worker1 = test::make_stream(test::make_stream_params(1, kSmallWindow, wire_emit, &misrouted),
                                   test::make_sync_conf(true, 4343, 0x5555'6666'7777'8888ull));
  ASSERT_FALSE(other.queue.empty());
  ASSERT_FALSE(misrouted.queue.empty());
  uint64_t records = p.peer().records;
  for (const auto& f : other.queue)
    EXPECT_EQ(p.deliver_to_receiver(f.bytes), SyncRxResult::kWrongGroup);
  for (const auto& f : misrouted.queue)
    EXPECT_EQ(p.deliver_to_receiver(f.bytes), SyncRxResult::kMisrouted);
  EXPECT_EQ(p.rx()->counters.rx_wrong_group, other.queue.size());
  EXPECT_EQ(p.rx()->counters.rx_misrouted, misrouted.queue.size());
  EXPECT_EQ(p.peer().records, records);
  EXPECT_EQ(p.rx()->rx_epoch, 0x1111'2222'3333'4444ull) << "still follows its sender";

  // Not sync at all, and a truncated sync frame.
  std::vector<uint8_t> arp(60, 0);
  arp[12] = 0x08;
  arp[13] = 0x06;
  EXPECT_EQ(p.deliver_to_receiver(arp), SyncRxResult::kNotSync);
  std::vector<uint8_t> cut = other.queue.front().bytes;
  cut.resize(kSyncHdrLen + kSyncTagLen - 1);
  EXPECT_EQ(p.deliver_to_receiver(cut), SyncRxResult::kMalformed);
  // A frame with our own epoch: looped back.
  Wire loop;
  auto self = test::make_stream(test::make_stream_params(0, kSmallWindow, wire_emit, &loop),
                                test::make_sync_conf(true, 0x5555'6666'7777'8888ull, 0x1111'2222'3333'4444ull));
  ASSERT_FALSE(loop.queue.empty());
  EXPECT_EQ(p.deliver_to_receiver(loop.queue.front().bytes), SyncRxResult::kReplay);
}

TEST(SyncStream, ReceiverRestartAsksForResetAndResyncs) {
  SyncPair p(13, {"loss5", 50, 0, 0, 0, 0});
  ASSERT_TRUE(p.settle());
  run_workload(p, 3, 800);
  ASSERT_TRUE(p.settle());
  p.expect_tables_equal();
  uint64_t resets = p.tx()->counters.tx_resets, generation = p.tx()->generation;

  p.restart_receiver(0x9999'0000'0000'0001ull);
  EXPECT_TRUE(p.peer().table.empty());
  // Live traffic reaches the new receiver, which follows nobody.
  run_workload(p, 1, 800);
  ASSERT_TRUE(p.settle());
  EXPECT_GT(p.rx()->counters.rx_need_reset, 0u);
  EXPECT_GT(p.tx()->counters.tx_resets, resets);
  EXPECT_GT(p.tx()->generation, generation);
  EXPECT_TRUE(p.rx()->rx_in_sync);
  p.expect_tables_equal();
}

TEST(SyncStream, SenderRestartIsFollowedAndTheOldBootRetired) {
  SyncPair p(14, {"loss5", 50, 0, 0, 0, 0});
  ASSERT_TRUE(p.settle());
  run_workload(p, 3, 800);
  ASSERT_TRUE(p.settle());
  p.expect_tables_equal();
  std::vector<std::vector<uint8_t>> old_frames = p.delivered_data();
  ASSERT_FALSE(old_frames.empty());

  // The new boot holds a different table: some sessions ended meanwhile,
  // some are new. The receiver must drop what the new walk does not send.
  for (unsigned id = 0; id < 800; id += 3) p.model().table.erase(key_of(key_for(id)));
  Prng rng(99);
  for (unsigned id = 5000; id < 5100; ++id) {
    SessionRecord r = random_record(id, rng);
    p.model().table[key_of(r.key)] = {r, false};
  }
  const uint64_t kNewEpoch = 0x1111'2222'3333'4445ull;
  p.restart_sender(kNewEpoch);
  ASSERT_TRUE(p.settle());
  EXPECT_EQ(p.rx()->rx_epoch, kNewEpoch);
  EXPECT_TRUE(p.rx()->rx_in_sync);
  p.expect_tables_equal();

  uint64_t records = p.peer().records;
  auto size = p.peer().table.size();
  for (const auto& f : old_frames) {
    SyncRxResult r = p.deliver_to_receiver(f);
    EXPECT_EQ(r, SyncRxResult::kReplay) << sync_rx_result_name(r);
  }
  EXPECT_EQ(p.peer().records, records);
  EXPECT_EQ(p.peer().table.size(), size);
  EXPECT_EQ(p.rx()->rx_epoch, kNewEpoch) << "an old boot's RESET is not followed again";
}

TEST(SyncStream, FullWindowRestartsTheStreamInsteadOfLosingRecords) {
  SyncPair p(16, {"clean", 0, 0, 0, 0, 0});
  ASSERT_TRUE(p.settle());
  uint64_t resets = p.tx()->counters.tx_resets, generation = p.tx()->generation;
  // No acks come back: the window fills; the record that does not fit
  // must restart the stream at once (a RESET goes out, the bulk walk after
  // it carries the record), not vanish.
  Prng rng(5);
  uint8_t body[kSessionRecordLen];
  unsigned accepted = 0;
  for (unsigned id = 0; id < 10000; ++id) {
    session_record_encode(random_record(id, rng), body);
    if (!sync_tx_record(p.tx(), SyncRecordType::kSessionUpsert, body, sizeof(body), p.now())) break;
    ++accepted;
  }
  EXPECT_GT(accepted, kSmallWindow * 10) << "a window of frames, not of records";
  EXPECT_EQ(p.tx()->counters.tx_overflows, 1u);
  EXPECT_EQ(p.tx()->counters.tx_resets, resets + 1);
  EXPECT_EQ(p.tx()->tx_state, SyncTxState::kProbing);
  EXPECT_EQ(p.tx()->tx_seq - p.tx()->tx_acked, 1u) << "only the RESET is queued";
  EXPECT_FALSE(p.to_receiver().queue.empty()) << "the RESET left at once";
  EXPECT_FALSE(sync_tx_record(p.tx(), SyncRecordType::kSessionUpsert, body, sizeof(body),
                              p.now()))
      << "nothing is queued behind a RESET";
  p.to_receiver().queue.clear();  // what was sent before is lost with the window
  ASSERT_TRUE(p.settle());
  EXPECT_GT(p.tx()->generation, generation);
  EXPECT_TRUE(p.rx()->rx_in_sync);
}

// A secondary that reboots while the primary's table is quiet: with nothing
// unacked the sender sends nothing, so the new receiver (following nobody)
// must ask for a RESET by itself (the NEED_RESET probe of sync_stream_poll).
TEST(SyncStream, ReceiverRestartOnAnIdleStreamResyncs) {
  SyncPair p(17, {"clean", 0, 0, 0, 0, 0});
  ASSERT_TRUE(p.settle());
  run_workload(p, 1, 300);
  ASSERT_TRUE(p.settle());
  p.restart_receiver(0x9999'0000'0000'0002ull);
  for (int i = 0; i < 200'000; ++i) p.step();  // 10 s, no session changes
  EXPECT_TRUE(p.rx()->rx_in_sync);
  p.expect_tables_equal();
}

TEST(SyncStream, UnresponsiveReceiverBacksOffThenRecovers) {
  SyncPair p(15, {"clean", 0, 0, 0, 0, 0});
  ASSERT_TRUE(p.settle());
  p.change_sessions(50, 200);
  // The link is cut for a while: every frame lost, RTO doubles to its cap.
  p.impairment().loss = 1000;
  for (int i = 0; i < 20000; ++i) p.step();
  EXPECT_EQ(p.tx()->rto_us, kSyncDefaultRtoMaxUs);
  uint64_t sent = p.tx()->counters.tx_retransmits;
  uint64_t queued = p.tx()->tx_seq - p.tx()->tx_acked;
  ASSERT_GT(queued, 0u);
  EXPECT_GT(sent, 0u);
  // 1 s of outage: RTOs of 20, 40, 80, 160 ms, then 200 ms each: at most
  // ten rounds of go-back-N over what is queued, not one per step.
  EXPECT_LE(sent, queued * 10) << "backed off, not flooding";
  p.impairment().loss = 0;
  ASSERT_TRUE(p.settle());
  p.expect_tables_equal();
}

}  // namespace
}  // namespace tandem::dp
