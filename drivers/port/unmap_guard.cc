#include "drivers/port/unmap_guard.h"

#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>

#include <rte_alarm.h>
#include <rte_ethdev.h>
#include <rte_interrupts.h>
#include <rte_lcore.h>

namespace tandem::drivers {

static_assert(RTE_MAX_ETHPORTS <= 64, "LinkGate keeps a bit per port id in a uint64_t");

namespace detail {
std::atomic<uint64_t> g_link_gated{0};
std::atomic<uint64_t> g_map_epoch{0};

bool link_up(uint16_t port_id) {
  rte_eth_link link;
  if (rte_eth_link_get_nowait(port_id, &link) != 0) return false;
  // The PMD's stores before its link went up (the mapping) are ours to see.
  std::atomic_thread_fence(std::memory_order_acquire);
  return link.link_status == RTE_ETH_LINK_UP;
}
}  // namespace detail

namespace {

// Odd while the lcore is inside a burst; every entry and exit moves it on.
struct alignas(64) Slot {
  std::atomic<uint64_t> seq{0};
};
Slot g_slots[RTE_MAX_LCORE];

std::mutex g_mutex;  // the waiter against its removal
UnmapWaitFn g_wait_fn = nullptr;
void* g_wait_arg = nullptr;
std::atomic<unsigned long> g_waits{0}, g_timeouts{0};

uint64_t now_us() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000 + static_cast<uint64_t>(ts.tv_nsec) / 1'000;
}

}  // namespace

BurstSection::BurstSection() : slot_(rte_lcore_id()) {
  // seq_cst: the entry is visible before the PMD's load of its flag (the
  // interrupt thread does the reverse: clear the flag, then read us).
  if (slot_ < RTE_MAX_LCORE) g_slots[slot_].seq.fetch_add(1, std::memory_order_seq_cst);
}

BurstSection::~BurstSection() {
  // Only this lcore writes its slot: a plain release store, no locked add.
  if (slot_ >= RTE_MAX_LCORE) return;
  std::atomic<uint64_t>& seq = g_slots[slot_].seq;
  seq.store(seq.load(std::memory_order_relaxed) + 1, std::memory_order_release);
}

void unmap_guard_set_waiter(UnmapWaitFn fn, void* arg) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_wait_fn = fn;
  g_wait_arg = arg;
}

void link_gate_require(uint16_t port_id, bool required) {
  if (port_id >= RTE_MAX_ETHPORTS) return;
  const uint64_t bit = uint64_t{1} << port_id;
  if (required)
    detail::g_link_gated.fetch_or(bit, std::memory_order_seq_cst);
  else
    detail::g_link_gated.fetch_and(~bit, std::memory_order_seq_cst);
}

void link_gate_new_epoch() { detail::g_map_epoch.fetch_add(1, std::memory_order_seq_cst); }

bool unmap_guard_wait() {
  // First the new epoch, then the wait: a poller that still trusts the old
  // one is inside a burst (or before its quiescent point) and is waited
  // for; its next burst asks the link, which memif_disconnect lowered
  // before it unmaps.
  link_gate_new_epoch();
  std::atomic_thread_fence(std::memory_order_seq_cst);
  const uint64_t deadline = now_us() + kUnmapGuardWaitUs;
  bool in_time = true;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    if (g_wait_fn != nullptr) in_time = g_wait_fn(g_wait_arg, kUnmapGuardWaitUs);
  }
  // A slot that was odd has to move on once: that burst is over (a later
  // one sees the cleared flag).
  for (Slot& s : g_slots) {
    const uint64_t seen = s.seq.load(std::memory_order_seq_cst);
    if ((seen & 1) == 0) continue;
    while (in_time && s.seq.load(std::memory_order_acquire) == seen) {
      if (now_us() >= deadline) in_time = false;
      timespec nap{0, 10'000};
      nanosleep(&nap, nullptr);
    }
  }
  g_waits.fetch_add(1, std::memory_order_relaxed);
  if (!in_time) g_timeouts.fetch_add(1, std::memory_order_relaxed);
  return in_time;
}

namespace {
// Alarms asked and run: each sync asks for the next number; its alarm
// stores it (the largest, should two threads sync at once). A number, not
// a flag on the caller's stack: the alarm of a sync that timed out may
// still run. Alarms run on the interrupt thread only, the one writer.
std::atomic<uint64_t> g_sync_asked{0}, g_sync_ran{0};

void sync_alarm(void* arg) {
  const auto ticket = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(arg));
  if (ticket > g_sync_ran.load(std::memory_order_relaxed))
    g_sync_ran.store(ticket, std::memory_order_release);
}
}  // namespace

bool interrupt_thread_sync(uint64_t timeout_us) {
  if (rte_thread_is_intr() == 1) return true;  // it would wait for itself
  const uint64_t ticket = g_sync_asked.fetch_add(1, std::memory_order_relaxed) + 1;
  void* arg = reinterpret_cast<void*>(static_cast<uintptr_t>(ticket));
  if (rte_eal_alarm_set(1, sync_alarm, arg) != 0) return false;
  const uint64_t deadline = now_us() + timeout_us;
  while (g_sync_ran.load(std::memory_order_acquire) < ticket) {
    if (now_us() >= deadline) {
      rte_eal_alarm_cancel(sync_alarm, arg);
      return false;
    }
    timespec nap{0, 50'000};
    nanosleep(&nap, nullptr);
  }
  return true;
}

UnmapGuardStats unmap_guard_stats() {
  UnmapGuardStats s;
  s.waits = g_waits.load(std::memory_order_relaxed);
  s.timeouts = g_timeouts.load(std::memory_order_relaxed);
  return s;
}

}  // namespace tandem::drivers

// The process's munmap (see unmap_guard.h): glibc's own calls inside libc
// do not come here; calls from DPDK's PMDs, jemalloc and our code do.
extern "C" int munmap(void* addr, size_t len) noexcept {
  if (rte_thread_is_intr() == 1) tandem::drivers::unmap_guard_wait();
  return static_cast<int>(syscall(SYS_munmap, addr, len));
}
