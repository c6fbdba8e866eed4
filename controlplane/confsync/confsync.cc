#include "controlplane/confsync/confsync.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <fstream>

#include "controlplane/config/config.h"
#include "controlplane/confsync/confsync_msg.h"
#include "controlplane/confsync/node_specific.h"

namespace tandem::confsync {
namespace {

constexpr uint64_t kNsPerMs = 1'000'000;
constexpr uint64_t kDialBackoffFirstMs = 200;
constexpr uint64_t kDialBackoffMaxMs = 5000;
// A FULL without an ACK after this long is sent again.
constexpr uint64_t kFullRetryMs = 3000;
// `execute restore config` jumps the epoch this far past anything seen, so
// even a peer that committed changes while this node restarted with the
// restored config has the lower epoch.
constexpr uint64_t kRestoreEpochJump = 1u << 20;
constexpr std::size_t kMaxRememberedChanges = 4096;
constexpr std::size_t kReadChunk = 16384;

uint64_t clock_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

std::string ip_text(uint32_t host_order) {
  in_addr a{htonl(host_order)};
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a, buf, sizeof buf);
  return buf;
}

std::string wall_time() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string differing_sections(const SectionChecksums& a, const SectionChecksums& b) {
  std::string out;
  for (const auto& entry : a) {
    const std::string& name = entry.first;  // a named variable: lambdas may not capture structured bindings (clang 14)
    const auto& sum = entry.second;
    if (name == "all") continue;
    auto it = std::find_if(b.begin(), b.end(), [&](const auto& p) { return p.first == name; });
    if (it == b.end() || it->second != sum) out += (out.empty() ? "" : ", ") + name;
  }
  return out.empty() ? "none" : out;
}

SSL_CTX* ctx_of(void* p) { return static_cast<SSL_CTX*>(p); }

}  // namespace

const char* link_state_name(LinkState s) {
  switch (s) {
    case LinkState::kDisabled: return "disabled";
    case LinkState::kBackoff: return "down";
    case LinkState::kConnecting: return "connecting";
    case LinkState::kHandshake: return "authenticating";
    case LinkState::kHello: return "hello";
    case LinkState::kSyncing: return "syncing";
    case LinkState::kInSync: return "in-sync";
  }
  return "?";
}

struct ConfSync::Conn {
  int fd = -1;
  SSL* ssl = nullptr;
  bool outbound = false;
  uint32_t peer_ip = 0;  // host order
  std::string peer_serial;
  LinkState state = LinkState::kHandshake;
  std::string rx, tx;
  uint64_t deadline_ns = 0;
  bool want_write = false;
  bool dead = false;
};

ConfSync::ConfSync(ConfSyncOptions options, ConfSyncCallbacks callbacks)
    : options_(std::move(options)), callbacks_(std::move(callbacks)) {
  stats_.last_error = "n/a";
}

ConfSync::~ConfSync() { stop(); }

void ConfSync::event(const std::string& line) const {
  if (callbacks_.event) callbacks_.event("confsync: " + line);
}

void ConfSync::note_error(const std::string& reason) {
  if (reason != stats_.last_error) event(reason);
  stats_.last_error = reason;
  stats_.last_error_time = wall_time();
}

bool ConfSync::start(std::string* error) {
  // OpenSSL writes to the socket with plain write(): a peer that closed
  // first would kill the process with SIGPIPE. tandemd ignores it already
  // (main.cc); doing it here keeps any other host of ConfSync alive too.
  struct sigaction current {};
  if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) signal(SIGPIPE, SIG_IGN);
  load_state();
  committed_sums_ = local_checksums();
  std::string err;
  SSL_CTX* ctx = make_tls_context(options_.tls, &err);
  if (!ctx) {
    note_error(err);
    *error = err;
    return false;
  }
  tls_ctx_ = ctx;
  listen_socket(&err);
  if (listen_fd_ < 0) {
    note_error(err);
    *error = err;
    return false;
  }
  next_dial_ns_ = 0;
  return true;
}

void ConfSync::listen_socket(std::string* error) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port_ != 0 ? port_ : options_.port);
  if (inet_pton(AF_INET, options_.listen_address.c_str(), &addr.sin_addr) != 1) {
    *error = "management address \"" + options_.listen_address + "\" is not an IPv4 address";
    return;
  }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 8) != 0) {
    *error = "cannot listen on " + options_.listen_address + ":" + std::to_string(ntohs(addr.sin_port)) +
             ": " + std::strerror(errno) + " (is the management address configured on this host?)";
    if (fd >= 0) ::close(fd);
    return;
  }
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  listen_fd_ = fd;
}

void ConfSync::stop() {
  for (auto& c : conns_) drop(*c, "config sync stopped");
  reap();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
  if (tls_ctx_) SSL_CTX_free(ctx_of(tls_ctx_));
  tls_ctx_ = nullptr;
}

// --- state file -------------------------------------------------------

void ConfSync::load_state() {
  if (options_.state_dir.empty()) return;
  std::ifstream in(options_.state_dir + "/confsync.state");
  std::string key;
  uint64_t value = 0;
  while (in >> key >> value) {
    if (key == "epoch") epoch_ = value;
    if (key == "max-seen") max_seen_epoch_ = value;
  }
  max_seen_epoch_ = std::max(max_seen_epoch_, epoch_);
}

void ConfSync::save_state() const {
  if (options_.state_dir.empty()) return;
  std::string path = options_.state_dir + "/confsync.state";
  {
    std::ofstream out(path + ".tmp", std::ios::trunc);
    out << "epoch " << epoch_ << "\nmax-seen " << max_seen_epoch_ << "\n";
    out.flush();
    if (!out.good()) return;
  }
  std::rename((path + ".tmp").c_str(), path.c_str());
}

// --- peers -------------------------------------------------------------

const config::HaPeerConfig* ConfSync::peer_by_ip(uint32_t ip) const {
  for (const auto& p : options_.peers) {
    if (p.enabled && p.ip == ip) return &p;
  }
  return nullptr;
}

const config::HaPeerConfig* ConfSync::dial_peer() const {
  for (const auto& p : options_.peers) {
    if (p.enabled && p.ip != 0) return &p;
  }
  return nullptr;
}

// One TCP session per pair, never two racing: the node whose serial sorts
// first dials, the other only listens.
bool ConfSync::is_dialer() const {
  const config::HaPeerConfig* p = dial_peer();
  return p && options_.serial < p->serial;
}

ConfSync::Conn* ConfSync::session() const {
  for (const auto& c : conns_) {
    if (!c->dead && c->state >= LinkState::kHello) return c.get();
  }
  return nullptr;
}

LinkState ConfSync::link_state() const {
  if (!enabled_ || !dial_peer()) return LinkState::kDisabled;
  if (Conn* s = session()) return s->state;
  LinkState best = LinkState::kBackoff;
  for (const auto& c : conns_) {
    if (!c->dead && c->state > best) best = c->state;
  }
  return best;
}

std::size_t ConfSync::pending_bytes() const {
  std::size_t n = 0;
  for (const auto& c : conns_) n += c->dead ? 0 : c->tx.size();
  return n;
}

SectionChecksums ConfSync::local_checksums() const {
  if (!callbacks_.current_config) return {};
  uint64_t version = callbacks_.config_version();
  if (local_sums_version_ != version) {
    local_sums_ = synced_checksums(callbacks_.current_config());
    local_sums_version_ = version;
  }
  return local_sums_;
}

void ConfSync::remember_local_checksums(const SectionChecksums& sums) const {
  local_sums_ = sums;
  local_sums_version_ = callbacks_.config_version();
}

// --- poll loop ---------------------------------------------------------

void ConfSync::add_poll_fds(std::vector<pollfd>* fds) {
  polled_.clear();
  polled_listener_ = listen_fd_ >= 0;
  if (polled_listener_) fds->push_back({listen_fd_, POLLIN, 0});
  for (const auto& c : conns_) {
    if (c->dead) continue;
    short events = POLLIN;
    if (c->state == LinkState::kConnecting || c->want_write || !c->tx.empty()) events |= POLLOUT;
    fds->push_back({c->fd, events, 0});
    polled_.push_back(c.get());
  }
}

void ConfSync::handle(const std::vector<pollfd>& fds, std::size_t first, std::size_t n) {
  std::size_t i = first;
  std::size_t end = first + n;
  bool listener_ready = false;
  if (polled_listener_ && i < end) listener_ready = (fds[i++].revents & POLLIN) != 0;
  // Conns accepted below are not in polled_, so the layout stays valid.
  for (Conn* c : polled_) {
    if (i >= end) break;
    short revents = fds[i++].revents;
    if (revents != 0 && !c->dead) service(*c, revents);
  }
  polled_.clear();
  if (listener_ready) accept_ready();
  reap();
}

void ConfSync::reap() {
  for (auto& c : conns_) {
    if (!c->dead) continue;
    if (c->ssl) SSL_free(c->ssl);
    c->ssl = nullptr;
    if (c->fd >= 0) ::close(c->fd);
    c->fd = -1;
  }
  std::erase_if(conns_, [](const std::unique_ptr<Conn>& c) { return c->dead; });
}

void ConfSync::accept_ready() {
  for (;;) {
    sockaddr_in from{};
    socklen_t len = sizeof from;
    int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&from), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    uint32_t ip = ntohl(from.sin_addr.s_addr);
    const config::HaPeerConfig* peer = enabled_ ? peer_by_ip(ip) : nullptr;
    if (!peer) {
      // FortiManager reacts only to the configured peer address: no TLS
      // is spent on anyone else.
      ++stats_.refused;
      note_error(enabled_ ? "connection from " + ip_text(ip) + ", not a configured peer"
                          : "connection from " + ip_text(ip) + " refused: config sync is stopped");
      ::close(fd);
      continue;
    }
    auto c = std::make_unique<Conn>();
    c->fd = fd;
    c->peer_ip = ip;
    c->peer_serial = peer->serial;
    c->deadline_ns = clock_ns() + options_.handshake_timeout_ms * kNsPerMs;
    c->ssl = SSL_new(ctx_of(tls_ctx_));
    SSL_set_fd(c->ssl, fd);
    SSL_set_accept_state(c->ssl);
    conns_.push_back(std::move(c));
    drive_handshake(*conns_.back());
  }
}

void ConfSync::dial(uint64_t now_ns) {
  const config::HaPeerConfig* peer = dial_peer();
  dial_backoff_ms_ = dial_backoff_ms_ == 0 ? kDialBackoffFirstMs
                                           : std::min(dial_backoff_ms_ * 2, kDialBackoffMaxMs);
  next_dial_ns_ = now_ns + dial_backoff_ms_ * kNsPerMs;
  sockaddr_in local{}, remote{};
  local.sin_family = remote.sin_family = AF_INET;
  inet_pton(AF_INET, options_.listen_address.c_str(), &local.sin_addr);
  remote.sin_addr.s_addr = htonl(peer->ip);
  remote.sin_port = htons(port_);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  // Leave from the management address: that is the address the peer's
  // `config peer` entry accepts.
  if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
      (connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0 && errno != EINPROGRESS)) {
    note_error("cannot connect to peer " + peer->serial + " at " + ip_text(peer->ip) + ":" +
               std::to_string(port_) + ": " + std::strerror(errno));
    ::close(fd);
    return;
  }
  auto c = std::make_unique<Conn>();
  c->fd = fd;
  c->outbound = true;
  c->peer_ip = peer->ip;
  c->peer_serial = peer->serial;
  c->state = LinkState::kConnecting;
  c->deadline_ns = now_ns + options_.handshake_timeout_ms * kNsPerMs;
  conns_.push_back(std::move(c));
}

void ConfSync::service(Conn& c, short revents) {
  if (c.state == LinkState::kConnecting) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0 || (revents & (POLLERR | POLLHUP)) != 0) {
      drop(c, "cannot connect to peer " + c.peer_serial + " at " + ip_text(c.peer_ip) + ":" +
                  std::to_string(port_) + ": " + std::strerror(err != 0 ? err : ECONNREFUSED));
      return;
    }
    c.ssl = SSL_new(ctx_of(tls_ctx_));
    SSL_set_fd(c.ssl, c.fd);
    SSL_set_connect_state(c.ssl);
    c.state = LinkState::kHandshake;
  }
  if (c.state == LinkState::kHandshake) {
    drive_handshake(c);
    return;
  }
  read_messages(c);
  if (!c.dead) flush(c);
}

void ConfSync::drive_handshake(Conn& c) {
  ERR_clear_error();
  int r = SSL_do_handshake(c.ssl);
  if (r == 1) {
    authenticated(c);
    return;
  }
  int e = SSL_get_error(c.ssl, r);
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
    c.want_write = e == SSL_ERROR_WANT_WRITE;
    return;
  }
  char buf[256] = "connection closed";
  if (unsigned long code = ERR_get_error()) ERR_error_string_n(code, buf, sizeof buf);
  ERR_clear_error();
  ++stats_.refused;
  drop(c, "TLS handshake with " + ip_text(c.peer_ip) + " failed: " + buf);
}

void ConfSync::refuse(Conn& c, const std::string& reason) {
  ++stats_.refused;
  drop(c, "refused peer " + ip_text(c.peer_ip) + ": " + reason);
}

void ConfSync::drop(Conn& c, const std::string& reason) {
  if (c.dead) return;
  bool was_session = c.state >= LinkState::kHello;
  c.dead = true;
  if (c.ssl && was_session) SSL_shutdown(c.ssl);
  if (was_session) {
    event("session with " + c.peer_serial + " down: " + reason);
    peer_known_ = false;
    full_sent_ns_ = 0;
    change_sent_ns_ = 0;
  }
  note_error(reason);
}

void ConfSync::authenticated(Conn& c) {
  c.want_write = false;
  std::string reason = check_peer_certificate(c.ssl, c.peer_serial);
  if (!reason.empty()) {
    refuse(c, reason);
    return;
  }
  // A newer session from the peer replaces the old one (the peer restarted
  // or its TCP session died without us noticing).
  for (auto& other : conns_) {
    if (other.get() != &c && !other->dead && other->state >= LinkState::kHello) {
      drop(*other, "replaced by a new session from " + c.peer_serial);
    }
  }
  ++stats_.connects;
  dial_backoff_ms_ = 0;
  c.state = LinkState::kHello;
  peer_known_ = false;
  full_sent_ns_ = 0;
  event("session with " + c.peer_serial + " (" + ip_text(c.peer_ip) + ") up");
  Message hello;
  hello.type = MsgType::kHello;
  hello.serial = options_.serial;
  hello.software_version = options_.software_version;
  hello.primary = is_primary();
  hello.epoch = epoch_;
  hello.checksums = local_checksums();
  send(c, hello);
  // TLS may already hold the peer's HELLO.
  read_messages(c);
}

void ConfSync::send(Conn& c, const Message& m) {
  encode_message(m, &c.tx);
  ++stats_.tx_msgs;
  flush(c);
}

void ConfSync::flush(Conn& c) {
  c.want_write = false;
  while (!c.tx.empty() && !c.dead) {
    ERR_clear_error();
    int w = SSL_write(c.ssl, c.tx.data(), static_cast<int>(std::min<std::size_t>(c.tx.size(), 1 << 20)));
    if (w > 0) {
      c.tx.erase(0, static_cast<std::size_t>(w));
      continue;
    }
    int e = SSL_get_error(c.ssl, w);
    if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
      c.want_write = e == SSL_ERROR_WANT_WRITE;
      return;
    }
    drop(c, "session with " + c.peer_serial + " lost while sending");
  }
}

void ConfSync::read_messages(Conn& c) {
  char buf[kReadChunk];
  for (;;) {
    ERR_clear_error();
    int r = SSL_read(c.ssl, buf, sizeof buf);
    if (r > 0) {
      c.rx.append(buf, static_cast<std::size_t>(r));
      if (c.rx.size() > kMaxPayloadBytes + kFrameHeaderBytes) break;  // decode judges it
      continue;
    }
    int e = SSL_get_error(c.ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) break;
    drop(c, e == SSL_ERROR_ZERO_RETURN ? "peer " + c.peer_serial + " closed the session"
                                       : "session with " + c.peer_serial + " lost");
    break;
  }
  while (!c.dead) {
    Message m;
    std::size_t used = 0;
    std::string error;
    DecodeStatus s = decode_message(c.rx, &m, &used, &error);
    if (s == DecodeStatus::kNeedMore) break;
    if (s == DecodeStatus::kError) {
      ++stats_.protocol_errors;
      drop(c, "protocol error from " + c.peer_serial + ": " + error);
      break;
    }
    c.rx.erase(0, used);
    ++stats_.rx_msgs;
    on_message(c, m);
  }
}

// --- protocol ----------------------------------------------------------

void ConfSync::on_message(Conn& c, const Message& m) {
  if (c.state == LinkState::kHello && m.type != MsgType::kHello) {
    ++stats_.protocol_errors;
    drop(c, std::string("protocol error from ") + c.peer_serial + ": " + msg_type_name(m.type) +
                " before HELLO");
    return;
  }
  switch (m.type) {
    case MsgType::kHello:
      if (m.serial != c.peer_serial) {
        refuse(c, "HELLO names serial " + m.serial + " but the configured peer is " + c.peer_serial);
        return;
      }
      peer_.serial = m.serial;
      if (m.software_version != options_.software_version) {
        // Roles do not depend on versions, so a mismatch never makes two
        // primaries; it is what an upgrade half done looks like.
        event("peer " + m.serial + " runs software version " + m.software_version + ", this node " +
              options_.software_version + ": finish the upgrade of both nodes (scripts/ha-upgrade)");
      }
      peer_.software_version = m.software_version;
      peer_.ip = c.peer_ip;
      [[fallthrough]];
    case MsgType::kChecksums:
      peer_.primary = m.primary;
      peer_.epoch = m.epoch;
      peer_.checksums = m.checksums;
      peer_known_ = true;
      max_seen_epoch_ = std::max(max_seen_epoch_, m.epoch);
      save_state();
      on_peer_state(c);
      return;
    case MsgType::kFull:
    case MsgType::kChange:
      on_install(c, m);
      return;
    case MsgType::kAck:
      on_ack(c, m);
      return;
  }
}

// Decides, from both epochs and checksums, who sends a FULL (docs: "Who
// is the source").
void ConfSync::on_peer_state(Conn& c) {
  if (!enabled_) return;
  SectionChecksums ours = local_checksums();
  if (ours == peer_.checksums) {
    c.state = LinkState::kInSync;
    full_sent_ns_ = 0;
    // Same config: both adopt the higher epoch so the next commit on
    // either side is newer than both.
    if (peer_.epoch > epoch_) {
      epoch_ = peer_.epoch;
      save_state();
    }
    return;
  }
  c.state = LinkState::kSyncing;
  uint64_t now = clock_ns();
  // The peer is behind by a CHANGE on its way (a CHECKSUMS crossed it):
  // its ACK settles this, or a refusal brings the FULL.
  if (change_sent_ns_ != 0 && peer_.epoch < change_sent_epoch_ &&
      now - change_sent_ns_ <= kFullRetryMs * kNsPerMs)
    return;
  bool source = epoch_ > peer_.epoch || (epoch_ == peer_.epoch && is_primary() && !peer_.primary);
  if (source && (full_sent_ns_ == 0 || now - full_sent_ns_ > kFullRetryMs * kNsPerMs)) send_full(c);
}

void ConfSync::send_full(Conn& c) {
  const config::Config& cfg = callbacks_.current_config();
  Message full;
  full.type = MsgType::kFull;
  full.epoch = epoch_;
  full.text = synced_text(cfg, {});
  full.checksums = local_checksums();
  full_sent_ns_ = clock_ns();
  change_sent_ns_ = 0;  // the FULL carries every change before it
  ++stats_.fulls_sent;
  event("full sync to " + c.peer_serial + " at config epoch " + std::to_string(epoch_) +
        " (sections differing: " + differing_sections(full.checksums, peer_.checksums) + ")");
  send(c, full);
}

void ConfSync::on_install(Conn& c, const Message& m) {
  Message ack;
  ack.type = MsgType::kAck;
  ack.change_id = m.change_id;
  ack.epoch = epoch_;
  auto refuse_install = [&](const std::string& why) {
    ack.ok = false;
    ack.text = why;
    note_error(std::string(msg_type_name(m.type)) + " from " + c.peer_serial + " not applied: " + why);
    send(c, ack);
  };
  max_seen_epoch_ = std::max(max_seen_epoch_, m.epoch);
  if (!enabled_) return refuse_install("config sync is stopped on " + options_.serial);
  bool full = m.type == MsgType::kFull;
  if (full) {
    // Never let an older config overwrite a newer one (a restored config,
    // or changes the peer never saw).
    if (m.epoch < epoch_ || (m.epoch == epoch_ && is_primary())) {
      return refuse_install("FULL at config epoch " + std::to_string(m.epoch) +
                            " is not newer than this node's " + std::to_string(epoch_));
    }
  } else if (is_primary()) {
    return refuse_install(options_.serial + " is primary too; changes flow only from the primary");
  }
  const config::Config& own = callbacks_.current_config();
  SectionChecksums own_sums = local_checksums();
  std::vector<std::string> sections;  // empty: every section (FULL)
  if (!full) {
    for (const auto& entry : m.checksums) {
      const std::string& name = entry.first;
      const auto& sum = entry.second;
      if (name == "all") continue;
      auto it = std::find_if(own_sums.begin(), own_sums.end(), [&](const auto& p) { return p.first == name; });
      if (it == own_sums.end() || it->second != sum) sections.push_back(name);
    }
    if (sections.empty()) {  // already running it (a resend)
      ack.epoch = epoch_ = std::max(epoch_, m.epoch);
      ack.checksums = own_sums;
      save_state();
      ++stats_.acks_ok;
      return send(c, ack);
    }
  }
  config::Config next;
  std::string error;
  if (!install_sections(own, sections, m.text, &next, &error)) return refuse_install(error);
  SectionChecksums after = synced_checksums(next);
  if (after != m.checksums) {
    return refuse_install("after applying, sections differ from " + c.peer_serial + "'s: " +
                          differing_sections(after, m.checksums));
  }
  error = callbacks_.apply(next);
  if (!error.empty()) return refuse_install(error);
  remember_local_checksums(after);
  epoch_ = m.epoch;
  save_state();
  committed_sums_ = after;
  if (full) {
    ++stats_.fulls_applied;
    event("full sync from " + c.peer_serial + " applied, config epoch " + std::to_string(epoch_));
  } else {
    ++stats_.changes_applied;
  }
  ack.epoch = epoch_;
  ack.checksums = after;
  send(c, ack);
  peer_.checksums = after;  // the sender runs this same config
  c.state = LinkState::kInSync;
}

void ConfSync::on_ack(Conn& c, const Message& m) {
  if (!m.ok) {
    ++stats_.acks_error;
    note_error("peer " + c.peer_serial + " refused " +
               (m.change_id ? "change " + std::to_string(m.change_id) : std::string("full sync")) + ": " +
               m.text);
    // A refused CHANGE usually means drift: resynchronise as a whole.
    if (m.change_id != 0 && is_primary()) send_full(c);
    return;
  }
  ++stats_.acks_ok;
  peer_.epoch = m.epoch;
  peer_.checksums = m.checksums;
  acked_epoch_ = std::max(acked_epoch_, m.epoch);
  max_seen_epoch_ = std::max(max_seen_epoch_, m.epoch);
  if (m.change_id == 0) full_sent_ns_ = 0;
  c.state = local_checksums() == peer_.checksums ? LinkState::kInSync : LinkState::kSyncing;
}

// --- operator ----------------------------------------------------------

uint64_t ConfSync::commit(const std::string& change_text) {
  uint64_t id = ++next_change_id_;
  const config::Config& cfg = callbacks_.current_config();
  SectionChecksums sums = local_checksums();
  std::vector<std::string> sections;
  for (const auto& entry : sums) {
    const std::string& name = entry.first;
    const auto& sum = entry.second;
    if (name == "all") continue;
    auto it = std::find_if(committed_sums_.begin(), committed_sums_.end(),
                           [&](const auto& p) { return p.first == name; });
    if (it == committed_sums_.end() || it->second != sum) sections.push_back(name);
  }
  if (sections.empty()) {
    changes_[id] = 0;  // node-specific only: nothing to replicate
  } else {
    epoch_ = std::max(epoch_, max_seen_epoch_) + 1;
    max_seen_epoch_ = epoch_;
    save_state();
    changes_[id] = epoch_;
    committed_sums_ = sums;
    Conn* s = session();
    if (s && enabled_ && peer_known_ && is_primary()) {
      Message change;
      change.type = MsgType::kChange;
      change.change_id = id;
      change.epoch = epoch_;
      change.text = synced_text(cfg, sections);
      change.checksums = sums;
      change_sent_epoch_ = epoch_;
      change_sent_ns_ = clock_ns();
      ++stats_.changes_sent;
      send(*s, change);
    }
    std::string first_line = change_text.substr(0, change_text.find('\n'));
    event("change " + std::to_string(id) + " committed at config epoch " + std::to_string(epoch_) +
          " (" + first_line + ")");
  }
  while (changes_.size() > kMaxRememberedChanges) changes_.erase(changes_.begin());
  reap();
  return id;
}

bool ConfSync::acked(uint64_t change_id) const {
  auto it = changes_.find(change_id);
  if (it == changes_.end()) return false;
  return it->second == 0 || it->second <= acked_epoch_;
}

bool ConfSync::wait_acked(uint64_t change_id, int timeout_ms) {
  uint64_t deadline = clock_ns() + static_cast<uint64_t>(timeout_ms) * kNsPerMs;
  while (!acked(change_id)) {
    uint64_t now = clock_ns();
    if (now >= deadline || !session()) break;
    std::vector<pollfd> fds;
    add_poll_fds(&fds);
    int wait_ms = static_cast<int>(std::min<uint64_t>((deadline - now) / kNsPerMs + 1, 50));
    if (poll(fds.data(), fds.size(), wait_ms) > 0) handle(fds, 0, fds.size());
    else polled_.clear();
    tick(clock_ns());
  }
  return acked(change_id);
}

std::string ConfSync::replication_note(uint64_t change_id) const {
  auto it = changes_.find(change_id);
  const config::HaPeerConfig* peer = dial_peer();
  std::string who = peer ? peer->serial + " (" + ip_text(peer->ip) + ")" : std::string("the secondary");
  if (it != changes_.end() && it->second == 0) return "node-specific setting: not synchronised to the peer";
  if (acked(change_id)) {
    return "replicated to " + who + " at config epoch " + std::to_string(it->second);
  }
  return "NOT yet replicated to " + who + " (config sync " + link_state_name(link_state()) +
         "): a failover before it is replicated loses this change";
}

std::string ConfSync::edit_refusal() const {
  if (is_primary() || !dial_peer()) return {};
  std::string primary = dial_peer()->serial + " (" + ip_text(dial_peer()->ip) + ")";
  return "This node (" + options_.serial + ") is the HA secondary: configuration changes are made on "
         "the primary " + primary + " and synchronised here. Nothing was changed.";
}

uint64_t ConfSync::restored() {
  epoch_ = std::max(epoch_, max_seen_epoch_) + kRestoreEpochJump;
  max_seen_epoch_ = epoch_;
  save_state();
  committed_sums_ = local_checksums();
  uint64_t id = ++next_change_id_;
  changes_[id] = epoch_;
  event("restored configuration now at config epoch " + std::to_string(epoch_));
  if (Conn* s = session(); s && enabled_ && peer_known_) send_full(*s);
  return id;
}

void ConfSync::set_enabled(bool enabled) {
  if (enabled == enabled_) return;
  enabled_ = enabled;
  if (!enabled) {
    for (auto& c : conns_) drop(*c, "config sync stopped by the operator");
    reap();
    event("synchronisation stopped by the operator");
    return;
  }
  event("synchronisation started by the operator");
  next_dial_ns_ = 0;
  dial_backoff_ms_ = 0;
  // An established session re-evaluates at once on the peer's next
  // CHECKSUMS; a new one exchanges HELLOs.
}

void ConfSync::recalculate() {
  next_checksums_ns_ = 0;
  tick(clock_ns());
}

void ConfSync::tick(uint64_t now_ns) {
  for (auto& c : conns_) {
    if (!c->dead && c->state <= LinkState::kHandshake && now_ns > c->deadline_ns) {
      ++stats_.refused;
      drop(*c, "TLS handshake with " + ip_text(c->peer_ip) + " did not finish within " +
                   std::to_string(options_.handshake_timeout_ms) + " ms");
    }
  }
  reap();
  if (!enabled_ || listen_fd_ < 0) return;
  Conn* s = session();
  bool dialing = std::any_of(conns_.begin(), conns_.end(), [](const auto& c) { return c->outbound; });
  if (!s && !dialing && is_dialer() && now_ns >= next_dial_ns_) dial(now_ns);
  if (s && peer_known_ && now_ns >= next_checksums_ns_) {
    next_checksums_ns_ = now_ns + options_.checksum_interval_ms * kNsPerMs;
    Message m;
    m.type = MsgType::kChecksums;
    m.primary = is_primary();
    m.epoch = epoch_;
    m.checksums = local_checksums();
    send(*s, m);
    on_peer_state(*s);  // a FULL lost with a dead session is sent again
    reap();
  }
}

}  // namespace tandem::confsync
