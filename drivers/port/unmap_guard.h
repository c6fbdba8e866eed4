// Keeps DPDK 22.11's memif PMD from unmapping its shared memory under a
// thread that is still inside rte_eth_rx_burst or tx_burst on that port.
//
// When the peer of a memif port goes away (a killed HA peer on the lab's
// hbdev, a generator that exits, a node killed under tandem-gen), the EAL
// interrupt thread runs the PMD's memif_disconnect: it clears the port's
// "connected" flag, then munmaps the rings and buffers. A poller that
// checked the flag a moment before is still reading them, and segfaults
// (drivers/net/memif/memif_socket.c has nothing that waits for it). The
// program provides munmap() itself (unmap_guard.cc; the executable exports
// it with -Wl,--export-dynamic-symbol=munmap so the PMD binds to it):
// called on the interrupt thread, it first waits until every poller has
// left the burst it was in, at most kUnmapGuardWaitUs, then unmaps. A
// burst that starts later sees the cleared flag and returns nothing. Any
// other munmap, and every munmap on another thread, goes straight to the
// system call.
//
// Pollers say where their bursts are in one of two ways: a BurstSection
// around the call (tandem-gen's lcores, tandemd's control lcore), or a
// waiter that knows its threads' quiescent points (tandemd's workers: the
// RCU grace period of dataplane_quiesce).
#pragma once

#include <cstdint>

namespace tandem::drivers {

inline constexpr uint64_t kUnmapGuardWaitUs = 200'000;

// Around an rx/tx burst on an EAL lcore (slot: rte_lcore_id()). Costs one
// locked increment on entry and a store on exit. On a non-EAL thread it
// does nothing.
class BurstSection {
 public:
  BurstSection();
  ~BurstSection();
  BurstSection(const BurstSection&) = delete;
  BurstSection& operator=(const BurstSection&) = delete;

 private:
  unsigned slot_;
};

// The other pollers: wait(arg, budget_us) returns once they all passed a
// quiescent point, false when it gave up. nullptr removes it; that call
// returns only after a wait in progress has finished, so arg may then be
// freed.
using UnmapWaitFn = bool (*)(void* arg, uint64_t budget_us);
void unmap_guard_set_waiter(UnmapWaitFn fn, void* arg);

// What munmap on the interrupt thread does first; callable from any thread
// (tests). False when a poller was still inside after kUnmapGuardWaitUs.
bool unmap_guard_wait();

// How many munmap calls on the interrupt thread waited, and how many of
// those gave up waiting (for `diagnose` and tests).
struct UnmapGuardStats {
  unsigned long waits = 0, timeouts = 0;
};
UnmapGuardStats unmap_guard_stats();

}  // namespace tandem::drivers
