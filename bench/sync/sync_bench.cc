// bench-sync: what one worker's sync stream can carry, without EAL or a
// link. A sender stream encodes session upserts, seals frames (AES-256-GCM)
// and keeps them for resend; a receiver stream opens them in order and
// installs every record into a real session table; acks flow back. Both
// run in this one thread, so records/s here is the pair's cost on one core
// (a worker does only its half). Baseline in the same run: raw AES-256-GCM
// seal throughput over the same frame size (OpenSSL EVP, as `openssl speed
// -evp aes-256-gcm` measures it), as records/s that sealing alone allows.
// Median and spread (min..max) of 5 runs. Target: >= 1 M records/s per worker.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <vector>

#include <openssl/evp.h>

#include "dataplane/session/session_inl.h"
#include "dataplane/session/session_table.h"
#include "dataplane/sync/sync_records.h"
#include "dataplane/sync/sync_stream.h"

namespace {

using namespace tandem::dp;

constexpr unsigned kRuns = 5;
constexpr uint32_t kRecordsPerRun = 2'000'000;
constexpr uint32_t kTableSize = 2'000'000;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

struct Wire {
  std::deque<std::vector<uint8_t>> frames;
};

bool emit(void* arg, const uint8_t* f, size_t len) {
  static_cast<Wire*>(arg)->frames.emplace_back(f, f + len);
  return true;
}

struct Receiver {
  SessionTable* table;
  SyncStream* stream;
  uint64_t installed = 0;
};

void apply(void* arg, SyncApplyEvent ev, SyncRecordType type, const uint8_t* body, size_t len) {
  auto* r = static_cast<Receiver*>(arg);
  if (ev == SyncApplyEvent::kFrame) session_prefetch_records(r->table, body, len);  // as sync.cc
  if (ev != SyncApplyEvent::kRecord || type != SyncRecordType::kSessionUpsert) return;
  SessionRecord rec;
  if (session_record_decode(body, len, &rec) &&
      session_install_record(r->table, rec, 1000, static_cast<uint32_t>(r->stream->rx_generation)))
    ++r->installed;
}

SyncConf conf(bool sender, uint64_t epoch, uint64_t peer_epoch) {
  SyncConf c;
  if (!sync_conf_for_pair(&c, sender, 7, "bench-password", epoch, peer_epoch)) std::abort();
  return c;
}

void* aligned(size_t n) {
  void* p = std::aligned_alloc(64, (n + 63) / 64 * 64);
  if (p == nullptr) std::abort();
  return p;
}

// One run: kRecordsPerRun upserts of distinct sessions through the pair.
double run_pair() {
  Wire to_rx, to_tx;
  SyncStreamParams pt{0, kSyncDefaultWindow, kSyncDefaultRtoUs, kSyncDefaultRtoMaxUs,
                      kSyncDefaultAckDelayUs, kSyncDefaultAckEvery, emit, &to_rx};
  SyncStreamParams pr = pt;
  pr.emit_arg = &to_tx;
  void* mt = aligned(sync_stream_memsize(pt.window));
  void* mr = aligned(sync_stream_memsize(pr.window));
  SyncStream* tx = sync_stream_init(mt, pt, conf(true, 0x1111, 0x2222));
  SyncStream* rx = sync_stream_init(mr, pr, conf(false, 0x2222, 0x1111));
  void* tmem = aligned(session_table_memsize(kTableSize));
  Receiver recv{session_table_init(tmem, kTableSize, 0, 0), rx};
  uint64_t now = 1'000'000;
  auto pump = [&]() {
    while (!to_rx.frames.empty() || !to_tx.frames.empty()) {
      while (!to_rx.frames.empty()) {
        auto& f = to_rx.frames.front();
        sync_rx_frame(rx, f.data(), f.size(), now, apply, &recv);
        to_rx.frames.pop_front();
      }
      while (!to_tx.frames.empty()) {
        auto& f = to_tx.frames.front();
        sync_rx_frame(tx, f.data(), f.size(), now, apply, &recv);
        to_tx.frames.pop_front();
      }
      sync_stream_poll(tx, now);
      sync_stream_poll(rx, now);
    }
  };
  // RESET handshake first, then time the records.
  for (int i = 0; i < 10 && tx->tx_state != SyncTxState::kRunning; ++i) {
    now += 1000;
    sync_stream_poll(tx, now);
    pump();
  }
  if (tx->tx_state != SyncTxState::kRunning) {
    std::fprintf(stderr, "bench-sync: the stream did not start\n");
    std::exit(1);
  }
  uint8_t body[kSessionRecordLen];
  SessionRecord r{};
  r.key.proto = 17;
  r.timeout_s = 180;
  r.expire_in_ms = 180000;
  auto t0 = std::chrono::steady_clock::now();
  for (uint32_t i = 0; i < kRecordsPerRun; ++i) {
    r.key.ip_lo_be = __builtin_bswap32(0x0a000000u | (i >> 8));
    r.key.ip_hi_be = __builtin_bswap32(0xac10c8d1u);
    r.key.port_lo = static_cast<uint16_t>(1024 + (i & 0xff));
    r.key.port_hi = 5201;
    session_record_encode(r, body);
    if (!sync_tx_record(tx, SyncRecordType::kSessionUpsert, body, sizeof(body), now)) {
      std::fprintf(stderr, "bench-sync: record %u refused (state %s)\n", i,
                   sync_tx_state_name(tx->tx_state));
      std::exit(1);
    }
    // A worker drains its queue once per loop; here once per 32 records.
    if ((i & 31) == 31) pump();
  }
  now += 1000;  // past flush_us: the last partial frame goes
  sync_stream_poll(tx, now);
  pump();
  double secs = seconds_since(t0);
  if (recv.installed != kRecordsPerRun || tx->tx_acked != tx->tx_seq) {
    std::fprintf(stderr, "bench-sync: installed %llu of %u records, %llu frames unacked\n",
                 static_cast<unsigned long long>(recv.installed), kRecordsPerRun,
                 static_cast<unsigned long long>(tx->tx_seq - tx->tx_acked));
    std::exit(1);
  }
  sync_stream_fini(tx);
  sync_stream_fini(rx);
  std::free(mt);
  std::free(mr);
  std::free(tmem);
  return kRecordsPerRun / secs;
}

// Baseline: AES-256-GCM seal of full frames (the plaintext a frame holds).
double run_gcm_baseline() {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  uint8_t key[32] = {1}, iv[12] = {2};
  std::vector<uint8_t> plain(kSyncMaxPlain, 0x5a), out(kSyncMaxPlain + 16);
  const unsigned records_per_frame = kSyncMaxPlain / (2 + kSessionRecordLen);
  const unsigned frames = kRecordsPerRun / records_per_frame;
  auto t0 = std::chrono::steady_clock::now();
  for (unsigned i = 0; i < frames; ++i) {
    int outl = 0, finl = 0;
    iv[11] = static_cast<uint8_t>(i);
    EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, key, iv);
    EVP_EncryptUpdate(ctx, out.data(), &outl, plain.data(), static_cast<int>(plain.size()));
    EVP_EncryptFinal_ex(ctx, out.data() + outl, &finl);
    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, out.data() + plain.size());
  }
  double secs = seconds_since(t0);
  EVP_CIPHER_CTX_free(ctx);
  return double(frames) * records_per_frame / secs;
}

struct Stat {
  double median, min, max;
};

Stat stat_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2], v.front(), v.back()};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1) {
    std::printf(
        "usage: bench-sync\n\n"
        "Session-pickup stream throughput on one core, no EAL: %u session upserts per run\n"
        "through a sender and a receiver stream (AES-256-GCM, acks, install into a session\n"
        "table), against AES-256-GCM sealing alone of the same bytes. %u runs; median and\n"
        "min..max. Target: >= 1 M records/s per worker.\n",
        kRecordsPerRun, kRuns);
    return argc == 2 && (std::strcmp(argv[1], "-h") == 0 || std::strcmp(argv[1], "--help") == 0)
               ? 0
               : 2;
  }
  std::vector<double> pair, gcm;
  for (unsigned i = 0; i < kRuns; ++i) {
    gcm.push_back(run_gcm_baseline());
    pair.push_back(run_pair());
    std::fprintf(stderr, "run %u: stream pair %.2f M records/s, GCM seal alone %.2f M records/s\n",
                 i + 1, pair.back() / 1e6, gcm.back() / 1e6);
  }
  Stat p = stat_of(pair), g = stat_of(gcm);
  std::printf("| measure | M records/s median | min..max |\n|---|---|---|\n");
  std::printf("| sender + receiver stream, one core (seal, send, open, install, ack) | %.2f | "
              "%.2f..%.2f |\n", p.median / 1e6, p.min / 1e6, p.max / 1e6);
  std::printf("| baseline: AES-256-GCM seal only, same bytes | %.2f | %.2f..%.2f |\n",
              g.median / 1e6, g.min / 1e6, g.max / 1e6);
  std::printf("\nratio stream pair / GCM seal alone: %.2f; a worker runs one half, so per "
              "worker >= %.2f M records/s (target >= 1 M)\n", p.median / g.median,
              p.median / 1e6);
  return 0;
}
