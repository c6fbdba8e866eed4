#include "controlplane/cli/cli_server.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tandem::cli {
namespace {

// A request larger than this is refused: a config restore is far smaller.
constexpr size_t kMaxRequestBytes = 4 << 20;
// A client that neither finishes its request nor reads its reply in this
// time is dropped, so it cannot hold a connection slot for ever.
constexpr long long kConnTimeoutMs = 30'000;
constexpr size_t kMaxConns = 64;

long long now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<long long>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

bool fill_addr(const std::string& path, sockaddr_un* addr, std::string* error) {
  std::memset(addr, 0, sizeof(*addr));
  addr->sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr->sun_path)) {
    *error = "socket path too long (max " + std::to_string(sizeof(addr->sun_path) - 1) +
             " bytes): " + path;
    return false;
  }
  std::memcpy(addr->sun_path, path.c_str(), path.size() + 1);
  return true;
}

}  // namespace

CliServer::~CliServer() { close_all(); }

bool CliServer::listen(const std::string& path, Executor executor, std::string* error) {
  sockaddr_un addr{};
  if (!fill_addr(path, &addr, error)) return false;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = std::string("socket: ") + std::strerror(errno);
    return false;
  }
  // Replace a stale socket left by a crashed daemon, but never steal the
  // socket of a live one.
  int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (probe >= 0) {
    if (connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
      ::close(probe);
      ::close(fd);
      *error = "another tandemd already serves " + path + " (stop it or pick another -s path)";
      return false;
    }
    ::close(probe);
  }
  ::unlink(path.c_str());
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    *error = "bind " + path + ": " + std::strerror(errno);
    ::close(fd);
    return false;
  }
  chmod(path.c_str(), 0660);
  if (::listen(fd, 16) != 0) {
    *error = std::string("listen: ") + std::strerror(errno);
    ::close(fd);
    return false;
  }
  listen_fd_ = fd;
  path_ = path;
  executor_ = std::move(executor);
  return true;
}

void CliServer::add_poll_fds(std::vector<pollfd>* fds) const {
  if (listen_fd_ >= 0) fds->push_back({listen_fd_, POLLIN, 0});
  for (const auto& c : conns_) {
    fds->push_back({c.fd, static_cast<short>(c.replying ? POLLOUT : POLLIN), 0});
  }
}

void CliServer::handle(const std::vector<pollfd>& fds, size_t first, size_t n) {
  if (listen_fd_ < 0 || n == 0) return;
  // fds[first] is the listener, then one per connection in conns_ order as
  // add_poll_fds() laid them out.
  for (size_t i = 1; i < n && i - 1 < conns_.size(); ++i) {
    if (fds[first + i].revents != 0) service(conns_[i - 1], fds[first + i].revents);
  }
  long long now = now_ms();
  for (auto& c : conns_) {
    if (c.fd >= 0 && now > c.deadline_ms) {
      ::close(c.fd);
      c.fd = -1;
    }
  }
  std::erase_if(conns_, [](const Conn& c) { return c.fd < 0; });
  if (fds[first].revents & POLLIN) accept_ready();
}

void CliServer::accept_ready() {
  for (;;) {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    if (conns_.size() >= kMaxConns) {
      static const char kBusy[] = "1too many CLI sessions; try again\n";
      (void)!::write(fd, kBusy, sizeof(kBusy) - 1);
      ::close(fd);
      continue;
    }
    conns_.push_back(Conn{fd, {}, {}, 0, false, now_ms() + kConnTimeoutMs});
  }
}

void CliServer::service(Conn& c, short revents) {
  if (!c.replying) {
    char buf[16384];
    for (;;) {
      ssize_t r = ::read(c.fd, buf, sizeof(buf));
      if (r > 0) {
        c.in.append(buf, static_cast<size_t>(r));
        if (c.in.size() > kMaxRequestBytes) {
          c.out = "1request larger than 4 MiB refused\n";
          c.replying = true;
          break;
        }
        continue;
      }
      if (r == 0) {  // the client finished its request
        Reply reply = executor_(c.in);
        c.out.clear();
        c.out.push_back(reply.ok ? '0' : '1');
        c.out += reply.text;
        if (!reply.text.empty() && reply.text.back() != '\n') c.out.push_back('\n');
        c.replying = true;
        break;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR) continue;
      ::close(c.fd);
      c.fd = -1;
      return;
    }
  }
  if ((revents & (POLLERR | POLLNVAL)) != 0 && c.out.empty()) {
    ::close(c.fd);
    c.fd = -1;
    return;
  }
  while (c.sent < c.out.size()) {
    ssize_t w = ::send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
    if (w > 0) {
      c.sent += static_cast<size_t>(w);
      continue;
    }
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    break;
  }
  ::close(c.fd);
  c.fd = -1;
}

void CliServer::close_all() {
  for (auto& c : conns_) {
    if (c.fd >= 0) ::close(c.fd);
  }
  conns_.clear();
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    listen_fd_ = -1;
    ::unlink(path_.c_str());
  }
}

Reply request(const std::string& socket_path, const std::string& req, int timeout_ms) {
  sockaddr_un addr{};
  std::string error;
  if (!fill_addr(socket_path, &addr, &error)) return Reply::error(error);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Reply::error(std::string("socket: ") + std::strerror(errno));
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    int err = errno;
    ::close(fd);
    return Reply::error("cannot reach tandemd at " + socket_path + ": " + std::strerror(err) +
                        "\n(is tandemd running? pick its socket with -s PATH or TANDEM_SOCKET)");
  }
  size_t off = 0;
  while (off < req.size()) {
    ssize_t w = ::send(fd, req.data() + off, req.size() - off, MSG_NOSIGNAL);
    if (w <= 0) {
      ::close(fd);
      return Reply::error(std::string("sending to tandemd: ") + std::strerror(errno));
    }
    off += static_cast<size_t>(w);
  }
  shutdown(fd, SHUT_WR);
  std::string in;
  char buf[16384];
  for (;;) {
    ssize_t r = ::read(fd, buf, sizeof(buf));
    if (r > 0) {
      in.append(buf, static_cast<size_t>(r));
      continue;
    }
    if (r == 0) break;
    if (errno == EINTR) continue;
    int err = errno;
    ::close(fd);
    return Reply::error(err == EAGAIN ? "tandemd did not answer within " +
                                            std::to_string(timeout_ms) + " ms"
                                      : std::string("reading from tandemd: ") + std::strerror(err));
  }
  ::close(fd);
  if (in.empty()) return Reply::error("tandemd closed the connection without an answer");
  return Reply{in[0] == '0', in.substr(1)};
}

}  // namespace tandem::cli
