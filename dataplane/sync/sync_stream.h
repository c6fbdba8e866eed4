// One worker's sync stream: the reliable, encrypted, batched channel that
// carries its session records to the peer's worker of the same index, and
// the receiving half that follows the peer's stream and acknowledges it.
// Pure: no EAL, no mbufs. The worker (sync_io.cc) feeds it records,
// received frames and the clock, and hands it an emit() that puts a frame
// on hbdev TX queue i+1; tests drive two streams over any lossy pipe.
//
// Sender: records go into an open frame; it is sealed (AES-256-GCM, key of
// this boot epoch, nonce = kind, stream, sequence) when full or flush_us
// after its first record, kept in a bounded resend queue and sent. The
// receiver acknowledges cumulatively; a gap or a timeout resends from the
// first unacknowledged frame (go-back-N). A full resend queue, an
// unresponsive or restarted receiver: the stream restarts with a RESET
// frame and the worker walks its table again (bulk) — records are never
// silently lost, they are replaced by a newer copy of the table.
//
// Receiver: frames of the followed epoch are taken strictly in sequence; a
// RESET starts a new generation (the worker marks what it holds as stale
// and drops whatever the following bulk walk does not refresh).
// Wire format and the state machine: docs/sync.md.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dataplane/sync/sync_records.h"
#include "dataplane/sync/sync_types.h"

typedef struct evp_cipher_ctx_st EVP_CIPHER_CTX;

namespace tandem::dp {

// Puts one whole Ethernet frame on the wire; false when it could not (TX
// ring full, link down): the stream keeps it and tries again later.
using SyncEmitFn = bool (*)(void* arg, const uint8_t* frame, size_t len);

// What a received frame brought, record by record, to the worker.
enum class SyncApplyEvent : uint8_t {
  kGeneration,  // a RESET: a new generation starts (no record)
  kFrame,       // a data frame's records, before they come one by one (body,
                // len: all of them, for sync_for_each_record; type unused)
  kRecord,      // one record (type, body, len)
};
using SyncApplyFn = void (*)(void* arg, SyncApplyEvent ev, SyncRecordType type,
                             const uint8_t* body, size_t len);

struct SyncStreamParams {
  unsigned stream;          // the worker index (frames carry it; hbdev queue stream+1)
  unsigned window;          // resend queue, in frames (power of two not needed)
  uint32_t rto_us;          // first retransmit timeout; doubles to rto_max_us without progress
  uint32_t rto_max_us;
  uint32_t ack_delay_us;    // an ack is owed at most this long
  unsigned ack_every;       // ... or after this many in-order frames
  SyncEmitFn emit;
  void* emit_arg;
};

inline constexpr unsigned kSyncDefaultWindow = 1024;
inline constexpr uint32_t kSyncDefaultRtoUs = 20000;
inline constexpr uint32_t kSyncDefaultRtoMaxUs = 200000;
inline constexpr uint32_t kSyncDefaultAckDelayUs = 200;
inline constexpr unsigned kSyncDefaultAckEvery = 8;

// One frame in the resend queue.
struct SyncSlot {
  uint64_t seq;
  uint64_t first_record_us;  // when its oldest record was appended (lag)
  uint64_t sent_us;          // last (re)transmission
  uint16_t len;
  uint16_t records;
  uint8_t frame[kSyncMaxFrame];
};

// Previous boots of the peer whose frames must never be followed again.
inline constexpr unsigned kSyncRetiredEpochs = 8;

struct SyncStream {
  SyncStreamParams params;
  SyncConf conf;  // copy of the snapshot's (keys, epoch, MAC, flush)
  // Keyed once (AES key schedule) and given only a nonce per frame: seal
  // with this boot's key, open with the followed peer's.
  EVP_CIPHER_CTX* seal_ctx;
  EVP_CIPHER_CTX* open_ctx;
  bool open_ctx_keyed;     // open_ctx holds conf.peer_key

  // Sender.
  SyncTxState tx_state;
  uint64_t tx_seq;        // next sequence to assign
  uint64_t tx_acked;      // every seq below is acknowledged
  uint64_t tx_send_next;  // next queued seq to (re)transmit
  uint64_t reset_seq;     // seq of the RESET frame of the current generation
  uint64_t ack_rx_epoch;  // the receiver's epoch and last ack counter we took
  uint64_t ack_rx_counter;
  uint64_t rto_due_us;    // when the oldest unacked frame is resent (0: not armed)
  uint32_t rto_us;
  uint64_t last_gap_rtx_us;
  uint64_t generation;    // bumped each time the receiver takes a RESET (bulk restarts)
  // Open frame being filled.
  uint8_t open[kSyncMaxPlain];
  size_t open_len;
  unsigned open_records;
  uint64_t open_since_us;
  uint64_t pending_records;  // in queued, unacked frames
  uint64_t pending_bytes;

  // Receiver.
  bool rx_following;
  uint64_t rx_epoch;      // sender boot we follow
  uint64_t rx_next;       // next in-order seq expected
  uint64_t retired[kSyncRetiredEpochs];
  unsigned nb_retired;
  bool rx_in_sync;
  uint64_t rx_generation;
  uint64_t ack_counter;   // our ack frames' sequence
  unsigned ack_owed;      // in-order frames since the last ack
  uint64_t ack_owed_since_us;
  uint8_t ack_flags_owed; // NEED_RESET / GAP to report
  uint64_t last_ack_tx_us;

  SyncStreamCounters counters;
  uint64_t lag_hist[kSyncLagBuckets];

  // The worker glue's (sync.cc), not the engine's; here so the worker
  // context stays the worker's. Session-ticket ring, stream 0 only: what
  // was last sent (version, generation), the receiver's assembly, and the
  // last complete ring for the control lcore, behind a sequence counter
  // (odd while the worker writes it; read with dataplane_sync_ticket_ring).
  uint64_t ring_sent_version;
  uint64_t ring_sent_generation;  // 0: not sent in any generation
  TicketRingAssembler ring_rx;
  uint32_t ring_out_seq;
  tls::TicketKeyRing ring_out;
  // The bulk walk's second part: the ZTNA user table, after the sessions.
  uint32_t bulk_user_cursor;
  bool bulk_users_done;
  // Its third, stream 0 only: the node's TLS 1.2 session cache (slot
  // cursor). tls_tx_entry numbers the entries this stream sends; tls_rx
  // collects the fragments of the one arriving.
  uint64_t bulk_tls_cursor;
  bool bulk_tls_done;
  uint32_t tls_tx_entry;
  TlsSessionAssembler tls_rx;

  SyncSlot* slots;  // params.window of them, after the struct
};

size_t sync_stream_memsize(unsigned window);
// Lays the stream out in mem (64-byte aligned, sync_stream_memsize bytes)
// and allocates its two cipher contexts (the only allocation: at init). Returns
// nullptr when OpenSSL cannot.
SyncStream* sync_stream_init(void* mem, const SyncStreamParams& params, const SyncConf& conf);
void sync_stream_fini(SyncStream* s);

// A new SyncConf (a snapshot). A change of sender role or keys restarts the
// sending half; the receiving half keeps following the peer.
void sync_stream_configure(SyncStream* s, const SyncConf& conf, uint64_t now_us);

// Sender: appends one record; false when the stream is not running (the
// record is covered by the bulk walk that follows the next RESET).
bool sync_tx_record(SyncStream* s, SyncRecordType type, const uint8_t* body, size_t len,
                    uint64_t now_us);
// Room for a bulk walk to add records without crowding live ones out.
bool sync_tx_bulk_room(const SyncStream* s);
// Timers: flush the open frame, (re)send, retransmit, probe, owed acks.
void sync_stream_poll(SyncStream* s, uint64_t now_us);
// Nothing waits on a microsecond timer (open records, owed acks): the
// worker may nap.
bool sync_idle(const SyncStream* s);

// Receiver (and the sender's ack input): one frame read from the hbdev.
enum class SyncRxResult : uint8_t {
  kData,         // in-order data, records applied
  kAck,          // an ack for our sending half
  kDuplicate,    // already had it (re-acked)
  kGap,          // ahead of rx_next: dropped, a resend asked for
  kNeedReset,    // a stream we do not follow: RESET asked for
  kBadAuth,      // wrong key (password?) or corrupted
  kMalformed,
  kReplay,       // a retired epoch or an old ack
  kUnknownEpoch, // not the boot the peer's heartbeats announce: no key for it
  kWrongGroup,
  kMisrouted,    // another stream's frame (steering)
  kNotSync,
};
SyncRxResult sync_rx_frame(SyncStream* s, const uint8_t* frame, size_t len, uint64_t now_us,
                           SyncApplyFn apply, void* apply_arg);

const char* sync_rx_result_name(SyncRxResult r);
const char* sync_tx_state_name(SyncTxState st);

void sync_stream_view(const SyncStream* s, uint64_t now_us, SyncStreamView* out);

// Key schedule, run by tandemd (control lcore) and tests, never by a
// worker: prk once per configuration, then the conf's keys whenever the
// local or the peer's boot epoch changes.
bool sync_conf_set_keys(SyncConf* conf, const uint8_t prk[kSyncKeyLen], uint64_t peer_epoch);
bool sync_derive_prk(const uint8_t* password, size_t password_len, uint16_t group_id,
                     uint8_t prk[kSyncKeyLen]);
bool sync_derive_epoch_key(const uint8_t prk[kSyncKeyLen], uint64_t epoch,
                           uint8_t key[kSyncKeyLen]);
// One end of a pair in one step, for what runs a pair without tandemd
// (tests, benches, fuzz seeds): pickup on, connectionless, no delay, the
// default flush, keys from `password` for both boot epochs. local_mac stays
// 0. False when OpenSSL cannot derive the keys. tandemd fills its conf from
// the configuration and keeps the PRK to re-key (node_sync.cc).
bool sync_conf_for_pair(SyncConf* out, bool sender, uint16_t group_id, const char* password,
                        uint64_t local_epoch, uint64_t peer_epoch);

}  // namespace tandem::dp
