// net_af_xdp with Tandem's XDP program on a veth pair in network namespaces
// of this test's own (named with the pid, removed on exit even on failure).
//
//   netns tdx<pid>a: veth tdx<pid>a (DPDK af_xdp port, kernel addresses .1, .10)
//   netns tdx<pid>b: veth tdx<pid>b (a packet socket plays the client)
//
// Frames for addresses in tandem_addrs must reach DPDK and not the kernel;
// everything else must reach the kernel (its replies show up on the peer).
#include <filesystem>
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "drivers/port/device.h"
#include "drivers/port/port.h"
#include "drivers/xdp/xdp_loader.h"
#include "hw/nic/nic.h"

namespace tandem::drivers {
namespace {

using Frame = std::vector<uint8_t>;
using Clock = std::chrono::steady_clock;

constexpr auto kArriveTimeout = std::chrono::milliseconds(2000);
// How long "nothing arrives" is watched for. veth delivers within
// microseconds; the positive checks bound the real latency.
constexpr auto kSilenceWindow = std::chrono::milliseconds(300);
constexpr uint16_t kEthPArp = 0x0806;
constexpr uint16_t kEthPIp = 0x0800;
constexpr uint16_t kEthPVlan = 0x8100;

const std::string kSide = "tdx" + std::to_string(getpid());
const std::string kNsA = kSide + "a";   // also the DPDK-side veth name
const std::string kNsB = kSide + "b";   // also the peer veth name
const char* const kKernelIp = "10.99.7.1";
const char* const kTandemIp = "10.99.7.10";
const char* const kPeerIp = "10.99.7.2";
const char* const kOtherIp = "10.99.7.50";

std::string g_skip_reason;
std::string g_setup_error;
int g_peer_socket = -1;
int g_peer_ifindex = 0;
uint8_t g_mac_a[6];
uint8_t g_mac_b[6];
PortInfo g_port;
rte_mempool* g_pool = nullptr;

bool run(const std::string& command) {
  const int rc = std::system((command + " >/dev/null 2>&1").c_str());
  return rc == 0;
}

void remove_namespaces() {
  // Deleting either namespace destroys the veth pair with it.
  run("ip netns del " + kNsB);
  run("ip netns del " + kNsA);
}

bool read_mac(const std::string& ns, const std::string& ifname, uint8_t* mac) {
  const std::string cmd = "ip -n " + ns + " -br link show " + ifname;
  FILE* out = popen(cmd.c_str(), "r");
  if (out == nullptr) return false;
  char line[256] = {};
  const bool ok = std::fgets(line, sizeof(line), out) != nullptr;
  pclose(out);
  if (!ok) return false;
  unsigned b[6];
  // `-br` prints "name state mac flags": take the first token with 5 colons.
  for (char* tok = std::strtok(line, " \t"); tok != nullptr; tok = std::strtok(nullptr, " \t")) {
    if (std::sscanf(tok, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) == 6) {
      for (int i = 0; i < 6; ++i) mac[i] = static_cast<uint8_t>(b[i]);
      return true;
    }
  }
  return false;
}

bool enter_netns(const std::string& ns) {
  const int fd = open(("/var/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = setns(fd, CLONE_NEWNET) == 0;
  close(fd);
  return ok;
}

uint32_t ip_be(const char* text) {
  in_addr addr{};
  inet_pton(AF_INET, text, &addr);
  return addr.s_addr;
}

void put16(Frame& f, uint16_t v) {
  f.push_back(static_cast<uint8_t>(v >> 8));
  f.push_back(static_cast<uint8_t>(v));
}
void put_bytes(Frame& f, const void* p, size_t n) {
  const auto* b = static_cast<const uint8_t*>(p);
  f.insert(f.end(), b, b + n);
}

void put_eth(Frame& f, const uint8_t* dst, uint16_t proto, int vlan) {
  put_bytes(f, dst, 6);
  put_bytes(f, g_mac_b, 6);
  if (vlan >= 0) {
    put16(f, kEthPVlan);
    put16(f, static_cast<uint16_t>(vlan));
  }
  put16(f, proto);
}

Frame arp_request(const char* target, int vlan = -1) {
  static const uint8_t kBroadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  static const uint8_t kZero[6] = {};
  Frame f;
  put_eth(f, kBroadcast, kEthPArp, vlan);
  put16(f, 1);        // Ethernet
  put16(f, kEthPIp);  // IPv4
  f.push_back(6);
  f.push_back(4);
  put16(f, 1);        // request
  put_bytes(f, g_mac_b, 6);
  const uint32_t spa = ip_be(kPeerIp);
  const uint32_t tpa = ip_be(target);
  put_bytes(f, &spa, 4);
  put_bytes(f, kZero, 6);
  put_bytes(f, &tpa, 4);
  return f;
}

uint16_t checksum(const uint8_t* p, size_t n) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < n; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (n % 2 != 0) sum += static_cast<uint32_t>(p[n - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

// ICMP echo request from the peer; id marks which check sent it.
Frame echo_request(const char* dst, uint16_t id) {
  Frame f;
  put_eth(f, g_mac_a, kEthPIp, -1);
  const size_t ip_at = f.size();
  const uint8_t payload[16] = {'t', 'a', 'n', 'd', 'e', 'm'};
  const uint16_t total = 20 + 8 + sizeof(payload);
  f.push_back(0x45);
  f.push_back(0);
  put16(f, total);
  put16(f, id);
  put16(f, 0x4000);  // DF
  f.push_back(64);
  f.push_back(1);    // ICMP
  put16(f, 0);
  const uint32_t src = ip_be(kPeerIp);
  const uint32_t dst_be = ip_be(dst);
  put_bytes(f, &src, 4);
  put_bytes(f, &dst_be, 4);
  const uint16_t ip_sum = checksum(f.data() + ip_at, 20);
  f[ip_at + 10] = static_cast<uint8_t>(ip_sum >> 8);
  f[ip_at + 11] = static_cast<uint8_t>(ip_sum);
  const size_t icmp_at = f.size();
  f.push_back(8);
  f.push_back(0);
  put16(f, 0);
  put16(f, id);
  put16(f, 1);
  put_bytes(f, payload, sizeof(payload));
  const uint16_t icmp_sum = checksum(f.data() + icmp_at, f.size() - icmp_at);
  f[icmp_at + 2] = static_cast<uint8_t>(icmp_sum >> 8);
  f[icmp_at + 3] = static_cast<uint8_t>(icmp_sum);
  return f;
}

void send_from_peer(const Frame& f) {
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_ifindex = g_peer_ifindex;
  to.sll_halen = 6;
  std::memcpy(to.sll_addr, f.data(), 6);
  ASSERT_EQ(sendto(g_peer_socket, f.data(), f.size(), 0, reinterpret_cast<sockaddr*>(&to),
                   sizeof(to)),
            static_cast<ssize_t>(f.size()))
      << std::strerror(errno);
}

void drain_peer() {
  uint8_t buf[2048];
  while (recv(g_peer_socket, buf, sizeof(buf), MSG_DONTWAIT) > 0) {
  }
}

void drain_dpdk() {
  rte_mbuf* rx[32];
  uint16_t n;
  while ((n = rte_eth_rx_burst(g_port.port_id, 0, rx, 32)) > 0) rte_pktmbuf_free_bulk(rx, n);
}

// True when a frame matching `match` arrives on the DPDK port in `window`.
bool dpdk_receives(const std::function<bool(const uint8_t*, size_t)>& match,
                   std::chrono::milliseconds window) {
  const auto deadline = Clock::now() + window;
  bool seen = false;
  while (!seen && Clock::now() < deadline) {
    rte_mbuf* rx[32];
    const uint16_t n = rte_eth_rx_burst(g_port.port_id, 0, rx, 32);
    for (uint16_t i = 0; i < n; ++i) {
      if (match(rte_pktmbuf_mtod(rx[i], const uint8_t*), rte_pktmbuf_data_len(rx[i]))) seen = true;
    }
    rte_pktmbuf_free_bulk(rx, n);
    if (n == 0) usleep(1000);
  }
  return seen;
}

// True when the kernel side answers: a frame matching `match` arrives at the
// peer (not one the peer sent itself) in `window`.
bool peer_receives(const std::function<bool(const uint8_t*, size_t)>& match,
                   std::chrono::milliseconds window) {
  const auto deadline = Clock::now() + window;
  uint8_t buf[2048];
  while (Clock::now() < deadline) {
    pollfd pfd{g_peer_socket, POLLIN, 0};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (poll(&pfd, 1, static_cast<int>(std::max<int64_t>(1, left.count()))) <= 0) continue;
    sockaddr_ll from{};
    socklen_t from_len = sizeof(from);
    const ssize_t n = recvfrom(g_peer_socket, buf, sizeof(buf), 0,
                               reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n <= 0 || from.sll_pkttype == PACKET_OUTGOING) continue;
    if (match(buf, static_cast<size_t>(n))) return true;
  }
  return false;
}

// Offset of the L3 header, skipping one VLAN tag; 0 when the frame is short.
size_t l3_offset(const uint8_t* p, size_t n, uint16_t* proto) {
  if (n < 14) return 0;
  *proto = static_cast<uint16_t>(p[12] << 8 | p[13]);
  if (*proto != kEthPVlan) return 14;
  if (n < 18) return 0;
  *proto = static_cast<uint16_t>(p[16] << 8 | p[17]);
  return 18;
}

auto is_arp(uint16_t op, const char* target) {
  const uint32_t tpa = ip_be(target);
  return [op, tpa](const uint8_t* p, size_t n) {
    uint16_t proto = 0;
    const size_t l3 = l3_offset(p, n, &proto);
    if (l3 == 0 || proto != kEthPArp || n < l3 + 28) return false;
    return (p[l3 + 6] << 8 | p[l3 + 7]) == op && std::memcmp(p + l3 + 24, &tpa, 4) == 0;
  };
}

auto is_icmp(uint8_t type, const char* dst, uint16_t id) {
  const uint32_t daddr = ip_be(dst);
  return [type, daddr, id](const uint8_t* p, size_t n) {
    uint16_t proto = 0;
    const size_t l3 = l3_offset(p, n, &proto);
    if (l3 == 0 || proto != kEthPIp || n < l3 + 28 || p[l3 + 9] != 1) return false;
    const size_t icmp = l3 + (p[l3] & 0x0f) * 4u;
    return std::memcmp(p + l3 + 16, &daddr, 4) == 0 && p[icmp] == type &&
           (p[icmp + 4] << 8 | p[icmp + 5]) == id;
  };
}

class AfXdpEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    if (geteuid() != 0) {
      g_skip_reason = "needs root (network namespaces, XDP)";
      return;
    }
    const int xsk = socket(AF_XDP, SOCK_RAW, 0);
    if (xsk < 0) {
      g_skip_reason = std::string("kernel has no AF_XDP sockets: ") + std::strerror(errno);
      return;
    }
    close(xsk);
    std::atexit(remove_namespaces);
    remove_namespaces();
    const std::string a = "ip -n " + kNsA + " ";
    const std::string b = "ip -n " + kNsB + " ";
    if (!run("ip netns add " + kNsA) || !run("ip netns add " + kNsB) ||
        !run(a + "link add " + kNsA + " type veth peer name " + kNsB + " netns " + kNsB) ||
        !run(a + "addr add " + kKernelIp + "/24 dev " + kNsA) ||
        !run(a + "addr add " + kTandemIp + "/24 dev " + kNsA) ||
        !run("ip netns exec " + kNsA + " sysctl -qw net.ipv6.conf.all.disable_ipv6=1") ||
        !run("ip netns exec " + kNsB + " sysctl -qw net.ipv6.conf.all.disable_ipv6=1") ||
        !run(a + "link set " + kNsA + " up") || !run(b + "link set " + kNsB + " up") ||
        !read_mac(kNsA, kNsA, g_mac_a) || !read_mac(kNsB, kNsB, g_mac_b)) {
      g_setup_error = "cannot build the veth/netns pair " + kNsA + "/" + kNsB;
      return;
    }
    char mac_b[32];
    std::snprintf(mac_b, sizeof(mac_b), "%02x:%02x:%02x:%02x:%02x:%02x", g_mac_b[0], g_mac_b[1],
                  g_mac_b[2], g_mac_b[3], g_mac_b[4], g_mac_b[5]);
    // A static neighbour: the kernel's echo replies must not depend on an
    // ARP exchange that the program under test may steer away.
    if (!run(a + "neigh replace " + kPeerIp + " lladdr " + mac_b + " dev " + kNsA + " nud permanent")) {
      g_setup_error = "cannot add the static neighbour";
      return;
    }

    // The peer's packet socket lives in netns B; this process (and the EAL
    // threads it starts) lives in netns A with the DPDK port.
    if (!enter_netns(kNsB)) {
      g_setup_error = "setns " + kNsB + ": " + std::strerror(errno);
      return;
    }
    g_peer_socket = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    g_peer_ifindex = static_cast<int>(if_nametoindex(kNsB.c_str()));
    sockaddr_ll bind_to{};
    bind_to.sll_family = AF_PACKET;
    bind_to.sll_protocol = htons(ETH_P_ALL);
    bind_to.sll_ifindex = g_peer_ifindex;
    if (g_peer_socket < 0 || g_peer_ifindex == 0 ||
        bind(g_peer_socket, reinterpret_cast<sockaddr*>(&bind_to), sizeof(bind_to)) != 0) {
      g_setup_error = std::string("peer packet socket: ") + std::strerror(errno);
      return;
    }
    if (!enter_netns(kNsA)) {
      g_setup_error = "setns " + kNsA + ": " + std::strerror(errno);
      return;
    }

    DeviceSpec spec;
    std::string error;
    if (!parse_device("port1", "af_xdp:" + kNsA, 1, &spec, &error)) {
      g_setup_error = error;
      return;
    }
    std::vector<std::string> args = {"drivers_af_xdp", "-l", "0", "--no-huge", "-m", "256",
                                     "--no-pci", "--no-shconf", "--log-level=lib.eal:warning",
                                     "--file-prefix", "tandem-test-drvafxdp-" + std::to_string(getpid())};
    args.insert(args.end(), spec.eal_args.begin(), spec.eal_args.end());
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    if (rte_eal_init(static_cast<int>(argv.size()), argv.data()) < 0) {
      g_setup_error = std::string("rte_eal_init: ") + rte_strerror(rte_errno);
      return;
    }
    g_pool = rte_pktmbuf_pool_create("drv_afxdp_pool", 4096, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                     SOCKET_ID_ANY);
    if (g_pool == nullptr) {
      g_setup_error = std::string("mbuf pool: ") + rte_strerror(rte_errno);
      return;
    }
    if (!port_setup(spec, "port1", 1, 1, 1024, 1024, g_pool, &g_port, &error)) {
      g_setup_error = error;
      return;
    }
  }

  void TearDown() override {
    if (g_pool != nullptr) {
      port_shutdown(g_port.port_id);
      rte_eal_cleanup();
    }
    std::filesystem::remove_all("/var/run/dpdk/tandem-test-drvafxdp-" + std::to_string(getpid()));
    if (g_peer_socket >= 0) close(g_peer_socket);
    remove_namespaces();
  }
};

const auto* const g_env = ::testing::AddGlobalTestEnvironment(new AfXdpEnvironment);

class AfXdp : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!g_skip_reason.empty()) GTEST_SKIP() << g_skip_reason;
    ASSERT_TRUE(g_setup_error.empty()) << g_setup_error;
    std::string error;
    map_ = XdpAddressMap::open(kNsA, &error);
    ASSERT_NE(map_, nullptr) << error;
    for (uint32_t addr : map_->list()) ASSERT_TRUE(map_->remove(addr, &error)) << error;
    ASSERT_TRUE(map_->set_steer_all(false, &error)) << error;
    drain_dpdk();
    drain_peer();
  }

  std::unique_ptr<XdpAddressMap> map_;
};

TEST_F(AfXdp, PortIsUp) {
  EXPECT_EQ(g_port.driver, "net_af_xdp");
  EXPECT_EQ(g_port.dpdk_name, "net_af_xdp_port1");
  EXPECT_EQ(g_port.nb_rxq, 1u);
  EXPECT_FALSE(g_port.rss);
  EXPECT_NE(map_->prog_id(), 0u);
  // DPDK attaches the program directly (no libxdp dispatcher); libxdp still
  // sees it as a legacy program, so the fallback is not needed here.
  EXPECT_STREQ(map_->found_by(), "libxdp");
}

TEST_F(AfXdp, AddressMapAddListRemove) {
  std::string error;
  EXPECT_TRUE(map_->list().empty());
  ASSERT_TRUE(map_->add(ip_be(kTandemIp), &error)) << error;
  ASSERT_TRUE(map_->add(ip_be(kOtherIp), &error, kTandemAddrVirtual)) << error;
  std::vector<uint32_t> addrs = map_->list();
  std::sort(addrs.begin(), addrs.end());
  std::vector<uint32_t> want = {ip_be(kTandemIp), ip_be(kOtherIp)};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(addrs, want);
  ASSERT_TRUE(map_->remove(ip_be(kOtherIp), &error)) << error;
  EXPECT_EQ(map_->list(), std::vector<uint32_t>{ip_be(kTandemIp)});
  EXPECT_FALSE(map_->remove(ip_be(kOtherIp), &error));
  EXPECT_NE(error.find("10.99.7.50"), std::string::npos) << error;
}

TEST_F(AfXdp, ArpForOurAddressReachesDpdkOnly) {
  std::string error;
  ASSERT_TRUE(map_->add(ip_be(kTandemIp), &error)) << error;
  send_from_peer(arp_request(kTandemIp));
  EXPECT_TRUE(dpdk_receives(is_arp(1, kTandemIp), kArriveTimeout));
  // The kernel holds kTandemIp too, so it would answer had it seen the request.
  EXPECT_FALSE(peer_receives(is_arp(2, kPeerIp), kSilenceWindow));
}

TEST_F(AfXdp, VlanTaggedArpForOurAddressReachesDpdk) {
  std::string error;
  ASSERT_TRUE(map_->add(ip_be(kTandemIp), &error)) << error;
  send_from_peer(arp_request(kTandemIp, 100));
  EXPECT_TRUE(dpdk_receives(is_arp(1, kTandemIp), kArriveTimeout));
}

TEST_F(AfXdp, ArpForKernelAddressReachesKernel) {
  std::string error;
  ASSERT_TRUE(map_->add(ip_be(kTandemIp), &error)) << error;
  send_from_peer(arp_request(kKernelIp));
  EXPECT_TRUE(peer_receives(is_arp(2, kPeerIp), kArriveTimeout)) << "no ARP reply from the kernel";
  EXPECT_FALSE(dpdk_receives(is_arp(1, kKernelIp), kSilenceWindow));
}

TEST_F(AfXdp, Ipv4ForOurAddressReachesDpdkOnly) {
  std::string error;
  ASSERT_TRUE(map_->add(ip_be(kTandemIp), &error)) << error;
  send_from_peer(echo_request(kTandemIp, 11));
  EXPECT_TRUE(dpdk_receives(is_icmp(8, kTandemIp, 11), kArriveTimeout));
  EXPECT_FALSE(peer_receives(is_icmp(0, kPeerIp, 11), kSilenceWindow));
}

TEST_F(AfXdp, Ipv4ForKernelAddressReachesKernel) {
  std::string error;
  ASSERT_TRUE(map_->add(ip_be(kTandemIp), &error)) << error;
  send_from_peer(echo_request(kKernelIp, 12));
  EXPECT_TRUE(peer_receives(is_icmp(0, kPeerIp, 12), kArriveTimeout)) << "no echo reply";
  EXPECT_FALSE(dpdk_receives(is_icmp(8, kKernelIp, 12), kSilenceWindow));
}

TEST_F(AfXdp, RemovedAddressGoesBackToKernel) {
  std::string error;
  ASSERT_TRUE(map_->add(ip_be(kTandemIp), &error)) << error;
  send_from_peer(echo_request(kTandemIp, 13));
  ASSERT_TRUE(dpdk_receives(is_icmp(8, kTandemIp, 13), kArriveTimeout));
  ASSERT_TRUE(map_->remove(ip_be(kTandemIp), &error)) << error;
  send_from_peer(echo_request(kTandemIp, 14));
  EXPECT_TRUE(peer_receives(is_icmp(0, kPeerIp, 14), kArriveTimeout)) << "no echo reply";
  EXPECT_FALSE(dpdk_receives(is_icmp(8, kTandemIp, 14), kSilenceWindow));
  send_from_peer(arp_request(kTandemIp));
  EXPECT_TRUE(peer_receives(is_arp(2, kPeerIp), kArriveTimeout)) << "no ARP reply";
}

TEST_F(AfXdp, SteerAllTakesTransitTraffic) {
  std::string error;
  ASSERT_TRUE(map_->set_steer_all(true, &error)) << error;
  send_from_peer(echo_request(kKernelIp, 15));
  EXPECT_TRUE(dpdk_receives(is_icmp(8, kKernelIp, 15), kArriveTimeout));
  EXPECT_FALSE(peer_receives(is_icmp(0, kPeerIp, 15), kSilenceWindow));
  ASSERT_TRUE(map_->set_steer_all(false, &error)) << error;
  send_from_peer(echo_request(kKernelIp, 16));
  EXPECT_TRUE(peer_receives(is_icmp(0, kPeerIp, 16), kArriveTimeout));
}

uint64_t line_value(const std::string& text, const std::string& label) {
  const size_t at = text.find("\n" + label);
  if (at == std::string::npos) return UINT64_MAX;
  return std::stoull(text.substr(at + 1 + label.size()));
}

TEST_F(AfXdp, NicTextCountsRedirectedFrames) {
  std::string error;
  ASSERT_TRUE(map_->add(ip_be(kTandemIp), &error)) << error;
  const std::string before = hw::format_nic(g_port.port_id, g_port);
  constexpr unsigned kFrames = 3;
  size_t frame_len = 0;
  for (unsigned i = 0; i < kFrames; ++i) {
    const Frame f = echo_request(kTandemIp, static_cast<uint16_t>(20 + i));
    frame_len = f.size();
    send_from_peer(f);
    ASSERT_TRUE(dpdk_receives(is_icmp(8, kTandemIp, static_cast<uint16_t>(20 + i)), kArriveTimeout));
  }
  const std::string after = hw::format_nic(g_port.port_id, g_port);
  SCOPED_TRACE(after);
  EXPECT_NE(after.find("Driver Name:        net_af_xdp"), std::string::npos);
  EXPECT_EQ(line_value(after, "Host Rx Pkts:") - line_value(before, "Host Rx Pkts:"), kFrames);
  EXPECT_EQ(line_value(after, "Host Rx Bytes:") - line_value(before, "Host Rx Bytes:"),
            kFrames * frame_len);
  EXPECT_EQ(line_value(after, "Rx Errors:"), 0u);
}

TEST_F(AfXdp, OpenFailsWithoutOurProgram) {
  std::string error;
  EXPECT_EQ(XdpAddressMap::open("lo", &error), nullptr);
  EXPECT_NE(error.find("not attached"), std::string::npos) << error;
  EXPECT_EQ(XdpAddressMap::open("nosuchif0", &error), nullptr);
  EXPECT_NE(error.find("nosuchif0"), std::string::npos) << error;
}

}  // namespace
}  // namespace tandem::drivers
