// bench-pagewalk: what a random cache line costs this machine when its
// address is known early (32 prefetches, then 32 reads, like the worker's
// burst pipeline), over arrays the size of a session table's parts, mapped with
// 2 MiB hugepages and with 4 KiB pages. Three access patterns:
//   lines  any line of the array: data misses and TLB misses together;
//   pages  the first line of a random 4 KiB page: the data (one line per
//          page) fits in cache, so what remains is the address translation;
//   halves (with --half K) any line of the first K KiB of every 2K KiB:
//          the session table's first lines, kept together in blocks of
//          64 KiB with the second lines between them (session_types.h).
// On bare metal the hugepage rows of "pages" cost a few cycles (the TLB
// covers 2 MiB per entry); where they cost as much as the 4 KiB rows, the
// hypervisor backs the guest's hugepages with small pages, and every random
// access to a large table pays a page walk (docs/bench-forwarding.md).
//
// --work N puts the worker's kind of work between the accesses: N loads
// and stores to a 16 KiB buffer that stays in cache (a frame's headers,
// its mbuf, the TX queue), with the accesses prefetched as the worker's
// session_pipeline does (groups of 8, two groups ahead). A last column
// then says how many cycles an access adds to the same loop over a
// 16 KiB array: what the work failed to hide.
//
//   bench-pagewalk [--sizes "4 32 128"] [--runs 5] [--work N] [--half K]
//
// Sizes are MiB. Prints the median and min..max over the runs, in TSC
// cycles per access. Needs free hugepages for the hugepage rows (skipped
// otherwise, with a note).
#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <rte_cycles.h>
#include <rte_prefetch.h>

namespace {

constexpr size_t kLine = 64, kPage = 4096, kMiB = size_t{1} << 20;
constexpr unsigned kBurst = 32;
constexpr unsigned kAccesses = 1u << 22;
constexpr unsigned kGroup = 8, kAhead = 2 * kGroup;  // as session_pipeline
constexpr size_t kHotBytes = 16384;

[[noreturn]] void usage(int rc) {
  std::fprintf(rc == 0 ? stdout : stderr,
               "usage: bench-pagewalk [--sizes \"MiB ...\"] [--runs R] [--work N] [--half K]\n"
               "  random cache-line reads (32 prefetched, then 32 read) over arrays of each size,\n"
               "  hugepage-backed and 4 KiB-backed; TSC cycles per access (median, min..max)\n"
               "  --work N  N loads and stores to a cached 16 KiB buffer after each access, the\n"
               "            accesses prefetched in groups of 8, two groups ahead (the worker's\n"
               "            pattern); adds the cycles an access costs over a 16 KiB array\n"
               "  --half K  also rows of random lines in the first K KiB of every 2K KiB\n"
               "            (the session table's first lines: K = 64)\n");
  std::exit(rc);
}

uint64_t next(uint64_t* s) {  // xorshift64
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

// nullptr when the mapping is refused (no hugepages free).
uint8_t* map(size_t bytes, bool huge) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | (huge ? MAP_HUGETLB : 0), -1, 0);
  if (p == MAP_FAILED) return nullptr;
  if (!huge) madvise(p, bytes, MADV_NOHUGEPAGE);  // transparent hugepages would blur the row
  std::memset(p, 1, bytes);
  return static_cast<uint8_t*>(p);
}

double run_once(const uint8_t* a, const std::vector<uint32_t>& offsets_in_lines) {
  uint64_t sum = 0;
  const uint64_t t0 = rte_rdtsc_precise();
  for (size_t i = 0; i + kBurst <= offsets_in_lines.size(); i += kBurst) {
    for (unsigned j = 0; j < kBurst; ++j) rte_prefetch0(a + size_t{offsets_in_lines[i + j]} * kLine);
    for (unsigned j = 0; j < kBurst; ++j) sum += a[size_t{offsets_in_lines[i + j]} * kLine];
  }
  const uint64_t t1 = rte_rdtsc_precise();
  asm volatile("" : : "r"(sum));
  return static_cast<double>(t1 - t0) / static_cast<double>(offsets_in_lines.size());
}

// The worker's pattern: every kGroup accesses, the group kAhead on is
// prefetched; each access is read and followed by `work` loads and stores
// to `hot` (in cache).
double run_with_work(const uint8_t* a, const std::vector<uint32_t>& offsets_in_lines,
                     unsigned work, uint64_t* hot) {
  const size_t n = offsets_in_lines.size();
  uint64_t sum = 0;
  unsigned h = 0;
  const uint64_t t0 = rte_rdtsc_precise();
  for (size_t i = 0; i < kAhead && i < n; ++i)
    rte_prefetch0(a + size_t{offsets_in_lines[i]} * kLine);
  for (size_t i = 0; i < n; ++i) {
    if (i % kGroup == 0)
      for (size_t j = i + kAhead; j < i + kAhead + kGroup && j < n; ++j)
        rte_prefetch0(a + size_t{offsets_in_lines[j]} * kLine);
    sum += a[size_t{offsets_in_lines[i]} * kLine];
    for (unsigned k = 0; k < work; ++k) {
      uint64_t* q = &hot[((h + k * 8) % (kHotBytes / 8))];
      sum += *q;
      *q = sum;
    }
    h += 24;
  }
  const uint64_t t1 = rte_rdtsc_precise();
  asm volatile("" : : "r"(sum));
  return static_cast<double>(t1 - t0) / static_cast<double>(n);
}

// No EAL here, so no rte_get_tsc_hz(): the TSC against the steady clock.
double tsc_mhz() {
  const auto t0 = std::chrono::steady_clock::now();
  const uint64_t c0 = rte_rdtsc_precise();
  while (std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(100)) {
  }
  const uint64_t c1 = rte_rdtsc_precise();
  const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
  return static_cast<double>(c1 - c0) / us;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<size_t> sizes = {4, 32, 128};
  unsigned runs = 5, work = 0, half_kib = 0;
  bool with_work = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") usage(0);
    if (i + 1 >= argc) usage(2);
    if (a == "--sizes") {
      sizes.clear();
      for (const char* p = argv[++i]; *p != '\0';) {
        char* end = nullptr;
        unsigned long v = std::strtoul(p, &end, 10);
        if (end == p || v == 0 || v > 4096) {
          std::fprintf(stderr, "bench-pagewalk: --sizes takes MiB from 1 to 4096\n");
          return 2;
        }
        sizes.push_back(v);
        p = end;
        while (*p == ' ') ++p;
      }
    } else if (a == "--runs") {
      char* end = nullptr;
      unsigned long v = std::strtoul(argv[++i], &end, 10);
      if (*end != '\0' || v == 0 || v > 100) {
        std::fprintf(stderr, "bench-pagewalk: --runs takes 1 to 100\n");
        return 2;
      }
      runs = static_cast<unsigned>(v);
    } else if (a == "--work") {
      const char* arg = argv[++i];
      char* end = nullptr;
      unsigned long v = std::strtoul(arg, &end, 10);
      if (end == arg || *end != '\0' || v > 1000) {
        std::fprintf(stderr, "bench-pagewalk: --work takes 0 to 1000\n");
        return 2;
      }
      work = static_cast<unsigned>(v);
      with_work = true;
    } else if (a == "--half") {
      const char* arg = argv[++i];
      char* end = nullptr;
      unsigned long v = std::strtoul(arg, &end, 10);
      if (end == arg || *end != '\0' || v < 4 || v > 65536 || (v & (v - 1)) != 0) {
        std::fprintf(stderr, "bench-pagewalk: --half takes a power of two from 4 to 65536 KiB\n");
        return 2;
      }
      half_kib = static_cast<unsigned>(v);
    } else {
      usage(2);
    }
  }
  if (with_work)
    std::printf("bench-pagewalk: TSC %.0f MHz, %u runs of %u random accesses, prefetched in groups "
                "of %u, %u ahead, %u loads and stores to a cached buffer after each\n",
                tsc_mhz(), runs, kAccesses, kGroup, kAhead, work);
  else
    std::printf("bench-pagewalk: TSC %.0f MHz, %u runs of %u random accesses, "
                "%u prefetched ahead\n",
                tsc_mhz(), runs, kAccesses, kBurst);
  std::printf("%8s %-9s %-6s %8s %17s%s\n", "MiB", "pages", "access", "median", "min..max",
              with_work ? "  over 16 KiB" : "");
  uint64_t seed = 88172645463325252ull;
  std::vector<uint64_t> hot(kHotBytes / 8, 1);
  // The runs over one array, sorted.
  auto measure = [&](const uint8_t* a, const std::vector<uint32_t>& offs) {
    std::vector<double> c;
    for (unsigned r = 0; r < runs; ++r)
      c.push_back(with_work ? run_with_work(a, offs, work, hot.data()) : run_once(a, offs));
    std::sort(c.begin(), c.end());
    return c;
  };
  // The same loop over a 16 KiB array (every access a cache hit): what
  // the work alone costs.
  double base = 0;
  if (with_work) {
    std::vector<uint8_t> small(kHotBytes, 1);
    std::vector<uint32_t> offs(kAccesses);
    for (auto& o : offs) o = static_cast<uint32_t>(next(&seed) % (kHotBytes / kLine));
    std::vector<double> c = measure(small.data(), offs);
    base = c[c.size() / 2];
    std::printf("%8s %-9s %-6s %8.1f\n", "0.016", "-", "lines", base);
  }
  for (size_t mib : sizes) {
    const size_t bytes = mib * kMiB;
    for (bool huge : {true, false}) {
      uint8_t* a = map(bytes, huge);
      if (a == nullptr) {
        std::printf("%8zu %-9s (no hugepages free for it: skipped)\n", mib, "2 MiB");
        continue;
      }
      enum Pattern { kLines, kPages, kHalves };
      for (Pattern pattern : {kLines, kPages, kHalves}) {
        const uint64_t half_lines = uint64_t{half_kib} * 1024 / kLine;
        if (pattern == kHalves && (half_lines == 0 || bytes < 2 * half_lines * kLine)) continue;
        std::vector<uint32_t> offs(kAccesses);
        const uint64_t n = pattern == kPages ? bytes / kPage : bytes / kLine;
        for (auto& o : offs) {
          uint64_t r = next(&seed) % n;
          if (pattern == kPages) r *= kPage / kLine;
          // Line r of the halves: its half's number, times two halves.
          if (pattern == kHalves) r = r / 2 / half_lines * 2 * half_lines + r / 2 % half_lines;
          o = static_cast<uint32_t>(r);
        }
        std::vector<double> c = measure(a, offs);
        static const char* const kNames[] = {"lines", "pages", "halves"};
        std::printf("%8zu %-9s %-6s %8.1f %8.1f..%-8.1f", mib, huge ? "2 MiB" : "4 KiB",
                    kNames[pattern], c[c.size() / 2], c.front(), c.back());
        if (with_work) std::printf(" %+11.1f", c[c.size() / 2] - base);
        std::printf("\n");
      }
      munmap(a, bytes);
    }
  }
  return 0;
}
