// Keeps DPDK 22.11's memif PMD from unmapping its shared memory under a
// thread that is still inside rte_eth_rx_burst or tx_burst on that port.
//
// When the peer of a memif port goes away (a killed HA peer on the lab's
// hbdev, a generator that exits), the EAL interrupt thread runs the PMD's
// memif_disconnect: it clears the port's "connected" flag, then munmaps the
// rings and buffers. A poller that checked the flag a moment before is
// still reading them, and segfaults (drivers/net/memif/memif_socket.c has
// nothing that waits for it). tandemd provides munmap() itself: called on
// the interrupt thread, it first waits until every poller has left the
// burst it was in (the workers' RCU grace period, and the control lcore's
// hbdev section below), at most kPollGuardWaitUs, then unmaps. A burst that
// starts later sees the cleared flag and returns nothing. Any other munmap,
// and every munmap on another thread, goes straight to the system call.
#pragma once

namespace tandem::dp {
struct Dataplane;
}

namespace tandem {

// The workers to wait for (nullptr: none). Set after dataplane_launch,
// cleared before dataplane_stop.
void poll_guard_attach(dp::Dataplane* dp);

// A section of the control lcore that calls rx/tx bursts on an hbdev port.
class ControlPollSection {
 public:
  ControlPollSection();
  ~ControlPollSection();
  ControlPollSection(const ControlPollSection&) = delete;
  ControlPollSection& operator=(const ControlPollSection&) = delete;
};

// How many munmap calls on the interrupt thread waited, and how many of
// those gave up waiting (for `diagnose` and tests).
struct PollGuardStats {
  unsigned long waits, timeouts;
};
PollGuardStats poll_guard_stats();

}  // namespace tandem
