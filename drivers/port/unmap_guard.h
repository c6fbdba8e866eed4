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
// around the call (tandem-gen's lcores, tandemd's control lcore and its
// heartbeat keeper, a registered non-EAL thread), or a
// waiter that knows its threads' quiescent points (tandemd's workers: the
// RCU grace period of dataplane_quiesce).
//
// The same PMD has a second race, at connect time, which LinkGate closes:
// eth_memif_rx and eth_memif_tx compute the ring's address from the
// region's mapping *before* they check the connected flag. A poller that
// read the address while the region was not mapped yet (0), and was then
// preempted while the interrupt thread mapped it and set the flag, goes on
// to dereference 0 + the ring's offset. memif_connect raises the link only
// after the mapping and the flag, and a mapping goes away only through a
// guarded munmap, so: a port whose link a poller saw up since the last
// guarded munmap is mapped. A poller asks its LinkGate before every burst
// on a port that needs it (port_setup marks net_memif ports).
#pragma once

#include <atomic>
#include <cstdint>

#include <rte_ethdev.h>

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

// Returns once the EAL interrupt thread has finished the callback it was
// running at the call (a PMD's disconnect, say), at most timeout_us: it
// sets a 1 us alarm, which that thread runs only after its current
// callback, and waits for it. False on a timeout or when no alarm could be
// set; true at once on the interrupt thread itself. port_shutdown() calls
// it around a port's close: DPDK 22.11's memif PMD runs a peer's
// disconnect on that thread and the close on the caller's, without a lock
// between them, and rte_eal_cleanup() unmaps the memory that disconnect
// still touches.
bool interrupt_thread_sync(uint64_t timeout_us = 1'000'000);

// How many munmap calls on the interrupt thread waited, and how many of
// those gave up waiting (for `diagnose` and tests).
struct UnmapGuardStats {
  unsigned long waits = 0, timeouts = 0;
};
UnmapGuardStats unmap_guard_stats();

// Marks a port whose bursts must wait for its link, or unmarks it
// (port_setup does one or the other for every port, before its start: a
// port id may come back with another driver). Port ids are below
// RTE_MAX_ETHPORTS (32).
void link_gate_require(uint16_t port_id, bool required = true);

// Starts a new epoch: every LinkGate asks the link again before its next
// burst on a marked port. unmap_guard_wait() does it before it waits;
// port_shutdown() too, so a port id used again is not taken as mapped.
void link_gate_new_epoch();

namespace detail {
extern std::atomic<uint64_t> g_link_gated;  // bit per port id
extern std::atomic<uint64_t> g_map_epoch;
bool link_up(uint16_t port_id);  // rte_eth_link_get_nowait, ~30 cycles
}  // namespace detail

// One per poller (a worker, an lcore). Ask open() inside the burst's
// section, right before the burst: false means "not mapped yet, do not
// call the PMD". An unmarked port costs one load; a marked port whose link
// this gate has seen up in this epoch, two loads.
class LinkGate {
 public:
  bool open(uint16_t port_id) {
    const uint64_t bit = port_id < 64 ? uint64_t{1} << port_id : 0;
    if ((detail::g_link_gated.load(std::memory_order_relaxed) & bit) == 0) return true;
    const uint64_t epoch = detail::g_map_epoch.load(std::memory_order_acquire);
    if (epoch != epoch_) {
      epoch_ = epoch;
      seen_up_ = 0;
    }
    if ((seen_up_ & bit) != 0) return true;
    if (!detail::link_up(port_id)) return false;
    seen_up_ |= bit;
    return true;
  }

  // The bursts, asked first: 0 frames (nothing read, nothing taken) while
  // the port may not be polled.
  uint16_t rx_burst(uint16_t port_id, uint16_t queue, rte_mbuf** pkts, uint16_t n) {
    return open(port_id) ? rte_eth_rx_burst(port_id, queue, pkts, n) : 0;
  }
  uint16_t tx_burst(uint16_t port_id, uint16_t queue, rte_mbuf** pkts, uint16_t n) {
    return open(port_id) ? rte_eth_tx_burst(port_id, queue, pkts, n) : 0;
  }

 private:
  uint64_t epoch_ = 0;    // zero-initialised memory is a valid gate
  uint64_t seen_up_ = 0;  // ports seen up in epoch_
};

}  // namespace tandem::drivers
