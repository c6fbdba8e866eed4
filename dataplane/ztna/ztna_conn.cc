#include "dataplane/ztna/ztna_conn.h"

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include <cstdio>
#include <cstring>

#include "dataplane/user/user_password.h"

namespace tandem::dp {
namespace {

// The status a parser error is answered with (http_types.h names them).
uint16_t status_for(http::Status s) {
  switch (s) {
    case http::Status::kHeadTooLarge:
    case http::Status::kTooManyHeaders:
      return 431;
    case http::Status::kUnsupportedVersion:
      return 505;
    case http::Status::kBadTransferEncoding:
      return 501;
    default:
      return 400;
  }
}

const char* reason_of(uint16_t code) {
  switch (code) {
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 403: return "Forbidden";
    case 421: return "Misdirected Request";
    case 431: return "Request Header Fields Too Large";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Bad Request";
  }
}

// The sentence of the error page: what was refused and what to do.
const char* page_text(ZtnaDenyReason why) {
  switch (why) {
    case ZtnaDenyReason::kBadRequest:
      return "The request could not be read.";
    case ZtnaDenyReason::kSniHostMismatch:
      return "The Host of the request does not match the server name (SNI) of the TLS "
             "connection. Connect to this host by its own name.";
    case ZtnaDenyReason::kNoGatewayMatch:
      return "No API gateway of this access proxy serves this URL.";
    case ZtnaDenyReason::kImplicitDeny:
      return "No ZTNA proxy policy allows this request (implicit deny).";
    case ZtnaDenyReason::kPolicyDeny:
      return "A ZTNA proxy policy denies this request.";
    case ZtnaDenyReason::kBadCredentials:
      return "The user name or password is not valid.";
    case ZtnaDenyReason::kNoServerUp:
      return "No real server of this API gateway is up (health check). Try again later.";
    case ZtnaDenyReason::kLoginBusy:
      return "Too many logins are being checked right now. Try again in a moment.";
    case ZtnaDenyReason::kNone:
      return "Authentication is required: log in with your user name and password.";
    default:
      return "The connection was refused.";
  }
}

void copy_text(char* out, std::size_t cap, std::string_view in) {
  std::size_t n = in.size() < cap - 1 ? in.size() : cap - 1;
  std::memcpy(out, in.data(), n);
  out[n] = '\0';
}

}  // namespace

bool ZtnaConn::start(const tls::ServerContext& tls, const ZtnaProxyConf* conf, UserTable* users, uint32_t src,
                     uint32_t in_port) {
  parser_.reset();
  conf_ = conf;
  users_ = users;
  src_ = src;
  in_port_ = in_port;
  decision_ = {ZtnaVerdict::kDeny, -1, 0};
  refused_with_ = 0;
  deny_reason_ = ZtnaDenyReason::kNone;
  user_[0] = detail_[0] = '\0';
  forget_password();
  head_len_ = 0;
  state_ = tls_.start(tls) ? State::kHandshake : State::kFailed;
  return state_ == State::kHandshake;
}

ZtnaConn::State ZtnaConn::on_client_bytes(const uint8_t* data, std::size_t len, uint64_t now_ms) {
  if (state_ != State::kHandshake && state_ != State::kRequestHead) return state_;
  tls_.push_ciphertext(data, len);
  read_head(now_ms);
  return state_;
}

void ZtnaConn::consume_forwarded(std::size_t body_used) {
  std::size_t from = parser_.head().head_bytes + body_used;
  if (from > head_len_) from = head_len_;
  std::memmove(head_, head_ + from, head_len_ - from);
  head_len_ -= from;
  parser_.reset();
}

void ZtnaConn::append(const uint8_t* data, std::size_t len) {
  if (len > room()) len = room();  // the caller asks room() first
  std::memcpy(head_ + head_len_, data, len);
  head_len_ += len;
}

ZtnaConn::State ZtnaConn::next_request(uint64_t now_ms) {
  if (state_ != State::kForward) return state_;
  parser_.reset();
  decision_ = {ZtnaVerdict::kDeny, -1, 0};
  state_ = State::kRequestHead;
  if (head_len_ > 0) {
    http::Status s = parser_.feed(std::string_view(reinterpret_cast<const char*>(head_), head_len_));
    if (s == http::Status::kDone) {
      decide(now_ms);
      return state_;
    }
    if (s != http::Status::kNeedMore) {
      refuse(status_for(s), ZtnaDenyReason::kBadRequest, http::status_name(s), false);
      return state_;
    }
  }
  read_head(now_ms);
  return state_;
}

void ZtnaConn::read_head(uint64_t now_ms) {
  while (state_ == State::kHandshake || state_ == State::kRequestHead) {
    std::size_t n = tls_.read_plaintext(head_ + head_len_, sizeof head_ - head_len_);
    if (tls_.state() == tls::Conn::State::kFailed) {
      tls_failed();
      return;
    }
    if (tls_.state() == tls::Conn::State::kEstablished) state_ = State::kRequestHead;
    if (n == 0 && head_len_ < sizeof head_) return;  // wait for more bytes
    head_len_ += n;
    http::Status s = parser_.feed(std::string_view(reinterpret_cast<const char*>(head_), head_len_));
    if (s == http::Status::kNeedMore) continue;
    if (s == http::Status::kDone) {
      decide(now_ms);
    } else {
      refuse(status_for(s), ZtnaDenyReason::kBadRequest, http::status_name(s), false);
    }
    return;
  }
}

// The handshake failed: a missing or refused client certificate, or
// something else OpenSSL names.
void ZtnaConn::tls_failed() {
  state_ = State::kFailed;
  const tls::ClientCertResult& cert = tls_.client_cert();
  if (cert.status == tls::ClientCertStatus::kFailed) {
    deny_reason_ = ZtnaDenyReason::kCertVerify;
    copy_text(detail_, sizeof detail_, X509_verify_cert_error_string(cert.verify_error));
    return;
  }
  std::string_view why = tls_.failure_reason();
  copy_text(detail_, sizeof detail_, why);
  deny_reason_ = why.find("certificate") != std::string_view::npos ? ZtnaDenyReason::kNoClientCert
                                                                    : ZtnaDenyReason::kTlsHandshake;
}

void ZtnaConn::set_user(std::string_view name) { copy_text(user_, sizeof user_, name); }

void ZtnaConn::forget_password() {
  OPENSSL_cleanse(password_, sizeof password_);
  password_len_ = 0;
  login_user_ = -1;
}

void ZtnaConn::decide(uint64_t now_ms) {
  const http::RequestHead& head = parser_.head();
  // A client may not reach one virtual host through another's TLS session.
  if (!tls_.sni().empty() && !http::host_matches_sni(head.host, tls_.sni())) {
    refuse(421, ZtnaDenyReason::kSniHostMismatch, "", false);
    return;
  }
  UserEntry* known = users_->lookup(src_, now_ms);
  if (known) {
    decide_as(std::string_view(known->name, known->name_len), {}, known, now_ms);
    return;
  }
  char scratch[http::kMaxHeadBytes];
  std::string_view user, password;
  if (!http::decode_basic_credentials(head.basic_credentials, scratch, sizeof scratch, &user, &password)) {
    decide_as({}, {}, nullptr, now_ms);
    return;
  }
  for (unsigned i = 0; i < conf_->users->count && i < kMaxZtnaUsers; ++i) {
    const ZtnaUserCred& u = conf_->users->users[i];
    if (!u.enabled || std::string_view(u.name.text, u.name.len) != user) continue;
    if (password.size() > sizeof password_) break;  // wrong without a check
    // PBKDF2 is the caller's to run, off this thread (login()).
    std::memcpy(password_, password.data(), password.size());
    password_len_ = static_cast<uint8_t>(password.size());
    login_user_ = static_cast<int>(i);
    OPENSSL_cleanse(scratch, sizeof scratch);
    state_ = State::kLoginWait;
    return;
  }
  decide_as({}, user, nullptr, now_ms);  // no such enabled user: wrong without a check
  OPENSSL_cleanse(scratch, sizeof scratch);
}

ZtnaConn::LoginCheck ZtnaConn::login() const {
  if (state_ != State::kLoginWait || login_user_ < 0) return {};
  const ZtnaUserCred& u = conf_->users->users[login_user_];
  return {std::string_view(u.name.text, u.name.len), std::string_view(u.hash),
          std::string_view(password_, password_len_)};
}

ZtnaConn::State ZtnaConn::finish_login(bool password_ok, uint64_t now_ms) {
  if (state_ != State::kLoginWait || login_user_ < 0) return state_;
  const ZtnaUserCred& u = conf_->users->users[login_user_];
  std::string_view name(u.name.text, u.name.len);  // the runtime's: outlives forget_password
  forget_password();
  state_ = State::kRequestHead;
  decide_as(password_ok ? name : std::string_view(), password_ok ? std::string_view() : name, nullptr, now_ms);
  return state_;
}

void ZtnaConn::refuse_login_busy() {
  if (state_ != State::kLoginWait) return;
  std::string_view name = login().user;
  set_user(name);
  forget_password();
  refuse(503, ZtnaDenyReason::kLoginBusy, "", false);
}

void ZtnaConn::decide_as(std::string_view user, std::string_view tried, UserEntry* known, uint64_t now_ms) {
  const http::RequestHead& head = parser_.head();
  const tls::DeviceIdentity& id = tls_.client_cert().identity;
  std::string_view tags[tls::kMaxTags];
  for (std::size_t i = 0; i < id.tag_count; ++i) tags[i] = id.tags[i];
  set_user(user);
  ZtnaRequest r{conf_->proxy_index, in_port_, src_, 0, user, tags, id.tag_count};
  decision_ = ztna_policy_match(*conf_->policies, r);
  switch (decision_.verdict) {
    case ZtnaVerdict::kAuthenticate:
      // No credentials: the challenge a browser always gets first, not a
      // denial. Credentials that did not verify: a denial to log.
      if (!tried.empty() || !head.basic_credentials.empty()) {
        set_user(tried);
        refuse(401, ZtnaDenyReason::kBadCredentials, "", true);
      } else {
        refuse(401, ZtnaDenyReason::kNone, "", true);
      }
      return;
    case ZtnaVerdict::kDeny:
      refuse(403, decision_.policy_index < 0 ? ZtnaDenyReason::kImplicitDeny : ZtnaDenyReason::kPolicyDeny, "",
             false);
      return;
    case ZtnaVerdict::kAllow:
      break;
  }
  if (known) {
    users_->touch(known, now_ms);
  } else if (!user.empty()) {
    UserLogin login{src_, user.data(), user.size(), decision_.policy_id, 0, UserAuthMethod::kBasic,
                    conf_->auth_timeout_s, conf_->idle_timeout};
    users_->login(login, now_ms);  // a full table only means the next request asks again
  }
  state_ = State::kForward;
}

void ZtnaConn::refuse(uint16_t code, ZtnaDenyReason why, const char* detail, bool challenge) {
  // A page a person can read: the status, what was refused and why.
  char body[640];
  int body_len = std::snprintf(body, sizeof body,
                               "<!DOCTYPE html>\n<html><head><title>%u %s</title></head>\n"
                               "<body><h1>%u %s</h1>\n<p>%s</p>\n%s%s%s<hr><p>ZTNA access proxy %s</p>"
                               "</body></html>\n",
                               code, reason_of(code), code, reason_of(code), page_text(why),
                               *detail ? "<p>" : "", detail, *detail ? "</p>\n" : "",
                               conf_->realm ? conf_->realm : "");
  if (body_len < 0) body_len = 0;
  if (static_cast<std::size_t>(body_len) >= sizeof body) body_len = sizeof body - 1;
  char challenge_line[128] = "";
  if (challenge) {
    std::snprintf(challenge_line, sizeof challenge_line, "WWW-Authenticate: Basic realm=\"%s\", charset=\"UTF-8\"\r\n",
                  conf_->realm ? conf_->realm : "ZTNA");
  } else if (code == 503) {
    std::snprintf(challenge_line, sizeof challenge_line, "Retry-After: 1\r\n");
  }
  char response[1024];
  int n = std::snprintf(response, sizeof response,
                        "HTTP/1.1 %u %s\r\n%sContent-Type: text/html; charset=utf-8\r\nContent-Length: %d\r\n"
                        "Connection: close\r\n\r\n%.*s",
                        code, reason_of(code), challenge_line, body_len, body_len, body);
  if (n > 0) {
    std::size_t len = static_cast<std::size_t>(n) < sizeof response ? static_cast<std::size_t>(n) : sizeof response - 1;
    tls_.write_plaintext(reinterpret_cast<const uint8_t*>(response), len);
  }
  tls_.shutdown();
  refused_with_ = code;
  deny_reason_ = why;
  copy_text(detail_, sizeof detail_, detail);
  state_ = State::kClosing;
}

}  // namespace tandem::dp
