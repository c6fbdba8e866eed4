// The record bodies of session pickup: one session as the peer needs it to
// continue the flow (key, TCP state, routing decision, policy, remaining
// TTL, coarse counters), a deletion, the end of a bulk walk, the user
// entries of the ZTNA user table, the session-ticket keys and the TLS 1.2
// session-cache entries (in fragments). Explicit little-endian layouts, so the
// wire does not depend on struct padding. Pure; fuzzed (tests/fuzz).
#pragma once

#include <cstddef>
#include <cstdint>

#include "dataplane/session/session_types.h"
#include "dataplane/sync/sync_types.h"
#include "dataplane/tls/tls_types.h"

namespace tandem::dp {

// What an upsert carries: the Session fields that matter to the peer.
struct SessionRecord {
  SessionKey key;
  uint8_t state;             // TcpState
  uint8_t flags;             // Session flags (orig-from-lo, FIN seen, log)
  uint8_t port[2];
  uint16_t policy_index;
  uint32_t policy_id;
  uint32_t next_hop_be[2];
  uint32_t timeout_s;        // TTL of the current state
  uint32_t expire_in_ms;     // remaining TTL on the sender when encoded
  uint32_t age_s;            // since the session was created
  uint64_t packets[2], bytes[2];
};

inline constexpr size_t kSessionRecordLen = 78;
inline constexpr size_t kSessionDeleteLen = 16;
inline constexpr size_t kBulkEndLen = 12;  // generation u64, sessions sent u32

void session_record_from(const Session& s, uint64_t now_ms, SessionRecord* out);
size_t session_record_encode(const SessionRecord& r, uint8_t* out);  // kSessionRecordLen
bool session_record_decode(const uint8_t* p, size_t len, SessionRecord* out);

// Upserts the record into a receiver's table: expiry a refresh margin past
// what the sender said (sync_inl.h), marked synced, stamped with the
// receiver's generation. False when the table is full.
struct SessionTable;
bool session_install_record(SessionTable* t, const SessionRecord& r, uint64_t now_ms,
                            uint32_t generation);
// A frame's records (its plaintext after the header), before they are
// installed one by one: the home entry, then the chain's first entry, of every
// session upsert and delete is fetched for the whole frame at once, as the
// worker's burst pipeline does for packets. ~18 upserts fill a frame, and
// each install starts with a lookup that would otherwise wait for two
// misses of its own (docs/sync.md, "The receiver's installs").
void session_prefetch_records(const SessionTable* t, const uint8_t* records, size_t len);

// The records of an opened frame (type u8, length u8, body), in order:
// fn(type, body, len) for each whole one. A record that overruns the frame
// ends the walk (the frame authenticated, so only a sender bug makes one).
template <typename Fn>
void sync_for_each_record(const uint8_t* p, size_t len, Fn&& fn) {
  for (size_t off = 0; off + 2 <= len;) {
    size_t body = p[off + 1];
    if (off + 2 + body > len) return;
    fn(SyncRecordType(p[off]), p + off + 2, body);
    off += 2 + body;
  }
}

size_t session_key_encode(const SessionKey& k, uint8_t* out);  // kSessionDeleteLen
bool session_key_decode(const uint8_t* p, size_t len, SessionKey* out);
// The key a session upsert or delete names (both bodies lead with it);
// false for any other record, or one of the wrong length.
bool session_record_key(SyncRecordType type, const uint8_t* body, size_t len, SessionKey* out);

// A ZTNA user entry (dataplane/user). The first 9 + name_len bytes are the
// original layout; the tail (kUserRecordTailLen bytes) carries what the
// peer needs to show `diagnose wad user list` and to apply the same policy
// after failover. A record without the tail still decodes (tail fields 0),
// so a node of the earlier format can feed a newer one.
inline constexpr size_t kUserNameMax = 64;
inline constexpr size_t kUserRecordTailLen = 4 + 4 + 4 + 4 + 1 + 1 + 1 + 1 + 4 * 8;
inline constexpr uint8_t kUserRecordIdleTimeout = 0x01;  // flags: the timeout restarts on traffic
struct UserRecord {
  uint32_t client_ip_be;
  uint32_t expire_in_s;
  uint8_t name_len;
  char name[kUserNameMax];
  // The tail.
  uint32_t policy_id;
  uint32_t group_id;
  uint32_t age_s;        // since login on the sender
  uint32_t timeout_s;    // auth-timeout of the entry
  uint8_t auth_type;     // UserAuthType
  uint8_t auth_method;   // UserAuthMethod
  uint8_t user_based;
  uint8_t flags;         // kUserRecordIdleTimeout; other bits must be 0
  uint64_t lan_bytes_in, lan_bytes_out, wan_bytes_in, wan_bytes_out;
};
size_t user_record_encode(const UserRecord& r, uint8_t* out, size_t cap);
bool user_record_decode(const uint8_t* p, size_t len, UserRecord* out);

// One slot of the session-ticket key ring (type 6). A ring does not fit
// one record (bodies are at most 255 bytes), so it travels as one record
// per valid slot, each naming the ring's version, its current slot and
// which slots are valid; the receiver has the ring once every valid slot
// of one version arrived. `format` leads so the layout can change.
inline constexpr uint8_t kTicketKeyRecordFormat = 1;
inline constexpr size_t kTicketKeyRecordLen = 1 + 8 + 1 + 1 + 1 + tls::kTicketKeyNameBytes +
                                              tls::kTicketAesKeyBytes + tls::kTicketHmacKeyBytes;
struct TicketKeyRecord {
  uint64_t ring_version;
  uint8_t slot;        // < kTicketRingSize
  uint8_t current;     // the ring's current slot (valid in valid_mask)
  uint8_t valid_mask;  // bit i: slot i holds a key
  tls::TicketKey key;
};
size_t ticket_key_record_encode(const TicketKeyRecord& r, uint8_t* out);  // kTicketKeyRecordLen
bool ticket_key_record_decode(const uint8_t* p, size_t len, TicketKeyRecord* out);
// The records of a ring, one per valid slot (at most kTicketRingSize);
// returns how many. 0 for a ring without a current key.
unsigned ticket_ring_records(const tls::TicketKeyRing& ring, TicketKeyRecord* out);

// Collects a ring's records on the receiver. A record of another version
// starts over; add() returns true (and fills *ring) when the last missing
// slot of the version arrived.
struct TicketRingAssembler {
  tls::TicketKeyRing ring;
  uint8_t valid_mask = 0;
  uint8_t have_mask = 0;
  bool add(const TicketKeyRecord& r, tls::TicketKeyRing* complete);
};

// A TLS 1.2 session-cache entry (type 7, dataplane/tls/session_cache.h).
// With its client certificate an entry is 1 to 2 KB and a record body at
// most 255 bytes, so the entry is laid out whole first (the "blob":
// format 1, session id context length and bytes, session id length and
// bytes, age s u32, timeout s u32, DER length u16, DER) and the blob goes
// in fragments of kTlsFragmentBytes, each a record: format 1, entry u32
// (the sender's number for this entry), index u8, count u8, blob length
// u16, then the bytes. The sender appends all fragments of an entry back
// to back on one stream, so the receiver's assembler holds one entry.
inline constexpr uint8_t kTlsSessionFormat = 1;
inline constexpr size_t kTlsSessionFixedLen = 1 + 1 + 1 + 4 + 4 + 2;
inline constexpr size_t kTlsSessionBlobMax =
    kTlsSessionFixedLen + tls::kSessionIdCtxMax + tls::kSessionIdMax + tls::kSessionDerMax;
inline constexpr size_t kTlsFragmentHdrLen = 1 + 4 + 1 + 1 + 2;
inline constexpr size_t kTlsFragmentBytes = 255 - kTlsFragmentHdrLen;
inline constexpr size_t kTlsFragmentsMax = (kTlsSessionBlobMax + kTlsFragmentBytes - 1) / kTlsFragmentBytes;
static_assert(kTlsFragmentsMax <= 255, "the fragment count is one byte");

// The blob of e into out (cap bytes); its length, 0 when e is out of
// range (lengths) or cap too small.
size_t tls_session_entry_encode(const tls::SessionCacheEntry& e, uint8_t* out, size_t cap);
// False for another format, a length out of range or not matching len,
// no session id, no DER or a zero timeout.
bool tls_session_entry_decode(const uint8_t* p, size_t len, tls::SessionCacheEntry* out);

struct TlsSessionFragment {
  uint32_t entry;
  uint8_t index, count;
  uint16_t total;        // blob length
  const uint8_t* bytes;  // into the decoded body
  size_t len;
};
// How many fragments a blob of total bytes takes (0 for none or too long).
unsigned tls_session_fragment_count(size_t total);
// Fragment `index` of blob (total bytes) into out (at most 255 bytes);
// its length, 0 when index is past the last fragment.
size_t tls_session_fragment_encode(uint32_t entry, const uint8_t* blob, size_t total, unsigned index, uint8_t* out);
// False unless the format is known, the blob length possible, the count
// the one that length takes, the index below it and the bytes exactly
// those of that fragment.
bool tls_session_fragment_decode(const uint8_t* p, size_t len, TlsSessionFragment* out);

// Collects one entry's fragments on the receiver: they must come in order,
// 0 first, all of one entry. Anything else drops the assembly in progress
// (counted in dropped), as does a fragment more than kTlsAssemblyTimeoutMs
// after the entry's first (a stalled stream; the bulk walk after its
// restart sends the entry again). A fragment 0 starts over.
inline constexpr uint64_t kTlsAssemblyTimeoutMs = 5000;
struct TlsSessionAssembler {
  uint8_t blob[kTlsSessionBlobMax];
  uint32_t entry = 0;
  uint16_t total = 0;
  uint8_t count = 0, next = 0;
  bool active = false;
  uint64_t started_ms = 0;
  uint64_t dropped = 0;
  // True when f completed the entry: blob[0, total) holds it.
  bool add(const TlsSessionFragment& f, uint64_t now_ms);
  // A new generation: what is in progress is dropped (not counted).
  void reset() { active = false; }
};

// A TLS 1.2 session-cache entry OpenSSL invalidated on the sender (type 8):
// format 1, session id context length and bytes, session id length and
// bytes; one record.
inline constexpr size_t kTlsSessionKeyMax = 1 + 1 + tls::kSessionIdCtxMax + 1 + tls::kSessionIdMax;
// Its length, 0 when a length is out of range or cap too small.
size_t tls_session_key_encode(const tls::SessionCacheKey& k, uint8_t* out, size_t cap);
// False for another format, a length out of range or not matching len, or
// no session id. Key bytes past the lengths are zero.
bool tls_session_key_decode(const uint8_t* p, size_t len, tls::SessionCacheKey* out);

}  // namespace tandem::dp
