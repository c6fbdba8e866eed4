// The userspace TCP stack through its worker glue (dataplane/tcp/tcp_glue)
// on real mbufs and EAL: two Dataplanes, each with a TCP stack on one
// net_ring port, joined by a wire the test runs between their TX and RX
// rings. Node S serves the test service (echo, HTTP); node C opens
// connections with tcp_glue_connect and plays the client. ARP, routing,
// checksums, the glue's mbuf pool and TX batching are all the real ones.
// The wire can drop, duplicate, delay (with jitter) and reorder frames;
// time is the test's clock, so RTOs and TIME_WAIT run without sleeping.
//
//   node C 10.9.0.2 (port c) <== impaired wire ==> (port s) node S 10.9.0.1
//
// Transfers are checked byte for byte: GET bodies against the service's
// pattern rebuilt here, POST bodies against the service's crc32 answer,
// echo against the bytes sent.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_cycles.h>
#include <rte_mempool.h>
#include <rte_random.h>
#include <rte_ring.h>

#include "dataplane/tcp/tcp.h"
#include "dataplane/tcp/tcp_diag.h"
#include "dataplane/tcp/tcp_glue.h"
#include "dataplane/tcp/tcp_wire.h"
#include "dataplane/worker/worker.h"
#include "dataplane/worker/worker_context.h"
#include "tests/component/lib/eal_ring.h"
#include "tests/unit/dataplane/frame_builder.h"

namespace tandem::dp {
namespace {

using test::ipv4;
using test::Mac;
using test::to_be;

constexpr Mac kMacS{{0x02, 0x09, 0x0f, 0x00, 0x06, 0x01}};
constexpr Mac kMacC{{0x02, 0x09, 0x0f, 0x00, 0x06, 0x02}};
const uint32_t kIpS = ipv4(10, 9, 0, 1);
const uint32_t kIpC = ipv4(10, 9, 0, 2);
constexpr uint16_t kEchoPort = 7, kHttpPort = 80;
constexpr uint32_t kMaxConns = 16;
constexpr unsigned kPollsPerMs = 2;  // loops of both nodes per simulated millisecond

rte_mempool* g_pool = nullptr;  // duplicates made by the wire
uint64_t g_now_ms = 1'000'000;
uint64_t test_clock(void*) { return __atomic_load_n(&g_now_ms, __ATOMIC_RELAXED); }

[[maybe_unused]] auto* const g_env = ::testing::AddGlobalTestEnvironment(
    new ::tandem::test::EalRingEnvironment("tcpc", "0", 4095, &g_pool));

using ::tandem::test::RingPort;

using ::tandem::test::free_ring_port;

Snapshot make_snapshot(const RingPort& p, const Mac& mac, uint32_t ip, bool service) {
  Snapshot s{};
  s.generation = 1;
  s.nb_ports = 1;
  PortConf& c = s.ports[0];
  c.port_id = p.port_id;
  std::memcpy(c.mac.addr_bytes, mac.b, 6);
  c.addrs[c.nb_addrs++] = {to_be(ip), to_be(0xffffff00)};
  c.allow_ping = true;
  c.active = true;
  std::snprintf(c.name, sizeof(c.name), "port%s", service ? "s" : "c");
  s.routes[s.nb_routes++] = {to_be(ipv4(10, 9, 0, 0)), 24, 0, 0, 0, 0};
  if (service) s.tcp_service = {kEchoPort, kHttpPort, kMaxConns};
  return s;
}

// One direction of the wire: frames leave `from`'s TX ring and reach `to`'s
// RX ring at their release time, unless dropped.
struct Impairment {
  double loss = 0, dup = 0, reorder = 0;  // probabilities per frame
  unsigned delay_ms = 0, jitter_ms = 0;   // base one-way delay, + uniform [0, jitter]
  unsigned reorder_ms = 3;                // a reordered frame waits this much longer
};

struct Direction {
  rte_ring* from;
  rte_ring* to;
  Impairment imp;
  std::multimap<uint64_t, rte_mbuf*> in_flight;  // release ms -> frame, FIFO per key
  uint64_t sent = 0, dropped = 0, duplicated = 0, reordered = 0;
};

class Wire {
 public:
  Wire(const RingPort& c, const RingPort& s, uint64_t seed) : rng_(seed) {
    dir_[0] = {c.tx[0], s.rx[0], {}, {}};
    dir_[1] = {s.tx[0], c.rx[0], {}, {}};
  }
  ~Wire() {
    for (Direction& d : dir_)
      for (auto& [at, m] : d.in_flight) rte_pktmbuf_free(m);
  }
  void impair(const Impairment& both) { dir_[0].imp = dir_[1].imp = both; }
  // Moves what the nodes sent onto the wire and what is due off it.
  void step(uint64_t now) {
    for (Direction& d : dir_) {
      void* objs[64];
      unsigned n;
      while ((n = rte_ring_dequeue_burst(d.from, objs, 64, nullptr)) > 0)
        for (unsigned i = 0; i < n; ++i) send(d, static_cast<rte_mbuf*>(objs[i]), now);
      while (!d.in_flight.empty() && d.in_flight.begin()->first <= now) {
        rte_mbuf* m = d.in_flight.begin()->second;
        d.in_flight.erase(d.in_flight.begin());
        if (rte_ring_enqueue(d.to, m) != 0) {
          ++d.dropped;  // the receiver's ring is full: tail drop, like a NIC
          rte_pktmbuf_free(m);
        }
      }
    }
  }
  const Direction& dir(unsigned i) const { return dir_[i]; }

 private:
  bool chance(double p) { return p > 0 && std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  void send(Direction& d, rte_mbuf* m, uint64_t now) {
    ++d.sent;
    if (chance(d.imp.loss)) {
      ++d.dropped;
      rte_pktmbuf_free(m);
      return;
    }
    if (chance(d.imp.dup)) {
      rte_mbuf* copy = rte_pktmbuf_copy(m, g_pool, 0, UINT32_MAX);
      if (copy != nullptr) {
        ++d.duplicated;
        d.in_flight.emplace(release(d, now), copy);
      }
    }
    d.in_flight.emplace(release(d, now), m);
  }
  uint64_t release(Direction& d, uint64_t now) {
    uint64_t at = now + d.imp.delay_ms;
    if (d.imp.jitter_ms > 0) at += rng_() % (d.imp.jitter_ms + 1);
    if (chance(d.imp.reorder)) {
      ++d.reordered;
      at += d.imp.reorder_ms;
    }
    return at;
  }
  std::mt19937_64 rng_;
  Direction dir_[2];
};

// The service's pattern, rebuilt from its description (tcp_service.cc).
class Pattern {
 public:
  Pattern() : block_(65536) {
    uint32_t x = 1;
    for (auto& b : block_) {
      x = (x * 1103515245u + 12345u) & 0x7fffffffu;
      b = static_cast<uint8_t>((x >> 16) & 0xff);
    }
  }
  uint8_t at(uint64_t i) const {
    uint64_t k = i / 65536, j = i % 65536;
    return block_[(j + k * 4099) % 65536];
  }

 private:
  std::vector<uint8_t> block_;
};

uint32_t crc32_update(uint32_t crc, const uint8_t* p, size_t n) {
  static uint32_t table[256];
  if (table[1] == 0) {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
      table[i] = c;
    }
  }
  crc = ~crc;
  for (size_t i = 0; i < n; ++i) crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

// A client connection on node C. Runs inside node C's poll (callbacks).
struct Client {
  enum class Kind { kGet, kPost, kEcho };
  Client(Kind k, uint64_t bytes) : kind(k), n(bytes) {}
  Kind kind;
  uint64_t n;  // body bytes: GET asks for, POST and echo send
  TcpStack* stack = nullptr;
  TcpConn* conn = nullptr;
  std::string head;  // request head to send
  size_t head_sent = 0;
  uint64_t body_sent = 0;
  std::mt19937_64 send_rng{42}, check_rng{42};  // echo/POST bytes, and their copy for echo
  uint32_t crc = 0;
  std::string resp_head;
  bool head_done = false;
  std::string resp_body;  // POST answer
  uint64_t got = 0;       // GET/echo body bytes checked
  int64_t first_bad = -1;
  bool established = false, shut = false, closed = false;
  TcpCloseReason why{};
  const Pattern* pattern = nullptr;
  uint8_t buf[16384];
  uint8_t out[16384];
  size_t out_off = 0, out_len = 0;
};

uint8_t rng_byte(std::mt19937_64& r) { return static_cast<uint8_t>(r() >> 56); }

void client_write(Client* c) {
  while (c->head_sent < c->head.size()) {
    size_t w = tcp_write(c->stack, c->conn, c->head.data() + c->head_sent,
                         c->head.size() - c->head_sent);
    c->head_sent += w;
    if (w == 0) return;
  }
  if (c->kind == Client::Kind::kGet) return;
  // Generated bytes wait in `out` until the stack takes them; a short
  // write is what arms on_writable.
  for (;;) {
    if (c->out_len == 0) {
      size_t k = static_cast<size_t>(std::min<uint64_t>(sizeof(c->out), c->n - c->body_sent));
      if (k == 0) break;
      for (size_t i = 0; i < k; ++i) c->out[i] = rng_byte(c->send_rng);
      c->crc = crc32_update(c->crc, c->out, k);
      c->out_off = 0;
      c->out_len = k;
    }
    size_t w = tcp_write(c->stack, c->conn, c->out + c->out_off, c->out_len);
    c->out_off += w;
    c->out_len -= w;
    c->body_sent += w;
    if (c->out_len > 0) return;
  }
  if (c->kind == Client::Kind::kEcho && !c->shut) {
    c->shut = true;
    tcp_shutdown(c->stack, c->conn);  // the service closes once it echoed all
  }
}

void client_consume(Client* c, const uint8_t* p, size_t n) {
  size_t i = 0;
  if (c->kind != Client::Kind::kEcho) {
    while (!c->head_done && i < n) {
      c->resp_head.push_back(static_cast<char>(p[i++]));
      if (c->resp_head.size() >= 4 &&
          c->resp_head.compare(c->resp_head.size() - 4, 4, "\r\n\r\n") == 0)
        c->head_done = true;
    }
  }
  if (c->kind == Client::Kind::kPost) {
    c->resp_body.append(reinterpret_cast<const char*>(p + i), n - i);
    return;
  }
  for (; i < n; ++i, ++c->got) {
    uint8_t want = c->kind == Client::Kind::kGet ? c->pattern->at(c->got) : rng_byte(c->check_rng);
    if (p[i] != want && c->first_bad < 0) c->first_bad = static_cast<int64_t>(c->got);
  }
}

void on_established(void* app, TcpConn*) {
  auto* c = static_cast<Client*>(app);
  c->established = true;
  client_write(c);
}
void on_writable(void* app, TcpConn*) { client_write(static_cast<Client*>(app)); }
void on_readable(void* app, TcpConn* conn) {
  auto* c = static_cast<Client*>(app);
  size_t r;
  while ((r = tcp_read(c->stack, conn, c->buf, sizeof(c->buf))) > 0) client_consume(c, c->buf, r);
  if (tcp_peer_closed(conn)) tcp_close(c->stack, conn);
}
void on_closed(void* app, TcpConn*, TcpCloseReason why) {
  auto* c = static_cast<Client*>(app);
  c->closed = true;
  c->why = why;
  c->conn = nullptr;
}
constexpr TcpCallbacks kClientCallbacks{on_established, on_readable, on_writable, on_closed};

class TcpComponent : public ::testing::Test {
 protected:
  void SetUp() override {
    // The stacks draw their secret (ISS, cookies, table hash) from rte_rand:
    // a seed per test, printed, so a failure can be run again with the same
    // sequence numbers. (Not bit for bit: the workers' TX drain still
    // follows the real TSC, so batching differs from run to run.)
    const char* fixed = std::getenv("TANDEM_TEST_SEED");
    const uint64_t seed = fixed != nullptr ? std::strtoull(fixed, nullptr, 0) : rte_rdtsc();
    rte_srand(seed);
    std::printf("# rte_srand(%llu); TANDEM_TEST_SEED=%llu repeats this test\n",
                static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed));
    ps_ = ::tandem::test::make_ring_port(1, g_pool);
    pc_ = ::tandem::test::make_ring_port(1, g_pool);
    char error[256] = "";
    DataplaneParams params{1, 0, static_cast<unsigned>(SOCKET_ID_ANY)};
    params.neigh_capacity = 16;
    params.tcp_max_conns = kMaxConns;
    s_ = dataplane_create(params, make_snapshot(ps_, kMacS, kIpS, true), error, sizeof(error));
    ASSERT_NE(s_, nullptr) << error;
    c_ = dataplane_create(params, make_snapshot(pc_, kMacC, kIpC, false), error, sizeof(error));
    ASSERT_NE(c_, nullptr) << error;
    dataplane_set_clock(s_, test_clock, nullptr);
    dataplane_set_clock(c_, test_clock, nullptr);
    wire_ = new Wire(pc_, ps_, 0x7a6e646d ^ static_cast<uint64_t>(
                                   ::testing::UnitTest::GetInstance()->random_seed()));
  }
  void TearDown() override {
    delete wire_;
    dataplane_destroy(s_);
    dataplane_destroy(c_);
    free_ring_port(ps_);
    free_ring_port(pc_);
    EXPECT_EQ(rte_mempool_in_use_count(g_pool), 0u) << "every mbuf must come back";
  }

  // One simulated millisecond: both nodes loop, the wire moves.
  void tick() {
    for (unsigned i = 0; i < kPollsPerMs; ++i) {
      dataplane_poll_once(c_, 0);
      dataplane_poll_once(s_, 0);
      wire_->step(g_now_ms);
    }
    __atomic_fetch_add(&g_now_ms, 1, __ATOMIC_RELAXED);
  }
  // Runs until every client closed or max_ms simulated milliseconds passed.
  // A transfer that moves no byte for kStallMs prints both nodes'
  // connections (once per run): what a rare failure needs to be understood.
  bool run(std::vector<Client*> clients, uint64_t max_ms) {
    constexpr uint64_t kStallMs = 5000;
    std::vector<uint64_t> last(clients.size(), 0), since(clients.size(), 0);
    bool dumped = false;
    for (uint64_t t = 0; t < max_ms; ++t) {
      tick();
      bool all = true;
      for (size_t i = 0; i < clients.size(); ++i) {
        Client* c = clients[i];
        all = all && c->closed;
        uint64_t progress = c->got + c->body_sent + c->head_sent;
        if (progress != last[i] || c->closed) {
          last[i] = progress;
          since[i] = t;
        } else if (!dumped && t - since[i] >= kStallMs) {
          dumped = true;
          std::printf("# stalled %llu ms at %llu bytes (client %zu):\n",
                      static_cast<unsigned long long>(t - since[i]),
                      static_cast<unsigned long long>(progress), i);
          dump_conns();
        }
      }
      if (all) return true;
    }
    return false;
  }
  void dump_conns() {
    for (Dataplane* dp : {c_, s_}) {
      const TcpStack* stack = dp->workers_[0]->tcp->stack;
      uint64_t now_us = g_now_ms * 1000;
      tcp_stack_for_each(stack, [&](const TcpConn& c) {
        char line[512];
        size_t n = tcp_format_conn(c, now_us, line, sizeof line);
        if (n > 0 && n < sizeof line && line[n - 1] == '\n') line[n - 1] = '\0';
        const TcpConnState& st = c.st;
        std::printf("# %s %s  ts_recent=%u last_ack_sent=%u wl1=%u wl2=%u backoff=%u "
                    "rexmt_in=%lld persist_in=%lld ts_now=%llu\n",
                    dp == s_ ? "S" : "C", line, st.ts_recent, st.last_ack_sent - st.irs,
                    st.snd_wl1 - st.irs, st.snd_wl2 - st.iss, unsigned{st.rto_backoff},
                    st.rexmt_at ? static_cast<long long>(st.rexmt_at - now_us) : -1,
                    st.persist_at ? static_cast<long long>(st.persist_at - now_us) : -1,
                    static_cast<unsigned long long>(g_now_ms));
      });
    }
  }

  void open(Client* c, uint16_t port) {
    WorkerContext* w = c_->workers_[0];
    c->stack = w->tcp->stack;
    c->pattern = &pattern_;
    if (c->kind == Client::Kind::kGet) {
      c->head = "GET /" + std::to_string(c->n) + " HTTP/1.1\r\nHost: s\r\n\r\n";
    } else if (c->kind == Client::Kind::kPost) {
      c->head = "POST /up HTTP/1.1\r\nHost: s\r\nContent-Length: " + std::to_string(c->n) +
                "\r\n\r\n";
    }
    c->conn = tcp_glue_connect(w, kIpC, kIpS, port, &kClientCallbacks, c);
    ASSERT_NE(c->conn, nullptr);
  }

  void expect_intact(const Client& c) {
    EXPECT_TRUE(c.closed);
    EXPECT_EQ(c.why, TcpCloseReason::kNormal) << tcp_close_reason_name(c.why);
    if (c.kind == Client::Kind::kPost) {
      char want[96];
      std::snprintf(want, sizeof(want), "bytes=%llu crc32=%08x ",
                    static_cast<unsigned long long>(c.n), c.crc);
      EXPECT_EQ(c.body_sent, c.n);
      EXPECT_NE(c.resp_body.find(want), std::string::npos)
          << "want " << want << " in " << c.resp_body;
      return;
    }
    if (c.kind == Client::Kind::kGet) {
      EXPECT_NE(c.resp_head.find("HTTP/1.1 200 OK"), std::string::npos) << c.resp_head;
    }
    EXPECT_EQ(c.got, c.n);
    EXPECT_EQ(c.first_bad, -1) << "first wrong byte at " << c.first_bad;
  }

  TcpWorkerStats stats(Dataplane* dp) {
    TcpWorkerStats st{};
    EXPECT_EQ(dataplane_tcp_stats(dp, 0, &st, 1000), 0);
    return st;
  }

  std::string list(Dataplane* dp) {
    std::vector<char> buf(1 << 16);
    unsigned total = 0;
    int n = dataplane_tcp_list(dp, buf.data(), buf.size(), &total, 1000);
    return n > 0 ? std::string(buf.data(), static_cast<size_t>(n)) : std::string();
  }

  // After 2 MSL every slot is free and every glue mbuf is back in its pool.
  void expect_drained() {
    for (uint64_t t = 0; t < 61'000; t += 500) {
      __atomic_fetch_add(&g_now_ms, 500, __ATOMIC_RELAXED);
      tick();
    }
    for (int i = 0; i < 50; ++i) tick();
    for (Dataplane* dp : {s_, c_}) {
      TcpWorkerStats st = stats(dp);
      EXPECT_EQ(st.live, 0u) << list(dp);
      EXPECT_EQ(rte_mempool_in_use_count(dp->workers_[0]->tcp->pool), 0u)
          << "the glue's frames all came back";
    }
  }

  RingPort ps_, pc_;
  Dataplane* s_ = nullptr;
  Dataplane* c_ = nullptr;
  Wire* wire_ = nullptr;
  Pattern pattern_;
};

TEST_F(TcpComponent, CleanWireGetPostEcho) {
  Client get{Client::Kind::kGet, 4u << 20};
  Client post{Client::Kind::kPost, 4u << 20};
  Client echo{Client::Kind::kEcho, 1u << 20};
  open(&get, kHttpPort);
  open(&post, kHttpPort);
  open(&echo, kEchoPort);
  ASSERT_TRUE(run({&get, &post, &echo}, 20'000)) << "get " << get.got << " post "
                                                 << post.body_sent << " echo " << echo.got;
  expect_intact(get);
  expect_intact(post);
  expect_intact(echo);
  TcpWorkerStats s = stats(s_);
  EXPECT_EQ(s.glue.rx_bad_checksum, 0u);
  EXPECT_EQ(s.glue.accepted, 3u);
  EXPECT_EQ(s.stack.retransmits, 0u) << "nothing lost on a clean wire";
  EXPECT_GT(stats(c_).glue.arp_requests, 0u) << "the client resolved the server";
  expect_drained();
}

// Loss, duplication, reordering and jittered delay both ways at once.
TEST_F(TcpComponent, ImpairedWireLargeTransfersArriveIntact) {
  Impairment imp;
  imp.loss = 0.02;
  imp.dup = 0.01;
  imp.reorder = 0.05;
  imp.delay_ms = 2;
  imp.jitter_ms = 2;
  wire_->impair(imp);
  Client get{Client::Kind::kGet, 16u << 20};
  Client post{Client::Kind::kPost, 16u << 20};
  Client echo{Client::Kind::kEcho, 2u << 20};
  open(&get, kHttpPort);
  open(&post, kHttpPort);
  open(&echo, kEchoPort);
  ASSERT_TRUE(run({&get, &post, &echo}, 600'000))
      << "get " << get.got << " post " << post.body_sent << " echo " << echo.got;
  if (get.why != TcpCloseReason::kNormal || post.why != TcpCloseReason::kNormal ||
      echo.why != TcpCloseReason::kNormal) {
    // Which side gave up, and how: every engine counter of both.
    char buf[4096];
    for (Dataplane* dp : {s_, c_}) {
      tcp_format_counters(stats(dp).stack, buf, sizeof buf);
      std::printf("# %s counters:\n%s\n", dp == s_ ? "server" : "client", buf);
    }
    std::printf("# get %s post %s echo %s\n", tcp_close_reason_name(get.why),
                tcp_close_reason_name(post.why), tcp_close_reason_name(echo.why));
  }
  expect_intact(get);
  expect_intact(post);
  expect_intact(echo);
  for (unsigned d = 0; d < 2; ++d) {
    EXPECT_GT(wire_->dir(d).dropped, 0u);
    EXPECT_GT(wire_->dir(d).duplicated, 0u);
    EXPECT_GT(wire_->dir(d).reordered, 0u);
  }
  TcpWorkerStats s = stats(s_), c = stats(c_);
  EXPECT_GT(s.stack.retransmits, 0u);
  EXPECT_GT(c.stack.retransmits, 0u);
  EXPECT_GT(s.stack.ooo_queued + c.stack.ooo_queued, 0u);
  EXPECT_EQ(s.glue.rx_bad_checksum + c.glue.rx_bad_checksum, 0u);
  std::printf("# impaired: server retransmits=%llu fast=%llu rto=%llu ooo=%llu; "
              "client retransmits=%llu ooo=%llu\n",
              static_cast<unsigned long long>(s.stack.retransmits),
              static_cast<unsigned long long>(s.stack.fast_retransmits),
              static_cast<unsigned long long>(s.stack.rto_events),
              static_cast<unsigned long long>(s.stack.ooo_queued),
              static_cast<unsigned long long>(c.stack.retransmits),
              static_cast<unsigned long long>(c.stack.ooo_queued));
  expect_drained();
}

// A SYN from `src` (an address nobody answers ARP for) to node S, with a
// valid checksum: the glue drops bad ones before the engine sees them.
rte_mbuf* spoofed_syn(uint32_t src, uint16_t sport) {
  test::Bytes seg = test::tcp_segment(sport, kHttpPort);
  uint16_t sum = tcp_wire_checksum(src, kIpS, seg.data(), seg.size());
  seg[16] = static_cast<uint8_t>(sum >> 8);
  seg[17] = static_cast<uint8_t>(sum & 0xff);
  constexpr Mac kSpoofMac{{0x02, 0x66, 0x00, 0x00, 0x00, 0x99}};
  test::Bytes f = test::ipv4_frame(kMacS, kSpoofMac, src, kIpS, 6 /* TCP */, seg);
  rte_mbuf* m = rte_pktmbuf_alloc(g_pool);
  if (m == nullptr) return nullptr;
  std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(f.size())), f.data(), f.size());
  return m;
}

// A SYN flood while a download runs: the backlog fills with half-open
// connections whose SYN-ACKs go nowhere, every further SYN is answered with
// a cookie and costs no slot, the download is not disturbed, and a client
// that connects during the flood gets in through its cookie.
TEST_F(TcpComponent, SynFloodIsAnsweredWithCookiesWhileATransferRuns) {
  Client get{Client::Kind::kGet, 32u << 20};
  open(&get, kHttpPort);
  for (int t = 0; t < 20; ++t) tick();
  ASSERT_TRUE(get.established);
  const uint32_t kSpoofed = ipv4(10, 9, 0, 99);
  constexpr unsigned kSynsPerMs = 16, kFloodMs = 300;
  Client late{Client::Kind::kGet, 1u << 20};
  for (unsigned t = 0; t < kFloodMs; ++t) {
    for (unsigned i = 0; i < kSynsPerMs; ++i) {
      rte_mbuf* m = spoofed_syn(kSpoofed, static_cast<uint16_t>(20000 + t * kSynsPerMs + i));
      ASSERT_NE(m, nullptr);
      if (rte_ring_enqueue(ps_.rx[0], m) != 0) rte_pktmbuf_free(m);
    }
    if (t == kFloodMs / 2) open(&late, kHttpPort);
    tick();
  }
  TcpWorkerStats mid = stats(s_);
  EXPECT_EQ(mid.by_state[static_cast<unsigned>(TcpConnStateId::kSynReceived)],
            tcp_glue_syn_backlog(kMaxConns))
      << "the backlog is full, and no more";
  ASSERT_TRUE(run({&get, &late}, 60'000)) << "get " << get.got << " late " << late.got;
  expect_intact(get);
  expect_intact(late);
  TcpWorkerStats s = stats(s_);
  EXPECT_GT(s.stack.syn_cookies_sent, kSynsPerMs * kFloodMs / 2);
  EXPECT_GE(s.stack.syn_cookies_validated, 1u) << "the late client came in through a cookie";
  EXPECT_EQ(s.stack.syn_cookies_failed, 0u);
  EXPECT_EQ(s.stack.table_full, 0u);
  EXPECT_EQ(s.glue.accepted, 2u);
}

}  // namespace
}  // namespace tandem::dp
