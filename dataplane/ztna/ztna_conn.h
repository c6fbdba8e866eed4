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
// A login needs PBKDF2 (about 2.5 ms at the default iterations), which must
// not run on a worker: credentials of an enabled local user park the
// connection in kLoginWait with login() describing the check; the caller
// has it verified elsewhere (ztna_app.cc hands it to the verifier thread,
// ztna_auth.h) and calls finish_login() with the answer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dataplane/http/http.h"
#include "dataplane/log/log_types.h"
#include "dataplane/tls/tls.h"
#include "dataplane/user/user_table.h"
#include "dataplane/ztna/ztna_policy.h"

namespace tandem::dp {

// Longest password a login is checked with (FortiOS allows 128); longer
// credentials are wrong without a check.
inline constexpr std::size_t kZtnaPasswordMax = 128;

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
    kLoginWait,    // the head carries a local user's credentials: login() waits for finish_login()
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

  // kLoginWait: the password check to run off the worker. The views stay
  // valid until finish_login() or refuse_login_busy() (the hash lives in the
  // connection's runtime, the password in the ZtnaConn).
  struct LoginCheck {
    std::string_view user;
    std::string_view hash;      // the user's PB2 word (user_password.h)
    std::string_view password;  // as the client sent it
  };
  LoginCheck login() const;
  // The answer to login(): a good password decides the request as that
  // user (and makes its user entry), a wrong one is refused with 401. The
  // password copy is wiped either way.
  State finish_login(bool password_ok, uint64_t now_ms);
  // kLoginWait, but no check can be queued now: 503 with Retry-After, kClosing.
  void refuse_login_busy();

 private:
  void read_head(uint64_t now_ms);
  void decide(uint64_t now_ms);
  // The decision once the user is known: `user` runs the request (empty:
  // none); `tried` is the name of credentials that did not verify.
  void decide_as(std::string_view user, std::string_view tried, UserEntry* known, uint64_t now_ms);
  void forget_password();
  void refuse(uint16_t code, ZtnaDenyReason why, const char* detail, bool challenge);
  void tls_failed();
  void set_user(std::string_view name);

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
  int login_user_ = -1;  // kLoginWait: index in conf_->users
  uint8_t password_len_ = 0;
  char password_[kZtnaPasswordMax];
  std::size_t head_len_ = 0;
  uint8_t head_[http::kMaxHeadBytes];
};

}  // namespace tandem::dp
