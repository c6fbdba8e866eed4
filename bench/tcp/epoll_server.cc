// The kernel baseline for bench/tcp: the test service's protocol (echo, and
// HTTP GET /<n> answering n bytes) on Linux TCP with one epoll loop on one
// thread, so "per core" compares like with like. GET bodies are zeros here
// (the benchmark measures transport, not the pattern).
//
//   bench-tcp-epoll-server ADDR ECHO_PORT HTTP_PORT
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_map>

namespace {

constexpr int kMaxEvents = 256;
constexpr size_t kChunk = 65536;

struct Conn {
  bool http;
  std::string in;        // HTTP request head so far; echo: bytes not yet written back
  std::string head;      // response head still to write
  unsigned long long body_left = 0;
  bool responding = false;
};

int listen_on(const char* addr, int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, addr, &sa.sin_addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0 || listen(fd, 4096) != 0) {
    std::perror("bind/listen");
    std::exit(1);
  }
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s ADDR ECHO_PORT HTTP_PORT\n", argv[0]);
    return 2;
  }
  int echo_fd = listen_on(argv[1], std::atoi(argv[2]));
  int http_fd = listen_on(argv[1], std::atoi(argv[3]));
  int ep = epoll_create1(0);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = echo_fd;
  epoll_ctl(ep, EPOLL_CTL_ADD, echo_fd, &ev);
  ev.data.fd = http_fd;
  epoll_ctl(ep, EPOLL_CTL_ADD, http_fd, &ev);
  std::unordered_map<int, Conn> conns;
  static char buf[kChunk];
  static char zeros[kChunk];
  auto close_conn = [&](int fd) {
    epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
    close(fd);
    conns.erase(fd);
  };
  epoll_event events[kMaxEvents];
  for (;;) {
    int n = epoll_wait(ep, events, kMaxEvents, -1);
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == echo_fd || fd == http_fd) {
        for (;;) {
          int c = accept4(fd, nullptr, nullptr, SOCK_NONBLOCK);
          if (c < 0) break;
          conns[c].http = fd == http_fd;
          epoll_event cev{};
          cev.events = EPOLLIN | EPOLLOUT | EPOLLET;
          cev.data.fd = c;
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
        }
        continue;
      }
      auto it = conns.find(fd);
      if (it == conns.end()) continue;
      Conn& c = it->second;
      bool dead = false;
      // Read everything there is (edge-triggered).
      for (;;) {
        ssize_t r = read(fd, buf, sizeof(buf));
        if (r > 0) {
          if (!c.http || !c.responding) c.in.append(buf, static_cast<size_t>(r));
          continue;
        }
        if (r == 0) dead = !c.http || !c.responding || (c.head.empty() && c.body_left == 0);
        break;
      }
      if (c.http && !c.responding) {
        size_t end = c.in.find("\r\n\r\n");
        if (end != std::string::npos) {
          c.body_left = std::strtoull(c.in.c_str() + 5, nullptr, 10);
          c.head = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(c.body_left) +
                   "\r\nConnection: close\r\n\r\n";
          c.responding = true;
          c.in.clear();
        }
      }
      // Write what is owed until the socket is full.
      std::string& out = c.http ? c.head : c.in;
      while (!out.empty()) {
        ssize_t w = write(fd, out.data(), out.size());
        if (w <= 0) break;
        out.erase(0, static_cast<size_t>(w));
      }
      while (c.http && c.responding && c.head.empty() && c.body_left > 0) {
        size_t k = c.body_left < kChunk ? static_cast<size_t>(c.body_left) : kChunk;
        ssize_t w = write(fd, zeros, k);
        if (w <= 0) break;
        c.body_left -= static_cast<unsigned long long>(w);
      }
      if (c.http && c.responding && c.head.empty() && c.body_left == 0) dead = true;
      if (dead) close_conn(fd);
    }
  }
}
