// Two ConfSync nodes over real TLS 1.3 on loopback: node A (FGT-A, primary)
// on 127.0.0.1 dials node B (FGT-B, secondary) on 127.0.0.2. The PKI is made
// here with the OpenSSL API: an imported CA, good certificates, one with
// the wrong serial, one from another CA.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "controlplane/config/config.h"
#include "controlplane/config/node_config.h"
#include "controlplane/confsync/confsync.h"
#include "controlplane/confsync/confsync_tls.h"
#include "controlplane/confsync/node_specific.h"

namespace tandem::confsync {
namespace {

namespace fs = std::filesystem;

uint64_t now_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

struct TestNode {
  std::string serial, ip;
  bool primary = false;
  config::Config cfg;
  uint64_t version = 0;  // config_version: changes with cfg
  int reads = 0;         // current_config() calls
  std::vector<std::string> events;
  int applies = 0;
  std::unique_ptr<ConfSync> sync;
};

// What an operator's commit does to the running config, as the daemon does it.
void set_config(TestNode& n, const config::Config& cfg) {
  n.cfg = cfg;
  ++n.version;
}

class ConfSyncChannel : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tandem-confsync-test-" + std::to_string(getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    std::string error;
    ASSERT_TRUE(make_certificate("Tandem lab CA", {}, nullptr, true, 30, &ca_, &error)) << error;
    ASSERT_TRUE(make_certificate("Rogue CA", {}, nullptr, true, 30, &rogue_ca_, &error)) << error;
    ca_file_ = write("ca.pem", ca_.cert_pem);
  }
  void TearDown() override {
    a_.sync.reset();
    b_.sync.reset();
    fs::remove_all(dir_);
  }

  std::string write(const std::string& name, const std::string& data) {
    std::string path = (dir_ / name).string();
    std::ofstream(path) << data;
    return path;
  }

  // A certificate file pair issued by `issuer` for cn / SANs.
  TlsFiles issue(const std::string& name, const std::string& cn, const std::vector<std::string>& sans,
                 const PemPair& issuer) {
    PemPair pair;
    std::string error;
    EXPECT_TRUE(make_certificate(cn, sans, &issuer, false, 30, &pair, &error)) << error;
    return {write(name + ".crt", pair.cert_pem), write(name + ".key", pair.key_pem), {ca_file_}};
  }

  static std::string node_text(const std::string& host, const std::string& serial, int priority,
                               const std::string& shared) {
    return "config system global\n set hostname \"" + host + "\"\n set serial-number \"" + serial +
           "\"\nend\nconfig system ha\n set group-name \"lab\"\n set priority " + std::to_string(priority) +
           "\nend\n" + shared;
  }

  static config::Config parse_ok(const std::string& text) {
    config::ParseResult r = config::parse(text, "test");
    EXPECT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors[0].to_string());
    return r.config;
  }

  // Starts node n; port 0 picks a free one (the first node started).
  void start(TestNode& n, const std::string& serial, const std::string& ip, bool primary,
             const std::string& peer_serial, const std::string& peer_ip, const TlsFiles& tls,
             const std::string& text, uint16_t port) {
    n.serial = serial;
    n.ip = ip;
    n.primary = primary;
    n.cfg = parse_ok(text);
    ConfSyncOptions o;
    o.serial = serial;
    o.software_version = "0.1.0";
    o.listen_address = ip;
    o.port = port;
    config::HaPeerConfig peer{1, 0, peer_serial, true};
    uint32_t a = 0, b = 0, c = 0, d = 0;
    ASSERT_EQ(sscanf(peer_ip.c_str(), "%u.%u.%u.%u", &a, &b, &c, &d), 4);
    peer.ip = a << 24 | b << 16 | c << 8 | d;
    o.peers = {peer};
    o.tls = tls;
    o.state_dir = (dir_ / serial).string();
    fs::create_directories(o.state_dir);
    o.checksum_interval_ms = 200;
    o.handshake_timeout_ms = 2000;
    ConfSyncCallbacks cb;
    cb.is_primary = [&n] { return n.primary; };
    cb.current_config = [&n]() -> const config::Config& {
      ++n.reads;
      return n.cfg;
    };
    cb.config_version = [&n] { return n.version; };
    cb.apply = [&n](const config::Config& next) -> std::string {
      n.cfg = next;
      ++n.version;
      ++n.applies;
      return {};
    };
    cb.event = [&n](const std::string& line) { n.events.push_back(line); };
    n.sync = std::make_unique<ConfSync>(o, cb);
    std::string error;
    ASSERT_TRUE(n.sync->start(&error)) << error;
  }

  // Runs the loops of `nodes` (default both) until done() or timeout_ms.
  bool pump(const std::function<bool()>& done, int timeout_ms, std::vector<TestNode*> nodes = {}) {
    if (nodes.empty()) nodes = {&a_, &b_};
    uint64_t deadline = now_ns() + static_cast<uint64_t>(timeout_ms) * 1'000'000;
    while (now_ns() < deadline) {
      if (done()) return true;
      std::vector<pollfd> fds;
      std::vector<std::pair<TestNode*, std::pair<size_t, size_t>>> ranges;
      for (TestNode* n : nodes) {
        if (!n->sync) continue;
        size_t first = fds.size();
        n->sync->add_poll_fds(&fds);
        ranges.push_back({n, {first, fds.size() - first}});
      }
      poll(fds.data(), fds.size(), 10);
      for (auto& [n, r] : ranges) n->sync->handle(fds, r.first, r.second);
      for (auto& [n, r] : ranges) n->sync->tick(now_ns());
    }
    return done();
  }

  bool in_sync() {
    return a_.sync->link_state() == LinkState::kInSync && b_.sync->link_state() == LinkState::kInSync &&
           a_.sync->local_checksums() == b_.sync->local_checksums();
  }

  // B (FGT-B) listens on 127.0.0.2, accepting FGT-A from a_ip_seen_by_b;
  // A (FGT-A) on 127.0.0.1 dials it with a_tls.
  void start_pair(const TlsFiles& a_tls, const TlsFiles& b_tls, const std::string& a_text,
                  const std::string& b_text, const std::string& a_ip_seen_by_b = "127.0.0.1") {
    start(b_, "FGT-B", "127.0.0.2", false, "FGT-A", a_ip_seen_by_b, b_tls, b_text, 0);
    start(a_, "FGT-A", "127.0.0.1", true, "FGT-B", "127.0.0.2", a_tls, a_text, b_.sync->port());
  }

  TlsFiles good_a() { return issue("a", "FGT-A", {"FGT-A"}, ca_); }
  // B's serial only in a SAN: the CN is free-form.
  TlsFiles good_b() { return issue("b", "Tandem node B", {"fgt-b.lab", "FGT-B"}, ca_); }

  fs::path dir_;
  PemPair ca_, rogue_ca_;
  std::string ca_file_;
  TestNode a_, b_;
};

const char kShared[] = "config firewall address\n edit \"web\"\n  set subnet 10.1.0.0 255.255.255.0\n next\nend\n";

TEST_F(ConfSyncChannel, RightPeerIsAcceptedAndInSync) {
  start_pair(good_a(), good_b(), node_text("node-a", "FGT-A", 200, kShared),
             node_text("node-b", "FGT-B", 100, kShared));
  ASSERT_TRUE(pump([&] { return in_sync(); }, 5000))
      << a_.sync->format_stats() << b_.sync->format_stats();
  EXPECT_EQ(a_.sync->stats().connects, 1u);
  EXPECT_EQ(b_.sync->stats().refused, 0u);
  EXPECT_EQ(b_.applies, 0) << "nothing to copy when the checksums already match";
  std::string cluster = a_.sync->format_checksum_cluster();
  EXPECT_NE(cluster.find("================== FGT-A =================="), std::string::npos) << cluster;
  EXPECT_NE(cluster.find("================== FGT-B =================="), std::string::npos) << cluster;
  EXPECT_NE(b_.sync->format_stats().find("serial number : FGT-A"), std::string::npos);
}

void expect_refused(TestNode& n, const std::string& reason) {
  EXPECT_GE(n.sync->stats().refused, 1u);
  EXPECT_NE(n.sync->stats().last_error.find(reason), std::string::npos)
      << "last error: " << n.sync->stats().last_error;
  EXPECT_NE(n.sync->format_stats().find("last error : " + n.sync->stats().last_error), std::string::npos);
  bool logged = false;
  for (const auto& e : n.events) logged = logged || e.find(reason) != std::string::npos;
  EXPECT_TRUE(logged) << "the refusal is in the event log";
}

TEST_F(ConfSyncChannel, CertificateWithTheWrongSerialIsRefused) {
  start_pair(issue("a-wrong", "FGT-X", {"FGT-X"}, ca_), good_b(), node_text("node-a", "FGT-A", 200, kShared),
             node_text("node-b", "FGT-B", 100, kShared));
  pump([&] { return b_.sync->stats().refused > 0; }, 3000);
  expect_refused(b_, "certificate CN/SAN does not carry serial FGT-A");
  EXPECT_NE(b_.sync->link_state(), LinkState::kInSync);
}

TEST_F(ConfSyncChannel, CertificateFromAnotherCaIsRefused) {
  start_pair(issue("a-rogue", "FGT-A", {"FGT-A"}, rogue_ca_), good_b(), node_text("node-a", "FGT-A", 200, kShared),
             node_text("node-b", "FGT-B", 100, kShared));
  pump([&] { return b_.sync->stats().refused > 0; }, 3000);
  expect_refused(b_, "certificate not signed by an imported CA: unable to verify the first certificate");
}

TEST_F(ConfSyncChannel, ConnectionFromTheWrongAddressIsRefused) {
  start_pair(good_a(), good_b(), node_text("node-a", "FGT-A", 200, kShared),
             node_text("node-b", "FGT-B", 100, kShared), "127.0.0.3");
  pump([&] { return b_.sync->stats().refused > 0; }, 3000);
  expect_refused(b_, "connection from 127.0.0.1, not a configured peer");
  EXPECT_EQ(b_.sync->stats().connects, 0u);
}

TEST_F(ConfSyncChannel, TheDialingSideChecksTheListenerToo) {
  start_pair(good_a(), issue("b-wrong", "FGT-A", {}, ca_), node_text("node-a", "FGT-A", 200, kShared),
             node_text("node-b", "FGT-B", 100, kShared));
  pump([&] { return a_.sync->stats().refused > 0; }, 3000);
  expect_refused(a_, "certificate CN/SAN does not carry serial FGT-B");
}

TEST_F(ConfSyncChannel, CommitReachesTheSecondaryWithinASecondAndIsAcked) {
  start_pair(good_a(), good_b(), node_text("node-a", "FGT-A", 200, kShared),
             node_text("node-b", "FGT-B", 100, kShared));
  ASSERT_TRUE(pump([&] { return in_sync(); }, 5000));
  const std::string change = "config firewall address\n edit \"db\"\n  set subnet 10.2.0.0 255.255.0.0\n next\nend\n";
  config::ParseResult r = config::apply(a_.cfg, change, "cli");
  ASSERT_TRUE(r.ok());
  set_config(a_, r.config);
  auto t0 = std::chrono::steady_clock::now();
  uint64_t id = a_.sync->commit(change);
  EXPECT_FALSE(a_.sync->acked(id));
  ASSERT_TRUE(pump([&] { return a_.sync->acked(id); }, 1000)) << a_.sync->replication_note(id);
  auto elapsed = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(elapsed, std::chrono::seconds(1));
  EXPECT_EQ(b_.applies, 1);
  EXPECT_TRUE(b_.cfg.table("firewall address")->index.contains("db"));
  EXPECT_EQ(config::node_config(b_.cfg).global.hostname, "node-b");
  EXPECT_EQ(config::node_config(b_.cfg).ha.priority, 100u);
  EXPECT_EQ(a_.sync->local_checksums(), b_.sync->local_checksums());
  EXPECT_EQ(b_.sync->epoch(), a_.sync->epoch());
  EXPECT_NE(a_.sync->replication_note(id).find("replicated to FGT-B"), std::string::npos);
  EXPECT_EQ(b_.sync->stats().changes_applied, 1u);

  // A node-specific change needs no replication and does not bump the epoch.
  uint64_t epoch = a_.sync->epoch();
  set_config(a_, config::apply(a_.cfg, "config system ha\n set priority 250\nend\n", "cli").config);
  uint64_t local_only = a_.sync->commit("config system ha");
  EXPECT_TRUE(a_.sync->acked(local_only));
  EXPECT_EQ(a_.sync->epoch(), epoch);
}

TEST_F(ConfSyncChannel, TheSecondaryRefusesEditsNamingThePrimary) {
  start_pair(good_a(), good_b(), node_text("node-a", "FGT-A", 200, kShared),
             node_text("node-b", "FGT-B", 100, kShared));
  EXPECT_EQ(a_.sync->edit_refusal(), "");
  std::string refusal = b_.sync->edit_refusal();
  EXPECT_NE(refusal.find("secondary"), std::string::npos) << refusal;
  EXPECT_NE(refusal.find("primary FGT-A (127.0.0.1)"), std::string::npos) << refusal;
}

TEST_F(ConfSyncChannel, FullSyncKeepsTheSecondarysOwnSettings) {
  const std::string a_shared = std::string(kShared) +
                               "config firewall address\n edit \"db\"\n  set subnet 10.2.0.0 255.255.0.0\n next\nend\n";
  start_pair(good_a(), good_b(), node_text("node-a", "FGT-A", 200, a_shared),
             node_text("node-b", "FGT-B", 100,
                       "config firewall address\n edit \"stale\"\n next\nend\n"
                       "config system ha\n set override enable\nend\n"));
  ASSERT_TRUE(pump([&] { return in_sync(); }, 5000)) << b_.sync->format_stats();
  EXPECT_EQ(a_.sync->stats().fulls_sent, 1u);
  EXPECT_EQ(b_.sync->stats().fulls_applied, 1u);
  config::NodeConfig nb = config::node_config(b_.cfg);
  EXPECT_EQ(nb.global.hostname, "node-b");
  EXPECT_EQ(nb.global.serial_number, "FGT-B");
  EXPECT_EQ(nb.ha.priority, 100u);
  EXPECT_TRUE(nb.ha.override);
  EXPECT_TRUE(b_.cfg.table("firewall address")->index.contains("db"));
  EXPECT_FALSE(b_.cfg.table("firewall address")->index.contains("stale"));
}

TEST_F(ConfSyncChannel, ARestoredConfigBeatsTheReturningPeer) {
  // B was restored (higher epoch) while A, now primary, ran on: the
  // restored config must win even though B is the secondary.
  const std::string restored = "config firewall address\n edit \"restored\"\n next\nend\n";
  start(b_, "FGT-B", "127.0.0.2", false, "FGT-A", "127.0.0.1", good_b(), node_text("node-b", "FGT-B", 100, restored), 0);
  b_.sync->restored();
  uint64_t restored_epoch = b_.sync->epoch();
  start(a_, "FGT-A", "127.0.0.1", true, "FGT-B", "127.0.0.2", good_a(), node_text("node-a", "FGT-A", 200, kShared),
        b_.sync->port());
  // A commits a change of its own: a lower epoch than the restore.
  set_config(a_, config::apply(a_.cfg, "config firewall address\n edit \"late\"\n next\nend\n", "cli").config);
  a_.sync->commit("late");
  ASSERT_LT(a_.sync->epoch(), restored_epoch);
  ASSERT_TRUE(pump([&] { return in_sync(); }, 5000)) << a_.sync->format_stats();
  EXPECT_TRUE(a_.cfg.table("firewall address")->index.contains("restored"));
  EXPECT_FALSE(a_.cfg.table("firewall address")->index.contains("late"));
  EXPECT_EQ(config::node_config(a_.cfg).global.hostname, "node-a");
  EXPECT_EQ(a_.sync->epoch(), restored_epoch);
  EXPECT_EQ(b_.applies, 0) << "the restored side never takes the lower epoch";
  // The epoch survives a restart of A's config sync (state file).
  a_.sync.reset();
  start(a_, "FGT-A", "127.0.0.1", true, "FGT-B", "127.0.0.2", good_a(), node_text("node-a", "FGT-A", 200, kShared), 0);
  EXPECT_EQ(a_.sync->epoch(), restored_epoch);
}

// The synced checksums copy and print the whole config: with 20,000
// addresses that was ~0.1 s of the control loop at every checksum interval
// and every ACK. They are kept until the config changes.
TEST_F(ConfSyncChannel, AnUnchangedConfigIsReadOnceForItsChecksums) {
  start_pair(good_a(), good_b(), node_text("node-a", "FGT-A", 200, kShared),
             node_text("node-b", "FGT-B", 100, kShared));
  ASSERT_TRUE(pump([&] { return in_sync(); }, 5000));
  int a_reads = a_.reads, b_reads = b_.reads;
  uint64_t a_sent = a_.sync->stats().tx_msgs;
  pump([] { return false; }, 1000);  // five checksum intervals
  EXPECT_GE(a_.sync->stats().tx_msgs, a_sent + 3) << "the CHECKSUMS exchange went on";
  EXPECT_EQ(a_.reads, a_reads);
  EXPECT_EQ(b_.reads, b_reads);
  EXPECT_EQ(a_.sync->local_checksums(), b_.sync->local_checksums());

  // A commit reads the new config; the ACK and the intervals after it do not.
  set_config(a_, config::apply(a_.cfg, "config firewall address\n edit \"y\"\n next\nend\n", "cli").config);
  uint64_t id = a_.sync->commit("y");
  ASSERT_TRUE(pump([&] { return a_.sync->acked(id); }, 1000));
  int after_commit = a_.reads;
  pump([] { return false; }, 600);
  EXPECT_EQ(a_.reads, after_commit);
  EXPECT_TRUE(b_.cfg.table("firewall address")->index.contains("y"));
  EXPECT_EQ(a_.sync->local_checksums(), b_.sync->local_checksums());
}

// A CHECKSUMS exchange between a commit and its ACK sees the peer behind:
// the CHANGE on its way is the answer, not a FULL of the whole config
// (1.5 MB with 20,000 addresses). Both the primary's own interval and the
// secondary's CHECKSUMS can cross it.
TEST_F(ConfSyncChannel, AChangeInFlightIsNotChasedByAFull) {
  start_pair(good_a(), good_b(), node_text("node-a", "FGT-A", 200, kShared),
             node_text("node-b", "FGT-B", 100, kShared));
  ASSERT_TRUE(pump([&] { return in_sync(); }, 5000));
  for (int i = 0; i < 3; ++i) {
    std::string name = "x" + std::to_string(i);
    set_config(a_, config::apply(a_.cfg, "config firewall address\n edit \"" + name + "\"\n next\nend\n",
                                 "cli").config);
    uint64_t id = a_.sync->commit(name);
    a_.sync->recalculate();  // A's checksum interval falls before B has read the CHANGE
    ASSERT_TRUE(pump([&] { return a_.sync->acked(id) && in_sync(); }, 2000)) << a_.sync->format_stats();
  }
  // B's CHECKSUMS, sent before it read the next CHANGE, reaches A after the commit.
  set_config(a_, config::apply(a_.cfg, "config firewall address\n edit \"late\"\n next\nend\n", "cli").config);
  b_.sync->recalculate();
  uint64_t id = a_.sync->commit("late");
  ASSERT_TRUE(pump([&] { return a_.sync->acked(id) && in_sync(); }, 2000)) << a_.sync->format_stats();
  EXPECT_EQ(a_.sync->stats().fulls_sent, 0u);
  EXPECT_EQ(b_.sync->stats().fulls_applied, 0u);
  EXPECT_EQ(b_.sync->stats().changes_applied, 4u);
  EXPECT_TRUE(b_.cfg.table("firewall address")->index.contains("late"));

  // A CHANGE the peer does not answer (B's loop stands still) is followed
  // by a FULL once the FULL retry time has passed, not before.
  set_config(a_, config::apply(a_.cfg, "config firewall address\n edit \"stuck\"\n next\nend\n", "cli").config);
  a_.sync->commit("stuck");
  pump([] { return false; }, 2000, {&a_});
  EXPECT_EQ(a_.sync->stats().fulls_sent, 0u);
  ASSERT_TRUE(pump([&] { return a_.sync->stats().fulls_sent == 1; }, 3000, {&a_}));
  ASSERT_TRUE(pump([&] { return in_sync(); }, 5000));
  EXPECT_TRUE(b_.cfg.table("firewall address")->index.contains("stuck"));
}

TEST_F(ConfSyncChannel, AChangeCommittedWithoutThePeerIsReportedNotReplicated) {
  start(a_, "FGT-A", "127.0.0.1", true, "FGT-B", "127.0.0.2", good_a(), node_text("node-a", "FGT-A", 200, kShared), 0);
  set_config(a_, config::apply(a_.cfg, "config firewall address\n edit \"x\"\n next\nend\n", "cli").config);
  uint64_t id = a_.sync->commit("x");
  EXPECT_FALSE(a_.sync->wait_acked(id, 100));
  EXPECT_NE(a_.sync->replication_note(id).find("NOT yet replicated to FGT-B"), std::string::npos)
      << a_.sync->replication_note(id);
}

TEST_F(ConfSyncChannel, DefaultSelfSignedCertificatesWorkOnceImportedAsCa) {
  TlsFiles a, b;
  std::string error;
  ASSERT_TRUE(ensure_default_certificate((dir_ / "state-a").string(), "FGT-A", &a, &error)) << error;
  ASSERT_TRUE(ensure_default_certificate((dir_ / "state-b").string(), "FGT-B", &b, &error)) << error;
  std::string a_cert = a.cert_file;
  ASSERT_TRUE(ensure_default_certificate((dir_ / "state-a").string(), "FGT-A", &a, &error));
  EXPECT_EQ(a.cert_file, a_cert) << "an existing default certificate is kept";
  a.ca_files = {b.cert_file};
  b.ca_files = {a.cert_file};
  start_pair(a, b, node_text("node-a", "FGT-A", 200, kShared), node_text("node-b", "FGT-B", 100, kShared));
  ASSERT_TRUE(pump([&] { return in_sync(); }, 5000)) << a_.sync->format_stats() << b_.sync->format_stats();
}

TEST_F(ConfSyncChannel, GarbageOnThePortCostsOnlyThatConnection) {
  start_pair(good_a(), good_b(), node_text("node-a", "FGT-A", 200, kShared),
             node_text("node-b", "FGT-B", 100, kShared), "127.0.0.3");
  // A connection from the configured address speaking plain text is a
  // failed handshake, recorded, and B keeps serving.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in local{}, remote{};
  local.sin_family = remote.sin_family = AF_INET;
  local.sin_addr.s_addr = htonl(0x7f000003);
  remote.sin_addr.s_addr = htonl(0x7f000002);
  remote.sin_port = htons(b_.sync->port());
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local), 0);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof remote), 0);
  ASSERT_EQ(::write(fd, "GET / HTTP/1.0\r\n\r\n", 18), 18);
  pump([&] { return b_.sync->stats().last_error.find("TLS handshake with 127.0.0.3 failed") != std::string::npos; }, 3000);
  close(fd);
  EXPECT_NE(b_.sync->stats().last_error.find("TLS handshake with 127.0.0.3 failed"), std::string::npos)
      << b_.sync->stats().last_error;
}

}  // namespace
}  // namespace tandem::confsync
