// One Tandem appliance node: owns EAL, the mbuf pool, the ports, the
// dataplane's workers and the control loop (CLI, link monitor). Created by
// tandemd's main() from a validated configuration; everything here runs on
// the control lcore.
#pragma once

#include <rte_ether.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "controlplane/cli/cli.h"
#include "controlplane/cli/cli_server.h"
#include "controlplane/config/config.h"
#include "controlplane/config/node_config.h"
#include "controlplane/ha/ha_format.h"
#include "controlplane/ha/ha_state.h"
#include "controlplane/ha/hb_frame.h"
#include "controlplane/log/traffic_log.h"
#include "controlplane/daemon/eal_args.h"
#include "controlplane/daemon/fqdn.h"
#include "controlplane/daemon/pi_mutex.h"
#include "controlplane/daemon/route_format.h"
#include "drivers/port/device.h"
#include "drivers/port/port.h"
#include "drivers/port/unmap_guard.h"
#include "drivers/xdp/xdp_loader.h"
#include "dataplane/tls/session_cache.h"
#include "dataplane/tls/tls_types.h"

struct rte_mempool;
struct rte_flow;

namespace tandem::dp {
class Dataplane;
}
namespace tandem::confsync {
class ConfSync;
}

namespace tandem::dp {
struct ZtnaRuntime;
struct Snapshot;
}

namespace tandem::daemon {

struct NodeOptions {
  std::string config_path;
  std::string socket_path;
  std::string state_dir = "/var/lib/tandem";  // config sync: epoch, default certificate
  std::vector<std::string> extra_eal_args;
  std::string log_dir = "/var/log/tandem";  // traffic.log goes here
};

// What the node knows about one configured interface at run time.
struct NodePort {
  std::string name;
  drivers::DeviceSpec spec;
  drivers::PortInfo info{};
  bool is_dpdk = false;     // kernel:<ifname> interfaces are not DPDK ports
  bool is_hbdev = false;    // served by the control lcore, not by workers
  unsigned queues = 0;      // RX and TX queues the port is set up with
  bool started = false;
  bool link_up = false;
  int data_index = -1;      // index in the dataplane snapshot, -1 if none
  bool redial = false;      // a memif client: restart it while its link is down
  rte_flow* hb_steering = nullptr;  // hbdev: heartbeats -> queue 0 in hardware
  int down_polls = 0;
  std::chrono::steady_clock::time_point last_start_try{};
  std::unique_ptr<drivers::XdpAddressMap> xdp_addrs;
  std::map<uint32_t, uint32_t> xdp_published;  // address (network order) -> flags in the XDP map
};

// Dotted-quad text of an IPv4 address in network byte order (CLI output).
std::string ipv4_text(uint32_t ip_be);

// How long a CLI command waits for a worker to serve its mailbox request.
inline constexpr unsigned kCliWorkerTimeoutMs = 2'000;

// Monotonic nanoseconds: the clock the HA machine runs on.
inline uint64_t mono_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

class Node {
 public:
  Node(NodeOptions options, config::Config config);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // EAL, ports, workers, CLI. Returns false with a one-line *error.
  bool start(std::string* error);
  // Runs the control loop until stop is requested (signal or CLI).
  void run(const std::atomic<bool>& stop_requested);
  // Stops workers and ports and releases EAL; safe after a failed start().
  void shutdown();

 private:
  bool start_ports(std::string* error);
  bool start_dataplane(std::string* error);
  bool build_snapshot(void* snapshot, std::string* error) const;
  // dataplane_publish, then frees ZTNA runtimes no snapshot or connection
  // uses any more. Returns dataplane_publish's code.
  int publish_snapshot(const void* snapshot);
  // A new generation's snapshot from the current state, built and handed
  // to the workers; false with *error set when either step fails.
  bool republish(std::string* error);
  void ztna_retire(const void* published);
  void sync_xdp_addresses();
  void poll_links(bool initial);
  void poll_hbdev();
  // node_ha.cc: the HA cluster on the control lcore.
  bool start_ha(std::string* error);
  void ha_poll(uint64_t now_ns);
  void ha_apply(const std::vector<ha::HaAction>& actions, uint64_t now_ns);
  void ha_send_heartbeats(uint64_t now_ns);
  // The heartbeat keeper (node_ha.cc): a small thread that sends the
  // control lcore's last heartbeat again whenever the wire has been quiet
  // for hb-interval, e.g. while a commit rebuilds a large configuration.
  void hb_keeper_start();
  void hb_keeper_stop();
  void hb_keeper_run(uint64_t interval_ns);
  // Encodes info and sends it on every started hbdev, queue 0. Called with
  // hb_.mutex held, by either thread (each with its own codec and gate).
  void hb_transmit(const ha::HbInfo& info, ha::HbCodec* codec, drivers::LinkGate* gate, uint64_t now_ns);
  void ha_send_garps(unsigned round);
  void ha_send_probes();
  void ha_set_sync(bool enabled);
  void ha_set_active(bool active, const std::string& reason);
  void ha_report_links(bool initial, uint64_t now_ns);
  // Session pickup (node_sync.cc).
  bool start_sync(std::string* error);
  void fill_sync_conf(void* sync_conf) const;
  void sync_hand_hbdev();
  void sync_learn_peer(uint64_t peer_epoch);
  void sync_report(uint64_t now_ns);
  // The session-ticket ring shared by the pair (node_sync.cc): the primary
  // (or a standalone node) rotates it, a secondary adopts the primary's.
  void ztna_ring_poll();
  bool ztna_ring_take_peer();
  // The access proxies' certificate, key, CA and CRL files, looked at once
  // a second (node.cc): a file that changed on disk and then stayed the
  // same for a second rebuilds the proxies (a renewed certificate, a new
  // CRL, a missing file put in place).
  void ztna_files_poll();
  std::vector<cli::Command> sync_commands();
  int control_poll_ms() const;
  std::vector<cli::Command> ha_commands();
  cli::Reply ha_format(int which) const;
  void sample_stats(std::chrono::steady_clock::time_point now);
  void register_commands();
  cli::Reply handle_request(const std::string& request);
  cli::Reply apply_config(const std::string& text);
  // Swaps in a whole validated config the way a CLI commit does (restart
  // checks, publish to the workers, persist). Empty return = applied.
  std::string install_config(const config::Config& next, const std::string& origin);
  // Config sync (node_confsync.cc).
  bool start_confsync(std::string* error);
  std::string confsync_edit_refusal(const config::Config& next) const;
  bool confsync_wait_acked(uint64_t change_id, int timeout_ms);
  std::string confsync_commit(const std::string& change_text);
  void confsync_stats_inputs(ha::HaStatusInputs* in) const;
  std::vector<cli::Command> confsync_commands();
  cli::Reply cmd_restore_config(const std::string& file);

  // CLI handlers (node_cli.cc).
  cli::Reply cmd_system_status() const;
  cli::Reply cmd_hardware_nic(const std::string& port) const;
  cli::Reply cmd_show(const cli::Args& args, bool full) const;
  cli::Reply cmd_dataplane_counters(const cli::Args& args) const;
  cli::Reply cmd_system_interface() const;
  cli::Reply cmd_checksum() const;
  // session_cli.cc
  cli::Reply cmd_session_list();
  cli::Reply cmd_session_filter(const cli::Args& args);
  cli::Reply cmd_session_clear();
  cli::Reply cmd_session_stat() const;
  std::vector<cli::Command> session_commands();
  // tcp_cli.cc
  std::vector<cli::Command> tcp_commands();
  std::vector<cli::Command> ztna_commands();  // ztna_cli.cc
  std::vector<cli::Command> realserver_commands();  // realserver_cli.cc
  cli::Reply cmd_wad_stats() const;             // ztna_cli.cc
  // fqdn_cli.cc: real servers by host name.
  void fqdn_follow_config();
  void fqdn_poll();
  config::ZtnaConfig ztna_resolved() const;
  std::vector<cli::Command> fqdn_commands();
  // route_cli.cc: routes and neighbours.
  void remember_published(const dp::Snapshot& snap);
  std::vector<cli::Command> route_commands();
  cli::Reply cmd_route_details(const cli::Args& args) const;
  cli::Reply cmd_arp(bool per_worker) const;
  // log_cli.cc: traffic logs from the workers to the file and syslog.
  void configure_traffic_log();
  void drain_traffic_log();
  std::vector<cli::Command> log_commands();

  NodeOptions options_;
  config::Config config_;
  uint64_t config_version_ = 0;  // changes with config_ (config sync keeps its checksums until then)
  config::NodeConfig node_;
  EalPlan eal_;
  bool eal_up_ = false;
  rte_mempool* pool_ = nullptr;
  std::vector<NodePort> ports_;
  dp::Dataplane* dataplane_ = nullptr;
  // ZTNA runtimes (dataplane/ztna/ztna_app.h), the newest last: one per
  // snapshot built while an access proxy is configured, kept while the
  // published snapshot points to it or a connection counts on it.
  // Mutable: build_snapshot() is const but makes the next one.
  mutable std::vector<std::unique_ptr<dp::ZtnaRuntime>> ztna_runtimes_;
  const dp::ZtnaRuntime* ztna_published_ = nullptr;
  // The session-ticket keys every runtime copies: made at start, rotated
  // while this node is primary or standalone, replaced by the primary's
  // (from the sync stream) while it is secondary.
  dp::tls::TicketKeyRing ztna_ring_;
  std::chrono::steady_clock::time_point ztna_ring_rotated_at_;
  uint32_t ztna_ring_seq_ = 0;  // last dataplane_sync_ticket_ring sequence taken
  struct FileStamp {
    std::string path;
    bool exists;
    int64_t mtime_ns, size;
    uint64_t inode;
    bool operator==(const FileStamp&) const = default;
  };
  std::vector<FileStamp> ztna_files_built_;  // as the last rebuild (or the first look) saw them
  std::vector<FileStamp> ztna_files_seen_;   // as the last look saw them
  std::chrono::steady_clock::time_point ztna_files_polled_at_;
  // The TLS 1.2 session-id cache every runtime's contexts share, and the
  // sync stream fills on a secondary: one per process, for its lifetime.
  std::unique_ptr<dp::tls::SessionCache> tls_session_cache_ = std::make_unique<dp::tls::SessionCache>();
  uint64_t generation_ = 0;
  std::unique_ptr<FqdnResolver> fqdn_ = std::make_unique<FqdnResolver>();
  // What the last published snapshot holds, for the CLI (route_cli.cc).
  std::vector<RouteRow> routes_published_;
  std::vector<std::string> data_port_names_;
  cli::CommandRegistry commands_;
  cli::CliServer cli_server_;
  std::chrono::steady_clock::time_point started_at_;
  std::chrono::steady_clock::time_point last_link_poll_;
  uint64_t hbdev_frames_ = 0;
  drivers::LinkGate link_gate_;  // the control lcore's hbdev bursts ask it first
  uint64_t boot_epoch_ = 0;      // this process's HA epoch (heartbeats and sync keys)
  bool sync_enabled_ = false;    // session-pickup in an a-p cluster with an hbdev
  uint8_t sync_prk_[32] = {};
  uint64_t sync_peer_epoch_ = 0;  // the peer's boot, from its last heartbeat
  int sync_port_ = -1;           // hbdev handed to the workers' sync streams
  // `diagnose sys session filter` state, shared by every CLI client (as the
  // FortiOS filter is per VDOM, not per login).
  struct SessionFilterState {
    uint32_t src_be = 0, dst_be = 0;
    uint16_t sport = 0, dport = 0;
    uint8_t proto = 0;
    uint32_t policy_id = 0;
  } session_filter_;
  // HA (mode a-p): the protocol core from controlplane/ha, run here.
  std::unique_ptr<ha::HbCodec> hb_codec_;
  std::unique_ptr<ha::HaMachine> ha_;
  bool data_active_ = true;  // ports answer and forward (standalone or primary)
  unsigned test_hang_s_ = 0;  // diagnose test ha hang-control: run() stops this long, once
  uint64_t own_mac_foreign_seen_ = 0;
  uint64_t own_mac_answer_seen_ = 0;  // rx_own_mac_answer summed, as last read
  // What the control lcore and the heartbeat keeper share. The keeper has
  // its own codec (encode keeps state) and link gate; the hbdevs' queue 0
  // TX, and their stop and start, happen under the mutex.
  struct HeartbeatShared {
    mutable PiMutex mutex;
    ha::HbInfo last;            // the control lcore's last heartbeat
    uint64_t last_made_ns = 0;  // when it made it (0: none yet)
    uint64_t wire_ns = 0;       // the last heartbeat sent, by either thread
    uint64_t seq = 0;           // sequence numbers, in the order sent
    uint64_t keeper_sent = 0;   // by the keeper, while the control lcore was busy
    uint64_t busy_max_ns = 0;   // the longest such time (from last_made_ns)
    uint64_t wire_max_gap_ns = 0, wire_max_gap_at_ns = 0;
    // The watchdog (the keeper, when it stops covering): the data ports it
    // silences, how often it did, and since when this time.
    // Whether it is silenced now is the dataplane's own flag.
    dp::Dataplane* dataplane = nullptr;  // set once the dataplane exists
    uint64_t silenced_count = 0, silenced_since_ns = 0;
  } hb_;
  std::unique_ptr<ha::HbCodec> hb_keeper_codec_;
  drivers::LinkGate hb_keeper_gate_;
  std::thread hb_keeper_;
  std::atomic<bool> hb_keeper_stop_{false};
  std::map<std::string, bool> monitor_reported_;
  std::chrono::steady_clock::time_point last_stats_sample_{};
  uint64_t last_inserts_ = 0;
  double setup_rate_ = 0;
  std::string serial_;
  log::TrafficLogWriter traffic_log_;
  unsigned log_view_lines_ = 10;  // `execute log filter view-lines`
  std::vector<std::pair<std::string, std::string>> log_filter_fields_;  // `execute log filter field`
  std::string log_timezone_;      // the TZ last applied for log times
  std::unique_ptr<confsync::ConfSync> confsync_;
  std::string confsync_error_;  // why config sync is off, when it is
};

}  // namespace tandem::daemon
