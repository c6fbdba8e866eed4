// Building a worker's SSL_CTX for one access proxy, and the session-ticket
// key callback over the shared TicketKeyRing.
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <cstdio>
#include <cstring>

#include "dataplane/tls/tls.h"

namespace tandem::dp::tls {
namespace {

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
// issued under the current key).
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
    return init_hmac(hctx, key) ? 1 : -1;
  }
  int slot = find_key(*ring, name);
  if (slot < 0) return 0;
  const TicketKey& key = ring->keys[slot];
  if (!init_hmac(hctx, key)) return -1;
  if (EVP_DecryptInit_ex(cctx, EVP_aes_256_cbc(), nullptr, key.aes_key, iv) != 1) return -1;
  return static_cast<unsigned>(slot) == ring->current ? 1 : 2;
}

bool load_crl(X509_STORE* store, const char* file) {
  FILE* f = std::fopen(file, "r");  // init time, not the fast path
  if (!f) return false;
  X509_CRL* crl = PEM_read_X509_CRL(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (!crl) return false;
  bool ok = X509_STORE_add_crl(store, crl) == 1;
  X509_CRL_free(crl);
  return ok;
}

}  // namespace

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
      SSL_CTX_set_session_id_context(ctx_, sid_hash, sid_len) != 1) {
    set_error(error, error_size, "cannot set the session id context", nullptr);
    return false;
  }

  if (config.client_cert) {
    X509_STORE* store = SSL_CTX_get_cert_store(ctx_);
    for (std::size_t i = 0; i < config.ca_count; ++i) {
      if (SSL_CTX_load_verify_file(ctx_, config.ca_files[i]) != 1) {
        set_error(error, error_size, "cannot load the CA certificate", config.ca_files[i]);
        return false;
      }
    }
    for (std::size_t i = 0; i < config.crl_count; ++i) {
      if (!load_crl(store, config.crl_files[i])) {
        set_error(error, error_size, "cannot load the CRL", config.crl_files[i]);
        return false;
      }
    }
    // CRLs are checked for the leaf only: the configured CAs are the roots
    // an operator imported, and their own revocation is the operator's.
    if (config.crl_count > 0) X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
    int mode = SSL_VERIFY_PEER | (config.empty_cert_accept ? 0 : SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
    SSL_CTX_set_verify(ctx_, mode, nullptr);
  } else {
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
  }

  if (ring) {
    SSL_CTX_set_app_data(ctx_, const_cast<TicketKeyRing*>(ring));
    SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx_, ticket_key_cb);
  } else {
    SSL_CTX_set_options(ctx_, SSL_OP_NO_TICKET);
  }
  SSL_CTX_set_timeout(ctx_, kTicketLifetimeS);
  // No server-side session cache: tickets carry the state, so either node
  // of the pair can resume; a TLS 1.2 client that offers no ticket makes a
  // full handshake (docs/ztna.md, "Session tickets and failover").
  SSL_CTX_set_session_cache_mode(ctx_, SSL_SESS_CACHE_OFF);
  ERR_clear_error();
  return true;
}

}  // namespace tandem::dp::tls
