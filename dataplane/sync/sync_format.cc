// `diagnose sys ha sync` output: one block per worker stream. Control side
// only (snprintf).
#include <cinttypes>
#include <cstdio>

#include "dataplane/sync/sync.h"
#include "dataplane/sync/sync_stream.h"

namespace tandem::dp {
namespace {

// Percentile of the lag histogram as the upper edge of its bucket, in us.
uint64_t lag_percentile(const uint64_t* hist, double pct) {
  uint64_t total = 0;
  for (unsigned i = 0; i < kSyncLagBuckets; ++i) total += hist[i];
  if (total == 0) return 0;
  uint64_t want = static_cast<uint64_t>(pct / 100.0 * double(total) + 0.5), seen = 0;
  if (want == 0) want = 1;
  for (unsigned i = 0; i < kSyncLagBuckets; ++i) {
    seen += hist[i];
    if (seen >= want) return uint64_t{2} << i;
  }
  return uint64_t{2} << (kSyncLagBuckets - 1);
}

}  // namespace

size_t format_sync_views(const SyncStreamView* views, unsigned n, char* buf, size_t len) {
  size_t used = 0;
  auto add = [&](const char* fmt, auto... args) {
    int k = std::snprintf(used < len ? buf + used : nullptr, used < len ? len - used : 0, fmt,
                          args...);
    if (k > 0) used += size_t(k);
  };
  if (len > 0) buf[0] = '\0';
  if (n == 0) add("session sync: off (set session-pickup enable in config system ha)\n");
  for (unsigned i = 0; i < n; ++i) {
    const SyncStreamView& v = views[i];
    const SyncStreamCounters& c = v.counters;
    add("stream %u (worker %u, hbdev queue %u):\n", v.stream, v.stream, v.stream + 1);
    add("  send: state=%s seq=%" PRIu64 " acked=%" PRIu64 " pending=%" PRIu64
        " frames/%" PRIu64 " records/%" PRIu64 " bytes lag=%" PRIu64 "us\n",
        sync_tx_state_name(v.tx_state), v.tx_seq_next, v.tx_acked, v.pending_frames,
        v.pending_records, v.pending_bytes, v.lag_us);
    add("        frames=%" PRIu64 " records=%" PRIu64 " bytes=%" PRIu64 " retransmits=%" PRIu64
        " resets=%" PRIu64 " overflows=%" PRIu64 " left_to_bulk=%" PRIu64 " tx_busy=%" PRIu64
        "\n",
        c.tx_frames, c.tx_records, c.tx_bytes, c.tx_retransmits, c.tx_resets, c.tx_overflows,
        c.tx_dropped_records, c.tx_emit_fail);
    add("        acks=%" PRIu64 " acks_stale=%" PRIu64 " lag_p50<=%" PRIu64 "us lag_p99<=%" PRIu64
        "us\n",
        c.acks_rx, c.acks_stale, lag_percentile(v.lag_hist, 50), lag_percentile(v.lag_hist, 99));
    add("  bulk: %s cursor=%" PRIu64 "/%" PRIu64 " started=%" PRIu64 " done=%" PRIu64
        " records=%" PRIu64 "\n",
        v.bulk_active ? "running" : "idle", v.bulk_cursor, v.bulk_total, c.bulk_started,
        c.bulk_done, c.bulk_records);
    add("  receive: %s epoch=%016" PRIx64 " next=%" PRIu64 " generation=%" PRIu64
        " frames=%" PRIu64 " records=%" PRIu64 " acks_sent=%" PRIu64 "\n",
        v.rx_in_sync ? "in-sync" : "out-of-sync", v.rx_epoch, v.rx_next, v.rx_generation,
        c.rx_frames, c.rx_records, c.acks_tx);
    add("        dup=%" PRIu64 " gap=%" PRIu64 " bad_auth=%" PRIu64 " malformed=%" PRIu64
        " replay=%" PRIu64 " unknown_epoch=%" PRIu64 " wrong_group=%" PRIu64 " misrouted=%" PRIu64
        " resets=%" PRIu64 " need_reset=%" PRIu64 " table_full=%" PRIu64 " users=%" PRIu64 "\n",
        c.rx_dup, c.rx_gap, c.rx_bad_auth, c.rx_malformed, c.rx_replay, c.rx_unknown_epoch,
        c.rx_wrong_group, c.rx_misrouted, c.rx_resets, c.rx_need_reset, c.rx_install_full, c.rx_users);
    if (c.tx_ticket_rings != 0 || c.rx_ticket_rings != 0)
      add("  ticket keys: rings sent=%" PRIu64 " received=%" PRIu64 "\n", c.tx_ticket_rings, c.rx_ticket_rings);
    if (c.tx_tls_sessions != 0 || c.rx_tls_sessions != 0 || c.rx_tls_dropped != 0 || c.rx_tls_rejected != 0)
      add("  tls sessions: sent=%" PRIu64 " installed=%" PRIu64 " dropped=%" PRIu64 " rejected=%" PRIu64 "\n",
          c.tx_tls_sessions, c.rx_tls_sessions, c.rx_tls_dropped, c.rx_tls_rejected);
  }
  return used;
}

}  // namespace tandem::dp
