// The client side of one ZTNA proxy connection, from the first TLS byte to
// the decision to relay: TLS with client-certificate check (tls::Conn),
// the HTTP/1.1 request head (http::RequestParser), Host against SNI, the
// user table (a known source is not asked again), Basic authentication
// against `config user local`, and the proxy-policy decision. Refusals are
// answered here with an HTML page naming the reason (400/421/431/505, 401
// with a Basic challenge, 403) and close the connection; deny_reason()
// tells the traffic log why. An allowed request ends in kForward with the
// head and the deciding policy, for the relay to the real server
// (ztna_app.cc). Pure over memory: the worker's TCP stack feeds it
// ciphertext and sends what it pulls out.
//
// A login verifies PBKDF2 (about 2.5 ms at the default iterations) on the
// calling thread; once per source address per auth-timeout, but a stall on
// a worker all the same until it moves to the control lcore (docs/ztna.md).
#pragma once

#include <cstddef>
#include <cstdint>

#include "dataplane/http/http.h"
#include "dataplane/log/log_types.h"
#include "dataplane/tls/tls.h"
#include "dataplane/user/user_table.h"
#include "dataplane/ztna/ztna_policy.h"

namespace tandem::dp {

// What every connection of one access proxy shares (snapshot data).
struct ZtnaProxyConf {
  uint32_t proxy_index;
  const ZtnaPolicyConf* policies;
  const ZtnaUserDb* users;
  uint32_t auth_timeout_s;
  bool idle_timeout;
  const char* realm;  // shown in the Basic challenge
};

class ZtnaConn {
 public:
  enum class State : uint8_t {
    kHandshake,    // TLS handshake (and client-certificate check)
    kRequestHead,  // reading the request head
    kForward,      // allowed: request() and decision() are valid, the relay takes over
    kClosing,      // a refusal is queued; close once it is pulled out
    kFailed,       // TLS failed; reset the TCP connection
  };

  // Ready for a new accepted connection from src (host order) on in_port.
  bool start(const tls::ServerContext& tls, const ZtnaProxyConf* conf, UserTable* users, uint32_t src,
             uint32_t in_port);
  void release() { tls_.release(); }

  // Ciphertext from the client; advances as far as the bytes allow.
  State on_client_bytes(const uint8_t* data, std::size_t len, uint64_t now_ms);
  // Ciphertext for the client.
  std::size_t pull_client(uint8_t* out, std::size_t cap) { return tls_.pull_ciphertext(out, cap); }

  State state() const { return state_; }
  const http::RequestHead& request() const { return parser_.head(); }
  ZtnaDecision decision() const { return decision_; }
  // The status line code of the refusal sent (0 when none).
  uint16_t refused_with() const { return refused_with_; }
  // Why the connection was refused (kClosing, kFailed); kNone for a plain
  // 401 challenge (no credentials sent: not a denial) and a client that
  // went away.
  ZtnaDenyReason deny_reason() const { return deny_reason_; }
  // The user the request runs as (a known source or a good login), or for
  // kBadCredentials the name that was tried; "" when none.
  const char* user() const { return user_; }
  // OpenSSL's reason of a TLS failure, or the X509 error text; "" else.
  const char* deny_detail() const { return detail_; }
  const tls::Conn& tls() const { return tls_; }
  // The relay moves application data through the same TLS connection.
  tls::Conn& tls_conn() { return tls_; }
  // The request head as received (request().head_bytes of it), then body
  // bytes read with it, buffered() in all.
  const uint8_t* head_buffer() const { return head_; }
  // Bytes of the request head buffer: the head, then body bytes read with it.
  std::size_t buffered() const { return head_len_; }

  // Keep-alive (ztna_app.cc). In kForward, the body bytes read with the
  // head; consume_forwarded(n) drops the head and n of them once the relay
  // has copied them, keeping what follows: the start of a pipelined next
  // request. request() is invalid after it.
  std::string_view body_bytes() const {
    return {reinterpret_cast<const char*>(head_) + parser_.head().head_bytes, head_len_ - parser_.head().head_bytes};
  }
  void consume_forwarded(std::size_t body_used);
  // Plaintext the relay read past the current request's body; room() bytes fit.
  std::size_t room() const { return sizeof head_ - head_len_; }
  void append(const uint8_t* data, std::size_t len);
  // The next request on the connection (the response to the last one is
  // out): parses what is buffered, reads on from TLS, and decides again
  // (a source with a user entry is not asked again).
  State next_request(uint64_t now_ms);
  // kForward, but no api-gateway's url-map matches the path: 404, kClosing.
  void refuse_no_gateway() { refuse(404, ZtnaDenyReason::kNoGatewayMatch, "", false); }
  // kForward, but every real server of the chosen gateway is down: 503, kClosing.
  void refuse_no_server() { refuse(503, ZtnaDenyReason::kNoServerUp, "", false); }

 private:
  void read_head(uint64_t now_ms);
  void decide(uint64_t now_ms);
  void refuse(uint16_t code, ZtnaDenyReason why, const char* detail, bool challenge);
  void tls_failed();
  void set_user(std::string_view name);
  // The user named by valid Basic credentials of the request, or empty;
  // *tried is the name the credentials gave (empty when none decode).
  std::string_view authenticate(char* scratch, std::size_t cap, std::string_view* tried) const;

  tls::Conn tls_;
  http::RequestParser parser_;
  const ZtnaProxyConf* conf_ = nullptr;
  UserTable* users_ = nullptr;
  uint32_t src_ = 0, in_port_ = 0;
  State state_ = State::kFailed;
  ZtnaDecision decision_{ZtnaVerdict::kDeny, -1, 0};
  uint16_t refused_with_ = 0;
  ZtnaDenyReason deny_reason_ = ZtnaDenyReason::kNone;
  char user_[kZtnaLogNameMax + 1] = {};
  char detail_[kZtnaLogDetailMax + 1] = {};
  std::size_t head_len_ = 0;
  uint8_t head_[http::kMaxHeadBytes];
};

}  // namespace tandem::dp
