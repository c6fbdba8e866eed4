// The daemon side of tandemctl: a Unix stream socket served from the control
// lcore's event loop without ever blocking it (heartbeats share that loop).
//
// Wire form (docs/cli.md): the client writes one request (a command line, or
// a `config … end` block) and shuts down its write side; the server answers
// with one status byte ('0' success, '1' failure) followed by the text, then
// closes. One request per connection keeps both ends trivial to script.
#pragma once

#include <poll.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "controlplane/cli/cli_types.h"

namespace tandem::cli {

class CliServer {
 public:
  using Executor = std::function<Reply(const std::string& request)>;

  ~CliServer();

  // Binds and listens on `path` (mode 0660, a stale socket file is replaced
  // only when nobody answers on it). Returns false with *error on failure.
  bool listen(const std::string& path, Executor executor, std::string* error);

  // Descriptors to poll, appended to `fds`; call handle() with the results.
  void add_poll_fds(std::vector<pollfd>* fds) const;
  // Services ready descriptors in fds[first..first+n). Never blocks.
  void handle(const std::vector<pollfd>& fds, size_t first, size_t n);

  void close_all();
  const std::string& path() const { return path_; }

 private:
  struct Conn {
    int fd = -1;
    std::string in;
    std::string out;
    size_t sent = 0;
    bool replying = false;
    long long deadline_ms = 0;
  };
  void accept_ready();
  void service(Conn& c, short revents);

  int listen_fd_ = -1;
  std::string path_;
  Executor executor_;
  std::vector<Conn> conns_;
};

// Client side, used by tandemctl and the tests: sends `request`, returns the
// reply. On a connection problem returns a failed Reply that says what to do.
Reply request(const std::string& socket_path, const std::string& request, int timeout_ms);

}  // namespace tandem::cli
