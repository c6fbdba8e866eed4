// One client connection's TLS over two memory BIOs, and the fixed pool
// Conn objects come from.
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <new>

#include "dataplane/tls/tls.h"

namespace tandem::dp::tls {

// Keeps the first verification error of the client's chain: OpenSSL does
// not attach a refused certificate to the session, so after a failed
// handshake this is the only record of why.
int verify_callback(int preverify_ok, X509_STORE_CTX* store) {
  if (preverify_ok) return 1;
  auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* conn = ssl ? static_cast<Conn*>(SSL_get_app_data(ssl)) : nullptr;
  if (conn && conn->cert_.status != ClientCertStatus::kFailed) {
    conn->cert_.status = ClientCertStatus::kFailed;
    conn->cert_.verify_error = X509_STORE_CTX_get_error(store);
  }
  return 0;
}

Conn::~Conn() { release(); }

bool Conn::attach(SSL_CTX* ctx) {
  release();
  if (ctx == nullptr) return false;
  ssl_ = SSL_new(ctx);
  in_ = BIO_new(BIO_s_mem());
  out_ = BIO_new(BIO_s_mem());
  if (!ssl_ || !in_ || !out_) {
    BIO_free(in_);
    BIO_free(out_);
    in_ = out_ = nullptr;
    release();
    return false;
  }
  // A drained memory BIO reports "retry", not EOF, so OpenSSL waits for
  // more ciphertext instead of failing the read.
  BIO_set_mem_eof_return(in_, -1);
  SSL_set_bio(ssl_, in_, out_);  // ssl_ owns both BIOs from here
  SSL_set_app_data(ssl_, this);
  return true;
}

bool Conn::start(const ServerContext& ctx) {
  if (!attach(ctx.native())) return false;
  SSL_set_verify(ssl_, SSL_get_verify_mode(ssl_), verify_callback);
  SSL_set_accept_state(ssl_);
  state_ = State::kHandshaking;
  return true;
}

void Conn::release() {
  // TLS 1.1 and later let a session resume after its connection ended
  // without close_notify (RFC 4346 7.2.1: a client's RST, the proxy's own
  // abort); OpenSSL still removes such a session from the cache in
  // SSL_free. A connection that failed sent or got a fatal alert, which
  // removed its session already.
  if (ssl_ != nullptr && state_ != State::kFailed) SSL_set_shutdown(ssl_, SSL_get_shutdown(ssl_) | SSL_SENT_SHUTDOWN);
  SSL_free(ssl_);
  ssl_ = nullptr;
  in_ = out_ = nullptr;
  state_ = State::kIdle;
  resumed_ = false;
  cert_cached_ = false;
  new_cache_entry_ = false;
  cert_ = ClientCertResult();
  sni_ = {};
  failure_ = "";
}

std::size_t Conn::push_ciphertext(const uint8_t* data, std::size_t len) {
  if (!in_ || len == 0) return 0;
  int n = BIO_write(in_, data, static_cast<int>(len));
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

void Conn::fail(unsigned long err) {
  state_ = State::kFailed;
  const char* reason = err ? ERR_reason_error_string(err) : nullptr;
  failure_ = reason ? reason : "TLS error";
  ERR_clear_error();
}

void Conn::on_established() {
  state_ = State::kEstablished;
  resumed_ = SSL_session_reused(ssl_) == 1;
  const char* sni = SSL_get_servername(ssl_, TLSEXT_NAMETYPE_host_name);
  sni_ = sni ? std::string_view(sni) : std::string_view();
  // On resumption the session carries the certificate verified by the
  // first handshake (possibly on the peer node, via a shared ticket key or
  // a replicated session-id cache entry), and its verify result with it.
  X509* peer = SSL_get0_peer_certificate(ssl_);
  if (!peer) {
    cert_.status = ClientCertStatus::kNone;
    return;
  }
  cert_.verify_error = SSL_get_verify_result(ssl_);
  cert_.status = cert_.verify_error == X509_V_OK ? ClientCertStatus::kVerified : ClientCertStatus::kFailed;
  if (cert_.status == ClientCertStatus::kVerified) extract_identity(peer, &cert_.identity);
}

std::size_t Conn::read_plaintext(uint8_t* out, std::size_t cap) {
  if (!ssl_ || state_ == State::kFailed || state_ == State::kClosed || state_ == State::kIdle) return 0;
  if (state_ == State::kHandshaking) {
    int r = SSL_do_handshake(ssl_);
    if (r != 1) {
      int e = SSL_get_error(ssl_, r);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return 0;
      fail(ERR_peek_last_error());
      return 0;
    }
    on_established();
  }
  if (cap == 0) return 0;
  std::size_t got = 0;
  int r = SSL_read_ex(ssl_, out, cap, &got);
  if (r == 1) return got;
  int e = SSL_get_error(ssl_, r);
  if (e == SSL_ERROR_ZERO_RETURN) {
    state_ = State::kClosed;
  } else if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
    fail(ERR_peek_last_error());
  }
  return 0;
}

std::size_t Conn::write_plaintext(const uint8_t* data, std::size_t len) {
  if (state_ != State::kEstablished || len == 0) return 0;
  std::size_t written = 0;
  if (SSL_write_ex(ssl_, data, len, &written) == 1) return written;
  int e = SSL_get_error(ssl_, 0);
  if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) fail(ERR_peek_last_error());
  return 0;
}

void Conn::shutdown() {
  if (state_ != State::kEstablished && state_ != State::kClosed) return;
  SSL_shutdown(ssl_);
  state_ = State::kClosed;
}

std::size_t Conn::pending_ciphertext() const { return out_ ? BIO_ctrl_pending(out_) : 0; }

std::size_t Conn::pull_ciphertext(uint8_t* out, std::size_t cap) {
  if (!out_ || cap == 0) return 0;
  int n = BIO_read(out_, out, static_cast<int>(cap));
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

ConnPool::~ConnPool() {
  delete[] conns_;
  delete[] free_;
}

bool ConnPool::init(std::size_t capacity) {
  delete[] conns_;
  delete[] free_;
  conns_ = new (std::nothrow) Conn[capacity];
  free_ = new (std::nothrow) Conn*[capacity];
  if (!conns_ || !free_) return false;
  capacity_ = free_count_ = capacity;
  for (std::size_t i = 0; i < capacity; ++i) free_[i] = &conns_[capacity - 1 - i];
  return true;
}

Conn* ConnPool::acquire() { return free_count_ ? free_[--free_count_] : nullptr; }

void ConnPool::put(Conn* conn) {
  conn->release();
  if (free_count_ < capacity_) free_[free_count_++] = conn;
}

}  // namespace tandem::dp::tls
