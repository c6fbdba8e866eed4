#include "controlplane/daemon/poll_guard.h"

#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <mutex>

#include <rte_interrupts.h>

#include "dataplane/worker/worker.h"

namespace tandem {
namespace {

// Longest a disconnect waits for a poller: a worker loop is microseconds,
// so this is only reached by a thread descheduled for that long, and then
// the unmap goes ahead as it would without the guard.
constexpr uint64_t kPollGuardWaitUs = 200'000;

std::mutex g_mutex;  // g_dataplane against its release
dp::Dataplane* g_dataplane = nullptr;
std::atomic<bool> g_control_polling{false};
std::atomic<unsigned long> g_waits{0}, g_timeouts{0};

uint64_t now_us() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000 + static_cast<uint64_t>(ts.tv_nsec) / 1'000;
}

// Called before the interrupt thread unmaps anything.
void wait_for_pollers() {
  // Orders the PMD's store of the cleared flag before the loads below (the
  // pollers do the reverse: enter, then read the flag).
  std::atomic_thread_fence(std::memory_order_seq_cst);
  uint64_t deadline = now_us() + kPollGuardWaitUs;
  bool in_time = true;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    if (g_dataplane != nullptr) in_time = dp::dataplane_quiesce(g_dataplane, kPollGuardWaitUs);
  }
  while (in_time && g_control_polling.load(std::memory_order_seq_cst)) {
    if (now_us() >= deadline) in_time = false;
    timespec nap{0, 10'000};
    nanosleep(&nap, nullptr);
  }
  g_waits.fetch_add(1, std::memory_order_relaxed);
  if (!in_time) g_timeouts.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

void poll_guard_attach(dp::Dataplane* dp) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_dataplane = dp;
}

ControlPollSection::ControlPollSection() {
  g_control_polling.store(true, std::memory_order_seq_cst);
}

ControlPollSection::~ControlPollSection() {
  g_control_polling.store(false, std::memory_order_release);
}

PollGuardStats poll_guard_stats() {
  return {g_waits.load(std::memory_order_relaxed), g_timeouts.load(std::memory_order_relaxed)};
}

}  // namespace tandem

// The process's munmap (see poll_guard.h): glibc's own calls inside libc
// do not come here, calls from DPDK's PMDs, jemalloc and our code do.
extern "C" int munmap(void* addr, size_t len) noexcept {
  if (rte_thread_is_intr() == 1) tandem::wait_for_pollers();
  return static_cast<int>(syscall(SYS_munmap, addr, len));
}
