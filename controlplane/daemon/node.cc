#include "controlplane/daemon/node.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/stat.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <fstream>
#include <utility>

#include <openssl/evp.h>

#include "controlplane/confsync/confsync.h"
#include "controlplane/daemon/event_log.h"
#include "controlplane/daemon/snapshot_build.h"
#include "controlplane/daemon/ztna_snapshot.h"
#include "controlplane/ha/vmac.h"
#include "dataplane/session/session.h"
#include "dataplane/sync/sync.h"
#include "dataplane/tcp/tcp_diag.h"
#include "dataplane/tls/tls.h"
#include "dataplane/worker/worker.h"
#include "dataplane/worker/worker_types.h"
#include "dataplane/ztna/ztna_app.h"
#include "dataplane/ztna/ztna_diag.h"
#include "drivers/port/unmap_guard.h"
#include "drivers/xdp/xdp_types.h"
#include "hw/flow/flow.h"

namespace tandem::daemon {
namespace {

constexpr auto kLinkPollInterval = std::chrono::milliseconds(200);
constexpr unsigned kMbufCache = 256;
// TCP connections per worker when only the access proxy asks for stacks:
// each costs 256 KiB of TCP buffers plus about 50 KiB of proxy state, and
// a client connection with its upstream takes two.
constexpr uint32_t kZtnaTcpConns = 256;
// Session setup rate for `diagnose sys session stat` is measured over this.
constexpr auto kStatsSampleInterval = std::chrono::seconds(1);
constexpr unsigned kHbdevBurst = 32;
// How often a stopped hbdev is started again, and how long a memif client's
// link may stay down before it re-dials (DPDK's memif client does not
// reconnect by itself once its server went away).
constexpr auto kHbdevRetryInterval = std::chrono::milliseconds(1000);
constexpr int kHbdevRedialAfterPolls = 5;

// A stable serial number for a node whose configuration leaves it empty:
// derived from the machine id and the hostname, so it survives restarts.
std::string derive_serial(const std::string& hostname) {
  std::string seed = hostname;
  std::ifstream mid("/etc/machine-id");
  std::string machine;
  if (std::getline(mid, machine)) seed += machine;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(seed.data(), seed.size(), md, &len, EVP_sha256(), nullptr);
  static const char kHex[] = "0123456789ABCDEF";
  std::string serial = "TDMVM";
  for (unsigned i = 0; serial.size() < 16; ++i) {
    serial.push_back(kHex[md[i] >> 4]);
    serial.push_back(kHex[md[i] & 15]);
  }
  serial.resize(16);
  return serial;
}

std::string sanitize_prefix(const std::string& s) {
  std::string out = "tandem-";
  for (char c : s) out.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  return out;
}

bool is_hbdev(const config::NodeConfig& node, const std::string& name) {
  return std::any_of(node.ha.hbdevs.begin(), node.ha.hbdevs.end(),
                     [&](const config::HbdevConfig& h) { return h.interface == name; });
}

// The workers' side of the memif unmap guard (drivers/port/unmap_guard.h).
bool quiesce_workers(void* dataplane, uint64_t budget_us) {
  return dp::dataplane_quiesce(static_cast<dp::Dataplane*>(dataplane), budget_us);
}

}  // namespace

Node::Node(NodeOptions options, config::Config config)
    : options_(std::move(options)), config_(std::move(config)) {}

Node::~Node() { shutdown(); }

bool Node::start(std::string* error) {
  started_at_ = std::chrono::steady_clock::now();
  node_ = config::node_config(config_);
  fqdn_follow_config();
  serial_ = node_.global.serial_number.empty() ? derive_serial(node_.global.hostname)
                                               : node_.global.serial_number;

  // Device arguments first: a bad device string must fail before EAL runs.
  EalInputs in;
  in.cores = node_.dpdk.cores;
  in.workers = node_.dpdk.workers;
  in.memory_mb = node_.dpdk.memory_mb;
  in.hugepages = node_.dpdk.hugepages;
  in.file_prefix = node_.dpdk.file_prefix.empty() ? sanitize_prefix(node_.global.hostname)
                                                  : node_.dpdk.file_prefix;
  in.hugepage_free_mb = hugepage_free_mb();
  in.extra = options_.extra_eal_args;
  for (const auto& ifc : node_.interfaces) {
    NodePort port;
    port.name = ifc.name;
    port.is_hbdev = is_hbdev(node_, ifc.name);
    // Queue 0 of an hbdev carries heartbeats for the control lcore; queue
    // i+1 carries worker i's sync stream (DESIGN.md "Two nodes").
    port.queues = port.is_hbdev ? node_.dpdk.workers + 1 : node_.dpdk.workers;
    std::string err;
    bool parsed = drivers::parse_device(ifc.name, ifc.device, port.queues, &port.spec, &err);
    // Without session pickup nothing reads queues 1..: an af_packet hbdev
    // gets one, as its fanout hash puts every heartbeat on one socket, on
    // some boots one nobody reads (dataplane/sync/sync.h).
    if (parsed && port.is_hbdev && port.spec.kind == drivers::DeviceKind::kAfPacket &&
        !(node_.ha.mode == "a-p" && node_.ha.session_pickup)) {
      port.queues = 1;
      parsed = drivers::parse_device(ifc.name, ifc.device, port.queues, &port.spec, &err);
    }
    if (!parsed) {
      *error = "interface \"" + ifc.name + "\": " + err;
      return false;
    }
    port.is_dpdk = port.spec.kind != drivers::DeviceKind::kKernel;
    port.redial = port.spec.dpdk_name.rfind("net_memif", 0) == 0 &&
                  ifc.device.find("role=client") != std::string::npos;
    in.any_pci |= port.spec.kind == drivers::DeviceKind::kPci;
    for (const auto& a : port.spec.eal_args) in.device_args.push_back(a);
    ports_.push_back(std::move(port));
  }
  if (!plan_eal(in, &eal_, error)) return false;
  // A node killed with -9 leaves its XDP program attached and its memif
  // server socket behind; DPDK would refuse both and the node could never
  // come back.
  for (const auto& ifc : node_.interfaces) {
    bool removed = false;
    std::string err;
    if (!drivers::remove_stale_memif_socket(ifc.device, &removed, &err)) {
      *error = "interface \"" + ifc.name + "\": " + err;
      return false;
    }
    if (removed) {
      event_log().log(Severity::kWarning, "%s: removed a stale memif socket left by a node that "
                      "did not stop cleanly", ifc.name.c_str());
    }
  }
  for (const auto& p : ports_) {
    if (p.spec.kind != drivers::DeviceKind::kAfXdp) continue;
    bool detached = false;
    std::string err;
    if (!drivers::xdp_detach_stale(p.spec.ifname, &detached, &err)) {
      *error = "interface \"" + p.name + "\": " + err;
      return false;
    }
    if (detached) {
      event_log().log(Severity::kWarning,
                      "%s: detached a Tandem XDP program left by a node that did not stop "
                      "cleanly", p.spec.ifname.c_str());
    }
  }
  for (const auto& w : eal_.warnings) event_log().log(Severity::kWarning, "%s", w.c_str());

  std::vector<char*> argv;
  for (auto& a : eal_.args) argv.push_back(a.data());
  std::string joined;
  for (const auto& a : eal_.args) joined += " " + a;
  event_log().log(Severity::kInfo, "EAL arguments:%s", joined.c_str());
  if (rte_eal_init(static_cast<int>(argv.size()), argv.data()) < 0) {
    *error = std::string("DPDK EAL initialisation failed") +
             (rte_errno != 0 ? std::string(": ") + rte_strerror(rte_errno) : std::string()) +
             " (the EAL lines above say why)";
    return false;
  }
  eal_up_ = true;
  if (rte_lcore_count() < node_.dpdk.workers + 1) {
    *error = "EAL gave " + std::to_string(rte_lcore_count()) + " lcores, need " +
             std::to_string(node_.dpdk.workers + 1);
    return false;
  }

  pool_ = rte_pktmbuf_pool_create("tandem_mbufs", node_.dpdk.mbufs, kMbufCache, 0,
                                  RTE_MBUF_DEFAULT_BUF_SIZE, static_cast<int>(rte_socket_id()));
  if (pool_ == nullptr) {
    *error = "cannot create the mbuf pool (" + std::to_string(node_.dpdk.mbufs) +
             " mbufs): " + rte_strerror(rte_errno) + "; lower `set mbufs` or raise `set memory`";
    return false;
  }
  if (!start_ports(error)) return false;
  poll_links(true);
  if (!start_ha(error)) return false;
  if (!start_confsync(error)) return false;
  if (!start_dataplane(error)) return false;
  sync_xdp_addresses();
  configure_traffic_log();

  register_commands();
  std::string err;
  if (!cli_server_.listen(options_.socket_path,
                          [this](const std::string& req) { return handle_request(req); }, &err)) {
    *error = "CLI socket: " + err;
    return false;
  }
  event_log().log(Severity::kNotice,
                  "tandemd %s started: hostname=%s serial=%s workers=%u ports=%zu cli=%s",
                  TANDEM_VERSION, node_.global.hostname.c_str(), serial_.c_str(),
                  node_.dpdk.workers, ports_.size(), options_.socket_path.c_str());
  return true;
}

bool Node::start_ports(std::string* error) {
  for (auto& p : ports_) {
    if (!p.is_dpdk) continue;
    std::string err;
    // The far end of an hbdev may be down (the peer node is what HA is
    // for): its start is retried from the control loop instead.
    auto setup = p.is_hbdev ? drivers::port_setup_deferred : drivers::port_setup;
    if (!setup(p.spec, p.name, p.queues, p.queues, node_.dpdk.rx_desc, node_.dpdk.tx_desc, pool_,
               &p.info, &err)) {
      *error = "port " + p.name + " (" + p.spec.dpdk_name + "): " + err;
      return false;
    }
    p.started = true;
    if (!p.info.started) {
      event_log().log(Severity::kWarning, "hbdev %s not started yet (%s); retrying every %lld ms",
                      p.name.c_str(), p.info.start_error.c_str(),
                      static_cast<long long>(kHbdevRetryInterval.count()));
    }
    event_log().log(Severity::kInfo, "port %s: %s port %u, %u queues, rss=%s%s%s", p.name.c_str(),
                    p.info.driver.c_str(), p.info.port_id, p.queues, p.info.rss ? "on" : "off",
                    p.info.rss_note.empty() ? "" : " ", p.info.rss_note.c_str());
    if (p.spec.kind == drivers::DeviceKind::kAfXdp) {
      p.xdp_addrs = drivers::XdpAddressMap::open(p.spec.ifname, &err);
      if (!p.xdp_addrs) {
        *error = "port " + p.name + ": Tandem's XDP program is not attached to " + p.spec.ifname +
                 ": " + err;
        return false;
      }
      if (!p.xdp_addrs->set_steer_all(true, &err)) {
        *error = "port " + p.name + ": cannot turn on XDP steering: " + err;
        return false;
      }
    }
  }
  return true;
}

bool Node::build_snapshot(void* out, std::string* error) const {
  std::vector<DataPortRef> refs;
  for (const auto& p : ports_) {
    if (!p.is_dpdk || p.is_hbdev) continue;
    DataPortRef ref{p.name, p.info.port_id, p.info.mac, data_active_};
    if (ha_) {
      // Data ports are numbered in snapshot order, the same on both nodes.
      auto vmac = ha::virtual_mac(node_.ha.group_id, static_cast<unsigned>(refs.size()));
      std::memcpy(ref.mac.addr_bytes, vmac.data(), 6);
    }
    refs.push_back(ref);
  }
  std::vector<std::string> warnings;
  auto* snap = static_cast<dp::Snapshot*>(out);
  if (!daemon::build_snapshot(node_, refs, generation_, snap, error, &warnings)) {
    return false;
  }
  fill_sync_conf(&snap->sync);
  for (const auto& w : warnings) event_log().log(Severity::kWarning, "%s", w.c_str());
  snap->ztna = nullptr;
  if (!node_.ztna.access_proxies.empty()) {
    // A fresh runtime per snapshot: the TLS contexts are built here, on the
    // control lcore, never by a worker. A proxy that cannot load its files
    // is off and the others serve; the rest of the config still applies.
    std::string zerr;
    std::vector<std::string> off;
    auto rt = daemon::build_ztna_runtime(ztna_resolved(), refs, node_.dpdk.workers, ztna_ring_, &zerr,
                                         tls_session_cache_.get(), &off);
    for (const std::string& why : off)
      event_log().log(Severity::kError, "ZTNA: %s; this access proxy is off, the others serve", why.c_str());
    if (rt == nullptr) {
      event_log().log(Severity::kError, "ZTNA: access proxies are off: %s", zerr.c_str());
    } else {
      snap->ztna = rt.get();
      ztna_runtimes_.push_back(std::move(rt));
    }
  }
  return true;
}

void Node::ztna_files_poll() {
  auto now = std::chrono::steady_clock::now();
  if (node_.ztna.access_proxies.empty() || dataplane_ == nullptr ||
      now - ztna_files_polled_at_ < std::chrono::seconds(1))
    return;
  ztna_files_polled_at_ = now;
  std::vector<std::string> paths;
  for (const config::ZtnaAccessProxy& p : node_.ztna.access_proxies) {
    paths.push_back(p.server_certificate.certificate);
    paths.push_back(p.server_certificate.private_key);
    paths.insert(paths.end(), p.client_ca_files.begin(), p.client_ca_files.end());
    paths.insert(paths.end(), p.crl_files.begin(), p.crl_files.end());
    for (const config::ZtnaApiGateway& g : p.api_gateways)
      paths.insert(paths.end(), g.realserver_ca_files.begin(), g.realserver_ca_files.end());
  }
  std::sort(paths.begin(), paths.end());
  paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
  std::vector<FileStamp> stamps;
  for (const std::string& path : paths) {
    if (path.empty()) continue;
    struct stat st;
    FileStamp f{path, ::stat(path.c_str(), &st) == 0, 0, 0, 0};
    if (f.exists) {
      f.mtime_ns = int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec;
      f.size = st.st_size;
      f.inode = st.st_ino;
    }
    stamps.push_back(f);
  }
  bool settled = stamps == ztna_files_seen_;  // unchanged for a second: not being written
  ztna_files_seen_ = stamps;
  if (ztna_files_built_.empty()) ztna_files_built_ = stamps;
  if (!settled || stamps == ztna_files_built_) return;
  // Only a file both looks knew counts: a config change brings new paths
  // and builds its own runtime.
  std::string changed;
  for (const FileStamp& f : stamps) {
    auto was = std::find_if(ztna_files_built_.begin(), ztna_files_built_.end(),
                            [&](const FileStamp& b) { return b.path == f.path; });
    if (was != ztna_files_built_.end() && !(*was == f)) changed += (changed.empty() ? "" : ", ") + f.path;
  }
  ztna_files_built_ = stamps;
  if (changed.empty()) return;
  event_log().log(Severity::kNotice, "ZTNA: %s changed on disk; rebuilding the access proxies", changed.c_str());
  std::string err;
  if (!republish(&err)) event_log().log(Severity::kError, "ZTNA: cannot publish the rebuilt access proxies: %s", err.c_str());
}

bool Node::republish(std::string* error) {
  ++generation_;
  auto snap = std::make_unique<dp::Snapshot>();
  if (!build_snapshot(snap.get(), error)) return false;
  if (publish_snapshot(snap.get()) != 0) {
    if (error->empty()) *error = "the workers did not take it";
    return false;
  }
  return true;
}

int Node::publish_snapshot(const void* snapshot) {
  const auto* snap = static_cast<const dp::Snapshot*>(snapshot);
  int rc = dp::dataplane_publish(dataplane_, *snap);
  // After dataplane_publish no worker reads the previous snapshot: only
  // connections (their counts) can still hold an older runtime.
  ztna_retire(rc == 0 ? snap->ztna : ztna_published_);
  if (rc == 0) remember_published(*snap);
  return rc;
}

void Node::ztna_retire(const void* published) {
  ztna_published_ = static_cast<const dp::ZtnaRuntime*>(published);
  std::erase_if(ztna_runtimes_, [&](const std::unique_ptr<dp::ZtnaRuntime>& rt) {
    return rt.get() != ztna_published_ && rt->refs.load(std::memory_order_acquire) == 0;
  });
}

bool Node::start_dataplane(std::string* error) {
  if (!node_.ztna.access_proxies.empty() && !dp::tls::ticket_ring_rotate(&ztna_ring_)) {
    *error = "ZTNA: no random bytes for the session-ticket key";
    return false;
  }
  ztna_ring_rotated_at_ = std::chrono::steady_clock::now();
  auto snap = std::make_unique<dp::Snapshot>();
  if (!build_snapshot(snap.get(), error)) return false;
  unsigned data_index = 0;
  for (auto& p : ports_) {
    if (p.is_dpdk && !p.is_hbdev) p.data_index = static_cast<int>(data_index++);
  }
  dp::DataplaneParams params{node_.dpdk.workers, node_.dpdk.idle_sleep_us, rte_socket_id()};
  params.session_capacity = node_.dpdk.session_table_size;
  params.neigh_capacity = node_.dpdk.neighbour_table_size;
  params.session_sync = sync_enabled_;
  // TCP stacks only when the test service is configured at start-up (the
  // ZTNA proxy will ask for them too); their size is fixed now.
  const auto& tts = node_.tcp_test_service;
  if (tts.echo_port != 0 || tts.http_port != 0) params.tcp_max_conns = tts.max_connections;
  // The access proxy needs the stacks too. One configured later gets them
  // then (dataplane_ztna_start, in apply_config).
  if (!node_.ztna.access_proxies.empty()) {
    params.ztna = true;
    params.tcp_max_conns = std::max(params.tcp_max_conns, kZtnaTcpConns);
  }
  char err[256] = "";
  dataplane_ = dp::dataplane_create(params, *snap, err, sizeof(err));
  if (dataplane_ == nullptr) {
    *error = std::string("dataplane: ") + err;
    return false;
  }
  {
    std::lock_guard<PiMutex> lock(hb_.mutex);
    hb_.dataplane = dataplane_;  // the heartbeat keeper's watchdog may silence it from now on
  }
  for (const auto& p : ports_) {  // kernel ports have none
    for (unsigned q = 0; q < p.info.rx_wait_fds.size(); ++q)
      dp::dataplane_set_rx_wait_fd(dataplane_, p.info.port_id, q, p.info.rx_wait_fds[q]);
  }
  ztna_retire(snap->ztna);
  remember_published(*snap);
  sync_hand_hbdev();
  int rc = dp::dataplane_launch(dataplane_, eal_.worker_lcores.data(),
                                static_cast<unsigned>(eal_.worker_lcores.size()));
  if (rc != 0) {
    *error = std::string("cannot launch workers: ") + std::strerror(-rc);
    return false;
  }
  drivers::unmap_guard_set_waiter(quiesce_workers, dataplane_);
  return true;
}

// Keeps each AF_XDP port's address map equal to what the node answers for
// (to DPDK) and what the kernel holds on that netdev (to the kernel, so
// management on a shared port keeps working). Everything else follows
// steer-all, which tandemd turns on: transit traffic is the node's too.
void Node::sync_xdp_addresses() {
  ifaddrs* ifa_list = nullptr;
  if (getifaddrs(&ifa_list) != 0) ifa_list = nullptr;
  for (auto& p : ports_) {
    if (!p.xdp_addrs) continue;
    std::map<uint32_t, uint32_t> want;
    for (ifaddrs* ifa = ifa_list; ifa != nullptr; ifa = ifa->ifa_next) {
      if (ifa->ifa_addr == nullptr || ifa->ifa_addr->sa_family != AF_INET ||
          p.spec.ifname != ifa->ifa_name) {
        continue;
      }
      want[reinterpret_cast<sockaddr_in*>(ifa->ifa_addr)->sin_addr.s_addr] = kTandemAddrKernel;
    }
    const config::InterfaceConfig* ifc = node_.interface(p.name);
    if (ifc != nullptr && ifc->ip != 0 && ifc->up) want[htonl(ifc->ip)] = kTandemAddrLocal;
    if (want == p.xdp_published) continue;
    std::string err;
    for (const auto& [ip, flags] : p.xdp_published) {
      if (want.count(ip) == 0 && !p.xdp_addrs->remove(ip, &err)) {
        event_log().log(Severity::kError, "port %s: XDP map remove: %s", p.name.c_str(),
                        err.c_str());
      }
    }
    for (const auto& [ip, flags] : want) {
      if (!p.xdp_addrs->add(ip, &err, flags)) {
        event_log().log(Severity::kError, "port %s: XDP map add: %s", p.name.c_str(), err.c_str());
      }
    }
    p.xdp_published = want;
  }
  if (ifa_list != nullptr) freeifaddrs(ifa_list);
}

void Node::poll_links(bool initial) {
  auto now = std::chrono::steady_clock::now();
  for (auto& p : ports_) {
    if (!p.started) continue;
    if (p.is_hbdev && !p.info.started) {
      if (now - p.last_start_try >= kHbdevRetryInterval) {
        p.last_start_try = now;
        std::string err;
        bool started;
        {
          std::lock_guard<PiMutex> lock(hb_.mutex);  // the heartbeat keeper sends on it
          started = drivers::port_start(&p.info, &err);
        }
        if (started) {
          event_log().log(Severity::kNotice, "hbdev %s started", p.name.c_str());
          sync_hand_hbdev();
        }
      }
      continue;
    }
    rte_eth_link link{};
    if (rte_eth_link_get_nowait(p.info.port_id, &link) != 0) continue;
    bool up = link.link_status == RTE_ETH_LINK_UP;
    if (initial || up != p.link_up) {
      event_log().log(up ? Severity::kNotice : Severity::kWarning, "interface %s link %s%s",
                      p.name.c_str(), up ? "up" : "down",
                      up ? (" " + std::to_string(link.link_speed) + " Mbps").c_str() : "");
    }
    p.link_up = up;
    p.down_polls = up ? 0 : p.down_polls + 1;
    if (p.is_hbdev && p.redial && p.down_polls >= kHbdevRedialAfterPolls) {
      p.down_polls = 0;
      // The workers' sync queues first: no RX/TX may race the stop.
      if (sync_port_ == static_cast<int>(p.info.port_id) && dataplane_ != nullptr) {
        dp::dataplane_sync_port(dataplane_, -1);
        sync_port_ = -1;
      }
      // The peer's disconnect on the interrupt thread is over before the
      // stop runs the PMD's own (drivers::interrupt_thread_sync). Before
      // the lock: that disconnect's unmap waits for the heartbeat keeper's
      // bursts, and the keeper may be waiting for the lock.
      (void)drivers::interrupt_thread_sync();
      std::lock_guard<PiMutex> lock(hb_.mutex);
      (void)rte_eth_dev_stop(p.info.port_id);
      p.info.started = false;
      p.last_start_try = now - kHbdevRetryInterval;
    }
  }
}

// Until the HA module owns it, the control lcore drains the hbdev's
// heartbeat queue so frames never pile up in the ring; they are counted.
void Node::poll_hbdev() {
  for (auto& p : ports_) {
    if (!p.started || !p.is_hbdev || !p.info.started) continue;
    rte_mbuf* burst[kHbdevBurst];
    uint16_t n;
    {
      drivers::BurstSection section;
      n = link_gate_.rx_burst(p.info.port_id, 0, burst, kHbdevBurst);
    }
    hbdev_frames_ += n;
    rte_pktmbuf_free_bulk(burst, n);
  }
}

void Node::run(const std::atomic<bool>& stop_requested) {
  std::vector<pollfd> fds;
  while (!stop_requested.load(std::memory_order_relaxed)) {
    fds.clear();
    cli_server_.add_poll_fds(&fds);
    const size_t cli_fds = fds.size();
    if (confsync_) confsync_->add_poll_fds(&fds);
    int n = poll(fds.data(), fds.size(), control_poll_ms());
    // Config sync first: a CLI commit below runs its own wait on the
    // channel, after which this round's layout would be stale.
    if (confsync_) {
      confsync_->handle(fds, cli_fds, fds.size() - cli_fds);
      confsync_->tick(mono_ns());
    }
    if (n > 0) cli_server_.handle(fds, 0, cli_fds);
    if (test_hang_s_ != 0) {  // the reply has gone out
      event_log().log(Severity::kWarning, "test: the control lcore stops for %u s (diagnose test ha hang-control)",
                      test_hang_s_);
      const timespec hang{static_cast<time_t>(std::exchange(test_hang_s_, 0)), 0};
      clock_nanosleep(CLOCK_MONOTONIC, 0, &hang, nullptr);
    }
    drain_traffic_log();
    if (ha_) {
      ha_poll(mono_ns());
    } else {
      poll_hbdev();
    }
    auto now = std::chrono::steady_clock::now();
    if (now - last_link_poll_ >= kLinkPollInterval) {
      last_link_poll_ = now;
      poll_links(false);
      ha_report_links(false, mono_ns());
      sync_report(mono_ns());
      ztna_ring_poll();
      ztna_files_poll();
      fqdn_poll();
      sync_xdp_addresses();
    }
    if (now - last_stats_sample_ >= kStatsSampleInterval) {
      sample_stats(now);
    }
  }
}

// Once a second: the session setup rate, and the one-time warning when a
// worker's session table is full (new flows are being dropped).
void Node::sample_stats(std::chrono::steady_clock::time_point now) {
  dp::SessionStats st = dp::dataplane_session_stats(dataplane_);
  double secs = std::chrono::duration<double>(now - last_stats_sample_).count();
  if (last_stats_sample_.time_since_epoch().count() != 0 && secs > 0) {
    setup_rate_ = static_cast<double>(st.inserts_total - last_inserts_) / secs;
  }
  last_inserts_ = st.inserts_total;
  last_stats_sample_ = now;
  if (dp::dataplane_session_take_full_alert(dataplane_)) {
    event_log().log(Severity::kError,
                    "session table full (%llu sessions): new flows are dropped until sessions "
                    "expire; raise `set session-table-size` in config system dpdk",
                    static_cast<unsigned long long>(st.capacity));
  }
}

void Node::shutdown() {
  cli_server_.close_all();
  hb_keeper_stop();  // before the hbdevs stop
  if (dataplane_ != nullptr) {
    drivers::unmap_guard_set_waiter(nullptr, nullptr);
    dp::dataplane_stop(dataplane_);
    dp::dataplane_destroy(dataplane_);
    dataplane_ = nullptr;
  }
  for (auto& p : ports_) {
    p.xdp_addrs.reset();
    if (p.hb_steering != nullptr) {
      hw::FlowSteering st{p.hb_steering, {}};
      hw::remove_steering(p.info.port_id, &st);
      p.hb_steering = nullptr;
    }
    if (p.started) {
      drivers::port_shutdown(p.info.port_id);
      p.started = false;
    }
  }
  if (pool_ != nullptr) {
    rte_mempool_free(pool_);
    pool_ = nullptr;
  }
  if (eal_up_) {
    rte_eal_cleanup();
    eal_up_ = false;
  }
}

cli::Reply Node::handle_request(const std::string& request) {
  std::string err;
  auto words = cli::tokenize(request, &err);
  if (words && !words->empty() && (*words)[0] == "config") return apply_config(request);
  // A multi-line request is a script of commands, run in order; the first
  // failure stops it so a script never runs on past an error.
  std::string out;
  size_t start = 0;
  while (start <= request.size()) {
    size_t nl = request.find('\n', start);
    std::string line = request.substr(start, nl == std::string::npos ? nl : nl - start);
    start = nl == std::string::npos ? request.size() + 1 : nl + 1;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    cli::Reply r = commands_.execute(line);
    out += r.text;
    if (!r.ok) return cli::Reply{false, out};
  }
  return cli::Reply{true, out};
}

cli::Reply Node::apply_config(const std::string& text) {
  config::ParseResult result = config::apply(config_, text, "cli");
  if (!result.ok()) {
    std::string msg;
    for (const auto& d : result.errors) msg += d.to_string() + "\n";
    msg += "Command fail: nothing was changed.";
    return cli::Reply::error(msg);
  }
  if (std::string refusal = confsync_edit_refusal(result.config); !refusal.empty()) {
    return cli::Reply::error(refusal);
  }
  std::string err = install_config(result.config, "the CLI");
  if (!err.empty()) return cli::Reply::error(err);
  return cli::Reply{true, confsync_commit(text)};
}

std::string Node::install_config(const config::Config& candidate, const std::string& origin) {
  config::NodeConfig next = config::node_config(candidate);
  // What needs the ports re-created is refused rather than half-applied.
  std::string restart;
  if (next.interfaces.size() != node_.interfaces.size()) restart = "adding or removing interfaces";
  for (size_t i = 0; restart.empty() && i < next.interfaces.size(); ++i) {
    if (next.interfaces[i].name != node_.interfaces[i].name ||
        next.interfaces[i].device != node_.interfaces[i].device) {
      restart = "changing the device of interface " + next.interfaces[i].name;
    }
  }
  std::string a, b, e;
  config::show(config_, "system dpdk", true, &a, &e);
  config::show(candidate, "system dpdk", true, &b, &e);
  if (restart.empty() && a != b) restart = "changing config system dpdk";
  // maintenance-mode applies at once; the rest of system ha shapes the
  // running state machine and needs a restart for now.
  {
    config::HaConfig x = next.ha, y = node_.ha;
    x.maintenance_mode = y.maintenance_mode;
    auto key = [](const config::HaConfig& h) {
      std::string k = h.group_name + "|" + std::to_string(h.group_id) + "|" + h.mode + "|" +
                      h.password_hash + "|" + std::to_string(h.priority) + "|" +
                      std::to_string(h.override) + "|" + std::to_string(h.hb_interval_ms) + "|" +
                      std::to_string(h.hb_lost_threshold) + "|" +
                      std::to_string(h.uptime_diff_margin_s) + "|" +
                      std::to_string(h.monitor_stability_period_s) + "|" +
                      std::to_string(h.arps) + "|" + std::to_string(h.arps_interval_s) + "|" +
                      std::to_string(h.session_pickup);
      for (const auto& d : h.hbdevs) k += "|hb:" + d.interface + ":" + std::to_string(d.priority);
      for (const auto& m : h.monitor) k += "|mon:" + m;
      return k;
    };
    if (restart.empty() && key(x) != key(y)) {
      restart = "changing config system ha (other than maintenance-mode)";
    }
  }
  if (!restart.empty()) {
    return restart + " needs a restart of tandemd: edit " + options_.config_path +
           " and restart it. Nothing was changed.";
  }

  // The first access proxy of a node that started without one: the workers
  // get their TCP stacks and proxies now (no restart, as on FortiOS), and
  // the session-ticket ring its first key, before the snapshot that names
  // the proxy reaches them.
  if (!next.ztna.access_proxies.empty() && dataplane_ != nullptr && !dp::dataplane_ztna_enabled(dataplane_)) {
    if (!ztna_ring_.valid[ztna_ring_.current]) {
      if (!dp::tls::ticket_ring_rotate(&ztna_ring_)) return "ZTNA: no random bytes for the session-ticket key. Nothing was changed.";
      ztna_ring_rotated_at_ = std::chrono::steady_clock::now();
    }
    int rc = dp::dataplane_ztna_start(dataplane_, kZtnaTcpConns, 2000);
    if (rc != 0) {
      return std::string("cannot start the workers' TCP stacks for the access proxy: ") + std::strerror(-rc) +
             ". Nothing was changed.";
    }
    event_log().log(Severity::kNotice, "ZTNA: access proxy configured at run time: the workers' TCP stacks "
                                       "and proxies started");
  }

  config::Config previous = std::move(config_);
  const std::string previous_maintenance = node_.ha.maintenance_mode;
  config_ = candidate;
  ++config_version_;
  node_ = next;
  fqdn_follow_config();
  std::string err;
  if (!republish(&err)) {
    config_ = std::move(previous);
    ++config_version_;
    node_ = config::node_config(config_);
    return "cannot publish the new configuration to the workers: " + err;
  }
  sync_xdp_addresses();
  configure_traffic_log();
  if (ha_ && previous_maintenance != node_.ha.maintenance_mode) {
    uint64_t now = mono_ns();
    ha_apply(ha_->set_maintenance(ha::parse_maintenance_mode(node_.ha.maintenance_mode), now), now);
  }

  // Persist, so a restart keeps what the operator committed (written to a
  // temporary file and renamed: a crash never leaves half a config).
  std::string text_out;
  config::show(config_, "", false, &text_out, &err);
  std::string tmp = options_.config_path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << "# Written by tandemd after a change from " << origin << ".\n" << text_out;
    f.flush();
    if (!f.good()) {
      return "applied, but saving to " + tmp + " failed: the change is lost on restart";
    }
  }
  if (std::rename(tmp.c_str(), options_.config_path.c_str()) != 0) {
    return "applied, but renaming " + tmp + " failed: " + std::strerror(errno);
  }
  event_log().log(Severity::kNotice, "configuration changed from %s (generation %llu)",
                  origin.c_str(), static_cast<unsigned long long>(generation_));
  return {};
}

}  // namespace tandem::daemon
