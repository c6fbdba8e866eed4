// Control-side access to the workers' TCP stacks for the CLI
// (`diagnose sys tcp list|stat`, controlplane/daemon/tcp_cli.cc). Runs on
// the owning worker through the glue's mailbox (served once per loop), or
// inline when workers are not launched, so each stack keeps one writer.
// C-style: no exceptions; errors are negative errno values.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dataplane/tcp/tcp_glue_types.h"
#include "dataplane/tcp/tcp_types.h"
#include "dataplane/worker/worker.h"

namespace tandem::dp {

// One worker's view for `diagnose sys tcp stat`, copied on the worker.
struct TcpWorkerStats {
  TcpCounters stack;
  TcpGlueCounters glue;
  uint32_t live;  // connections in the table (TIME_WAIT included)
  uint32_t slots, buffers, buffers_free;  // table size, buffer pairs, pairs not held
  uint32_t by_state[kNbTcpConnStates];
};

// True when the dataplane was created with TCP stacks (tcp_max_conns > 0).
bool dataplane_tcp_enabled(const Dataplane* dp);

// Control lcore: gives the workers TCP stacks of max_conns connections (if
// they have none) and access proxies, for an access proxy configured after
// start. Returns 0 once every worker took them, -ENOMEM, or -ETIMEDOUT.
int dataplane_ztna_start(Dataplane* dp, uint32_t max_conns, unsigned timeout_ms);

// One tcp_format_conn line per connection of every worker, each prefixed
// with "worker=<i> ", into buf (NUL-terminated; lines that do not fit are
// left out). *total gets the number of connections. Returns the bytes
// written, -ENOTSUP without TCP stacks, -ETIMEDOUT when a worker did not
// answer within timeout_ms.
int dataplane_tcp_list(Dataplane* dp, char* buf, size_t len, unsigned* total,
                       unsigned timeout_ms);

// Worker `worker`'s engine and glue counters. 0, -ENOTSUP, -EINVAL, -ETIMEDOUT.
int dataplane_tcp_stats(Dataplane* dp, unsigned worker, TcpWorkerStats* out,
                        unsigned timeout_ms);

// The glue counters, one `name=value` per line (like tcp_format_counters).
size_t tcp_format_glue_counters(const TcpGlueCounters& k, char* buf, size_t len);

}  // namespace tandem::dp
