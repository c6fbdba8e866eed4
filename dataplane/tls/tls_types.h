// Plain types of the ZTNA TLS server (dataplane/tls/tls.h): what a context
// is built from, the session-ticket key ring, and what a finished handshake
// tells the proxy about its client. No OpenSSL types here, so the config
// glue and the user table can use them without OpenSSL headers.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tandem::dp::tls {

class SessionCache;

inline constexpr std::size_t kMaxCaFiles = 8;
inline constexpr std::size_t kMaxCrlFiles = 8;

// What an access proxy's TLS server needs (node_config's ZtnaAccessProxy,
// copied by the daemon). Paths are NUL-terminated C strings the caller
// keeps alive while the context is built.
struct ServerConfig {
  const char* certificate_file = nullptr;  // PEM chain, leaf first
  const char* private_key_file = nullptr;  // PEM, unencrypted
  const char* ca_files[kMaxCaFiles] = {};  // client-cert-ca
  std::size_t ca_count = 0;
  const char* crl_files[kMaxCrlFiles] = {};
  std::size_t crl_count = 0;
  bool client_cert = true;         // ask for and verify a client certificate
  bool empty_cert_accept = false;  // empty-cert-action accept
  // Distinguishes resumable sessions of different proxies (any length; the
  // context uses its SHA-256).
  const char* session_id_context = "tandem-ztna";
  // The process-wide TLS 1.2 session-id cache (session_cache.h) every
  // worker's context of every proxy shares; nullptr: no session-id
  // resumption (tickets only). Must outlive the context.
  SessionCache* session_cache = nullptr;
  // Remember client chains that verified (verify_cache.h); off verifies
  // every handshake's chain with OpenSSL.
  bool verify_cache = true;
};

// Session-ticket keys (RFC 5077 layout, as OpenSSL's callback uses them:
// a 16-byte name, an AES-256-CBC key and an HMAC-SHA256 key). Both HA nodes
// hold the same ring: the primary makes and rotates it, the sync stream
// carries it to the secondary (docs/sync.md, record type 6), so a ticket
// issued by one is accepted by the other after failover.
inline constexpr std::size_t kTicketKeyNameBytes = 16;
inline constexpr std::size_t kTicketAesKeyBytes = 32;
inline constexpr std::size_t kTicketHmacKeyBytes = 32;
inline constexpr std::size_t kTicketRingSize = 4;
// A new current key every hour (FortiOS keeps SSL session state 60 minutes
// by default, ssl-server-session-state-timeout); tickets live two hours
// (OpenSSL's default, set explicitly), and the ring keeps the three previous
// keys for decryption, so a ticket never outlives its key.
inline constexpr unsigned kTicketKeyRotateS = 3600;
inline constexpr unsigned kTicketLifetimeS = 7200;
// TLS 1.3 tickets sent after a handshake (OpenSSL's default is 2).
inline constexpr unsigned kTicketsPerHandshake = 1;
static_assert((kTicketRingSize - 1) * kTicketKeyRotateS >= kTicketLifetimeS,
              "a ticket must stay decryptable for its whole lifetime");

struct TicketKey {
  uint8_t name[kTicketKeyNameBytes];
  uint8_t aes_key[kTicketAesKeyBytes];
  uint8_t hmac_key[kTicketHmacKeyBytes];
};

// Keys in slots; `current` encrypts new tickets, every valid slot decrypts.
// Rotation writes a new key into a free or the oldest slot, then moves
// current; it must happen on the worker that owns the ring (or by swapping
// a whole new ring in), never under a running callback.
struct TicketKeyRing {
  TicketKey keys[kTicketRingSize];
  bool valid[kTicketRingSize] = {};
  unsigned current = 0;
  // Bumped by every rotation; travels with the ring so the secondary can
  // tell a new ring from a resent one. 0: never rotated (no key).
  uint64_t version = 0;
};

// One TLS 1.2 session of the session-id cache as it travels to the HA
// peer (sync record type 7, docs/sync.md): the key (session id context,
// session id), how old the session is and how long it lives, and the
// session as i2d_SSL_SESSION DER (the client certificate included, so a
// resumption on the peer knows the device again). kSessionDerMax bounds
// what the cache keeps: a session with a client certificate is 1 to 2 KB.
inline constexpr std::size_t kSessionIdCtxMax = 32;  // SSL_MAX_SID_CTX_LENGTH
inline constexpr std::size_t kSessionIdMax = 32;     // SSL_MAX_SSL_SESSION_ID_LENGTH
inline constexpr std::size_t kSessionDerMax = 4096;
struct SessionCacheEntry {
  uint8_t sid_ctx_len;
  uint8_t sid_ctx[kSessionIdCtxMax];
  uint8_t id_len;
  uint8_t id[kSessionIdMax];
  uint32_t age_s;      // since the session was made (sender's clock)
  uint32_t timeout_s;  // its lifetime (SSL_CTX_set_timeout: kTicketLifetimeS)
  uint16_t der_len;
  uint8_t der[kSessionDerMax];
};

// The key of a session-id cache entry alone: what travels to the peer
// when OpenSSL invalidates the session (sync record type 8).
struct SessionCacheKey {
  uint8_t sid_ctx_len;
  uint8_t sid_ctx[kSessionIdCtxMax];
  uint8_t id_len;
  uint8_t id[kSessionIdMax];
};

// What `diagnose wad stats` shows of the cache (SessionCache::counters).
struct SessionCacheCounters {
  uint64_t entries, capacity;
  uint64_t stored;          // sessions this node's handshakes added
  uint64_t hits, misses;    // session-id lookups of resuming clients
  uint64_t expired;         // found or dropped past their lifetime
  uint64_t evictions;       // the oldest dropped to make room
  uint64_t removed;         // OpenSSL dropped them (a fatal alert on the connection)
  uint64_t too_big;         // not kept: DER over kSessionDerMax
  uint64_t replicated_out;  // entries sent to the peer (live and bulk)
  uint64_t replicated_in;   // entries from the peer installed
  uint64_t rejected_in;     // entries from the peer refused (bad DER, key mismatch, not TLS 1.2)
  uint64_t removals_out;    // removals sent to the peer
  uint64_t removed_in;      // entries the peer's removals dropped here
};

enum class ClientCertStatus : uint8_t {
  kNone,      // the client sent no certificate (empty-cert-action accept)
  kVerified,  // chains to a configured CA, not revoked, in validity
  kFailed,    // sent but refused; the handshake fails with it
};

// Device identity taken from a verified client certificate (docs/ztna.md):
// the device id is the subject CN, each subject OU is one tag.
inline constexpr std::size_t kMaxDeviceIdBytes = 64;
inline constexpr std::size_t kMaxTagBytes = 32;
inline constexpr std::size_t kMaxTags = 8;

struct DeviceIdentity {
  char device_id[kMaxDeviceIdBytes + 1] = {};
  char tags[kMaxTags][kMaxTagBytes + 1] = {};
  std::size_t tag_count = 0;
  bool truncated = false;  // a value or the tag list did not fit
};

struct ClientCertResult {
  ClientCertStatus status = ClientCertStatus::kNone;
  long verify_error = 0;  // X509_V_ERR_* when kFailed (0: X509_V_OK)
  DeviceIdentity identity;
};

}  // namespace tandem::dp::tls
