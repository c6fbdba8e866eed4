#include "dataplane/sync/sync_stream.h"

#include <cstring>

#include <openssl/evp.h>

#include "dataplane/sync/hkdf.h"

namespace tandem::dp {
namespace {

constexpr size_t kAlign = 64;
constexpr const char kPrkSalt[] = "tandem-sync-v1";
constexpr const char kKeyInfo[] = "tandem-sync-key";
// Header offsets (after the 14-byte Ethernet header).
constexpr size_t kOffMagic = 14, kOffVersion = 16, kOffKind = 17, kOffStream = kSyncOffStream,
                 kOffFlags = 19, kOffGroup = 20, kOffEpoch = 24, kOffSeq = 32;
constexpr uint8_t kMagic0 = 'T', kMagic1 = 'S';
constexpr size_t kAckPlainLen = 8 + 8 + 1;  // acked epoch, rx_next, flags
constexpr unsigned kRtxBurst = 64;          // frames (re)sent per poll at most
constexpr uint64_t kGapRtxSpacingUs = 1000; // one go-back per millisecond at most
constexpr uint64_t kGapAckSpacingUs = 500;
// A receiver that follows nobody (just booted, or keys changed) asks for a
// RESET this often: an idle primary sends nothing that would prompt it.
constexpr uint64_t kNeedResetProbeUs = 100000;

size_t round_up(size_t n, size_t a) { return (n + a - 1) / a * a; }

void put16(uint8_t* p, uint16_t v) { p[0] = uint8_t(v >> 8); p[1] = uint8_t(v); }
void put64(uint8_t* p, uint64_t v) {
  for (int i = 7; i >= 0; --i, v >>= 8) p[i] = uint8_t(v);
}
uint16_t get16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
uint64_t get64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | p[i];
  return v;
}

SyncSlot& slot_of(SyncStream* s, uint64_t seq) { return s->slots[seq % s->params.window]; }

void nonce_of(SyncFrameKind kind, unsigned stream, uint64_t seq, uint8_t nonce[12]) {
  nonce[0] = uint8_t(kind);
  nonce[1] = uint8_t(stream);
  nonce[2] = nonce[3] = 0;
  put64(nonce + 4, seq);
}

// Writes the Ethernet + sync header; returns a pointer to the payload.
uint8_t* write_header(const SyncStream* s, uint8_t* f, SyncFrameKind kind, uint8_t flags,
                      uint64_t seq) {
  std::memset(f, 0xff, 6);  // point-to-point link: broadcast, as heartbeats
  std::memcpy(f + 6, s->conf.local_mac, 6);
  put16(f + 12, kSyncEtherType);
  f[kOffMagic] = kMagic0;
  f[kOffMagic + 1] = kMagic1;
  f[kOffVersion] = kSyncVersion;
  f[kOffKind] = uint8_t(kind);
  f[kOffStream] = uint8_t(s->params.stream);
  f[kOffFlags] = flags;
  put16(f + kOffGroup, s->conf.group_id);
  f[kOffGroup + 2] = f[kOffGroup + 3] = 0;
  put64(f + kOffEpoch, s->conf.local_epoch);
  put64(f + kOffSeq, seq);
  return f + kSyncHdrLen;
}

// Seals plain (len bytes) behind the header in f; the header is the AAD.
// seal_ctx already holds the key: only the nonce is set per frame.
bool seal(SyncStream* s, uint8_t* f, const uint8_t* plain, size_t len, SyncFrameKind kind,
          uint64_t seq) {
  uint8_t nonce[12];
  nonce_of(kind, s->params.stream, seq, nonce);
  int outl = 0, finl = 0;
  uint8_t* ct = f + kSyncHdrLen;
  EVP_CIPHER_CTX* c = s->seal_ctx;
  return EVP_EncryptInit_ex(c, nullptr, nullptr, nullptr, nonce) == 1 &&
         EVP_EncryptUpdate(c, nullptr, &outl, f + kSyncEthLen,
                           int(kSyncHdrLen - kSyncEthLen)) == 1 &&
         EVP_EncryptUpdate(c, ct, &outl, plain, int(len)) == 1 &&
         EVP_EncryptFinal_ex(c, ct + outl, &finl) == 1 &&
         EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, int(kSyncTagLen), ct + len) == 1;
}

// Opens a frame of the peer's current boot; the key schedule ran when the
// snapshot brought the key (sync_stream_configure).
bool open_frame(SyncStream* s, const uint8_t* f, size_t frame_len, uint8_t* plain,
                size_t* plain_len) {
  EVP_CIPHER_CTX* c = s->open_ctx;
  if (!s->open_ctx_keyed) return false;
  size_t len = frame_len - kSyncHdrLen - kSyncTagLen;
  uint8_t nonce[12];
  nonce_of(SyncFrameKind(f[kOffKind]), f[kOffStream], get64(f + kOffSeq), nonce);
  const uint8_t* ct = f + kSyncHdrLen;
  int outl = 0, finl = 0;
  bool ok = EVP_DecryptInit_ex(c, nullptr, nullptr, nullptr, nonce) == 1 &&
            EVP_DecryptUpdate(c, nullptr, &outl, f + kSyncEthLen,
                              int(kSyncHdrLen - kSyncEthLen)) == 1 &&
            EVP_DecryptUpdate(c, plain, &outl, ct, int(len)) == 1 &&
            EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, int(kSyncTagLen),
                                const_cast<uint8_t*>(ct + len)) == 1 &&
            EVP_DecryptFinal_ex(c, plain + outl, &finl) == 1;
  *plain_len = len;
  return ok;
}

unsigned lag_bucket(uint64_t us) {
  unsigned b = 0;
  while (us > 1 && b + 1 < kSyncLagBuckets) {
    us >>= 1;
    ++b;
  }
  return b;
}

uint64_t unacked(const SyncStream* s) { return s->tx_seq - s->tx_acked; }

// Seals the open frame into the resend queue. Caller checked the room.
void seal_open(SyncStream* s, uint8_t flags) {
  uint64_t seq = s->tx_seq;
  SyncSlot& slot = slot_of(s, seq);
  write_header(s, slot.frame, SyncFrameKind::kData, flags, seq);
  if (!seal(s, slot.frame, s->open, s->open_len, SyncFrameKind::kData, seq)) {
    // OpenSSL failing on a fixed-size AES-GCM seal means the library is
    // broken; the records are lost to this frame, so restart the stream.
    s->open_len = 0;
    s->open_records = 0;
    s->tx_state = SyncTxState::kProbing;
    return;
  }
  slot.seq = seq;
  slot.len = uint16_t(kSyncHdrLen + s->open_len + kSyncTagLen);
  slot.records = uint16_t(s->open_records);
  slot.first_record_us = s->open_since_us;
  slot.sent_us = 0;
  s->pending_records += s->open_records;
  s->pending_bytes += slot.len;
  s->counters.tx_records += s->open_records;
  ++s->tx_seq;
  s->open_len = 0;
  s->open_records = 0;
}

// RESET: drop whatever is queued (the coming bulk walk supersedes it) and
// send a frame that opens a new generation.
void start_reset(SyncStream* s, uint64_t now_us) {
  s->counters.tx_dropped_records += s->pending_records + s->open_records;
  s->pending_records = s->pending_bytes = 0;
  s->open_len = 0;
  s->open_records = 0;
  s->tx_acked = s->tx_seq;
  s->tx_send_next = s->tx_seq;
  s->tx_state = SyncTxState::kProbing;
  s->reset_seq = s->tx_seq;
  s->open_since_us = now_us;
  seal_open(s, kSyncFlagReset);
  s->rto_us = s->params.rto_us;
  s->rto_due_us = 0;
  ++s->counters.tx_resets;
}

// Sends queued frames from tx_send_next, at most kRtxBurst.
void pump(SyncStream* s, uint64_t now_us) {
  unsigned sent = 0;
  while (s->tx_send_next < s->tx_seq && sent < kRtxBurst) {
    SyncSlot& slot = slot_of(s, s->tx_send_next);
    if (!s->params.emit(s->params.emit_arg, slot.frame, slot.len)) {
      ++s->counters.tx_emit_fail;
      break;
    }
    if (slot.sent_us != 0) ++s->counters.tx_retransmits;
    else ++s->counters.tx_frames;
    s->counters.tx_bytes += slot.len;
    slot.sent_us = now_us;
    ++s->tx_send_next;
    ++sent;
  }
  if (s->tx_acked < s->tx_send_next && s->rto_due_us == 0) s->rto_due_us = now_us + s->rto_us;
}

void send_ack(SyncStream* s, uint64_t now_us) {
  uint8_t f[kSyncHdrLen + kAckPlainLen + kSyncTagLen];
  uint64_t counter = ++s->ack_counter;
  write_header(s, f, SyncFrameKind::kAck, 0, counter);
  uint8_t plain[kAckPlainLen];
  put64(plain, s->rx_following ? s->rx_epoch : 0);
  put64(plain + 8, s->rx_next);
  plain[16] = s->ack_flags_owed;
  if (!seal(s, f, plain, sizeof(plain), SyncFrameKind::kAck, counter)) return;
  if (!s->params.emit(s->params.emit_arg, f, sizeof(f))) return;  // owed still: next poll
  ++s->counters.acks_tx;
  s->ack_owed = 0;
  s->ack_flags_owed = 0;
  s->last_ack_tx_us = now_us;
}

void take_ack(SyncStream* s, uint64_t peer_epoch, uint64_t counter, const uint8_t* plain,
              uint64_t now_us) {
  uint64_t acked_epoch = get64(plain), rx_next = get64(plain + 8);
  uint8_t flags = plain[16];
  if (peer_epoch == s->ack_rx_epoch && counter <= s->ack_rx_counter) {
    ++s->counters.acks_stale;
    return;
  }
  s->ack_rx_epoch = peer_epoch;
  s->ack_rx_counter = counter;
  ++s->counters.acks_rx;
  if (s->tx_state == SyncTxState::kOff) return;
  if (acked_epoch != s->conf.local_epoch || (flags & kSyncAckNeedReset)) {
    // The receiver follows nobody, or a previous boot of ours: start over,
    // unless our RESET is already on its way (its timer re-sends it).
    if (s->tx_state == SyncTxState::kRunning) {
      start_reset(s, now_us);
      pump(s, now_us);
    }
    return;
  }
  if (rx_next > s->tx_seq || rx_next < s->tx_acked) {
    ++s->counters.acks_stale;  // not about the frames we have queued
    return;
  }
  if (s->tx_state == SyncTxState::kProbing) {
    if (rx_next <= s->reset_seq) return;  // the RESET is still not in
    s->tx_state = SyncTxState::kRunning;
    ++s->generation;
  }
  bool progress = rx_next > s->tx_acked;
  while (s->tx_acked < rx_next) {
    SyncSlot& slot = slot_of(s, s->tx_acked);
    s->pending_records -= slot.records;
    s->pending_bytes -= slot.len;
    if (slot.records != 0) ++s->lag_hist[lag_bucket(now_us - slot.first_record_us)];
    ++s->tx_acked;
  }
  if (s->tx_send_next < s->tx_acked) s->tx_send_next = s->tx_acked;
  if (progress) {
    s->rto_us = s->params.rto_us;
    s->rto_due_us = s->tx_acked < s->tx_send_next ? now_us + s->rto_us : 0;
  }
  if ((flags & kSyncAckGap) && s->tx_acked < s->tx_send_next &&
      now_us - s->last_gap_rtx_us >= kGapRtxSpacingUs) {
    s->last_gap_rtx_us = now_us;
    s->tx_send_next = s->tx_acked;  // go back N
    pump(s, now_us);
  }
}

bool retired(const SyncStream* s, uint64_t epoch) {
  unsigned n = s->nb_retired < kSyncRetiredEpochs ? s->nb_retired : kSyncRetiredEpochs;
  for (unsigned i = 0; i < n; ++i)
    if (s->retired[i] == epoch) return true;
  return false;
}

void apply_records(SyncStream* s, const uint8_t* p, size_t len, SyncApplyFn apply, void* arg) {
  apply(arg, SyncApplyEvent::kFrame, SyncRecordType(0), p, len);
  sync_for_each_record(p, len, [&](SyncRecordType type, const uint8_t* body, size_t body_len) {
    ++s->counters.rx_records;
    apply(arg, SyncApplyEvent::kRecord, type, body, body_len);
    if (type == SyncRecordType::kBulkEnd) s->rx_in_sync = true;
  });
}

// A data frame that authenticated. Taken only in sequence.
SyncRxResult take_data(SyncStream* s, uint64_t epoch, uint64_t seq, uint8_t flags,
                       const uint8_t* plain, size_t len, uint64_t now_us, SyncApplyFn apply,
                       void* arg) {
  bool reset = flags & kSyncFlagReset;
  if (reset && (epoch != s->rx_epoch || !s->rx_following || seq >= s->rx_next)) {
    if (s->rx_following && epoch != s->rx_epoch) {
      s->retired[s->nb_retired % kSyncRetiredEpochs] = s->rx_epoch;
      ++s->nb_retired;
    }
    s->rx_following = true;
    s->rx_epoch = epoch;
    s->rx_next = seq;
    s->rx_in_sync = false;
    ++s->rx_generation;
    ++s->counters.rx_resets;
    s->ack_flags_owed = 0;  // what we complained about is gone with the old stream
    apply(arg, SyncApplyEvent::kGeneration, SyncRecordType(0), nullptr, 0);
  }
  if (!s->rx_following || epoch != s->rx_epoch) {
    ++s->counters.rx_need_reset;
    s->ack_flags_owed |= kSyncAckNeedReset;
    if (now_us - s->last_ack_tx_us >= kGapAckSpacingUs) send_ack(s, now_us);
    return SyncRxResult::kNeedReset;
  }
  if (seq < s->rx_next) {
    ++s->counters.rx_dup;
    // Our ack may have been lost: say again where we are, but not per frame.
    if (now_us - s->last_ack_tx_us >= kGapAckSpacingUs) send_ack(s, now_us);
    return SyncRxResult::kDuplicate;
  }
  if (seq > s->rx_next) {
    ++s->counters.rx_gap;
    s->ack_flags_owed |= kSyncAckGap;
    if (now_us - s->last_ack_tx_us >= kGapAckSpacingUs) send_ack(s, now_us);
    return SyncRxResult::kGap;
  }
  ++s->counters.rx_frames;
  ++s->rx_next;
  s->ack_flags_owed &= uint8_t(~kSyncAckGap);
  if (s->ack_owed++ == 0) s->ack_owed_since_us = now_us;
  apply_records(s, plain, len, apply, arg);
  // A RESET is answered at once: the sender holds its live records until then.
  if (reset || s->ack_owed >= s->params.ack_every) send_ack(s, now_us);
  return SyncRxResult::kData;
}

}  // namespace

bool sync_derive_prk(const uint8_t* password, size_t password_len, uint16_t group_id,
                     uint8_t prk[kSyncKeyLen]) {
  uint8_t salt[sizeof(kPrkSalt) - 1 + 2];
  std::memcpy(salt, kPrkSalt, sizeof(kPrkSalt) - 1);
  put16(salt + sizeof(kPrkSalt) - 1, group_id);
  return hkdf_sha256_extract(password, password_len, salt, sizeof(salt), prk, kSyncKeyLen);
}

bool sync_conf_set_keys(SyncConf* conf, const uint8_t prk[kSyncKeyLen], uint64_t peer_epoch) {
  conf->peer_epoch = peer_epoch;
  std::memset(conf->peer_key, 0, kSyncKeyLen);
  if (!sync_derive_epoch_key(prk, conf->local_epoch, conf->tx_key)) return false;
  return peer_epoch == 0 || sync_derive_epoch_key(prk, peer_epoch, conf->peer_key);
}

bool sync_conf_for_pair(SyncConf* out, bool sender, uint16_t group_id, const char* password,
                        uint64_t local_epoch, uint64_t peer_epoch) {
  SyncConf c{};
  c.enabled = true;
  c.sender = sender;
  c.connectionless = true;
  c.group_id = group_id;
  c.flush_us = kSyncDefaultFlushUs;
  c.local_epoch = local_epoch;
  uint8_t prk[kSyncKeyLen];
  if (!sync_derive_prk(reinterpret_cast<const uint8_t*>(password), std::strlen(password), group_id,
                       prk) ||
      !sync_conf_set_keys(&c, prk, peer_epoch))
    return false;
  *out = c;
  return true;
}

bool sync_derive_epoch_key(const uint8_t prk[kSyncKeyLen], uint64_t epoch,
                           uint8_t key[kSyncKeyLen]) {
  uint8_t info[sizeof(kKeyInfo) - 1 + 8];
  std::memcpy(info, kKeyInfo, sizeof(kKeyInfo) - 1);
  put64(info + sizeof(kKeyInfo) - 1, epoch);
  return hkdf_sha256_expand(prk, kSyncKeyLen, info, sizeof(info), key, kSyncKeyLen);
}

size_t sync_stream_memsize(unsigned window) {
  return round_up(sizeof(SyncStream), kAlign) + size_t{window} * sizeof(SyncSlot);
}

SyncStream* sync_stream_init(void* mem, const SyncStreamParams& params, const SyncConf& conf) {
  if (params.window < 2 || params.emit == nullptr) return nullptr;
  std::memset(mem, 0, sizeof(SyncStream));
  auto* s = static_cast<SyncStream*>(mem);
  s->params = params;
  s->slots = reinterpret_cast<SyncSlot*>(static_cast<uint8_t*>(mem) +
                                         round_up(sizeof(SyncStream), kAlign));
  s->seal_ctx = EVP_CIPHER_CTX_new();
  s->open_ctx = EVP_CIPHER_CTX_new();
  if (s->seal_ctx == nullptr || s->open_ctx == nullptr) {
    sync_stream_fini(s);
    return nullptr;
  }
  s->tx_seq = s->tx_acked = s->tx_send_next = 1;
  s->rto_us = params.rto_us;
  s->tx_state = SyncTxState::kOff;
  sync_stream_configure(s, conf, 0);
  return s;
}

void sync_stream_fini(SyncStream* s) {
  if (s == nullptr) return;
  EVP_CIPHER_CTX_free(s->seal_ctx);
  EVP_CIPHER_CTX_free(s->open_ctx);
  s->seal_ctx = s->open_ctx = nullptr;
}

void sync_stream_configure(SyncStream* s, const SyncConf& conf, uint64_t now_us) {
  bool rekey = conf.local_epoch != s->conf.local_epoch ||
               std::memcmp(conf.tx_key, s->conf.tx_key, kSyncKeyLen) != 0 ||
               conf.group_id != s->conf.group_id;
  bool peer_rekey = rekey || conf.peer_epoch != s->conf.peer_epoch ||
                    std::memcmp(conf.peer_key, s->conf.peer_key, kSyncKeyLen) != 0;
  bool was_sender = s->conf.enabled && s->conf.sender;
  s->conf = conf;
  if (rekey) {
    if (EVP_EncryptInit_ex(s->seal_ctx, EVP_aes_256_gcm(), nullptr, conf.tx_key, nullptr) != 1)
      s->conf.enabled = false;
    s->rx_following = false;  // a new password or boot: start over with the peer
    s->rx_in_sync = false;
  }
  if (peer_rekey || !s->open_ctx_keyed) {
    // The peer's new boot sends a RESET first (it starts a generation);
    // our receive state follows it there, so only the key changes here.
    s->open_ctx_keyed =
        conf.peer_epoch != 0 &&
        EVP_DecryptInit_ex(s->open_ctx, EVP_aes_256_gcm(), nullptr, conf.peer_key, nullptr) == 1;
  }
  if (!conf.enabled) s->rx_in_sync = false;
  bool sender = s->conf.enabled && conf.sender;
  if (!sender) {
    if (s->tx_state != SyncTxState::kOff) {
      s->counters.tx_dropped_records += s->pending_records + s->open_records;
      s->pending_records = s->pending_bytes = 0;
      s->open_len = 0;
      s->open_records = 0;
      s->tx_acked = s->tx_send_next = s->tx_seq;
      s->rto_due_us = 0;
    }
    s->tx_state = SyncTxState::kOff;
  } else if (!was_sender || rekey || s->tx_state == SyncTxState::kOff) {
    start_reset(s, now_us);
    pump(s, now_us);
  }
}

bool sync_tx_record(SyncStream* s, SyncRecordType type, const uint8_t* body, size_t len,
                    uint64_t now_us) {
  if (s->tx_state != SyncTxState::kRunning || len > 255) {
    if (s->tx_state != SyncTxState::kOff) ++s->counters.tx_dropped_records;
    return false;
  }
  if (s->open_len + 2 + len > kSyncMaxPlain) {
    if (unacked(s) >= s->params.window) {
      // The receiver has fallen a window behind (or is gone): queueing more
      // would lose records silently. Start over; the bulk walk covers them.
      ++s->counters.tx_overflows;
      start_reset(s, now_us);
      pump(s, now_us);
      ++s->counters.tx_dropped_records;
      return false;
    }
    seal_open(s, 0);
    pump(s, now_us);
    if (s->tx_state != SyncTxState::kRunning) return false;
  }
  if (s->open_len == 0) s->open_since_us = now_us;
  s->open[s->open_len] = uint8_t(type);
  s->open[s->open_len + 1] = uint8_t(len);
  std::memcpy(s->open + s->open_len + 2, body, len);
  s->open_len += 2 + len;
  ++s->open_records;
  return true;
}

bool sync_tx_bulk_room(const SyncStream* s) {
  return s->tx_state == SyncTxState::kRunning && unacked(s) < s->params.window / 2;
}

void sync_stream_poll(SyncStream* s, uint64_t now_us) {
  if (s->tx_state == SyncTxState::kRunning && s->open_records > 0 &&
      now_us - s->open_since_us >= s->conf.flush_us) {
    if (unacked(s) >= s->params.window) {
      ++s->counters.tx_overflows;
      start_reset(s, now_us);
    } else {
      seal_open(s, 0);
    }
  }
  if (s->tx_state != SyncTxState::kOff) {
    if (s->rto_due_us != 0 && now_us >= s->rto_due_us && s->tx_acked < s->tx_seq) {
      // Nothing acknowledged for an RTO: go back to the first unacked frame
      // and back off (a dead or restarting peer is not flooded).
      s->tx_send_next = s->tx_acked;
      s->rto_us = s->rto_us * 2 > s->params.rto_max_us ? s->params.rto_max_us : s->rto_us * 2;
      s->rto_due_us = 0;
    }
    pump(s, now_us);
  }
  if (s->conf.enabled && !s->rx_following && s->tx_state == SyncTxState::kOff &&
      now_us - s->last_ack_tx_us >= kNeedResetProbeUs) {
    s->ack_flags_owed |= kSyncAckNeedReset;
    send_ack(s, now_us);
  }
  if (s->ack_owed > 0 && now_us - s->ack_owed_since_us >= s->params.ack_delay_us)
    send_ack(s, now_us);
  else if (s->ack_flags_owed != 0 && now_us - s->last_ack_tx_us >= kGapAckSpacingUs)
    send_ack(s, now_us);
}

bool sync_idle(const SyncStream* s) {
  // Unacked frames do not count: their timer is milliseconds, a nap is less.
  return s->open_records == 0 && s->ack_owed == 0 && s->ack_flags_owed == 0;
}

SyncRxResult sync_rx_frame(SyncStream* s, const uint8_t* f, size_t len, uint64_t now_us,
                           SyncApplyFn apply, void* apply_arg) {
  if (len < kSyncEthLen + 2 || get16(f + 12) != kSyncEtherType) return SyncRxResult::kNotSync;
  if (len < kSyncHdrLen + kSyncTagLen || len > kSyncMaxFrame || f[kOffMagic] != kMagic0 ||
      f[kOffMagic + 1] != kMagic1 || f[kOffVersion] != kSyncVersion) {
    ++s->counters.rx_malformed;
    return SyncRxResult::kMalformed;
  }
  auto kind = SyncFrameKind(f[kOffKind]);
  if ((kind != SyncFrameKind::kData && kind != SyncFrameKind::kAck) ||
      (kind == SyncFrameKind::kAck && len != kSyncHdrLen + kAckPlainLen + kSyncTagLen)) {
    ++s->counters.rx_malformed;
    return SyncRxResult::kMalformed;
  }
  if (get16(f + kOffGroup) != s->conf.group_id) {
    ++s->counters.rx_wrong_group;
    return SyncRxResult::kWrongGroup;
  }
  if (f[kOffStream] != s->params.stream) {
    ++s->counters.rx_misrouted;
    return SyncRxResult::kMisrouted;
  }
  if (!s->conf.enabled) return SyncRxResult::kNotSync;
  uint64_t epoch = get64(f + kOffEpoch), seq = get64(f + kOffSeq);
  if (epoch == s->conf.local_epoch || retired(s, epoch)) {
    ++s->counters.rx_replay;  // our own frames looped back, or a previous boot of the peer
    return SyncRxResult::kReplay;
  }
  // Only the boot the peer's heartbeats announce has a key here; a frame
  // of any other epoch costs a compare, never a key schedule (a restarted
  // peer's first frames wait for its first heartbeat: a resend or two).
  if (epoch != s->conf.peer_epoch || !s->open_ctx_keyed) {
    ++s->counters.rx_unknown_epoch;
    return SyncRxResult::kUnknownEpoch;
  }
  uint8_t plain[kSyncMaxPlain];
  size_t plain_len = 0;
  if (!open_frame(s, f, len, plain, &plain_len)) {
    ++s->counters.rx_bad_auth;
    return SyncRxResult::kBadAuth;
  }
  if (kind == SyncFrameKind::kAck) {
    if (epoch == s->ack_rx_epoch && seq <= s->ack_rx_counter) {
      ++s->counters.rx_replay;
      return SyncRxResult::kReplay;
    }
    take_ack(s, epoch, seq, plain, now_us);
    return SyncRxResult::kAck;
  }
  return take_data(s, epoch, seq, f[kOffFlags], plain, plain_len, now_us, apply, apply_arg);
}

void sync_stream_view(const SyncStream* s, uint64_t now_us, SyncStreamView* out) {
  std::memset(out, 0, sizeof(*out));
  out->stream = s->params.stream;
  out->tx_state = s->tx_state;
  out->tx_seq_next = s->tx_seq;
  out->tx_acked = s->tx_acked;
  out->pending_frames = s->tx_seq - s->tx_acked;
  out->pending_records = s->pending_records + s->open_records;
  out->pending_bytes = s->pending_bytes + s->open_len;
  uint64_t oldest = 0;
  if (s->tx_acked < s->tx_seq) {
    for (uint64_t q = s->tx_acked; q < s->tx_seq; ++q) {
      const SyncSlot& slot = s->slots[q % s->params.window];
      if (slot.records != 0) {
        oldest = slot.first_record_us;
        break;
      }
    }
  }
  if (oldest == 0 && s->open_records > 0) oldest = s->open_since_us;
  out->lag_us = oldest != 0 && now_us > oldest ? now_us - oldest : 0;
  out->rx_epoch = s->rx_following ? s->rx_epoch : 0;
  out->rx_next = s->rx_next;
  out->rx_in_sync = s->rx_in_sync;
  out->rx_generation = s->rx_generation;
  out->counters = s->counters;
  std::memcpy(out->lag_hist, s->lag_hist, sizeof(out->lag_hist));
}

const char* sync_rx_result_name(SyncRxResult r) {
  switch (r) {
    case SyncRxResult::kData: return "data";
    case SyncRxResult::kAck: return "ack";
    case SyncRxResult::kDuplicate: return "duplicate";
    case SyncRxResult::kGap: return "gap";
    case SyncRxResult::kNeedReset: return "need-reset";
    case SyncRxResult::kBadAuth: return "bad-auth";
    case SyncRxResult::kMalformed: return "malformed";
    case SyncRxResult::kReplay: return "replay";
    case SyncRxResult::kUnknownEpoch: return "unknown-epoch";
    case SyncRxResult::kWrongGroup: return "wrong-group";
    case SyncRxResult::kMisrouted: return "misrouted";
    case SyncRxResult::kNotSync: return "not-sync";
  }
  return "?";
}

const char* sync_tx_state_name(SyncTxState st) {
  switch (st) {
    case SyncTxState::kOff: return "off";
    case SyncTxState::kProbing: return "probing";
    case SyncTxState::kRunning: return "running";
  }
  return "?";
}

}  // namespace tandem::dp
