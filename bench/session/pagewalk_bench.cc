// bench-pagewalk: what a random cache line costs this machine when its
// address is known early (32 prefetches, then 32 reads, like the worker's
// burst pipeline), over arrays the size of a session table's parts, mapped with
// 2 MiB hugepages and with 4 KiB pages. Two access patterns:
//   lines  any line of the array: data misses and TLB misses together;
//   pages  the first line of a random 4 KiB page: the data (one line per
//          page) fits in cache, so what remains is the address translation.
// On bare metal the hugepage rows of "pages" cost a few cycles (the TLB
// covers 2 MiB per entry); where they cost as much as the 4 KiB rows, the
// hypervisor backs the guest's hugepages with small pages, and every random
// access to a large table pays a page walk (docs/bench-forwarding.md).
//
//   bench-pagewalk [--sizes "4 32 128"] [--runs 5]
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

[[noreturn]] void usage(int rc) {
  std::fprintf(rc == 0 ? stdout : stderr,
               "usage: bench-pagewalk [--sizes \"MiB ...\"] [--runs R]\n"
               "  random cache-line reads (32 prefetched, then 32 read) over arrays of each size,\n"
               "  hugepage-backed and 4 KiB-backed; TSC cycles per access (median, min..max)\n");
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
  unsigned runs = 5;
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
    } else {
      usage(2);
    }
  }
  std::printf("bench-pagewalk: TSC %.0f MHz, %u runs of %u random accesses, %u prefetched ahead\n",
              tsc_mhz(), runs, kAccesses, kBurst);
  std::printf("%8s %-9s %-6s %8s %17s\n", "MiB", "pages", "access", "median", "min..max");
  uint64_t seed = 88172645463325252ull;
  for (size_t mib : sizes) {
    const size_t bytes = mib * kMiB;
    for (bool huge : {true, false}) {
      uint8_t* a = map(bytes, huge);
      if (a == nullptr) {
        std::printf("%8zu %-9s (no hugepages free for it: skipped)\n", mib, "2 MiB");
        continue;
      }
      for (bool per_page : {false, true}) {
        std::vector<uint32_t> offs(kAccesses);
        const uint64_t n = per_page ? bytes / kPage : bytes / kLine;
        for (auto& o : offs) {
          uint64_t r = next(&seed) % n;
          o = static_cast<uint32_t>(per_page ? r * (kPage / kLine) : r);
        }
        std::vector<double> c;
        for (unsigned r = 0; r < runs; ++r) c.push_back(run_once(a, offs));
        std::sort(c.begin(), c.end());
        std::printf("%8zu %-9s %-6s %8.1f %8.1f..%-8.1f\n", mib, huge ? "2 MiB" : "4 KiB",
                    per_page ? "pages" : "lines", c[c.size() / 2], c.front(), c.back());
      }
      munmap(a, bytes);
    }
  }
  return 0;
}
