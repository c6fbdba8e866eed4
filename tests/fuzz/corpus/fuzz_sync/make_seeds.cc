// Writes the fuzz_sync seed corpus into the folder given as argv[1]: frames
// a real sender stream (the peer epoch and password of tests/fuzz/fuzz_sync.cc)
// and a real receiver exchange, plus record bodies. Byte 0 of each seed is
// the fuzz_sync mode. Built with -Dfuzzing=true as make_sync_seeds:
//   build-fuzz/tests/fuzz/make_sync_seeds tests/fuzz/corpus/fuzz_sync
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "dataplane/sync/sync_records.h"
#include "dataplane/sync/sync_stream.h"

using namespace tandem::dp;

namespace {

constexpr char kPassword[] = "fuzz-sync-password";
constexpr uint16_t kGroup = 7;
constexpr uint64_t kPeerEpoch = 0x1112131415161718ull;  // the fuzzer's peer
constexpr uint64_t kOtherEpoch = 0x2122232425262728ull;  // a receiver that acks

using Frame = std::vector<uint8_t>;
std::vector<Frame> g_to_receiver, g_to_sender;

bool to_receiver(void*, const uint8_t* f, size_t n) {
  g_to_receiver.emplace_back(f, f + n);
  return true;
}
bool to_sender(void*, const uint8_t* f, size_t n) {
  g_to_sender.emplace_back(f, f + n);
  return true;
}
void ignore(void*, SyncApplyEvent, SyncRecordType, const uint8_t*, size_t) {}

SyncConf conf(bool sender, uint64_t epoch, uint64_t peer_epoch) {
  SyncConf c;
  if (!sync_conf_for_pair(&c, sender, kGroup, kPassword, epoch, peer_epoch)) std::abort();
  return c;
}

SyncStream* stream(bool sender, uint64_t epoch, uint64_t peer_epoch, SyncEmitFn emit) {
  SyncStreamParams p{};
  p.window = 8;
  p.rto_us = kSyncDefaultRtoUs;
  p.rto_max_us = kSyncDefaultRtoMaxUs;
  p.ack_delay_us = kSyncDefaultAckDelayUs;
  p.ack_every = 1;
  p.emit = emit;
  void* mem = std::aligned_alloc(64, (sync_stream_memsize(p.window) + 63) / 64 * 64);
  SyncStream* s = sync_stream_init(mem, p, conf(sender, epoch, peer_epoch));
  if (s == nullptr) std::abort();
  return s;
}

void write(const std::string& dir, const char* name, uint8_t mode, const uint8_t* p, size_t n) {
  std::string path = dir + "/" + name;
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) std::abort();
  std::fputc(mode, f);
  std::fwrite(p, 1, n, f);
  std::fclose(f);
}
void write(const std::string& dir, const char* name, uint8_t mode, const Frame& v) {
  write(dir, name, mode, v.data(), v.size());
}

SessionRecord sample() {
  SessionRecord r{};
  r.key.ip_lo_be = 0x1664010au;
  r.key.ip_hi_be = 0xd1c810acu;
  r.key.port_lo = 80;
  r.key.port_hi = 40000;
  r.key.proto = 6;
  r.state = 1;
  r.flags = 0x02;
  r.port[0] = 1;
  r.policy_index = 1;
  r.policy_id = 7;
  r.next_hop_be[0] = 0xd1c810acu;
  r.next_hop_be[1] = 0x1664010au;
  r.timeout_s = 3600;
  r.expire_in_ms = 3'599'000;
  r.age_s = 1;
  r.packets[0] = 3;
  r.packets[1] = 2;
  r.bytes[0] = 180;
  r.bytes[1] = 120;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s SEED_DIR\n", argv[0]);
    return 2;
  }
  std::string dir = argv[1];
  uint8_t rec[kSessionRecordLen], key[kSessionDeleteLen], user[9 + kUserNameMax + kUserRecordTailLen];
  session_record_encode(sample(), rec);
  session_key_encode(sample().key, key);
  UserRecord u{};
  u.client_ip_be = 0x1664010au;
  u.expire_in_s = 28800;
  u.name_len = 5;
  std::memcpy(u.name, "alice", 5);
  size_t user_len = user_record_encode(u, user, sizeof(user));

  // A real exchange: RESET, its ack, then a frame of records.
  SyncStream* tx = stream(true, kPeerEpoch, kOtherEpoch, to_receiver);
  SyncStream* rx = stream(false, kOtherEpoch, kPeerEpoch, to_sender);
  uint64_t now = 1'000'000;
  Frame reset = g_to_receiver.at(0);
  sync_rx_frame(rx, reset.data(), reset.size(), now, ignore, nullptr);
  Frame ack = g_to_sender.at(0);
  sync_rx_frame(tx, ack.data(), ack.size(), now, ignore, nullptr);
  if (tx->tx_state != SyncTxState::kRunning) std::abort();
  sync_tx_record(tx, SyncRecordType::kSessionUpsert, rec, sizeof(rec), now);
  sync_tx_record(tx, SyncRecordType::kSessionDelete, key, sizeof(key), now);
  sync_tx_record(tx, SyncRecordType::kUserAdd, user, user_len, now);
  uint8_t bulk_end[kBulkEndLen] = {1};
  sync_tx_record(tx, SyncRecordType::kBulkEnd, bulk_end, sizeof(bulk_end), now);
  sync_stream_poll(tx, now + kSyncDefaultFlushUs);
  Frame data = g_to_receiver.back();
  if (data.size() <= reset.size()) std::abort();

  write(dir, "frame_reset", 0, reset);
  write(dir, "frame_data", 0, data);
  write(dir, "frame_ack", 0, ack);
  // Mode 1: [kind][flags][seq] from the header, then the real sealed part.
  for (const auto& [name, f] : {std::pair{"sealed_reset", reset}, std::pair{"sealed_data", data}}) {
    Frame m;
    m.push_back(f[17]);
    m.push_back(f[19]);
    m.insert(m.end(), f.begin() + 32, f.begin() + 40);
    m.insert(m.end(), f.begin() + kSyncHdrLen, f.end());
    write(dir, name, 1, m);
  }
  Frame body{0};
  body.insert(body.end(), rec, rec + sizeof(rec));
  write(dir, "record_session", 2, body);
  body = {1};
  body.insert(body.end(), key, key + sizeof(key));
  write(dir, "record_key", 2, body);
  body = {2};
  body.insert(body.end(), user, user + user_len);
  write(dir, "record_user", 2, body);
  // A session-ticket ring of two keys: one record per key.
  tls::TicketKeyRing ring;
  for (unsigned slot = 0; slot < 2; ++slot) {
    std::memset(&ring.keys[slot], 0x30 + slot, sizeof(tls::TicketKey));
    ring.valid[slot] = true;
  }
  ring.current = 1;
  ring.version = 9;
  TicketKeyRecord tk[tls::kTicketRingSize];
  unsigned nb_tk = ticket_ring_records(ring, tk);
  uint8_t tk_body[tls::kTicketRingSize][kTicketKeyRecordLen];
  for (unsigned i = 0; i < nb_tk; ++i) ticket_key_record_encode(tk[i], tk_body[i]);
  body = {3};
  body.insert(body.end(), tk_body[0], tk_body[0] + kTicketKeyRecordLen);
  write(dir, "record_ticket_key", 2, body);
  Frame ring_plain = {0, 0, 0, 0, 0, 0, 0, 0, 1};
  for (unsigned i = 0; i < nb_tk; ++i) {
    ring_plain.push_back(uint8_t(SyncRecordType::kTicketKey));
    ring_plain.push_back(kTicketKeyRecordLen);
    ring_plain.insert(ring_plain.end(), tk_body[i], tk_body[i] + kTicketKeyRecordLen);
  }
  write(dir, "plain_ticket_ring", 3, ring_plain);
  // A TLS session-cache entry (600 bytes of stand-in DER: the fuzzer only
  // decodes): its blob, one fragment, and all its fragments as records.
  static tls::SessionCacheEntry entry{};
  entry.sid_ctx_len = 32;
  std::memset(entry.sid_ctx, 0xc5, 32);
  entry.id_len = 32;
  std::memset(entry.id, 0x1d, 32);
  entry.age_s = 5;
  entry.timeout_s = tls::kTicketLifetimeS;
  entry.der_len = 600;
  for (unsigned i = 0; i < entry.der_len; ++i) entry.der[i] = static_cast<uint8_t>(i);
  static uint8_t blob[kTlsSessionBlobMax];
  size_t total = tls_session_entry_encode(entry, blob, sizeof blob);
  unsigned nb_frag = tls_session_fragment_count(total);
  if (total == 0 || nb_frag < 2) std::abort();
  body = {5};
  body.insert(body.end(), blob, blob + total);
  write(dir, "record_tls_entry", 2, body);
  Frame tls_plain = {kSyncFlagReset, 0, 0, 0, 0, 0, 0, 0, 1};  // a RESET frame: its records are applied
  for (unsigned i = 0; i < nb_frag; ++i) {
    uint8_t frag[255];
    size_t n = tls_session_fragment_encode(3, blob, total, i, frag);
    if (i == 0) {
      body = {4};
      body.insert(body.end(), frag, frag + n);
      write(dir, "record_tls_fragment", 2, body);
    }
    tls_plain.push_back(uint8_t(SyncRecordType::kTlsSession));
    tls_plain.push_back(static_cast<uint8_t>(n));
    tls_plain.insert(tls_plain.end(), frag, frag + n);
  }
  if (tls_plain.size() - 9 > kSyncMaxPlain) std::abort();
  write(dir, "plain_tls_session", 3, tls_plain);
  // The removal of that entry (type 8): the body, and as a sealed record.
  tls::SessionCacheKey removed{};
  removed.sid_ctx_len = entry.sid_ctx_len;
  std::memcpy(removed.sid_ctx, entry.sid_ctx, sizeof removed.sid_ctx);
  removed.id_len = entry.id_len;
  std::memcpy(removed.id, entry.id, sizeof removed.id);
  uint8_t key_body[kTlsSessionKeyMax];
  size_t key_len = tls_session_key_encode(removed, key_body, sizeof key_body);
  if (key_len == 0) std::abort();
  body = {6};
  body.insert(body.end(), key_body, key_body + key_len);
  write(dir, "record_tls_session_key", 2, body);
  Frame removal_plain = {0, 0, 0, 0, 0, 0, 0, 0, 2};
  removal_plain.push_back(uint8_t(SyncRecordType::kTlsSessionDelete));
  removal_plain.push_back(static_cast<uint8_t>(key_len));
  removal_plain.insert(removal_plain.end(), key_body, key_body + key_len);
  write(dir, "plain_tls_session_delete", 3, removal_plain);
  // Mode 3: [flags][seq] + records, sealed by the fuzzer.
  Frame plain = {kSyncFlagReset, 0, 0, 0, 0, 0, 0, 0, 1};
  plain.push_back(uint8_t(SyncRecordType::kSessionUpsert));
  plain.push_back(sizeof(rec));
  plain.insert(plain.end(), rec, rec + sizeof(rec));
  plain.push_back(uint8_t(SyncRecordType::kSessionDelete));
  plain.push_back(sizeof(key));
  plain.insert(plain.end(), key, key + sizeof(key));
  plain.push_back(uint8_t(SyncRecordType::kBulkEnd));
  plain.push_back(sizeof(bulk_end));
  plain.insert(plain.end(), bulk_end, bulk_end + sizeof(bulk_end));
  write(dir, "plain_reset_records", 3, plain);
  plain[0] = 0;
  write(dir, "plain_records", 3, plain);
  sync_stream_fini(tx);
  sync_stream_fini(rx);
  std::free(tx);
  std::free(rx);
  std::printf("wrote 17 seeds to %s\n", dir.c_str());
  return 0;
}
