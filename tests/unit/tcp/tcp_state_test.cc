// Every transition of the RFC 9293 state diagram, RST in each state, the
// RFC 5961 challenge ACKs, zero window and persist, keepalive, SYN cookies
// and retransmission of SYN and FIN. Hand-made segments (Capture) where
// the exact bytes matter, two stacks (Net) where behaviour over time does.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "tests/unit/tcp/tcp_test_util.h"

namespace tandem::dp::test {
namespace {

using S = TcpConnStateId;

// The app side of a Capture connection.
struct App {
  TcpConn* c = nullptr;
  bool closed = false, established = false;
  TcpCloseReason why = TcpCloseReason::kNormal;
  int readable = 0;
};

void app_established(void* a, TcpConn*) { static_cast<App*>(a)->established = true; }
void app_readable(void* a, TcpConn*) { ++static_cast<App*>(a)->readable; }
void app_closed(void* a, TcpConn*, TcpCloseReason why) {
  auto* app = static_cast<App*>(a);
  app->closed = true;
  app->why = why;
  app->c = nullptr;
}
constexpr TcpCallbacks kAppCb{app_established, app_readable, nullptr, app_closed};

bool app_accept(void* ctx, TcpConn* c) {
  auto* app = static_cast<App*>(ctx);
  app->c = c;
  app->established = true;
  tcp_set_callbacks(c, &kAppCb, app);
  return true;
}

constexpr uint32_t kPeerIss = 1000;

// A passive connection in ESTABLISHED: returns our ISS.
uint32_t open_passive(Capture& cap, App& app, uint32_t backlog = 8) {
  EXPECT_GE(tcp_listen(cap.s(), kIpA, kPortListen, backlog, 0, app_accept, &app), 0);
  cap.send(cap.seg(kTcpSyn, kPeerIss, 0));
  EXPECT_EQ(cap.last().seg.flags, kTcpSyn | kTcpAck);
  EXPECT_EQ(cap.last().seg.ack, kPeerIss + 1);
  uint32_t iss = cap.last().seg.seq;
  cap.send(cap.seg(kTcpAck, kPeerIss + 1, iss + 1));
  EXPECT_TRUE(app.c != nullptr);
  if (app.c) {
    EXPECT_EQ(app.c->st.state, S::kEstablished);
  }
  return iss;
}

S state_of(const App& app) { return app.c ? app.c->st.state : S::kClosed; }

TEST(TcpState, PassiveOpenActiveCloseTimeWaitExpires) {
  Capture cap;
  App app;
  uint32_t iss = open_passive(cap, app);
  tcp_close(cap.s(), app.c);
  EXPECT_EQ(state_of(app), S::kFinWait1);
  EXPECT_EQ(cap.last().seg.flags & kTcpFin, kTcpFin);
  cap.send(cap.seg(kTcpAck, kPeerIss + 1, iss + 2));
  EXPECT_EQ(state_of(app), S::kFinWait2);
  cap.send(cap.seg(kTcpAck | kTcpFin, kPeerIss + 1, iss + 2));
  EXPECT_TRUE(app.closed);  // the app is done; the slot lingers in TIME_WAIT
  EXPECT_EQ(app.why, TcpCloseReason::kNormal);
  EXPECT_EQ(cap.last().seg.ack, kPeerIss + 2);
  EXPECT_EQ(cap.s()->by_state[static_cast<unsigned>(S::kTimeWait)], 1u);
  // The peer lost our ACK: its FIN again is re-acknowledged.
  size_t before = cap.out.size();
  cap.send(cap.seg(kTcpAck | kTcpFin, kPeerIss + 1, iss + 2));
  ASSERT_EQ(cap.out.size(), before + 1);
  EXPECT_EQ(cap.last().seg.ack, kPeerIss + 2);
  cap.advance(2 * test_config().msl_us - 10'000);
  EXPECT_EQ(cap.live(), 1u);
  cap.advance(20'000);
  EXPECT_EQ(cap.live(), 0u);
}

// More slots than buffer pairs (TcpConfig::max_buffers): a connection
// holds its pair from SYN to TIME_WAIT, and TIME_WAIT holds only the slot.
TEST(TcpState, TimeWaitGivesItsBuffersBack) {
  TcpConfig cfg = test_config();
  cfg.max_conns = 4;
  cfg.max_buffers = 1;
  Capture cap(cfg);
  App app;
  uint32_t iss = open_passive(cap, app);
  EXPECT_EQ(cap.s()->buf_free_n, 0u);
  // No pair left: a second client gets a SYN cookie (no slot taken), and an
  // active open is refused as table full.
  TcpSegment syn2 = cap.seg(kTcpSyn, 5000, 0);
  syn2.tuple.src_port = Capture::kPeerPort + 1;
  cap.send(syn2);
  EXPECT_EQ(cap.last().seg.flags, kTcpSyn | kTcpAck);
  EXPECT_EQ(cap.live(), 1u);
  EXPECT_EQ(cap.s()->counters.syn_cookies_sent, 1u);
  EXPECT_EQ(tcp_connect(cap.s(), kIpA, Capture::kPeerIp, 80, nullptr, nullptr, &kAppCb, &app),
            nullptr);
  EXPECT_EQ(cap.s()->counters.table_full, 1u);

  tcp_close(cap.s(), app.c);
  cap.send(cap.seg(kTcpAck | kTcpFin, kPeerIss + 1, iss + 2));
  ASSERT_TRUE(app.closed);
  EXPECT_EQ(cap.s()->by_state[static_cast<unsigned>(S::kTimeWait)], 1u);
  EXPECT_EQ(cap.s()->buf_free_n, 1u);  // the pair is back; the slot lingers
  // TIME_WAIT still answers a retransmitted FIN, with the usual window.
  cap.send(cap.seg(kTcpAck | kTcpFin, kPeerIss + 1, iss + 2));
  EXPECT_EQ(cap.last().seg.flags, kTcpAck);
  EXPECT_EQ(cap.last().seg.ack, kPeerIss + 2);
  EXPECT_GT(cap.last().seg.window, 0);

  // The second client now gets a real connection beside the TIME_WAIT one
  // (the listener hands it to the same App).
  App& app2 = app;
  app2 = App{};
  syn2.seq = 6000;
  cap.send(syn2);
  ASSERT_EQ(cap.last().seg.flags, kTcpSyn | kTcpAck);
  EXPECT_EQ(cap.live(), 2u);
  TcpSegment ack2 = cap.seg(kTcpAck, 6001, cap.last().seg.seq + 1);
  ack2.tuple.src_port = Capture::kPeerPort + 1;
  cap.send(ack2);
  ASSERT_TRUE(app2.c != nullptr);
  EXPECT_EQ(app2.c->st.state, S::kEstablished);
  // It moves data through the pair TIME_WAIT gave back.
  TcpSegment data = ack2;
  data.flags = kTcpAck | kTcpPsh;
  cap.send_data(data, "hello");
  char buf[8] = {};
  EXPECT_EQ(tcp_read(cap.s(), app2.c, buf, sizeof buf), 5u);
  EXPECT_STREQ(buf, "hello");
  cap.advance(2 * test_config().msl_us + 20'000);
  EXPECT_EQ(cap.live(), 1u);
  EXPECT_EQ(cap.s()->buf_free_n, 0u);
}

TEST(TcpState, PassiveCloseCloseWaitLastAck) {
  Capture cap;
  App app;
  uint32_t iss = open_passive(cap, app);
  cap.send(cap.seg(kTcpAck | kTcpFin, kPeerIss + 1, iss + 1));
  EXPECT_EQ(state_of(app), S::kCloseWait);
  EXPECT_TRUE(tcp_peer_closed(app.c));
  EXPECT_GE(app.readable, 1);
  tcp_shutdown(cap.s(), app.c);
  EXPECT_EQ(state_of(app), S::kLastAck);
  EXPECT_EQ(cap.last().seg.flags & kTcpFin, kTcpFin);
  cap.send(cap.seg(kTcpAck, kPeerIss + 2, iss + 2));
  EXPECT_TRUE(app.closed);
  EXPECT_EQ(app.why, TcpCloseReason::kNormal);
  EXPECT_EQ(cap.live(), 0u);
}

TEST(TcpState, SimultaneousCloseThroughClosing) {
  Capture cap;
  App app;
  uint32_t iss = open_passive(cap, app);
  tcp_shutdown(cap.s(), app.c);
  EXPECT_EQ(state_of(app), S::kFinWait1);
  // The peer's FIN crosses ours: it does not acknowledge our FIN yet.
  cap.send(cap.seg(kTcpAck | kTcpFin, kPeerIss + 1, iss + 1));
  EXPECT_EQ(state_of(app), S::kClosing);
  cap.send(cap.seg(kTcpAck, kPeerIss + 2, iss + 2));
  EXPECT_TRUE(app.closed);
  EXPECT_EQ(cap.s()->by_state[static_cast<unsigned>(S::kTimeWait)], 1u);
}

TEST(TcpState, FinWait1StraightToTimeWait) {
  Capture cap;
  App app;
  uint32_t iss = open_passive(cap, app);
  tcp_shutdown(cap.s(), app.c);
  cap.send(cap.seg(kTcpAck | kTcpFin, kPeerIss + 1, iss + 2));  // FIN + ACK of ours
  EXPECT_TRUE(app.closed);
  EXPECT_EQ(cap.s()->by_state[static_cast<unsigned>(S::kTimeWait)], 1u);
}

TEST(TcpState, ActiveOpen) {
  Capture cap;
  App app;
  app.c = tcp_connect(cap.s(), kIpA, Capture::kPeerIp, Capture::kPeerPort, nullptr, nullptr,
                      &kAppCb, &app);
  ASSERT_NE(app.c, nullptr);
  EXPECT_EQ(state_of(app), S::kSynSent);
  const TcpSegment syn = cap.last().seg;
  EXPECT_EQ(syn.flags, kTcpSyn);
  EXPECT_TRUE(syn.opts.has_mss && syn.opts.has_ts && syn.opts.has_wscale && syn.opts.sack_permitted);
  TcpSegment synack = cap.seg(kTcpSyn | kTcpAck, 5000, syn.seq + 1, 65535, syn.tuple.src_port);
  synack.opts.has_mss = true;
  synack.opts.mss = 1400;
  cap.send(synack);
  EXPECT_TRUE(app.established);
  EXPECT_EQ(state_of(app), S::kEstablished);
  EXPECT_EQ(cap.last().seg.flags, kTcpAck);
  EXPECT_EQ(cap.last().seg.ack, 5001u);
  EXPECT_EQ(app.c->st.snd_mss, 1400);
  EXPECT_FALSE(app.c->st.ts_enabled);  // the peer did not echo the option
}

TEST(TcpState, SynRetransmittedWithBackoffThenTimeout) {
  TcpConfig cfg = test_config();
  cfg.syn_retries = 3;
  Capture cap(cfg);
  App app;
  app.c = tcp_connect(cap.s(), kIpA, Capture::kPeerIp, Capture::kPeerPort, nullptr, nullptr,
                      &kAppCb, &app);
  std::vector<uint64_t> sent_at = {cap.now};
  for (int i = 0; i < 200 && !app.closed; ++i) {
    size_t n = cap.out.size();
    cap.advance(10'000);
    if (cap.out.size() > n && !app.closed) sent_at.push_back(cap.now);
  }
  EXPECT_TRUE(app.closed);
  EXPECT_EQ(app.why, TcpCloseReason::kTimeout);
  ASSERT_EQ(sent_at.size(), 4u);  // the SYN and 3 retransmissions
  for (size_t i = 2; i < sent_at.size(); ++i)
    EXPECT_GT(sent_at[i] - sent_at[i - 1], sent_at[i - 1] - sent_at[i - 2]);  // backoff
  for (const auto& o : cap.out) EXPECT_EQ(o.seg.flags, kTcpSyn);
}

TEST(TcpState, SynAckRetransmittedAndDuplicateSynAnswered) {
  Capture cap;
  App app;
  ASSERT_GE(tcp_listen(cap.s(), 0, kPortListen, 8, 0, app_accept, &app), 0);
  cap.send(cap.seg(kTcpSyn, kPeerIss, 0));
  uint32_t iss = cap.last().seg.seq;
  cap.advance(test_config().rto_initial_us + 2000);
  ASSERT_EQ(cap.out.size(), 2u);
  EXPECT_EQ(cap.last().seg.flags, kTcpSyn | kTcpAck);
  EXPECT_EQ(cap.last().seg.seq, iss);
  cap.send(cap.seg(kTcpSyn, kPeerIss, 0));  // the peer's SYN again
  ASSERT_EQ(cap.out.size(), 3u);
  EXPECT_EQ(cap.last().seg.flags, kTcpSyn | kTcpAck);
  cap.send(cap.seg(kTcpAck, kPeerIss + 1, iss + 1));
  EXPECT_EQ(state_of(app), S::kEstablished);
}

// Ports fixed on both sides so the two SYNs cross.
bool only_port(void* ctx, const TcpTuple& t) {
  return t.src_port == *static_cast<uint16_t*>(ctx);
}

TEST(TcpState, SimultaneousOpenThroughSynReceived) {
  TcpConfig cfg = test_config();
  cfg.ephemeral_lo = 5000;
  cfg.ephemeral_hi = 6000;
  Net net(cfg, 1, Impairment{"d", 0, 0, 0, 0, 2000, 0, 0, 0});
  Endpoint a, b;
  a.seed = 10;
  b.seed = 20;
  a.to_send = b.to_send = 10'000;
  uint16_t pa = 5001, pb = 5002;
  ASSERT_NE(net.connect(0, &a, pb, only_port, &pa), nullptr);
  ASSERT_NE(net.connect(1, &b, pa, only_port, &pb), nullptr);
  net.run(net.now + 2'000'000, [&] { return a.closed && b.closed; });
  EXPECT_TRUE(net.seen[0].count(S::kSynReceived));
  EXPECT_TRUE(net.seen[1].count(S::kSynReceived));
  EXPECT_TRUE(a.closed && b.closed);
  EXPECT_EQ(a.hash, stream_hash(20, 10'000));
  EXPECT_EQ(b.hash, stream_hash(10, 10'000));
  // Both shut down at once as well: a simultaneous close.
  EXPECT_TRUE(net.seen[0].count(S::kFinWait1));
  EXPECT_TRUE(net.seen[0].count(S::kClosing) || net.seen[1].count(S::kClosing));
}

TEST(TcpState, NormalCloseSeenOnBothSides) {
  Net net(test_config(), 2, Impairment{"d", 0, 0, 0, 0, 1000, 0, 0, 0});
  Endpoint client, server;
  client.seed = 1;
  client.to_send = 5000;
  client.auto_shutdown = false;
  server.auto_shutdown = false;  // the server closes only after the client's FIN
  ASSERT_GE(net.listen(1, &server), 0);
  net.connect(0, &client);
  net.run(net.now + 1'000'000, [&] { return server.received == 5000; });
  tcp_shutdown(net.stack(0), client.c);
  net.run(net.now + 1'000'000, [&] { return server.eof; });
  ASSERT_TRUE(server.eof);
  tcp_shutdown(net.stack(1), server.c);
  net.run(net.now + 1'000'000, [&] { return client.closed && server.closed; });
  for (S st : {S::kSynSent, S::kEstablished, S::kFinWait1, S::kFinWait2, S::kTimeWait})
    EXPECT_TRUE(net.seen[0].count(st)) << tcp_state_name(st);
  for (S st : {S::kSynReceived, S::kEstablished, S::kCloseWait, S::kLastAck})
    EXPECT_TRUE(net.seen[1].count(st)) << tcp_state_name(st);
  net.run_for(2 * test_config().msl_us + 10'000);
  EXPECT_EQ(net.stack(0)->live + net.stack(1)->live, 0u);
}

// Drives a Capture connection into `target`; returns false if not reachable.
struct Driven {
  uint32_t iss = 0;
  uint32_t rcv_nxt = 0;
};

Driven drive_to(Capture& cap, App& app, S target) {
  Driven d;
  if (target == S::kSynSent) {
    app.c = tcp_connect(cap.s(), kIpA, Capture::kPeerIp, kPortListen, nullptr, nullptr, &kAppCb,
                        &app);
    d.iss = cap.last().seg.seq;
    return d;
  }
  if (target == S::kSynReceived) {
    tcp_listen(cap.s(), kIpA, kPortListen, 8, 0, app_accept, &app);
    cap.send(cap.seg(kTcpSyn, kPeerIss, 0));
    d.iss = cap.last().seg.seq;
    d.rcv_nxt = kPeerIss + 1;
    return d;
  }
  d.iss = open_passive(cap, app);
  d.rcv_nxt = kPeerIss + 1;
  switch (target) {
    case S::kEstablished: break;
    case S::kFinWait1: tcp_shutdown(cap.s(), app.c); break;
    case S::kFinWait2:
      tcp_shutdown(cap.s(), app.c);
      cap.send(cap.seg(kTcpAck, kPeerIss + 1, d.iss + 2));
      break;
    case S::kCloseWait:
      cap.send(cap.seg(kTcpAck | kTcpFin, kPeerIss + 1, d.iss + 1));
      d.rcv_nxt = kPeerIss + 2;
      break;
    case S::kClosing:
      tcp_shutdown(cap.s(), app.c);
      cap.send(cap.seg(kTcpAck | kTcpFin, kPeerIss + 1, d.iss + 1));
      d.rcv_nxt = kPeerIss + 2;
      break;
    case S::kLastAck:
      cap.send(cap.seg(kTcpAck | kTcpFin, kPeerIss + 1, d.iss + 1));
      tcp_shutdown(cap.s(), app.c);
      d.rcv_nxt = kPeerIss + 2;
      break;
    case S::kTimeWait:
      tcp_shutdown(cap.s(), app.c);
      cap.send(cap.seg(kTcpAck | kTcpFin, kPeerIss + 1, d.iss + 2));
      d.rcv_nxt = kPeerIss + 2;
      break;
    default: break;
  }
  return d;
}

S only_state(Capture& cap) {
  S found = S::kClosed;
  tcp_stack_for_each(cap.s(), [&](const TcpConn& c) { found = c.st.state; });
  return found;
}

class RstIn : public ::testing::TestWithParam<S> {};

TEST_P(RstIn, ExactRstEndsInWindowRstChallenged) {
  S target = GetParam();
  {
    Capture cap;
    App app;
    Driven d = drive_to(cap, app, target);
    ASSERT_EQ(only_state(cap), target);
    if (target == S::kSynSent) {
      TcpSegment rst = cap.seg(kTcpRst | kTcpAck, 0, d.iss + 1, 0, app.c->st.local_port);
      rst.tuple.src_port = app.c->st.remote_port;
      cap.send(rst);
      EXPECT_TRUE(app.closed);
      EXPECT_EQ(app.why, TcpCloseReason::kRefused);
    } else {
      // In window but not exact (RFC 5961 3.2): challenge ACK, nothing else.
      size_t n = cap.out.size();
      cap.send(cap.seg(kTcpRst, d.rcv_nxt + 100, 0));
      ASSERT_EQ(cap.out.size(), n + 1);
      EXPECT_EQ(cap.last().seg.flags, kTcpAck);
      EXPECT_EQ(cap.last().seg.ack, d.rcv_nxt);
      EXPECT_EQ(only_state(cap), target);
      // Out of window: ignored silently.
      cap.send(cap.seg(kTcpRst, d.rcv_nxt + 10'000'000, 0));
      EXPECT_EQ(cap.out.size(), n + 1);
      EXPECT_EQ(only_state(cap), target);
      cap.send(cap.seg(kTcpRst, d.rcv_nxt, 0));
      if (target != S::kSynReceived && target != S::kTimeWait && target != S::kLastAck) {
        EXPECT_TRUE(app.closed);
        EXPECT_EQ(app.why, TcpCloseReason::kReset);
      }
    }
    EXPECT_EQ(tcp_stack_counters(cap.s()).resets_received, 1u);
    EXPECT_EQ(cap.live(), 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(EveryState, RstIn,
                         ::testing::Values(S::kSynSent, S::kSynReceived, S::kEstablished,
                                           S::kFinWait1, S::kFinWait2, S::kCloseWait,
                                           S::kClosing, S::kLastAck, S::kTimeWait),
                         [](const ::testing::TestParamInfo<S>& i) {
                           return std::string(tcp_state_name(i.param));
                         });

TEST(TcpState, ChallengeAckForSynAndBadAck) {
  TcpConfig cfg = test_config();
  cfg.challenge_ack_limit = 3;
  Capture cap(cfg);
  App app;
  uint32_t iss = open_passive(cap, app);
  size_t n = cap.out.size();
  cap.send(cap.seg(kTcpSyn, 777777, 0));  // RFC 5961 4
  ASSERT_EQ(cap.out.size(), n + 1);
  EXPECT_EQ(cap.last().seg.flags, kTcpAck);
  EXPECT_EQ(state_of(app), S::kEstablished);
  cap.send(cap.seg(kTcpAck, kPeerIss + 1, iss + 100));  // acks data never sent (RFC 5961 5)
  ASSERT_EQ(cap.out.size(), n + 2);
  EXPECT_EQ(tcp_stack_counters(cap.s()).bad_acks, 1u);
  cap.send(cap.seg(kTcpAck, kPeerIss + 1, iss - 2'000'000));  // far below snd_una - max window
  ASSERT_EQ(cap.out.size(), n + 3);
  EXPECT_EQ(tcp_stack_counters(cap.s()).bad_acks, 2u);
  // Rate limit: 3 per second.
  cap.send(cap.seg(kTcpSyn, 777777, 0));
  EXPECT_EQ(cap.out.size(), n + 3);
  EXPECT_EQ(tcp_stack_counters(cap.s()).challenge_acks, 3u);
  EXPECT_EQ(tcp_stack_counters(cap.s()).challenge_acks_limited, 1u);
  cap.advance(1'000'000);
  cap.send(cap.seg(kTcpSyn, 777777, 0));
  EXPECT_EQ(tcp_stack_counters(cap.s()).challenge_acks, 4u);
  EXPECT_EQ(state_of(app), S::kEstablished);
}

TEST(TcpState, DataAfterCloseIsReset) {
  Capture cap;
  App app;
  uint32_t iss = open_passive(cap, app);
  tcp_close(cap.s(), app.c);
  cap.send_data(cap.seg(kTcpAck, kPeerIss + 1, iss + 2), "late");
  EXPECT_TRUE(app.closed);
  EXPECT_EQ(app.why, TcpCloseReason::kAborted);
  EXPECT_TRUE(cap.last().seg.flags & kTcpRst);
}

TEST(TcpState, SynCookiesWhenBacklogOverflows) {
  Capture cap;
  App app;
  ASSERT_GE(tcp_listen(cap.s(), kIpA, kPortListen, /*syn_backlog=*/1, 0, app_accept, &app), 0);
  cap.send(cap.seg(kTcpSyn, kPeerIss, 0));  // fills the backlog
  EXPECT_EQ(cap.live(), 1u);
  TcpSegment syn2 = cap.seg(kTcpSyn, 50'000, 0);
  syn2.tuple.src_port = 4001;
  syn2.opts.has_mss = true;
  syn2.opts.mss = 1400;
  cap.send(syn2);
  EXPECT_EQ(cap.live(), 1u);  // no state kept
  EXPECT_EQ(tcp_stack_counters(cap.s()).syn_cookies_sent, 1u);
  uint32_t cookie = cap.last().seg.seq;
  EXPECT_EQ(cap.last().seg.flags, kTcpSyn | kTcpAck);
  // A forged final ACK fails and is reset.
  TcpSegment forged = cap.seg(kTcpAck, 50'001, cookie + 2);
  forged.tuple.src_port = 4001;
  cap.send(forged);
  EXPECT_EQ(tcp_stack_counters(cap.s()).syn_cookies_failed, 1u);
  EXPECT_TRUE(cap.last().seg.flags & kTcpRst);
  // The real one, with data, becomes a connection.
  TcpSegment ack = cap.seg(kTcpAck | kTcpPsh, 50'001, cookie + 1);
  ack.tuple.src_port = 4001;
  cap.send_data(ack, "GET / HTTP/1.1\r\n\r\n");
  EXPECT_EQ(tcp_stack_counters(cap.s()).syn_cookies_validated, 1u);
  ASSERT_NE(app.c, nullptr);
  EXPECT_EQ(app.c->st.remote_port, 4001);
  EXPECT_EQ(state_of(app), S::kEstablished);
  EXPECT_EQ(app.c->st.snd_mss, 1380);  // rounded down to a cookie MSS
  EXPECT_TRUE(app.c->st.flags & kTcpfFromCookie);
  char buf[64];
  EXPECT_EQ(tcp_read(cap.s(), app.c, buf, sizeof(buf)), 18u);
}

// The cookie's options ride in the SYN-ACK's TSval low bits. Here they
// (wscale 7 + SACK = 0x17) are larger than the clock's low bits (1000 ms:
// 0x08): the TSval steps back a period rather than run ahead, so the
// server's later segments are not older than what the client keeps for PAWS.
TEST(TcpState, SynCookieTimestampIsNeverAheadOfTheClock) {
  Capture cap;
  App app;
  ASSERT_GE(tcp_listen(cap.s(), kIpA, kPortListen, /*syn_backlog=*/1, 0, app_accept, &app), 0);
  cap.send(cap.seg(kTcpSyn, kPeerIss, 0));  // fills the backlog
  TcpSegment syn2 = cap.seg(kTcpSyn, 50'000, 0);
  syn2.tuple.src_port = 4001;
  syn2.opts.has_ts = true;
  syn2.opts.ts_val = 777;
  syn2.opts.has_wscale = true;
  syn2.opts.wscale = 7;
  syn2.opts.sack_permitted = true;
  cap.send(syn2);
  ASSERT_EQ(tcp_stack_counters(cap.s()).syn_cookies_sent, 1u);
  const TcpSegment synack = cap.last().seg;
  ASSERT_TRUE(synack.opts.has_ts);
  const uint32_t clock_ts = static_cast<uint32_t>(Capture::kStart / 1000);
  EXPECT_LE(synack.opts.ts_val, clock_ts);
  EXPECT_GT(synack.opts.ts_val + 32, clock_ts);
  EXPECT_EQ(synack.opts.ts_val & 0x1f, 0x17u);

  TcpSegment ack = cap.seg(kTcpAck, 50'001, synack.seq + 1);
  ack.tuple.src_port = 4001;
  ack.opts.has_ts = true;
  ack.opts.ts_val = 778;
  ack.opts.ts_ecr = synack.opts.ts_val;
  cap.send(ack);
  ASSERT_EQ(tcp_stack_counters(cap.s()).syn_cookies_validated, 1u);
  ASSERT_NE(app.c, nullptr);
  EXPECT_EQ(app.c->st.snd_wscale, 7);
  EXPECT_TRUE(app.c->st.sack_enabled);
  ASSERT_EQ(tcp_write(cap.s(), app.c, "hello", 5), 5u);
  const TcpSegment data = cap.last().seg;
  ASSERT_EQ(data.payload_len, 5u);
  EXPECT_GE(static_cast<int32_t>(data.opts.ts_val - synack.opts.ts_val), 0);
}

TEST(TcpState, ListenerConnectionLimitDropsSyns) {
  Capture cap;
  App app;
  ASSERT_GE(tcp_listen(cap.s(), kIpA, kPortListen, 8, /*max_conns=*/1, app_accept, &app), 0);
  cap.send(cap.seg(kTcpSyn, kPeerIss, 0));
  TcpSegment syn2 = cap.seg(kTcpSyn, 9, 0);
  syn2.tuple.src_port = 4001;
  size_t n = cap.out.size();
  cap.send(syn2);
  EXPECT_EQ(cap.out.size(), n);
  EXPECT_EQ(tcp_stack_counters(cap.s()).listen_overflows, 1u);
}

TEST(TcpState, ZeroWindowProbedThenReopened) {
  Net net(test_config(), 3, Impairment{"d", 0, 0, 0, 0, 1000, 0, 0, 0});
  Endpoint client, server;
  client.seed = 5;
  client.to_send = 1024 * 1024;
  server.read_enabled = false;  // the receive ring fills: window 0
  ASSERT_GE(net.listen(1, &server), 0);
  net.connect(0, &client);
  net.run_for(2'000'000);
  ASSERT_NE(server.c, nullptr);
  EXPECT_EQ(server.c->rcv.used, server.c->rcv.mask + 1);
  ASSERT_NE(client.c, nullptr);
  EXPECT_EQ(client.c->st.snd_wnd, 0u);
  EXPECT_TRUE(client.c->st.flags & kTcpfPersist);
  uint64_t probes = tcp_stack_counters(net.stack(0)).zero_window_probes;
  EXPECT_GE(probes, 3u);
  server.read_enabled = true;
  server.drain();
  net.run(net.now + 5'000'000, [&] { return server.eof; });
  EXPECT_TRUE(server.eof);
  EXPECT_EQ(server.hash, stream_hash(5, 1024 * 1024));
}

TEST(TcpState, ZeroWindowReopenedByProbeWhenUpdateLost) {
  Net net(test_config(), 4, Impairment{"d", 0, 0, 0, 0, 1000, 0, 0, 0});
  Endpoint client, server;
  client.seed = 6;
  client.to_send = 512 * 1024;
  server.read_enabled = false;
  ASSERT_GE(net.listen(1, &server), 0);
  net.connect(0, &client);
  net.run_for(1'000'000);
  // The window update after the read is lost: only a probe can find it.
  bool dropped = false;
  net.drop_filter = [&](int from, const TcpSegment& s) {
    if (from == 1 && !dropped && s.payload_len == 0 && s.window > 0) {
      dropped = true;
      return true;
    }
    return false;
  };
  server.read_enabled = true;
  server.drain();
  EXPECT_TRUE(dropped);
  net.run(net.now + 5'000'000, [&] { return server.eof; });
  EXPECT_EQ(server.hash, stream_hash(6, 512 * 1024));
}

// Found by the component test's impaired wire (a 1-in-300 failure): the
// three rules that, broken together, let an echo connection die with both
// sides retransmitting. Each is checked alone below.

// 5360 bytes in flight (10 segments of 536), then the peer acknowledges
// two and offers a window of 300: less than a segment.
uint32_t small_window_after_flight(Capture& cap, App& app, uint32_t* una) {
  uint32_t iss = open_passive(cap, app);
  std::string data(8000, 'x');
  EXPECT_EQ(tcp_write(cap.s(), app.c, data.data(), data.size()), data.size());
  EXPECT_EQ(app.c->st.snd_max - (iss + 1), 5360u);
  *una = iss + 1 + 1072;
  cap.send(cap.seg(kTcpAck, kPeerIss + 1, *una, /*window=*/300));
  EXPECT_EQ(app.c->st.snd_una, *una);
  EXPECT_EQ(app.c->st.snd_wnd, 300u);
  return iss;
}

// The retransmission timeout resends what the window takes, even below a
// segment: sender SWS avoidance must not turn every timeout into nothing.
TEST(TcpState, RetransmissionTimeoutSendsIntoAWindowBelowASegment) {
  Capture cap;
  App app;
  uint32_t una = 0;
  small_window_after_flight(cap, app, &una);
  size_t before = cap.out.size();
  cap.advance(3'000'000);
  bool resent = false;
  for (size_t i = before; i < cap.out.size(); ++i) {
    const TcpSegment& g = cap.out[i].seg;
    if (g.seq == una && g.payload_len + g.payload2_len > 0) {
      EXPECT_LE(g.payload_len + g.payload2_len, 300u);
      resent = true;
    }
  }
  EXPECT_TRUE(resent) << "no retransmission into the 300-byte window";
  EXPECT_GT(tcp_stack_counters(cap.s()).retransmits, 0u);
  EXPECT_FALSE(app.closed);
}

// Our pure ACK stays inside the peer's window: the bytes past its right edge
// (snd_max is 4288 beyond a window of 300) must not drag the ACK's sequence
// number out of it, or the peer drops the ACK and never learns what we
// received.
TEST(TcpState, AckSequenceStaysInsideThePeersWindow) {
  Capture cap;
  App app;
  uint32_t una = 0;
  small_window_after_flight(cap, app, &una);
  cap.send_data(cap.seg(kTcpAck | kTcpPsh, kPeerIss + 1, una, 300), "hi");
  cap.advance(100'000);  // the delayed ACK
  bool acked = false;
  for (const Capture::Out& o : cap.out) {
    if (o.seg.ack != kPeerIss + 3 || !o.payload.empty()) continue;
    EXPECT_EQ(o.seg.seq, una + 300);
    acked = true;
  }
  EXPECT_TRUE(acked);
}

// A RST too: one past the peer's right edge would be ignored (RFC 5961).
TEST(TcpState, ResetSequenceStaysInsideThePeersWindow) {
  Capture cap;
  App app;
  uint32_t una = 0;
  small_window_after_flight(cap, app, &una);
  tcp_abort(cap.s(), app.c);
  ASSERT_TRUE(cap.last().seg.flags & kTcpRst);
  EXPECT_EQ(cap.last().seg.seq, una + 300);
}

// A peer's retransmission (a sequence number below its earlier pure ACK's)
// that acknowledges new data updates the window, which is counted from that
// newer ACK.
TEST(TcpState, WindowFromASegmentThatAcknowledgesNewData) {
  Capture cap;
  App app;
  uint32_t iss = open_passive(cap, app);
  std::string data(4000, 'x');
  ASSERT_EQ(tcp_write(cap.s(), app.c, data.data(), data.size()), data.size());
  // The peer sent 4 bytes (lost on the way), then a pure ACK carrying its
  // snd_max.
  cap.send(cap.seg(kTcpAck, kPeerIss + 5, iss + 1 + 536, 20000));
  EXPECT_EQ(app.c->st.snd_wnd, 20000u);
  // Its RTO rewound it: the 4 bytes again, with a newer ACK and a window
  // that now ends where the old one did.
  cap.send_data(cap.seg(kTcpAck | kTcpPsh, kPeerIss + 1, iss + 1 + 1072, 20000 - 536), "abcd");
  EXPECT_EQ(app.c->st.snd_una, iss + 1 + 1072);
  EXPECT_EQ(app.c->st.snd_wnd, 20000u - 536);
}

TEST(TcpState, KeepaliveAnsweredThenTimesOut) {
  TcpConfig cfg = test_config();
  cfg.keepalive = true;
  cfg.keepalive_idle_us = 200'000;
  cfg.keepalive_intvl_us = 50'000;
  cfg.keepalive_probes = 3;
  Net net(cfg, 5, Impairment{"d", 0, 0, 0, 0, 1000, 0, 0, 0});
  Endpoint client, server;
  client.auto_shutdown = server.auto_shutdown = false;
  ASSERT_GE(net.listen(1, &server), 0);
  net.connect(0, &client);
  net.run_for(1'000'000);
  EXPECT_GT(tcp_stack_counters(net.stack(0)).keepalive_probes, 0u);
  EXPECT_FALSE(client.closed || server.closed);
  net.cut = true;  // the path dies
  net.run(net.now + 2'000'000, [&] { return client.closed && server.closed; });
  EXPECT_TRUE(client.closed);
  EXPECT_EQ(client.why, TcpCloseReason::kKeepalive);
  EXPECT_EQ(server.why, TcpCloseReason::kKeepalive);
  EXPECT_EQ(tcp_stack_counters(net.stack(0)).keepalive_timeouts, 1u);
}

TEST(TcpState, FinRetransmittedWhenLost) {
  Net net(test_config(), 6, Impairment{"d", 0, 0, 0, 0, 1000, 0, 0, 0});
  net.keep_log = true;
  int fins_dropped = 0;
  net.drop_filter = [&](int from, const TcpSegment& s) {
    if (from == 0 && (s.flags & kTcpFin) && fins_dropped < 2) {
      ++fins_dropped;
      return true;
    }
    return false;
  };
  Endpoint client, server;
  client.seed = 7;
  client.to_send = 3000;
  ASSERT_GE(net.listen(1, &server), 0);
  net.connect(0, &client);
  net.run(net.now + 3'000'000, [&] { return client.closed && server.closed; });
  EXPECT_TRUE(client.closed && server.closed);
  EXPECT_EQ(client.why, TcpCloseReason::kNormal);
  int fins = 0;
  for (const auto& [from, s] : net.log) fins += from == 0 && (s.flags & kTcpFin);
  EXPECT_EQ(fins, 3);
  EXPECT_EQ(server.hash, stream_hash(7, 3000));
  EXPECT_GE(tcp_stack_counters(net.stack(0)).rto_events, 2u);
}

TEST(TcpState, PawsDropsOldTimestamp) {
  Net net(test_config(), 7, Impairment{"d", 0, 0, 0, 0, 1000, 0, 0, 0});
  Endpoint client, server;
  client.auto_shutdown = server.auto_shutdown = false;
  ASSERT_GE(net.listen(1, &server), 0);
  net.connect(0, &client);
  net.run_for(100'000);
  ASSERT_TRUE(server.c && server.c->st.ts_enabled);
  TcpSegment old{};
  old.tuple = TcpTuple{kIpA, kIpB, client.c->st.local_port, kPortListen};
  old.flags = kTcpAck;
  old.seq = server.c->st.rcv_nxt;
  old.ack = server.c->st.snd_una;
  old.window = 1000;
  old.opts.has_ts = true;
  old.opts.ts_val = server.c->st.ts_recent - 10;
  const uint8_t data[4] = {1, 2, 3, 4};
  old.payload = data;
  old.payload_len = 4;
  tcp_stack_input(net.stack(1), old, net.now);
  EXPECT_EQ(tcp_stack_counters(net.stack(1)).paws_drops, 1u);
  EXPECT_EQ(server.c->rcv.used, 0u);
}

TEST(TcpState, OutOfOrderReassembledWithSackBlocks) {
  Capture cap;
  App app;
  ASSERT_GE(tcp_listen(cap.s(), kIpA, kPortListen, 8, 0, app_accept, &app), 0);
  TcpSegment syn = cap.seg(kTcpSyn, kPeerIss, 0);
  syn.opts.sack_permitted = true;
  cap.send(syn);
  uint32_t iss = cap.last().seg.seq;
  ASSERT_TRUE(cap.last().seg.opts.sack_permitted);
  cap.send(cap.seg(kTcpAck, kPeerIss + 1, iss + 1));
  ASSERT_NE(app.c, nullptr);
  cap.send_data(cap.seg(kTcpAck, kPeerIss + 21, iss + 1), "cccccccccc");  // hole 1..20
  cap.send_data(cap.seg(kTcpAck, kPeerIss + 41, iss + 1), "eeeee");       // hole 31..40
  EXPECT_EQ(tcp_readable(app.c), 0u);
  const TcpSegment& dup = cap.last().seg;
  EXPECT_EQ(dup.ack, kPeerIss + 1);  // an immediate duplicate ACK
  ASSERT_EQ(dup.opts.nb_sack, 2);
  EXPECT_EQ(dup.opts.sack[0].left, kPeerIss + 41);  // the latest arrival first
  EXPECT_EQ(dup.opts.sack[1].left, kPeerIss + 21);
  EXPECT_EQ(dup.opts.sack[1].right, kPeerIss + 31);
  cap.send_data(cap.seg(kTcpAck, kPeerIss + 1, iss + 1), "aaaaaaaaaabbbbbbbbbb");
  EXPECT_EQ(tcp_readable(app.c), 30u);
  EXPECT_EQ(cap.last().seg.ack, kPeerIss + 31);
  cap.send_data(cap.seg(kTcpAck, kPeerIss + 31, iss + 1), "dddddddddd");
  char buf[64];
  size_t n = tcp_read(cap.s(), app.c, buf, sizeof(buf));
  EXPECT_EQ(std::string(buf, n), "aaaaaaaaaabbbbbbbbbbccccccccccddddddddddeeeee");
  EXPECT_EQ(app.c->nb_ooo, 0u);
  EXPECT_EQ(tcp_stack_counters(cap.s()).ooo_queued, 2u);
}

TEST(TcpState, FormatLine) {
  Capture cap;
  App app;
  open_passive(cap, app);
  char buf[512];
  size_t n = tcp_format_conn(*app.c, cap.now, buf, sizeof(buf));
  ASSERT_GT(n, 0u);
  std::string line(buf, n);
  EXPECT_NE(line.find("10.0.0.1:80->10.0.0.9:4000 state=ESTABLISHED"), std::string::npos) << line;
  EXPECT_NE(line.find("cwnd="), std::string::npos);
  n = tcp_format_counters(tcp_stack_counters(cap.s()), buf, sizeof(buf));
  EXPECT_NE(std::string(buf, n).find("passive_opens=1"), std::string::npos);
}

}  // namespace
}  // namespace tandem::dp::test
