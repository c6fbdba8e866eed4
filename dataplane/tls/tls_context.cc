// Building a worker's SSL_CTX for one access proxy, the session-ticket
// key callback over the shared TicketKeyRing, the session-id cache
// callbacks over the node's shared SessionCache, and the client-chain
// verification through the context's VerifyCache.
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <cstdio>
#include <cstring>
#include <ctime>

#include "dataplane/tls/session_cache.h"
#include "dataplane/tls/tls.h"

namespace tandem::dp::tls {
namespace {

// Ex-data slots: the ServerContext of an SSL_CTX (the cache callbacks'
// way back to the cache and the context's session id context), and a mark
// on a TLS 1.2 session that got a ticket.
int context_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}
int ticket_mark_index() {
  static const int index = SSL_SESSION_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

void set_error(char* error, std::size_t size, const char* what, const char* file) {
  char reason[160] = "";
  unsigned long e = ERR_peek_last_error();
  if (e != 0) ERR_error_string_n(e, reason, sizeof reason);
  ERR_clear_error();
  std::snprintf(error, size, "%s %s%s%s", what, file ? file : "", reason[0] ? ": " : "", reason);
}

// Index of the key whose name is `name`, or -1.
int find_key(const TicketKeyRing& ring, const unsigned char* name) {
  for (unsigned i = 0; i < kTicketRingSize; ++i) {
    if (ring.valid[i] && std::memcmp(ring.keys[i].name, name, kTicketKeyNameBytes) == 0) return static_cast<int>(i);
  }
  return -1;
}

bool init_hmac(EVP_MAC_CTX* hctx, const TicketKey& key) {
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, const_cast<uint8_t*>(key.hmac_key), kTicketHmacKeyBytes),
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end(),
  };
  return EVP_MAC_CTX_set_params(hctx, params) == 1;
}

// OpenSSL's contract: on encrypt fill name and iv and return 1 (or 0: no
// ticket); on decrypt return 0 for an unknown key (full handshake), 1 for
// the current key, 2 for an older one (accepted, and a fresh ticket is
// issued under the current key). TLS 1.3 always gets 2: a client uses a
// ticket once (RFC 8446 C.4), and with 1 OpenSSL sends no new one after a
// resumption, so every second connection was a full handshake
// (bench/ztna found it).
int ticket_key_cb(SSL* ssl, unsigned char* name, unsigned char* iv, EVP_CIPHER_CTX* cctx, EVP_MAC_CTX* hctx,
                  int enc) {
  const auto* ring = static_cast<const TicketKeyRing*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
  if (!ring) return 0;
  if (enc) {
    if (!ring->valid[ring->current]) return 0;
    const TicketKey& key = ring->keys[ring->current];
    const int iv_len = EVP_CIPHER_get_iv_length(EVP_aes_256_cbc());
    if (RAND_bytes(iv, iv_len) != 1) return -1;
    std::memcpy(name, key.name, kTicketKeyNameBytes);
    if (EVP_EncryptInit_ex(cctx, EVP_aes_256_cbc(), nullptr, key.aes_key, iv) != 1) return -1;
    if (!init_hmac(hctx, key)) return -1;
    // A TLS 1.2 client that takes a ticket resumes with it, on either
    // node: its session need not go into the session-id cache.
    if (SSL_version(ssl) != TLS1_3_VERSION && SSL_get_session(ssl) != nullptr)
      SSL_SESSION_set_ex_data(SSL_get_session(ssl), ticket_mark_index(), const_cast<TicketKeyRing*>(ring));
    return 1;
  }
  int slot = find_key(*ring, name);
  if (slot < 0) return 0;
  const TicketKey& key = ring->keys[slot];
  if (!init_hmac(hctx, key)) return -1;
  if (EVP_DecryptInit_ex(cctx, EVP_aes_256_cbc(), nullptr, key.aes_key, iv) != 1) return -1;
  if (SSL_version(ssl) == TLS1_3_VERSION) return 2;
  return static_cast<unsigned>(slot) == ring->current ? 1 : 2;
}

// Seconds from now until t (negative once past); false when t is absent
// or unreadable.
bool seconds_until(const ASN1_TIME* t, int64_t* out) {
  int days = 0, secs = 0;
  if (t == nullptr || ASN1_TIME_diff(&days, &secs, nullptr, t) != 1) return false;
  *out = static_cast<int64_t>(days) * 86400 + secs;
  return true;
}

// Adds the CRL of file to store; *next_update_s (wall-clock seconds) is
// lowered to the CRL's nextUpdate when it has one.
bool load_crl(X509_STORE* store, const char* file, int64_t* next_update_s) {
  FILE* f = std::fopen(file, "r");  // init time, not the fast path
  if (!f) return false;
  X509_CRL* crl = PEM_read_X509_CRL(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (!crl) return false;
  int64_t left = 0;
  if (seconds_until(X509_CRL_get0_nextUpdate(crl), &left)) {
    int64_t at = static_cast<int64_t>(std::time(nullptr)) + left;
    if (*next_update_s == 0 || at < *next_update_s) *next_update_s = at;
  }
  bool ok = X509_STORE_add_crl(store, crl) == 1;
  X509_CRL_free(crl);
  return ok;
}

// The VerifyCache key of the chain the client sent: SHA-256 over the
// SHA-256 of each certificate, leaf first. False (not cached) for a chain
// longer than kMaxChain or a digest that failed.
constexpr int kMaxChain = 8;
bool chain_key(X509_STORE_CTX* store, uint8_t* key) {
  X509* leaf = X509_STORE_CTX_get0_cert(store);
  STACK_OF(X509)* sent = X509_STORE_CTX_get0_untrusted(store);
  if (leaf == nullptr) return false;
  uint8_t digests[kMaxChain][kChainKeyBytes];
  int n = 0;
  unsigned int len = 0;
  if (X509_digest(leaf, EVP_sha256(), digests[n++], &len) != 1 || len != kChainKeyBytes) return false;
  for (int i = 0; sent != nullptr && i < sk_X509_num(sent); ++i) {
    X509* x = sk_X509_value(sent, i);
    if (x == leaf) continue;
    if (n == kMaxChain || X509_digest(x, EVP_sha256(), digests[n++], &len) != 1 || len != kChainKeyBytes)
      return false;
  }
  return EVP_Digest(digests, static_cast<std::size_t>(n) * kChainKeyBytes, key, &len, EVP_sha256(), nullptr) == 1 &&
         len == kChainKeyBytes;
}

// When the chain's verdict stops holding: the first notAfter of the
// verified chain (the CA included), the CRLs' nextUpdate, and the TTL.
int64_t verdict_expiry(X509_STORE_CTX* store, int64_t now_s, int64_t crl_next_update_s) {
  int64_t until = now_s + kVerifyCacheTtlS;
  if (crl_next_update_s != 0 && crl_next_update_s < until) until = crl_next_update_s;
  STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(store);
  for (int i = 0; chain != nullptr && i < sk_X509_num(chain); ++i) {
    int64_t left = 0;
    if (!seconds_until(X509_get0_notAfter(sk_X509_value(chain, i)), &left)) return now_s;  // not kept
    if (now_s + left < until) until = now_s + left;
  }
  return until;
}

}  // namespace

// OpenSSL calls these three on the worker running the handshake
// (SSL_SESS_CACHE_NO_INTERNAL: it keeps no cache of its own). new: a
// full handshake's session, stored when it is TLS 1.2 without a ticket;
// the return of 0 says OpenSSL keeps its reference (the cache holds DER).
int new_session_cb(SSL* ssl, SSL_SESSION* session) {
  const auto* ctx = static_cast<const ServerContext*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), context_index()));
  if (ctx == nullptr || ctx->cache_ == nullptr) return 0;
  if (SSL_SESSION_get_ex_data(session, ticket_mark_index()) != nullptr) return 0;
  if (ctx->cache_->store(session, SessionCache::now_s())) {
    if (auto* conn = static_cast<Conn*>(SSL_get_app_data(ssl))) conn->new_cache_entry_ = true;
  }
  return 0;
}

// A client offered a session id (and no usable ticket). *copy = 0: the
// session returned is a fresh one OpenSSL now owns.
SSL_SESSION* get_session_cb(SSL* ssl, const unsigned char* id, int id_len, int* copy) {
  *copy = 0;
  const auto* ctx = static_cast<const ServerContext*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), context_index()));
  if (ctx == nullptr || ctx->cache_ == nullptr || id_len <= 0) return nullptr;
  return ctx->cache_->fetch(ctx->sid_ctx_, ctx->sid_ctx_len_, id, static_cast<std::size_t>(id_len),
                            SessionCache::now_s());
}

// OpenSSL invalidates a session (a fatal alert on its connection, a
// session found expired).
void remove_session_cb(SSL_CTX* sctx, SSL_SESSION* session) {
  const auto* ctx = static_cast<const ServerContext*>(SSL_CTX_get_ex_data(sctx, context_index()));
  if (ctx == nullptr || ctx->cache_ == nullptr) return;
  unsigned int id_len = 0, ctx_len = 0;
  const unsigned char* id = SSL_SESSION_get_id(session, &id_len);
  const unsigned char* sid_ctx = SSL_SESSION_get0_id_context(session, &ctx_len);
  ctx->cache_->remove(sid_ctx, ctx_len, id, id_len);
}

// OpenSSL's whole chain verification (SSL_CTX_set_cert_verify_callback):
// a chain this context verified before, still inside its verdict's
// expiry, passes without X509_verify_cert; any other goes through it, and
// is remembered when it passed. Refusals are never cached, so a revoked
// or foreign certificate is checked (and logged) every time.
int cert_verify_cb(X509_STORE_CTX* store, void* arg) {
  auto* ctx = static_cast<ServerContext*>(arg);
  uint8_t key[kChainKeyBytes];
  const bool keyed = ctx->verify_cache_.ready() && chain_key(store, key);
  const auto now = static_cast<int64_t>(std::time(nullptr));
  if (keyed && ctx->verify_cache_.hit(key, now)) {
    X509_STORE_CTX_set_error(store, X509_V_OK);
    auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
    if (auto* conn = ssl ? static_cast<Conn*>(SSL_get_app_data(ssl)) : nullptr) conn->cert_cached_ = true;
    return 1;
  }
  int ok = X509_verify_cert(store);
  if (ok == 1 && keyed && X509_STORE_CTX_get_error(store) == X509_V_OK)
    ctx->verify_cache_.store(key, now, verdict_expiry(store, now, ctx->crl_next_update_s_));
  return ok;
}

bool ticket_ring_rotate(TicketKeyRing* ring) {
  unsigned next = ring->valid[ring->current] ? (ring->current + 1) % kTicketRingSize : ring->current;
  TicketKey key;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&key), sizeof key) != 1) return false;
  ring->keys[next] = key;
  ring->valid[next] = true;
  ring->current = next;
  ++ring->version;
  return true;
}

bool ticket_ring_equal(const TicketKeyRing& a, const TicketKeyRing& b) {
  if (a.current != b.current || a.version != b.version) return false;
  for (unsigned i = 0; i < kTicketRingSize; ++i) {
    if (a.valid[i] != b.valid[i]) return false;
    if (a.valid[i] && std::memcmp(&a.keys[i], &b.keys[i], sizeof(TicketKey)) != 0) return false;
  }
  return true;
}

ServerContext::~ServerContext() { SSL_CTX_free(ctx_); }

bool ServerContext::init(const ServerConfig& config, const TicketKeyRing* ring, char* error, std::size_t error_size) {
  SSL_CTX_free(ctx_);
  ctx_ = SSL_CTX_new(TLS_server_method());
  if (!ctx_) {
    set_error(error, error_size, "cannot create an SSL_CTX", nullptr);
    return false;
  }
  SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(ctx_, TLS1_3_VERSION);
  // Renegotiation would let a client swap certificates mid-connection.
  SSL_CTX_set_options(ctx_, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_use_certificate_chain_file(ctx_, config.certificate_file) != 1) {
    set_error(error, error_size, "cannot load the certificate", config.certificate_file);
    return false;
  }
  if (SSL_CTX_use_PrivateKey_file(ctx_, config.private_key_file, SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx_) != 1) {
    set_error(error, error_size, "cannot load the private key (or it does not match the certificate)",
              config.private_key_file);
    return false;
  }
  // The context id is SHA-256 of the configured text: any length fits the
  // 32 bytes OpenSSL keeps, and proxies with different names never accept
  // each other's sessions even though they share the ticket keys.
  const char* sid = config.session_id_context ? config.session_id_context : "";
  unsigned char sid_hash[EVP_MAX_MD_SIZE];
  unsigned int sid_len = 0;
  if (EVP_Digest(sid, std::strlen(sid), sid_hash, &sid_len, EVP_sha256(), nullptr) != 1 ||
      SSL_CTX_set_session_id_context(ctx_, sid_hash, sid_len) != 1 || sid_len > sizeof sid_ctx_) {
    set_error(error, error_size, "cannot set the session id context", nullptr);
    return false;
  }
  std::memcpy(sid_ctx_, sid_hash, sid_len);
  sid_ctx_len_ = sid_len;

  if (config.client_cert) {
    X509_STORE* store = SSL_CTX_get_cert_store(ctx_);
    crl_next_update_s_ = 0;
    for (std::size_t i = 0; i < config.ca_count; ++i) {
      if (SSL_CTX_load_verify_file(ctx_, config.ca_files[i]) != 1) {
        set_error(error, error_size, "cannot load the CA certificate", config.ca_files[i]);
        return false;
      }
    }
    for (std::size_t i = 0; i < config.crl_count; ++i) {
      if (!load_crl(store, config.crl_files[i], &crl_next_update_s_)) {
        set_error(error, error_size, "cannot load the CRL", config.crl_files[i]);
        return false;
      }
    }
    // CRLs are checked for the leaf only: the configured CAs are the roots
    // an operator imported, and their own revocation is the operator's.
    if (config.crl_count > 0) X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
    int mode = SSL_VERIFY_PEER | (config.empty_cert_accept ? 0 : SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
    SSL_CTX_set_verify(ctx_, mode, nullptr);
    if (config.verify_cache) {
      if (!verify_cache_.init()) {
        set_error(error, error_size, "cannot allocate the certificate verification cache", nullptr);
        return false;
      }
      SSL_CTX_set_cert_verify_callback(ctx_, cert_verify_cb, this);
    }
  } else {
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
  }

  if (ring) {
    // One ticket per handshake, where OpenSSL sends two: with a client
    // certificate each ticket costs a re-encoding and a parse of the whole
    // session (0.15-0.2 ms, about a sixth of a full handshake), a client
    // uses a ticket once (RFC 8446 C.4), and every resumption hands it a
    // fresh one.
    SSL_CTX_set_num_tickets(ctx_, kTicketsPerHandshake);
    SSL_CTX_set_app_data(ctx_, const_cast<TicketKeyRing*>(ring));
    SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx_, ticket_key_cb);
  } else {
    SSL_CTX_set_options(ctx_, SSL_OP_NO_TICKET);
  }
  // Cached sessions live as long as tickets (the cache's lifetime is the
  // session timeout).
  SSL_CTX_set_timeout(ctx_, kTicketLifetimeS);
  // Session ids: tickets carry the state for TLS 1.3 and for TLS 1.2
  // clients that take one; a TLS 1.2 client without tickets resumes by
  // session id through the node's shared cache, which the HA pair
  // replicates (docs/ztna.md, "Session tickets and failover"). OpenSSL
  // keeps no cache of its own: one per SSL_CTX would be per worker.
  cache_ = config.session_cache;
  if (cache_ != nullptr) {
    if (SSL_CTX_set_ex_data(ctx_, context_index(), this) != 1) {
      set_error(error, error_size, "cannot attach the session cache", nullptr);
      return false;
    }
    // NO_AUTO_CLEAR: with no internal cache there is nothing for OpenSSL's
    // sweep every 255 handshakes to do; the shared cache expires its own.
    SSL_CTX_set_session_cache_mode(ctx_, SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_INTERNAL |
                                             SSL_SESS_CACHE_NO_AUTO_CLEAR);
    SSL_CTX_sess_set_new_cb(ctx_, new_session_cb);
    SSL_CTX_sess_set_get_cb(ctx_, get_session_cb);
    SSL_CTX_sess_set_remove_cb(ctx_, remove_session_cb);
  } else {
    SSL_CTX_set_session_cache_mode(ctx_, SSL_SESS_CACHE_OFF);
  }
  ERR_clear_error();
  return true;
}

}  // namespace tandem::dp::tls
