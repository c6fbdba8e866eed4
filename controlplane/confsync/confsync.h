// Config sync between the two HA nodes (FortiManager HA on TCP/5199,
// FortiAuthenticator semantics): the primary pushes every committed change,
// the secondary applies it atomically and refuses edits of its own, and
// per-section checksums catch drift and trigger a full sync.
//
// tandemd's control loop owns one ConfSync: it adds our descriptors to its
// poll() set (add_poll_fds/handle, as the CLI server does), calls tick()
// every round, calls commit() after each operator change it applied, asks
// edit_refusal() before applying one, and prints the status for
// `diagnose ha stats` and `diagnose sys ha checksum cluster`. Kernel
// sockets, non-blocking; OpenSSL 3 TLS 1.3 with mutual certificates.
// Protocol and state machine: docs/confsync.md.
#pragma once

#include <poll.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "controlplane/config/config_types.h"
#include "controlplane/config/node_config.h"
#include "controlplane/confsync/confsync_tls.h"
#include "controlplane/confsync/confsync_types.h"

namespace tandem::confsync {

struct ConfSyncOptions {
  std::string serial;            // this node's serial (its certificate carries it)
  std::string software_version;  // sent in HELLO, shown to the operator
  std::string listen_address;    // management address, dotted quad; dials leave from it too
  uint16_t port = kDefaultPort;  // 0 picks a free port (tests); see port()
  std::vector<config::HaPeerConfig> peers;  // `config peer` of system ha
  TlsFiles tls;
  std::string state_dir;         // config epoch survives restarts here; empty: not kept
  unsigned checksum_interval_ms = 5000;
  unsigned handshake_timeout_ms = 5000;
};

struct ConfSyncCallbacks {
  std::function<bool()> is_primary;                       // this node's HA role now
  std::function<const config::Config&()> current_config;  // the running config
  // A number that changes whenever the running config does. The synced
  // checksums of a config are kept until it changes: computing them copies
  // and prints the whole config (~0.1 s at 20,000 addresses), and they are
  // asked for every checksum interval and at every ACK. Required with
  // current_config.
  std::function<uint64_t()> config_version;
  // Replaces the running config with this whole config, validated here
  // (publish, persist: all or nothing). Empty return = applied; otherwise
  // the reason, sent back to the peer.
  std::function<std::string(const config::Config& next)> apply;
  std::function<void(const std::string& line)> event;  // event log; may be empty
};

class ConfSync {
 public:
  ConfSync(ConfSyncOptions options, ConfSyncCallbacks callbacks);
  ~ConfSync();
  ConfSync(const ConfSync&) = delete;
  ConfSync& operator=(const ConfSync&) = delete;

  // Loads the saved epoch, builds the TLS context and listens. Returns
  // false with *error (also kept as last_error).
  bool start(std::string* error);
  void stop();
  uint16_t port() const { return port_; }

  // Descriptors to poll, appended to fds; handle() services
  // fds[first..first+n) as laid out by the last add_poll_fds(). Never blocks.
  void add_poll_fds(std::vector<pollfd>* fds);
  void handle(const std::vector<pollfd>& fds, std::size_t first, std::size_t n);
  // Timers: dialing with backoff, handshake deadlines, periodic CHECKSUMS.
  void tick(uint64_t now_ns);

  // After the daemon applied an operator change (on the primary): bumps
  // the config epoch and pushes the sections it changed. Returns the change
  // id for acked()/replication_note().
  uint64_t commit(const std::string& change_text);
  // True once the secondary confirmed it runs this change (or the change
  // touched only node-specific settings).
  bool acked(uint64_t change_id) const;
  // Services only this channel until change_id is acked or timeout_ms
  // passed (bounded: the caller's loop also serves heartbeats).
  bool wait_acked(uint64_t change_id, int timeout_ms);
  // What to tell the operator about change_id's replication.
  std::string replication_note(uint64_t change_id) const;

  // Non-empty on a secondary: the refusal of an operator edit, naming the
  // primary.
  std::string edit_refusal() const;
  // `execute restore config`: call after the restored config is running.
  // The epoch jumps past anything seen, so the peer cannot overwrite it.
  // Returns a change id for acked()/replication_note(): the FULL it sends.
  uint64_t restored();
  // `execute ha synchronize start|stop`.
  void set_enabled(bool enabled);
  // `diagnose sys ha checksum recalculate`: recompute and tell the peer.
  void recalculate();

  LinkState link_state() const;
  uint64_t epoch() const { return epoch_; }
  uint64_t peer_epoch() const { return peer_.epoch; }
  uint64_t acked_epoch() const { return acked_epoch_; }
  bool enabled() const { return enabled_; }
  // What the peer's last HELLO said; empty before one arrived.
  const std::string& peer_software_version() const { return peer_.software_version; }
  const ConfSyncStats& stats() const { return stats_; }
  SectionChecksums local_checksums() const;
  const SectionChecksums& peer_checksums() const { return peer_.checksums; }

  // confsync_format.cc
  std::string format_stats() const;             // diagnose ha stats
  std::string format_checksum_cluster() const;  // diagnose sys ha checksum cluster
  std::string format_checksum_show() const;     // diagnose sys ha checksum show

 private:
  struct Conn;
  // What the last HELLO/CHECKSUMS/ACK told us about the peer.
  struct PeerView {
    std::string serial, software_version;
    bool primary = false;
    uint64_t epoch = 0;
    SectionChecksums checksums;
    uint32_t ip = 0;  // host order
  };

  void listen_socket(std::string* error);
  void accept_ready();
  void dial(uint64_t now_ns);
  void service(Conn& c, short revents);
  void drive_handshake(Conn& c);
  void authenticated(Conn& c);
  void read_messages(Conn& c);
  void flush(Conn& c);
  void send(Conn& c, const Message& m);
  void on_message(Conn& c, const Message& m);
  void on_peer_state(Conn& c);
  void on_install(Conn& c, const Message& m);
  void on_ack(Conn& c, const Message& m);
  void send_full(Conn& c);
  void refuse(Conn& c, const std::string& reason);
  void drop(Conn& c, const std::string& reason);
  void reap();
  Conn* session() const;
  bool is_dialer() const;
  const config::HaPeerConfig* peer_by_ip(uint32_t ip) const;
  const config::HaPeerConfig* dial_peer() const;
  void note_error(const std::string& reason);
  void event(const std::string& line) const;
  void load_state();
  void save_state() const;
  std::size_t pending_bytes() const;
  // Keeps sums as local_checksums() of the config running now.
  void remember_local_checksums(const SectionChecksums& sums) const;
  bool is_primary() const { return callbacks_.is_primary && callbacks_.is_primary(); }

  ConfSyncOptions options_;
  ConfSyncCallbacks callbacks_;
  void* tls_ctx_ = nullptr;  // SSL_CTX*, kept opaque so this header needs no OpenSSL
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  bool enabled_ = true;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::vector<Conn*> polled_;  // the conns add_poll_fds() laid out, in order
  bool polled_listener_ = false;

  uint64_t epoch_ = 0;          // config epoch of what this node runs
  uint64_t max_seen_epoch_ = 0; // highest epoch this node has seen anywhere
  uint64_t acked_epoch_ = 0;    // highest epoch the peer confirmed running
  uint64_t next_change_id_ = 0;
  std::map<uint64_t, uint64_t> changes_;  // change id -> epoch (0: nothing to replicate)
  SectionChecksums committed_sums_;       // synced checksums at the last commit/install
  // local_checksums() as last computed, and the config_version() it was
  // computed for (none yet: empty).
  mutable SectionChecksums local_sums_;
  mutable std::optional<uint64_t> local_sums_version_;
  PeerView peer_;
  bool peer_known_ = false;          // a HELLO arrived on the current session
  uint64_t full_sent_ns_ = 0;        // a FULL in flight since then; 0: none
  // The last CHANGE sent on the session: its epoch and when (0: none since
  // the session, or the last FULL, began). Until the peer reports that
  // epoch (its ACK does) or kFullRetryMs pass, a peer seen behind is
  // waiting for it, and gets no FULL.
  uint64_t change_sent_epoch_ = 0;
  uint64_t change_sent_ns_ = 0;
  uint64_t next_dial_ns_ = 0;
  uint64_t dial_backoff_ms_ = 0;
  uint64_t next_checksums_ns_ = 0;
  ConfSyncStats stats_;
};

}  // namespace tandem::confsync
