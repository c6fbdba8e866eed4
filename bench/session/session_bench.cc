// bench-session: inserts/s and lookups/s of one worker's session table with
// 1k, 100k and 1M live sessions, and the bytes each session costs. One
// thread, no EAL: the table over plain memory, as a worker would use it.
// Reports the median and spread (min..max) of 5 runs. Target: >= 2 M new
// sessions/s per worker.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "dataplane/session/session_inl.h"
#include "dataplane/session/session_table.h"
#include "dataplane/worker/worker_types.h"

namespace {

using tandem::dp::Session;
using tandem::dp::SessionCold;
using tandem::dp::SessionKey;
using tandem::dp::SessionTable;
using tandem::dp::TcpState;

constexpr unsigned kRuns = 5;
constexpr unsigned kBulk = tandem::dp::kRxBurst;  // a worker's RX burst
constexpr uint64_t kLookupsPerRun = 4'000'000;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Distinct flows spread like client traffic: many sources, few servers.
std::vector<SessionKey> make_keys(uint32_t n, uint32_t seed) {
  std::vector<SessionKey> keys(n);
  uint32_t x = seed * 2654435761u + 1;
  for (uint32_t i = 0; i < n; ++i) {
    x = x * 1664525u + 1013904223u;
    uint32_t client = __builtin_bswap32(0x0a000000u | (i >> 6));  // 10.x.y.z
    uint32_t server = __builtin_bswap32(0xac10c800u | (x & 0xff));  // 172.16.200.x
    uint16_t sport = static_cast<uint16_t>(1024 + (i & 63) * 900 + (x >> 24));
    bool lo;
    keys[i] = tandem::dp::session_key_make(client, server, sport, 443, 6, 0, &lo);
  }
  return keys;
}

struct Result {
  double inserts_per_s, lookups_per_s;
};

Result run_once(uint32_t n, void* mem, uint32_t seed) {
  SessionTable* t = tandem::dp::session_table_init(mem, n, 0, 0);
  std::vector<SessionKey> keys = make_keys(n, seed);
  uint32_t hashes[kBulk];
  Session* found[kBulk];
  auto t0 = std::chrono::steady_clock::now();
  // A burst of new flows as a worker sees them: bulk lookup (all misses,
  // home entries prefetched), then one insert per miss. Both are timed.
  for (uint32_t base = 0; base < n; base += kBulk) {
    unsigned burst = std::min<uint32_t>(kBulk, n - base);
    for (unsigned i = 0; i < burst; ++i) hashes[i] = tandem::dp::session_key_hash(keys[base + i]);
    tandem::dp::session_lookup_bulk(t, &keys[base], hashes, burst, found);
    for (unsigned i = 0; i < burst; ++i) {
      if (found[i] == nullptr &&
          tandem::dp::session_insert(t, keys[base + i], hashes[i], 0, TcpState::kSynSent, 10,
                                     0) == nullptr) {
        std::fprintf(stderr, "table full at %u of %u\n", base + i, n);
        std::exit(1);
      }
    }
  }
  double ins = seconds_since(t0);

  // Lookups in random order, bulk as the worker does them.
  std::vector<uint32_t> order(kBulk * 1024);
  uint32_t x = seed + 7;
  for (uint32_t& o : order) {
    x = x * 1664525u + 1013904223u;
    o = x % n;
  }
  SessionKey bk[kBulk];
  uint32_t bh[kBulk];
  Session* out[kBulk];
  uint64_t hits = 0;
  t0 = std::chrono::steady_clock::now();
  for (uint64_t done = 0; done < kLookupsPerRun; done += kBulk) {
    const uint32_t* idx = &order[(done / kBulk % 1024) * kBulk];
    for (unsigned i = 0; i < kBulk; ++i) {
      bk[i] = keys[idx[i]];
      bh[i] = tandem::dp::session_key_hash(bk[i]);
    }
    tandem::dp::session_lookup_bulk(t, bk, bh, kBulk, out);
    for (unsigned i = 0; i < kBulk; ++i) hits += out[i] != nullptr;
  }
  double look = seconds_since(t0);
  if (hits != kLookupsPerRun) {
    std::fprintf(stderr, "lookup missed: %llu of %llu\n", static_cast<unsigned long long>(hits),
                 static_cast<unsigned long long>(kLookupsPerRun));
    std::exit(1);
  }
  return {n / ins, kLookupsPerRun / look};
}

void report(const char* what, std::vector<double> v) {
  std::sort(v.begin(), v.end());
  std::printf("  %-10s median %8.2f M/s  spread %.2f..%.2f M/s\n", what, v[v.size() / 2] / 1e6,
              v.front() / 1e6, v.back() / 1e6);
}

}  // namespace

int main(int argc, char** argv) {
  // --memsize N: the bytes a table of N slots takes (session_table_memsize),
  // for bench/ndr/run's report; nothing is measured.
  if (argc == 3 && std::strcmp(argv[1], "--memsize") == 0) {
    char* end;
    unsigned long n = std::strtoul(argv[2], &end, 10);
    if (*end != '\0' || n == 0 || n > UINT32_MAX) {
      std::fprintf(stderr, "bench-session: --memsize takes a slot count 1..%u\n", UINT32_MAX);
      return 2;
    }
    std::printf("%zu\n", tandem::dp::session_table_memsize(static_cast<uint32_t>(n)));
    return 0;
  }
  if (argc != 1) {
    std::fprintf(stderr, "usage: bench-session [--memsize SLOTS]\n");
    return std::strcmp(argv[1], "-h") == 0 || std::strcmp(argv[1], "--help") == 0 ? 0 : 2;
  }
  std::printf("bench-session: one worker's session table, %u runs per size\n", kRuns);
  std::printf("an entry = %zu + %zu bytes (its first line, its second line, apart)\n",
              sizeof(Session), sizeof(SessionCold));
  for (uint32_t n : {1'000u, 100'000u, 1'000'000u}) {
    size_t bytes = (tandem::dp::session_table_memsize(n) + 63) / 64 * 64;
    void* mem = std::aligned_alloc(64, bytes);
    if (mem == nullptr) return 1;
    std::vector<double> ins, look;
    for (unsigned r = 0; r < kRuns; ++r) {
      Result res = run_once(n, mem, r + 1);
      ins.push_back(res.inserts_per_s);
      look.push_back(res.lookups_per_s);
    }
    std::printf("%u live sessions (%.1f bytes per session incl. the wheel and the group bits):\n",
                n, static_cast<double>(bytes) / n);
    report("inserts", ins);
    report("lookups", look);
    std::free(mem);
  }
  return 0;
}
