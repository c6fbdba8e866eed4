// Config sync on the control lcore (issue 8): tandemd runs one
// confsync::ConfSync on its management address, TCP/5199, when it is in an
// a-p cluster with `set ha-mgmt-ip` and a `config peer` entry. The primary
// pushes every committed change and tells the operator whether the peer
// confirmed it; the secondary refuses edits and installs what the primary
// sends through the same live-apply path a CLI commit takes. Protocol and
// state machine: controlplane/confsync and docs/confsync.md.
#include <arpa/inet.h>
#include <poll.h>
#include <sys/stat.h>

#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <sstream>

#include "controlplane/confsync/confsync.h"
#include "controlplane/confsync/confsync_tls.h"
#include "controlplane/confsync/node_specific.h"
#include "controlplane/daemon/event_log.h"
#include "controlplane/daemon/node.h"

namespace tandem::daemon {
namespace {

// How long a commit on the primary waits for the secondary's ACK before
// the operator is told the change is not yet replicated. The control loop
// keeps serving heartbeats meanwhile (confsync_wait_acked), and a peer
// that is not connected ends the wait at once. The secondary parses and
// applies the whole configuration: with 20,000 firewall addresses that
// took 2-3 s here, and at 2 s the operator was told "NOT yet replicated"
// of a change the peer held a moment later. 5 s leaves a slow commit
// within tandemctl's 10 s.
constexpr int kAckWaitMs = 5000;

void make_dirs(const std::string& dir) {
  for (size_t i = 1; i <= dir.size(); ++i) {
    if (i == dir.size() || dir[i] == '/') ::mkdir(dir.substr(0, i).c_str(), 0700);
  }
}

}  // namespace

bool Node::start_confsync(std::string* error) {
  (void)error;  // config sync never stops the node from starting: it says why it is off
  if (!ha_) return true;
  std::string why_off;
  if (node_.ha.mgmt_ip == 0) why_off = "no `set ha-mgmt-ip` in config system ha";
  bool any_peer = false;
  for (const auto& p : node_.ha.peers) any_peer = any_peer || (p.enabled && p.ip != 0);
  if (why_off.empty() && !any_peer) why_off = "no enabled `config peer` entry (ip and serial-number) in config system ha";
  if (!why_off.empty()) {
    confsync_error_ = "config sync off: " + why_off;
    event_log().log(Severity::kWarning, "%s; this node's configuration is not synchronised",
                    confsync_error_.c_str());
    return true;
  }
  make_dirs(options_.state_dir);
  confsync::ConfSyncOptions o;
  o.serial = serial_;
  o.software_version = TANDEM_VERSION;
  o.listen_address = ipv4_text(htonl(node_.ha.mgmt_ip));
  o.peers = node_.ha.peers;
  o.state_dir = options_.state_dir;
  std::string err;
  if (!confsync::resolve_tls_files(node_, serial_, options_.state_dir, &o.tls, &err)) {
    confsync_error_ = "config sync off: " + err;
    event_log().log(Severity::kError, "%s", confsync_error_.c_str());
    return true;
  }
  confsync::ConfSyncCallbacks cb;
  cb.is_primary = [this] { return ha_ && ha_->role() == ha::HaRole::kPrimary; };
  cb.current_config = [this]() -> const config::Config& { return config_; };
  cb.config_version = [this] { return config_version_; };
  cb.apply = [this](const config::Config& next) { return install_config(next, "config sync"); };
  cb.event = [](const std::string& line) {
    // Refusals and failures are what an operator scans the log for.
    bool bad = line.find("refused") != std::string::npos || line.find("not a configured peer") != std::string::npos ||
               line.find("failed") != std::string::npos || line.find("not applied") != std::string::npos;
    event_log().log(bad ? Severity::kWarning : Severity::kNotice, "%s", line.c_str());
  };
  confsync_ = std::make_unique<confsync::ConfSync>(std::move(o), std::move(cb));
  if (!confsync_->start(&err)) {
    confsync_error_ = "config sync off: " + err;
    event_log().log(Severity::kError, "%s", confsync_error_.c_str());
    confsync_.reset();
    return true;
  }
  event_log().log(Severity::kNotice, "config sync listening on %s:%u (certificate %s, state %s)",
                  ipv4_text(htonl(node_.ha.mgmt_ip)).c_str(), confsync_->port(),
                  node_.ha.local_cert.empty() ? "default" : node_.ha.local_cert.c_str(),
                  options_.state_dir.c_str());
  return true;
}

std::string Node::confsync_edit_refusal(const config::Config& next) const {
  if (!confsync_) return {};
  std::string refusal = confsync_->edit_refusal();
  if (refusal.empty()) return {};
  // A secondary still takes its own node-specific settings (priority,
  // maintenance-mode, ...): FortiAuthenticator lets the operator change HA
  // settings on the standby.
  if (confsync::synced_checksums(next) == confsync::synced_checksums(config_)) return {};
  return refusal;
}

bool Node::confsync_wait_acked(uint64_t change_id, int timeout_ms) {
  uint64_t deadline = mono_ns() + static_cast<uint64_t>(timeout_ms) * 1'000'000;
  std::vector<pollfd> fds;
  while (!confsync_->acked(change_id) && confsync_->link_state() >= confsync::LinkState::kHello &&
         mono_ns() < deadline) {
    fds.clear();
    confsync_->add_poll_fds(&fds);
    (void)poll(fds.data(), fds.size(), control_poll_ms());
    confsync_->handle(fds, 0, fds.size());
    confsync_->tick(mono_ns());
    // Heartbeats go on while the operator waits: a wait must never look
    // like a dead primary to the peer.
    if (ha_) ha_poll(mono_ns());
  }
  return confsync_->acked(change_id);
}

std::string Node::confsync_commit(const std::string& change_text) {
  if (!confsync_) return confsync_error_.empty() ? "" : confsync_error_ + ": the change stays on this node\n";
  const confsync::ConfSyncStats before = confsync_->stats();
  uint64_t id = confsync_->commit(change_text);
  bool acked = confsync_wait_acked(id, kAckWaitMs);
  std::string out = confsync_->replication_note(id) + "\n";
  // The peer refused it (or the channel failed) while we waited: say why.
  const confsync::ConfSyncStats& after = confsync_->stats();
  if (!acked && (after.last_error != before.last_error || after.last_error_time != before.last_error_time)) {
    out += "last error: " + after.last_error + "\n";
  }
  return out;
}

cli::Reply Node::cmd_checksum() const {
  if (confsync_) return cli::Reply{true, confsync_->format_checksum_show()};
  std::ostringstream o;
  o << "checksum\n";
  for (const auto& [section, sum] : confsync::synced_checksums(config_)) o << section << ": " << sum << "\n";
  return cli::Reply{true, o.str()};
}

cli::Reply Node::cmd_restore_config(const std::string& file) {
  if (confsync_) {
    std::string refusal = confsync_->edit_refusal();
    if (!refusal.empty()) return cli::Reply::error(refusal + " Restore the configuration on the primary.");
  }
  config::ParseResult r = config::load_file(file);
  if (!r.ok()) {
    std::string msg;
    for (const auto& d : r.errors) msg += d.to_string() + "\n";
    return cli::Reply::error(msg + "Command fail: " + file + " is not a valid configuration; nothing was changed.");
  }
  // This node keeps who it is (hostname, serial, priority, management
  // path, certificates, devices): a backup from either node restores here.
  config::Config next = confsync::keep_node_specific(r.config, config_);
  std::string err = install_config(next, "execute restore config");
  if (!err.empty()) return cli::Reply::error(err);
  std::string out = "Configuration restored from " + file + ".\n";
  if (confsync_) {
    uint64_t id = confsync_->restored();
    confsync_wait_acked(id, kAckWaitMs);
    out += "config epoch " + std::to_string(confsync_->epoch()) + ": " + confsync_->replication_note(id) + "\n";
  }
  event_log().log(Severity::kNotice, "configuration restored from %s", file.c_str());
  return cli::Reply{true, out};
}

// `diagnose ha stats`: config sync's view of each configured peer, merged
// into the FortiManager layout ha_format prints.
void Node::confsync_stats_inputs(ha::HaStatusInputs* in) const {
  std::string error = confsync_ ? confsync_->stats().last_error : confsync_error_;
  if (confsync_ && !confsync_->stats().last_error_time.empty()) {
    error += " (" + confsync_->stats().last_error_time + ")";
  }
  if (!confsync_) {
    in->peer_sync_lines.push_back("config sync : off");
  } else {
    confsync::LinkState st = confsync_->link_state();
    bool up = st >= confsync::LinkState::kHello;
    in->peer_sync_lines.push_back(std::string("config sync : ") + confsync::link_state_name(st) + " (TCP/" +
                                  std::to_string(confsync_->port()) + ", mutual TLS)");
    if (up) in->peer_sync_lines.push_back("software version : " + confsync_->peer_software_version());
    in->peer_sync_lines.push_back("config epoch : " +
                                  (up ? std::to_string(confsync_->peer_epoch()) : std::string("n/a")) +
                                  " (this node " + std::to_string(confsync_->epoch()) +
                                  ", acknowledged up to " + std::to_string(confsync_->acked_epoch()) + ")");
  }
  if (!error.empty() && error != "n/a") in->sync_last_error = error;
  if (confsync_) {
    const confsync::ConfSyncStats& s = confsync_->stats();
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "\n--- config sync ---\n"
                  "sessions established : %" PRIu64 "\nconnections refused : %" PRIu64
                  "\nmessages tx/rx : %" PRIu64 "/%" PRIu64 "\nchanges sent/applied : %" PRIu64
                  "/%" PRIu64 "\nfull syncs sent/applied : %" PRIu64 "/%" PRIu64
                  "\nacks ok/error : %" PRIu64 "/%" PRIu64 "\nprotocol errors : %" PRIu64 "\n",
                  s.connects, s.refused, s.tx_msgs, s.rx_msgs, s.changes_sent, s.changes_applied,
                  s.fulls_sent, s.fulls_applied, s.acks_ok, s.acks_error, s.protocol_errors);
    in->trailer = buf;
  }
}

std::vector<cli::Command> Node::confsync_commands() {
  using cli::Args;
  using cli::Reply;
  auto need = [this]() -> std::string {
    if (confsync_) return {};
    return confsync_error_.empty() ? "config sync runs only in an a-p cluster (config system ha: set mode a-p)"
                                   : confsync_error_;
  };
  auto synchronize = [this, need](bool start) {
    return [this, need, start](const Args&) {
      if (std::string why = need(); !why.empty()) return Reply::error(why);
      confsync_->set_enabled(start);
      return Reply{true, start ? "Configuration synchronisation started.\n"
                               : "Configuration synchronisation stopped: changes stay on this node until "
                                 "`execute ha synchronize start`.\n"};
    };
  };
  return {
      {"diagnose sys ha checksum cluster", "", "configuration checksums of both members (FortiOS form)",
       [this, need](const Args&) {
         if (std::string why = need(); !why.empty()) return Reply::error(why);
         return Reply{true, confsync_->format_checksum_cluster()};
       }},
      {"diagnose sys ha checksum recalculate", "", "recompute the checksums and compare them with the peer's",
       [this, need](const Args&) {
         if (std::string why = need(); !why.empty()) return Reply::error(why);
         confsync_->recalculate();
         return Reply{true, confsync_->format_checksum_show()};
       }},
      {"execute ha synchronize start", "", "resume configuration synchronisation with the peer", synchronize(true)},
      {"execute ha synchronize stop", "", "stop configuration synchronisation with the peer", synchronize(false)},
      {"execute restore config", "<file>",
       "replace the configuration with a saved one (on the primary; it wins over the peer's)",
       [this](const Args& a) { return cmd_restore_config(a[0]); }, 1, 1},
  };
}

}  // namespace tandem::daemon
