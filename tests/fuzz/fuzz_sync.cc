// libFuzzer target for session pickup's receiving side
// (dataplane/sync/sync_stream.cc sync_rx_frame and the record decoders of
// sync_records.cc). A fresh receiver stream (fixed password, group 7,
// stream 0) per input, so a crash reproduces from its input alone. The
// first input byte picks what the rest is:
//   0: a whole received frame;
//   1: [kind][flags][seq u64] + sealed part: a valid header of the peer's
//      epoch is put in front, so the AES-GCM open runs on fuzzed bytes
//      (the seeds' sealed parts are real: they authenticate);
//   2: [which] + a record body for session_record_decode (0),
//      session_key_decode (1), user_record_decode (2),
//      ticket_key_record_decode (3), tls_session_fragment_decode (4),
//      a TLS session-cache entry blob for tls_session_entry_decode (5) or
//      tls_session_key_decode (6);
//      whatever decodes must encode back to the same bytes;
//   3: [flags][seq u64] + plaintext records, sealed here with the peer's
//      real key: the in-order logic and every record decoder behind the
//      tag get coverage, and the stream must accept the seal.
// Seeds: tests/fuzz/corpus/fuzz_sync/ (make_seeds.cc).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include <openssl/evp.h>

#include "dataplane/sync/sync_records.h"
#include "dataplane/sync/sync_stream.h"
#include "dataplane/sync/sync_types.h"

using namespace tandem::dp;

namespace {

constexpr char kPassword[] = "fuzz-sync-password";
constexpr uint16_t kGroup = 7;
constexpr uint64_t kLocalEpoch = 0x0102030405060708ull;
constexpr uint64_t kPeerEpoch = 0x1112131415161718ull;  // make_seeds.cc's sender
constexpr uint64_t kNowUs = 1'000'000;

bool drop_frame(void*, const uint8_t*, size_t) { return true; }

void put64(uint8_t* p, uint64_t v) {
  for (int i = 7; i >= 0; --i, v >>= 8) p[i] = static_cast<uint8_t>(v);
}
uint64_t get64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | p[i];
  return v;
}

SyncConf receiver_conf() {
  SyncConf c;
  if (!sync_conf_for_pair(&c, false, kGroup, kPassword, kLocalEpoch, kPeerEpoch)) std::abort();
  return c;
}

// Every record the stream hands over goes through its decoder, as
// sync.cc's apply() would.
void apply(void*, SyncApplyEvent ev, SyncRecordType type, const uint8_t* body, size_t len) {
  if (ev == SyncApplyEvent::kFrame) {
    // The secondary's prefetch pass reads every session record's key first.
    sync_for_each_record(body, len, [](SyncRecordType t, const uint8_t* b, size_t n) {
      SessionKey key;
      if (n > 255 || (session_record_key(t, b, n, &key) && key.pad != 0)) std::abort();
    });
    return;
  }
  if (ev != SyncApplyEvent::kRecord) return;
  SessionRecord r;
  SessionKey k;
  UserRecord u;
  switch (type) {
    case SyncRecordType::kSessionUpsert:
      if (session_record_decode(body, len, &r) && r.state >= kNbTcpStates) std::abort();
      break;
    case SyncRecordType::kSessionDelete:
      if (session_key_decode(body, len, &k) && k.pad != 0) std::abort();
      break;
    case SyncRecordType::kUserAdd:
    case SyncRecordType::kUserDelete:
      if (user_record_decode(body, len, &u) && u.name_len > kUserNameMax) std::abort();
      break;
    case SyncRecordType::kTlsSession: {
      // Assembled and decoded as sync.cc does (the cache's install, which
      // needs OpenSSL's DER parser, is not part of this target): what
      // completes never exceeds the blob, and what decodes is in range.
      static TlsSessionAssembler assembler;
      static tls::SessionCacheEntry entry;
      TlsSessionFragment f;
      if (!tls_session_fragment_decode(body, len, &f)) {
        assembler.reset();
        break;
      }
      if (f.total > kTlsSessionBlobMax || f.len > kTlsFragmentBytes) std::abort();
      if (assembler.add(f, kNowUs / 1000) &&
          tls_session_entry_decode(assembler.blob, assembler.total, &entry) &&
          (entry.der_len > tls::kSessionDerMax || entry.id_len == 0 || entry.id_len > tls::kSessionIdMax ||
           entry.sid_ctx_len > tls::kSessionIdCtxMax))
        std::abort();
      break;
    }
    case SyncRecordType::kTlsSessionDelete: {
      tls::SessionCacheKey key;
      if (tls_session_key_decode(body, len, &key) &&
          (key.id_len == 0 || key.id_len > tls::kSessionIdMax || key.sid_ctx_len > tls::kSessionIdCtxMax))
        std::abort();
      break;
    }
    case SyncRecordType::kTicketKey: {
      // Assembled as sync.cc does: a completed ring must have its current
      // slot valid, or the ticket callback would encrypt with no key.
      static TicketRingAssembler assembler;
      TicketKeyRecord t;
      tls::TicketKeyRing ring;
      if (ticket_key_record_decode(body, len, &t) && assembler.add(t, &ring) &&
          (ring.current >= tls::kTicketRingSize || !ring.valid[ring.current]))
        std::abort();
      break;
    }
    default:
      break;
  }
}

// The header as docs of sync_stream.cc lay it out, written independently.
void write_header(uint8_t* f, uint8_t kind, uint8_t flags, uint64_t epoch, uint64_t seq) {
  std::memset(f, 0xff, 6);
  const uint8_t src[6] = {0x02, 0, 0, 0, 0, 0x0b};
  std::memcpy(f + 6, src, 6);
  f[12] = kSyncEtherType >> 8;
  f[13] = kSyncEtherType & 0xff;
  f[14] = 'T';
  f[15] = 'S';
  f[16] = kSyncVersion;
  f[17] = kind;
  f[18] = 0;  // stream
  f[19] = flags;
  f[20] = kGroup >> 8;
  f[21] = kGroup & 0xff;
  f[22] = f[23] = 0;
  put64(f + 24, epoch);
  put64(f + 32, seq);
}

bool seal(const uint8_t key[kSyncKeyLen], uint8_t* f, const uint8_t* plain, size_t len) {
  uint8_t nonce[12] = {f[17], f[18], 0, 0};
  std::memcpy(nonce + 4, f + 32, 8);
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  int outl = 0, finl = 0;
  bool ok = c != nullptr && EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), nullptr, key, nonce) == 1 &&
            EVP_EncryptUpdate(c, nullptr, &outl, f + kSyncEthLen,
                              static_cast<int>(kSyncHdrLen - kSyncEthLen)) == 1 &&
            (len == 0 || EVP_EncryptUpdate(c, f + kSyncHdrLen, &outl, plain,
                                           static_cast<int>(len)) == 1) &&
            EVP_EncryptFinal_ex(c, f + kSyncHdrLen + len, &finl) == 1 &&
            EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, static_cast<int>(kSyncTagLen),
                                f + kSyncHdrLen + len) == 1;
  EVP_CIPHER_CTX_free(c);
  return ok;
}

void round_trip(const uint8_t* p, size_t len, uint8_t which) {
  uint8_t out[256];
  switch (which % 7) {
    case 6: {
      tls::SessionCacheKey k;
      if (!tls_session_key_decode(p, len, &k)) return;
      if (tls_session_key_encode(k, out, sizeof out) != len || std::memcmp(out, p, len) != 0) std::abort();
      break;
    }
    case 4: {
      // A fragment re-encoded from a blob holding its bytes at its place.
      TlsSessionFragment f;
      if (!tls_session_fragment_decode(p, len, &f)) return;
      static uint8_t blob[kTlsSessionBlobMax];
      std::memcpy(blob + size_t{f.index} * kTlsFragmentBytes, f.bytes, f.len);
      if (tls_session_fragment_encode(f.entry, blob, f.total, f.index, out) != len || std::memcmp(out, p, len) != 0)
        std::abort();
      break;
    }
    case 5: {
      static tls::SessionCacheEntry e;
      static uint8_t blob[kTlsSessionBlobMax];
      if (!tls_session_entry_decode(p, len, &e)) return;
      if (tls_session_entry_encode(e, blob, sizeof blob) != len || std::memcmp(blob, p, len) != 0) std::abort();
      break;
    }
    case 0: {
      SessionRecord r;
      if (!session_record_decode(p, len, &r)) return;
      if (session_record_encode(r, out) != len || std::memcmp(out, p, len) != 0) std::abort();
      break;
    }
    case 1: {
      SessionKey k;
      if (!session_key_decode(p, len, &k)) return;
      if (session_key_encode(k, out) != len || std::memcmp(out, p, len) != 0) std::abort();
      break;
    }
    case 3: {
      TicketKeyRecord t;
      if (!ticket_key_record_decode(p, len, &t)) return;
      if (ticket_key_record_encode(t, out) != len || std::memcmp(out, p, len) != 0) std::abort();
      break;
    }
    default: {
      UserRecord u;
      if (!user_record_decode(p, len, &u)) return;
      // A record in the original layout (no tail) re-encodes with a zero
      // tail: its first len bytes must match.
      size_t want = size_t{9} + u.name_len + kUserRecordTailLen;
      if (user_record_encode(u, out, sizeof(out)) != want || std::memcmp(out, p, len) != 0)
        std::abort();
      break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const SyncConf conf = receiver_conf();
  const uint8_t* peer_key = conf.peer_key;
  static void* mem = std::aligned_alloc(64, (sync_stream_memsize(2) + 63) / 64 * 64);
  SyncStreamParams params{};
  params.stream = 0;
  params.window = 2;
  params.rto_us = kSyncDefaultRtoUs;
  params.rto_max_us = kSyncDefaultRtoMaxUs;
  params.ack_delay_us = kSyncDefaultAckDelayUs;
  params.ack_every = kSyncDefaultAckEvery;
  params.emit = drop_frame;
  SyncStream* rx = sync_stream_init(mem, params, conf);
  if (rx == nullptr) std::abort();

  uint8_t mode = data[0] % 4;
  const uint8_t* in = data + 1;
  size_t n = size - 1;
  static uint8_t frame[kSyncMaxFrame + 64];
  switch (mode) {
    case 0:
      sync_rx_frame(rx, in, n, kNowUs, apply, nullptr);
      break;
    case 1: {
      if (n < 10 || kSyncHdrLen + (n - 10) > sizeof(frame)) break;
      write_header(frame, in[0], in[1], kPeerEpoch, get64(in + 2));
      std::memcpy(frame + kSyncHdrLen, in + 10, n - 10);
      // Seeds carry the sealed part of real frames, so this authenticates
      // too, and mutations of it reach the tag check.
      sync_rx_frame(rx, frame, kSyncHdrLen + n - 10, kNowUs, apply, nullptr);
      break;
    }
    case 2:
      if (n >= 1) round_trip(in + 1, n - 1, in[0]);
      break;
    default: {
      if (n < 9 || n - 9 > kSyncMaxPlain) break;
      size_t plain = n - 9;
      write_header(frame, static_cast<uint8_t>(SyncFrameKind::kData), in[0], kPeerEpoch,
                   get64(in + 1));
      if (!seal(peer_key, frame, in + 9, plain)) std::abort();
      SyncRxResult r = sync_rx_frame(rx, frame, kSyncHdrLen + plain + kSyncTagLen, kNowUs, apply,
                                     nullptr);
      if (r != SyncRxResult::kData && r != SyncRxResult::kNeedReset) std::abort();
      // A RESET is followed at once, and a second copy is a duplicate
      // (short of the last sequence number, which no sender reaches).
      if ((in[0] & kSyncFlagReset) != 0 && get64(in + 1) != UINT64_MAX) {
        if (r != SyncRxResult::kData) std::abort();
        if (sync_rx_frame(rx, frame, kSyncHdrLen + plain + kSyncTagLen, kNowUs, apply,
                          nullptr) != SyncRxResult::kDuplicate)
          std::abort();
      }
      break;
    }
  }
  sync_stream_fini(rx);
  return 0;
}
