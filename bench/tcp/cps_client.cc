// Connections per second against an echo service: C concurrent slots, each
// opens a connection, writes one byte, reads it back and closes (the client
// closes first, so TIME_WAIT stays on the client, as for the proxy's
// clients), for S seconds. Prints completed connections/s and failures.
// The same client measures Tandem's test service and the kernel baseline.
//
//   bench-tcp-cps ADDR PORT CONCURRENCY SECONDS
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s ADDR PORT CONCURRENCY SECONDS\n", argv[0]);
    return 2;
  }
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(std::atoi(argv[2])));
  inet_pton(AF_INET, argv[1], &sa.sin_addr);
  int conc = std::atoi(argv[3]);
  double secs = std::atof(argv[4]);
  int ep = epoll_create1(0);
  long done = 0, failed = 0;
  auto open_one = [&]() {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
    epoll_event ev{};
    ev.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP;
    ev.data.u64 = static_cast<uint64_t>(fd);  // high bit: byte sent
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  };
  for (int i = 0; i < conc; ++i) open_one();
  auto start = std::chrono::steady_clock::now();
  auto end = start + std::chrono::duration<double>(secs);
  std::vector<epoll_event> events(1024);
  while (std::chrono::steady_clock::now() < end) {
    int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), 100);
    for (int i = 0; i < n; ++i) {
      uint64_t tag = events[i].data.u64;
      int fd = static_cast<int>(tag & 0xffffffff);
      bool sent = tag >> 63;
      uint32_t e = events[i].events;
      bool finished = false, bad = false;
      if (e & (EPOLLERR | EPOLLHUP)) {
        bad = true;
      } else if (!sent && (e & EPOLLOUT)) {
        char x = 'x';
        if (write(fd, &x, 1) == 1) {
          epoll_event ev{};
          ev.events = EPOLLIN | EPOLLRDHUP;
          ev.data.u64 = tag | (uint64_t{1} << 63);
          epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
        } else {
          bad = true;
        }
      } else if (sent && (e & EPOLLIN)) {
        char x;
        finished = read(fd, &x, 1) == 1;
        bad = !finished;
      }
      if (finished || bad) {
        epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
        close(fd);
        if (finished) ++done;
        else ++failed;
        open_one();
      }
    }
  }
  double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("cps=%.0f done=%ld failed=%ld seconds=%.2f\n", static_cast<double>(done) / el, done,
              failed, el);
  return 0;
}
