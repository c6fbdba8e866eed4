// The ZTNA proxy's TLS server side on OpenSSL 3.0: one ServerContext (an
// SSL_CTX) per worker and access proxy, built at config time, and one Conn
// per client connection driven over memory BIOs, so the worker's TCP stack
// moves ciphertext and the proxy sees plaintext. A context asks for and
// verifies client certificates against the configured CAs and CRLs as
// client-cert / empty-cert-action say, offers TLS 1.2 and 1.3, and issues
// session tickets from a TicketKeyRing the HA pair shares. TLS 1.2
// clients that take no ticket resume by session id through the node's
// shared SessionCache (session_cache.h), which the pair replicates.
//
// Built per worker because OpenSSL 3.0 takes locks on a shared SSL_CTX.
// OpenSSL allocates inside SSL_new, the handshake and the BIOs; that is
// the one allocation on the worker after init, which this library cannot
// avoid (docs/ztna.md). Conn objects themselves come from a fixed pool.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dataplane/tls/tls_types.h"
#include "dataplane/tls/verify_cache.h"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;
typedef struct ssl_session_st SSL_SESSION;
typedef struct bio_st BIO;

namespace tandem::dp::tls {

class ServerContext {
 public:
  ServerContext() = default;
  ~ServerContext();
  ServerContext(const ServerContext&) = delete;
  ServerContext& operator=(const ServerContext&) = delete;

  // Loads the files and configures verification, tickets and the
  // session-id cache (config.session_cache). ring must outlive the
  // context. On failure returns false and writes a message naming the
  // file or setting into error (error_size bytes, NUL-ended).
  bool init(const ServerConfig& config, const TicketKeyRing* ring, char* error, std::size_t error_size);
  SSL_CTX* native() const { return ctx_; }
  // The client-chain verification cache's counters (all zero without it).
  const VerifyCacheCounters& verify_cache_counters() const { return verify_cache_.counters(); }

 private:
  friend int cert_verify_cb(struct x509_store_ctx_st*, void*);
  friend SSL_SESSION* get_session_cb(SSL*, const unsigned char*, int, int*);
  friend void remove_session_cb(SSL_CTX*, SSL_SESSION*);
  friend int new_session_cb(SSL*, SSL_SESSION*);
  SSL_CTX* ctx_ = nullptr;
  // The session-id cache and the context's session id context (its key's
  // first half: OpenSSL does not hand the SSL's back to the get callback).
  SessionCache* cache_ = nullptr;
  unsigned char sid_ctx_[kSessionIdCtxMax] = {};
  unsigned sid_ctx_len_ = 0;
  // Chains verified by this context (verify_cache.h), and the earliest
  // nextUpdate of its CRLs (wall-clock seconds, 0: none).
  VerifyCache verify_cache_;
  int64_t crl_next_update_s_ = 0;
};

// The proxy's TLS client side toward real servers (api-gateway `service
// https`): one SSL_CTX per worker, TLS 1.2 and 1.3, no client certificate.
// Without CA files the server's certificate is not verified (the link is
// encrypted, not authenticated); with them (realservers `verify-cert
// enable`, the gateway's `realserver-ca`, else the system's CA
// certificates) the chain must verify against them, and start_client()
// names what the certificate must be for.
class ClientContext {
 public:
  ClientContext() = default;
  ~ClientContext();
  ClientContext(const ClientContext&) = delete;
  ClientContext& operator=(const ClientContext&) = delete;

  // ca_files: PEM files (ca_count of them, 0 for no verification). On
  // failure false and a message naming the file in error.
  bool init(const char* const* ca_files, std::size_t ca_count, char* error, std::size_t error_size);
  // Verifying against the system's CA certificates: OpenSSL's default
  // bundle file and hashed directory (/usr/lib/ssl/cert.pem and certs/ on
  // Debian, the ca-certificates package; SSL_CERT_FILE and SSL_CERT_DIR
  // override them). False, naming both, when neither exists or the file
  // does not load.
  bool init_system_trust(char* error, std::size_t error_size);
  bool verifies() const { return verify_; }
  SSL_CTX* native() const { return ctx_; }

 private:
  // A fresh context, verifying the peer or not, before its CAs are loaded.
  bool start(bool verify, char* error, std::size_t error_size);

  SSL_CTX* ctx_ = nullptr;
  bool verify_ = false;
};

// Adds a fresh random key to ring and makes it current (the oldest key
// drops out once the ring is full) and bumps its version. False only when
// the RNG fails.
bool ticket_ring_rotate(TicketKeyRing* ring);
// Same keys in the same slots, same current and version.
bool ticket_ring_equal(const TicketKeyRing& a, const TicketKeyRing& b);

class Conn {
 public:
  enum class State : uint8_t {
    kIdle,         // not attached to a context
    kHandshaking,  // ClientHello .. Finished
    kEstablished,  // application data flows
    kClosed,       // close_notify received or sent
    kFailed,       // handshake or record error; the connection must be reset
  };

  Conn() = default;
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  // Attaches to ctx for a new accepted connection.
  bool start(const ServerContext& ctx);
  // Attaches to ctx for a connection the proxy opened to a real server;
  // sni (NUL-terminated, or nullptr for none) goes in the ClientHello.
  // When ctx verifies, the certificate must name the sni, or the address
  // ip_text (dotted quad) when there is no sni. The first read_plaintext()
  // writes the ClientHello.
  bool start_client(const ClientContext& ctx, const char* sni, const char* ip_text = nullptr);
  void release();

  // Ciphertext from TCP. Returns the bytes taken (all, unless OpenSSL's
  // BIO refuses to grow).
  std::size_t push_ciphertext(const uint8_t* data, std::size_t len);
  // Advances the handshake or decrypts: up to cap plaintext bytes into
  // out; returns how many (0 when nothing is ready yet). Check state().
  std::size_t read_plaintext(uint8_t* out, std::size_t cap);
  // Encrypts application data (after the handshake); returns bytes taken.
  std::size_t write_plaintext(const uint8_t* data, std::size_t len);
  // Sends close_notify.
  void shutdown();
  // Ciphertext for TCP: bytes waiting, and up to cap of them copied out.
  std::size_t pending_ciphertext() const;
  std::size_t pull_ciphertext(uint8_t* out, std::size_t cap);

  State state() const { return state_; }
  // Valid once the handshake completed (kEstablished), or after a failed
  // client-certificate verification (status kFailed).
  const ClientCertResult& client_cert() const { return cert_; }
  // The SNI the client sent (empty when none); valid once established.
  std::string_view sni() const { return sni_; }
  bool resumed() const { return resumed_; }
  // The client's chain passed from the context's VerifyCache (a full
  // handshake that skipped X509_verify_cert).
  bool cert_cached() const { return cert_cached_; }
  // The handshake put a new TLS 1.2 session into the context's session-id
  // cache: the proxy replicates it to the HA peer.
  bool new_cache_entry() const { return new_cache_entry_; }
  // OpenSSL's reason for kFailed ("certificate verify failed", ...).
  const char* failure_reason() const { return failure_; }
  SSL* native() const { return ssl_; }

 private:
  friend int verify_callback(int, struct x509_store_ctx_st*);
  friend int cert_verify_cb(struct x509_store_ctx_st*, void*);
  friend int new_session_cb(SSL*, SSL_SESSION*);
  void on_established();
  void fail(unsigned long err);
  // A new SSL of `ctx` over two fresh memory BIOs (start, start_client);
  // false, with nothing held, when OpenSSL could not allocate them.
  bool attach(SSL_CTX* ctx);

  SSL* ssl_ = nullptr;
  BIO* in_ = nullptr;   // TCP -> OpenSSL
  BIO* out_ = nullptr;  // OpenSSL -> TCP
  State state_ = State::kIdle;
  bool resumed_ = false;
  bool cert_cached_ = false;
  bool new_cache_entry_ = false;
  ClientCertResult cert_;
  std::string_view sni_;
  const char* failure_ = "";
};

// A fixed pool of Conn objects, sized at init (the worker's TCP connection
// count), so accepting a connection never allocates a Conn.
class ConnPool {
 public:
  ConnPool() = default;
  ~ConnPool();
  ConnPool(const ConnPool&) = delete;
  ConnPool& operator=(const ConnPool&) = delete;

  bool init(std::size_t capacity);
  Conn* acquire();
  void put(Conn* conn);
  std::size_t available() const { return free_count_; }

 private:
  Conn* conns_ = nullptr;
  Conn** free_ = nullptr;
  std::size_t capacity_ = 0, free_count_ = 0;
};

// Device id and tags of a certificate (docs/ztna.md): subject CN and OUs.
// Exposed for tests; Conn fills ClientCertResult with it.
void extract_identity(const void* x509, DeviceIdentity* out);

}  // namespace tandem::dp::tls
