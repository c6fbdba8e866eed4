// Session pickup, as tandemd drives it: which port is the hbdev (worker i
// sends and receives its sync stream on queue i+1 of it), what each stream
// is doing, and whether this node holds the peer's tables. The streams
// themselves are dataplane/sync/sync_stream.h; the roles, keys and pickup
// rules come with every snapshot (Snapshot::sync).
#pragma once

#include <cstddef>
#include <cstdint>

#include "dataplane/sync/sync_types.h"
#include "dataplane/tls/tls_types.h"
#include "dataplane/worker/worker.h"

namespace tandem::dp {

// Hands the hbdev to the workers (port_id >= 0) or takes it back (-1):
// returns only once no worker can still be inside an RX/TX call on the
// previous port (RCU), so the caller may then stop or restart it. A
// dataplane created without session_sync ignores it.
void dataplane_sync_port(Dataplane* dp, int port_id);

// Frames on the wrong hbdev queue. Queue 0 is the control lcore's
// (heartbeats), queue i+1 worker i's (its sync stream); a NIC steers by
// EtherType (hw/flow), but a device that spreads by hash -- net_af_packet
// joins its queues' sockets in a PACKET_FANOUT_HASH group, keyed by a
// seed the kernel draws at boot -- puts all heartbeats on one queue that
// may be a worker's, and sync frames on queue 0. Each is handed to its
// consumer through a ring.
//
// The control lcore, for a frame on queue 0 that is not a heartbeat: a
// sync frame goes to its worker (true: the dataplane owns m now, or freed
// it when the worker's ring was full); anything else false, m stays the
// caller's.
bool dataplane_hbdev_dispatch(Dataplane* dp, rte_mbuf* m);
// The control lcore: frames workers found on their sync queues that are
// not sync frames (heartbeats). The caller frees them.
unsigned dataplane_hbdev_take(Dataplane* dp, rte_mbuf** out, unsigned max);
struct HbdevHandoffCounters {
  uint64_t to_control = 0;  // non-sync frames a worker passed to the control lcore
  uint64_t to_worker = 0;   // sync frames passed to the worker of their stream
  uint64_t dropped = 0;     // a ring was full, or no worker has that stream
};
HbdevHandoffCounters dataplane_hbdev_handoffs(const Dataplane* dp);

// One view per worker (at most max); returns how many. Fields are read
// while the workers run: each is a plain load of a value its worker writes.
unsigned dataplane_sync_view(const Dataplane* dp, SyncStreamView* out, unsigned max);

// The last complete session-ticket ring worker 0 received from the peer
// (stream 0 carries it): copied into *out, returning a sequence that
// changes with every ring received (0: none yet). tandemd polls it.
uint32_t dataplane_sync_ticket_ring(const Dataplane* dp, tls::TicketKeyRing* out);

// True when every worker's receiving half completed a bulk walk of the
// peer's current generation: the tables hold what the peer holds.
bool dataplane_sync_in_sync(const Dataplane* dp);

// `diagnose sys ha sync` text for the views (NUL-terminated; returns the
// length it needed, like snprintf).
size_t format_sync_views(const SyncStreamView* views, unsigned n, char* buf, size_t len);

}  // namespace tandem::dp
