// Control-side access to the workers' session tables, for the CLI
// (`diagnose sys session list|filter|clear|stat`) and metrics. list/clear
// run on the owning worker through its mailbox (serviced once per loop) or
// inline when workers are not launched, so tables stay single-writer.
// C-style: no exceptions; errors are negative errno values.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dataplane/session/session_types.h"
#include "dataplane/worker/worker.h"

namespace tandem::dp {

// Copies up to `max` sessions matching `filter` into out (worker by worker)
// and the number matching into *total_matching (may exceed max). Returns
// the number written, or -ETIMEDOUT when a worker did not answer within
// timeout_ms (nothing is left pending), -EINVAL on bad arguments.
int dataplane_session_list(Dataplane* dp, const SessionFilter& filter, SessionView* out,
                           unsigned max, unsigned* total_matching, unsigned timeout_ms);

// Deletes the sessions matching `filter`; *cleared gets the count. 0 or
// -ETIMEDOUT (workers that answered have cleared theirs).
int dataplane_session_clear(Dataplane* dp, const SessionFilter& filter, unsigned* cleared,
                            unsigned timeout_ms);

// Summed over workers from their counters (no mailbox).
SessionStats dataplane_session_stats(const Dataplane* dp);

// True once after a worker first dropped a new flow for lack of room (and
// again only after usage fell under 90% and filled up again): the control
// plane logs it.
bool dataplane_session_take_full_alert(Dataplane* dp);

// Hits (first packets evaluated to it) and bytes per policy index.
struct PolicyStats {
  uint64_t hits, bytes;
};
PolicyStats dataplane_policy_stats(const Dataplane* dp, unsigned policy_index);
uint64_t dataplane_implicit_deny_count(const Dataplane* dp);

// True when the session view passes the filter (exposed for tests).
bool session_filter_match(const SessionFilter& filter, const SessionView& view);

// FortiOS `diagnose sys session list` block for one session; NUL-terminated,
// returns the length it needed, like snprintf.
size_t format_session(const SessionView& view, char* buf, size_t len);
// `diagnose sys session stat`.
size_t format_session_stats(const SessionStats& stats, char* buf, size_t len);
const char* fwd_drop_name(FwdDrop reason);

}  // namespace tandem::dp
