// The HTTPS client of bench/ztna/run: C concurrent mTLS connections, each
// driven by one epoll loop with non-blocking OpenSSL, against one address
// for S seconds. h2load cannot present a client certificate (nghttp2 1.52
// has no option for it) and both proxies under test refuse a connection
// without one, so this client stands in for it; the same binary with the
// same options drives Tandem and nginx.
//
// Modes (what one connection does before the next one is opened):
//   full       handshake with no session, one request with
//              `Connection: close`, the server closes: a full mTLS handshake
//              per request
//   resume     the same, offering the last ticket of a full handshake
//              (again and again): a resumed handshake per request (counted
//              by SSL_session_reused)
//   keepalive  requests one after another on the connection as long as the
//              server keeps it open (no `Connection: close` sent); when the
//              server closes, the next connection resumes the last session.
//              req_per_conn in the output (requests over the connections
//              that served one in the window) says what happened.
//
// A request counts when its whole response arrived with status 200 (body
// by Content-Length, or up to the close when there is none). Anything else
// (refused connection, TLS failure, other status, a close mid-response, no
// progress for --timeout seconds) counts as an error and the slot opens a
// new connection. Output, one line (bench/ztna/run reads it):
//   mode=full conns=8 seconds=5.00 handshakes=N resumed=N requests=N
//   errors=N hs_per_s=X req_per_s=X req_per_conn=X bytes=N client_cpu=X%
// and, when there were errors, the first few reasons on stderr.
//
//   bench-ztna-load --connect IP:PORT --sni NAME --ca FILE --cert FILE
//       --key FILE [--mode full|resume|keepalive] [--conns C] [--seconds S]
//       [--warmup S] [--path /] [--header 'Name: value']... [--groups X25519]
//       [--ciphersuites TLS_AES_128_GCM_SHA256] [--timeout S] [--no-close-notify]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

enum class Mode { kFull, kResume, kKeepAlive };

struct Options {
  std::string connect, sni, ca, cert, key, path = "/", groups = "X25519";
  std::string ciphersuites = "TLS_AES_128_GCM_SHA256";
  std::vector<std::string> headers;
  Mode mode = Mode::kFull;
  int conns = 8;
  double seconds = 5, warmup = 0.5, timeout = 5;
  bool close_notify = true;  // false: close() without SSL_shutdown, as some browsers do
};

enum class State {
  kConnecting,   // non-blocking connect() in flight
  kHandshaking,  // SSL_connect until established
  kWriting,      // request being written
  kReading,      // response head and body being read
};

struct Conn {
  int fd = -1;
  SSL* ssl = nullptr;
  State state = State::kConnecting;
  std::string rx;            // response head so far
  bool head_done = false;
  long long body_left = -1;  // -1: no Content-Length, read to the close
  bool server_closes = false;
  size_t written = 0;
  int requests_here = 0;
  bool used = false;  // completed a request while counting
  Clock::time_point last_progress;
};

struct Totals {
  long handshakes = 0, resumed = 0, requests = 0, errors = 0, conns_opened = 0;
  long conns_used = 0;  // connections that completed a request in the window
  long long bytes = 0;
};

Options opt;
sockaddr_in target{};
SSL_CTX* ctx = nullptr;
SSL_SESSION* saved_session = nullptr;
std::string request;
int ep = -1;
bool counting = false;
Totals tot;
std::map<std::string, long> error_reasons;

void error(const std::string& why) {
  if (counting) ++tot.errors;
  ++error_reasons[why];
}

[[noreturn]] void usage(const char* msg) {
  std::fprintf(stderr, "bench-ztna-load: %s\n", msg);
  std::exit(2);
}

void close_conn(Conn& c, bool clean) {
  if (c.ssl) {
    if (clean && opt.close_notify) SSL_shutdown(c.ssl);  // close_notify, not waiting for the peer's
    SSL_free(c.ssl);
    c.ssl = nullptr;
  }
  if (c.fd >= 0) {
    close(c.fd);  // also removes it from the epoll set
    c.fd = -1;
  }
}

bool open_conn(Conn& c, size_t slot) {
  c = Conn{};
  c.last_progress = Clock::now();
  c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (c.fd < 0) return false;
  int one = 1;
  setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (connect(c.fd, reinterpret_cast<sockaddr*>(&target), sizeof(target)) != 0 && errno != EINPROGRESS) {
    error(std::string("connect: ") + std::strerror(errno));
    close(c.fd);
    c.fd = -1;
    return false;
  }
  c.ssl = SSL_new(ctx);
  SSL_set_fd(c.ssl, c.fd);
  SSL_set_tlsext_host_name(c.ssl, opt.sni.c_str());
  if (opt.mode != Mode::kFull && saved_session) {
    // A copy per connection: OpenSSL marks the session object of a
    // connection it frees in some states not resumable, which would end the
    // reuse of the saved one.
    SSL_SESSION* copy = SSL_SESSION_dup(saved_session);
    SSL_set_session(c.ssl, copy);
    SSL_SESSION_free(copy);
  }
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
  ev.data.u64 = slot;
  epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
  if (counting) ++tot.conns_opened;
  return true;
}

// Parses the response head in c.rx; false when it is malformed or not a 200.
bool parse_head(Conn& c, size_t head_len, std::string* why) {
  std::string head = c.rx.substr(0, head_len);
  if (head.compare(0, 9, "HTTP/1.1 ") != 0 && head.compare(0, 9, "HTTP/1.0 ") != 0) {
    *why = "not an HTTP response";
    return false;
  }
  if (head.compare(9, 3, "200") != 0) {
    *why = "status " + head.substr(9, 3);
    return false;
  }
  c.server_closes = head.compare(0, 9, "HTTP/1.0 ") == 0;
  c.body_left = -1;
  size_t pos = head.find("\r\n");
  while (pos != std::string::npos && pos + 2 < head.size()) {
    size_t end = head.find("\r\n", pos + 2);
    std::string line = head.substr(pos + 2, (end == std::string::npos ? head.size() : end) - pos - 2);
    for (size_t i = 0; i < line.size() && line[i] != ':'; ++i) line[i] = static_cast<char>(std::tolower(line[i]));
    if (line.rfind("content-length:", 0) == 0) c.body_left = std::atoll(line.c_str() + 15);
    if (line.rfind("connection:", 0) == 0 && line.find("close") != std::string::npos) c.server_closes = true;
    pos = end;
  }
  return true;
}

void request_done(Conn& c) {
  if (counting) {
    ++tot.requests;
    if (!c.used) ++tot.conns_used;
    c.used = true;
  }
  ++c.requests_here;
}

// The sessions of full handshakes (TLS 1.3: their NewSessionTickets) are
// offered, the latest one, again and again. Not those of resumed ones: an
// OpenSSL client is handed its resumed session here too, and where the
// server sent no new ticket on resumption (Tandem, docs/bench-ztna.md)
// offering that one gives a full handshake. So `resume` measures resumed
// handshakes, not a server's ticket-renewal policy (run's s_client probe
// reports that).
int on_new_session(SSL* ssl, SSL_SESSION* session) {
  if (opt.mode == Mode::kFull || SSL_session_reused(ssl)) return 0;
  if (saved_session) SSL_SESSION_free(saved_session);
  saved_session = session;
  return 1;  // the reference is ours
}

// Runs one connection as far as the sockets allow. Returns false when the
// connection is over (done or failed); the caller opens the next one.
bool drive(Conn& c) {
  char buf[16384];
  for (;;) {
    switch (c.state) {
      case State::kConnecting: {
        int err = 0;
        socklen_t len = sizeof(err);
        getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err == EINPROGRESS) return true;
        if (err != 0) {
          error(std::string("connect: ") + std::strerror(err));
          close_conn(c, false);
          return false;
        }
        // connect() completion shows as writability; until then SSL_connect
        // would fail with ENOTCONN, so ask the kernel.
        sockaddr_in peer{};
        socklen_t plen = sizeof(peer);
        if (getpeername(c.fd, reinterpret_cast<sockaddr*>(&peer), &plen) != 0) return true;
        c.state = State::kHandshaking;
        break;
      }
      case State::kHandshaking: {
        int r = SSL_connect(c.ssl);
        if (r == 1) {
          if (counting) {
            ++tot.handshakes;
            if (SSL_session_reused(c.ssl)) ++tot.resumed;
          }
          c.state = State::kWriting;
          c.last_progress = Clock::now();
          break;
        }
        int e = SSL_get_error(c.ssl, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return true;
        unsigned long code = ERR_peek_last_error();
        char msg[256];
        ERR_error_string_n(code, msg, sizeof(msg));
        ERR_clear_error();
        error(std::string("handshake: ") + (code ? msg : std::strerror(errno)));
        close_conn(c, false);
        return false;
      }
      case State::kWriting: {
        int r = SSL_write(c.ssl, request.data() + c.written, static_cast<int>(request.size() - c.written));
        if (r <= 0) {
          int e = SSL_get_error(c.ssl, r);
          if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return true;
          ERR_clear_error();
          error(c.requests_here ? "write on a kept-alive connection failed" : "write failed");
          close_conn(c, false);
          return false;
        }
        c.written += static_cast<size_t>(r);
        if (c.written == request.size()) {
          c.state = State::kReading;
          c.rx.clear();
          c.head_done = false;
        }
        break;
      }
      case State::kReading: {
        int r = SSL_read(c.ssl, buf, sizeof(buf));
        if (r <= 0) {
          int e = SSL_get_error(c.ssl, r);
          if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return true;
          ERR_clear_error();
          // A close: the end of a body without Content-Length, else an error.
          if (c.head_done && c.body_left < 0) {
            request_done(c);
            close_conn(c, e == SSL_ERROR_ZERO_RETURN);
          } else {
            error(c.rx.empty() && c.requests_here > 0 ? "closed before the next response (no keep-alive)"
                                                       : "closed mid-response");
            close_conn(c, false);
          }
          return false;
        }
        c.last_progress = Clock::now();
        if (counting) tot.bytes += r;
        size_t body_bytes = static_cast<size_t>(r);
        if (!c.head_done) {
          size_t before = c.rx.size();
          c.rx.append(buf, static_cast<size_t>(r));
          size_t end = c.rx.find("\r\n\r\n");
          if (end == std::string::npos) {
            if (c.rx.size() > 65536) {
              error("response head over 64 KiB");
              close_conn(c, false);
              return false;
            }
            break;
          }
          std::string why;
          if (!parse_head(c, end, &why)) {
            error(why);
            close_conn(c, false);
            return false;
          }
          c.head_done = true;
          body_bytes = before + static_cast<size_t>(r) - (end + 4);
        }
        if (c.body_left >= 0) {
          c.body_left -= static_cast<long long>(body_bytes);
          if (c.body_left <= 0) {
            request_done(c);
            if (opt.mode == Mode::kKeepAlive && !c.server_closes) {
              c.state = State::kWriting;
              c.written = 0;
              break;
            }
            close_conn(c, true);
            return false;
          }
        }
        break;
      }
    }
  }
}

bool parse_options(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value after " + a).c_str());
      return argv[++i];
    };
    if (a == "--connect") opt.connect = val();
    else if (a == "--sni") opt.sni = val();
    else if (a == "--ca") opt.ca = val();
    else if (a == "--cert") opt.cert = val();
    else if (a == "--key") opt.key = val();
    else if (a == "--path") opt.path = val();
    else if (a == "--groups") opt.groups = val();
    else if (a == "--ciphersuites") opt.ciphersuites = val();
    else if (a == "--header") opt.headers.push_back(val());
    else if (a == "--conns") opt.conns = std::atoi(val().c_str());
    else if (a == "--seconds") opt.seconds = std::atof(val().c_str());
    else if (a == "--warmup") opt.warmup = std::atof(val().c_str());
    else if (a == "--timeout") opt.timeout = std::atof(val().c_str());
    else if (a == "--no-close-notify") opt.close_notify = false;
    else if (a == "--mode") {
      std::string m = val();
      if (m == "full") opt.mode = Mode::kFull;
      else if (m == "resume") opt.mode = Mode::kResume;
      else if (m == "keepalive") opt.mode = Mode::kKeepAlive;
      else usage("--mode is full, resume or keepalive");
    } else usage(("unknown option " + a).c_str());
  }
  return !opt.connect.empty() && !opt.sni.empty() && !opt.ca.empty() && !opt.cert.empty() && !opt.key.empty();
}

}  // namespace

int main(int argc, char** argv) {
  if (!parse_options(argc, argv)) usage("needs --connect IP:PORT --sni NAME --ca FILE --cert FILE --key FILE");
  size_t colon = opt.connect.rfind(':');
  target.sin_family = AF_INET;
  target.sin_port = htons(static_cast<uint16_t>(std::atoi(opt.connect.c_str() + colon + 1)));
  if (colon == std::string::npos || inet_pton(AF_INET, opt.connect.substr(0, colon).c_str(), &target.sin_addr) != 1)
    usage("--connect takes IPv4:PORT");

  ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx, on_new_session);
  if (SSL_CTX_set1_groups_list(ctx, opt.groups.c_str()) != 1 ||
      SSL_CTX_set_ciphersuites(ctx, opt.ciphersuites.c_str()) != 1 ||
      SSL_CTX_load_verify_locations(ctx, opt.ca.c_str(), nullptr) != 1 ||
      SSL_CTX_use_certificate_chain_file(ctx, opt.cert.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx, opt.key.c_str(), SSL_FILETYPE_PEM) != 1) {
    ERR_print_errors_fp(stderr);
    usage("cannot set up the TLS client context (groups, ciphersuites, CA, certificate or key)");
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);

  request = "GET " + opt.path + " HTTP/1.1\r\nHost: " + opt.sni + "\r\nUser-Agent: bench-ztna-load\r\n";
  for (const auto& h : opt.headers) request += h + "\r\n";
  if (opt.mode != Mode::kKeepAlive) request += "Connection: close\r\n";
  request += "\r\n";

  ep = epoll_create1(0);
  std::vector<Conn> conns(static_cast<size_t>(opt.conns));
  for (size_t i = 0; i < conns.size(); ++i) open_conn(conns[i], i);
  auto start = Clock::now();
  auto count_from = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(opt.warmup));
  auto end = count_from + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(opt.seconds));
  auto timeout = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(opt.timeout));
  std::vector<epoll_event> events(256);
  auto last_sweep = start;
  for (;;) {
    auto now = Clock::now();
    if (now >= end) break;
    if (!counting && now >= count_from) {
      counting = true;
      tot = Totals{};
      error_reasons.clear();
      for (auto& c : conns) c.used = false;
    }
    int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), 20);
    for (int i = 0; i < n; ++i) {
      size_t slot = events[i].data.u64;
      Conn& c = conns[slot];
      if (c.fd < 0) continue;
      if (!drive(c)) open_conn(c, slot);
    }
    now = Clock::now();
    if (now - last_sweep > std::chrono::milliseconds(200)) {
      last_sweep = now;
      for (size_t s = 0; s < conns.size(); ++s) {
        Conn& c = conns[s];
        if (c.fd < 0) {  // connect() refused at once: try again
          open_conn(c, s);
        } else if (now - c.last_progress > timeout) {
          error("no progress for --timeout seconds (state " + std::to_string(static_cast<int>(c.state)) + ")");
          close_conn(c, false);
          open_conn(c, s);
        }
      }
    }
  }
  double secs = std::chrono::duration<double>(Clock::now() - count_from).count();
  // The client's own CPU over the whole run (warm-up included): near 100%
  // means the client, not the proxy, set the pace.
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  double cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
               static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  double wall = std::chrono::duration<double>(Clock::now() - start).count();
  const char* mode = opt.mode == Mode::kFull ? "full" : opt.mode == Mode::kResume ? "resume" : "keepalive";
  std::printf(
      "mode=%s conns=%d seconds=%.2f handshakes=%ld resumed=%ld requests=%ld errors=%ld hs_per_s=%.1f "
      "req_per_s=%.1f req_per_conn=%.2f bytes=%lld client_cpu=%.0f%%\n",
      mode, opt.conns, secs, tot.handshakes, tot.resumed, tot.requests, tot.errors, tot.handshakes / secs,
      tot.requests / secs, tot.conns_used ? static_cast<double>(tot.requests) / tot.conns_used : 0.0, tot.bytes,
      100 * cpu / wall);
  int shown = 0;
  for (const auto& [why, count] : error_reasons) {
    if (++shown > 6) break;
    std::fprintf(stderr, "bench-ztna-load: %ld x %s\n", count, why.c_str());
  }
  for (auto& c : conns) close_conn(c, false);
  return 0;
}
