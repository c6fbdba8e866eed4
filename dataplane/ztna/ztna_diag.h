// Control-side access to the workers' ZTNA user tables and real-server
// health for the CLI (`diagnose wad user list|clear`, `diagnose firewall
// vip realserver list`, controlplane/daemon/ztna_cli.cc). Runs
// on the owning worker through the proxy's mailbox (served once per loop),
// or inline when workers are not launched, so each table keeps one writer.
// C-style: no exceptions; errors are negative errno values.
#pragma once

#include <cstddef>

#include "dataplane/worker/worker.h"

namespace tandem::dp {

// True when the dataplane runs the ZTNA proxy (DataplaneParams::ztna).
bool dataplane_ztna_enabled(const Dataplane* dp);

// Every worker's users in the `diagnose wad user list` layout (format_user)
// into buf (NUL-terminated; entries that do not fit are left out); *total
// gets the number of users. Returns the bytes written, -ENOTSUP without the
// proxy, -ETIMEDOUT when a worker did not answer within timeout_ms.
int dataplane_ztna_user_list(Dataplane* dp, char* buf, size_t len, unsigned* total, unsigned timeout_ms);

// `diagnose firewall vip realserver list`: every worker's view of the
// access proxies' real servers (ldb-method, health-check state and
// counters) into buf (NUL-terminated, cut when full). Returns the bytes
// written, -ENOTSUP, -ETIMEDOUT.
int dataplane_ztna_realserver_list(Dataplane* dp, char* buf, size_t len, unsigned timeout_ms);

// Logs every user out on every worker; *cleared gets how many. 0,
// -ENOTSUP, -ETIMEDOUT.
int dataplane_ztna_user_clear(Dataplane* dp, unsigned* cleared, unsigned timeout_ms);

}  // namespace tandem::dp
