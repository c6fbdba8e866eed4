// Plain types of session pickup: the per-worker sync stream's wire
// constants, its configuration in the snapshot, the record layouts workers
// exchange, and the counters the control side reads for `diagnose sys ha
// sync`. No code here. Wire format and the reliability argument: docs/sync.md.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tandem::dp {

// IEEE 802 local experimental EtherType 2 (heartbeats use 0x88B5): a NIC
// that steers heartbeats to queue 0 by EtherType leaves these alone.
inline constexpr uint16_t kSyncEtherType = 0x88B6;
inline constexpr uint8_t kSyncVersion = 1;

// Ethernet (14) + sync header (26); AES-256-GCM tag at the end.
inline constexpr size_t kSyncEthLen = 14;
inline constexpr size_t kSyncHdrLen = 40;
inline constexpr size_t kSyncTagLen = 16;
inline constexpr size_t kSyncMaxFrame = 1514;  // fits any hbdev MTU of 1500
inline constexpr size_t kSyncMaxPlain = kSyncMaxFrame - kSyncHdrLen - kSyncTagLen;
inline constexpr size_t kSyncKeyLen = 32;
// The header byte naming the stream (= the sending worker's index): how a
// frame that landed on another queue finds the worker it belongs to.
inline constexpr size_t kSyncOffStream = 18;

enum class SyncFrameKind : uint8_t {
  kData = 1,  // records, sealed with the sender's epoch key, seq = stream sequence
  kAck = 2,   // receiver state, sealed with the receiver's epoch key, seq = ack counter
};

// Header flags.
inline constexpr uint8_t kSyncFlagReset = 0x01;  // data: a new generation starts at this seq

// Ack payload flags.
inline constexpr uint8_t kSyncAckNeedReset = 0x01;  // I do not follow your stream: start over
inline constexpr uint8_t kSyncAckGap = 0x02;        // a frame after rx_next arrived: resend from rx_next

// Records: [type u8][body length u8][body]. Unknown types are skipped by
// length, so a newer sender can add types an older receiver ignores.
enum class SyncRecordType : uint8_t {
  kSessionUpsert = 1,  // add or update one session
  kSessionDelete = 2,  // the session ended on the sender
  kBulkEnd = 3,        // the sender's table walk for this generation is complete
  kUserAdd = 4,        // a user entry (ZTNA user table)
  kUserDelete = 5,
  kTicketKey = 6,      // one slot of the primary's session-ticket key ring (stream 0)
  kTlsSession = 7,     // one fragment of a TLS 1.2 session-id cache entry
  kTlsSessionDelete = 8,  // a TLS 1.2 session-id cache entry OpenSSL invalidated (a fatal alert)
};

// Session-pickup settings as the workers read them (part of the snapshot).
struct SyncConf {
  bool enabled;             // `set session-pickup enable` in an a-p cluster with an hbdev
  bool sender;              // this node is the primary: its workers send their tables
  bool connectionless;      // UDP and ICMP sessions too
  bool delay;               // only sessions older than kSyncPickupDelayMs
  uint16_t group_id;
  uint32_t flush_us;        // a partly filled frame leaves after this long
  uint64_t local_epoch;     // this boot of the node (random, as in heartbeats)
  // Keys come from tandemd (sync_conf_set_keys), never derived on a worker:
  // HKDF allocates inside OpenSSL. The peer's boot epoch is the one its
  // last authenticated heartbeat carried; frames of any other epoch are
  // rejected without a key schedule.
  uint8_t tx_key[kSyncKeyLen];    // HKDF(password, group, local_epoch)
  uint64_t peer_epoch;            // 0: no heartbeat from the peer yet
  uint8_t peer_key[kSyncKeyLen];  // HKDF(password, group, peer_epoch)
  uint8_t local_mac[6];     // the hbdev's MAC, the source of sync frames
};

inline constexpr uint64_t kSyncPickupDelayMs = 30000;  // FortiOS session-pickup-delay
inline constexpr uint32_t kSyncDefaultFlushUs = 50;

// Sender state of one stream (docs/sync.md "Sender").
enum class SyncTxState : uint8_t {
  kOff,      // not the primary, or session pickup off: nothing is sent
  kProbing,  // a RESET frame is out; waiting for the receiver to take it
  kRunning,  // live records flow; a bulk walk may be in progress
};

// Per stream, written by its worker only.
struct SyncStreamCounters {
  // Sender.
  uint64_t tx_frames, tx_retransmits, tx_records, tx_bytes, tx_emit_fail;
  uint64_t tx_resets, tx_overflows, tx_dropped_records;  // records left to the next bulk walk
  uint64_t acks_rx, acks_bad, acks_stale;
  uint64_t bulk_started, bulk_done, bulk_records;
  // Receiver.
  uint64_t rx_frames, rx_records, rx_dup, rx_gap, rx_bad_auth, rx_malformed, rx_replay,
      rx_wrong_group, rx_misrouted, rx_resets, rx_need_reset, acks_tx;
  uint64_t rx_unknown_epoch;  // a boot no heartbeat announced (yet): no key
  uint64_t rx_install_full;  // an upsert found the table full
  uint64_t rx_users;         // user records received
  uint64_t tx_ticket_rings, rx_ticket_rings;  // whole session-ticket rings sent / assembled
  // TLS 1.2 session-cache entries: sent whole; assembled and installed;
  // assemblies dropped (a fragment out of order, bad or late); entries
  // assembled but refused by the cache or with no cache to go to.
  uint64_t tx_tls_sessions, rx_tls_sessions, rx_tls_dropped, rx_tls_rejected;
};

// Replication lag: log2 histogram of the time from a record's append to
// the cumulative ack that covers it, in microseconds (bucket i holds
// [2^i, 2^(i+1)) us; bucket 0 also holds 0).
inline constexpr unsigned kSyncLagBuckets = 24;

// A consistent-enough copy for the CLI (each field read atomically).
struct SyncStreamView {
  unsigned stream;
  SyncTxState tx_state;
  uint64_t tx_seq_next, tx_acked;   // next sequence to assign; everything below acked
  uint64_t pending_frames, pending_records, pending_bytes;
  uint64_t lag_us;                  // age of the oldest unacked record (0: none)
  uint64_t bulk_cursor, bulk_total; // table walk position / table capacity
  bool bulk_active;
  uint64_t rx_epoch, rx_next;       // peer's stream we follow
  bool rx_in_sync;                  // a bulk walk of the current generation completed
  uint64_t rx_generation;
  SyncStreamCounters counters;
  uint64_t lag_hist[kSyncLagBuckets];
};

}  // namespace tandem::dp
