// Control-side access to the workers' ZTNA proxies for the CLI
// (controlplane/daemon/ztna_cli.cc, realserver_cli.cc): the user tables
// (`diagnose wad user list|clear`) and the real servers' health
// (`diagnose firewall vip realserver list`) on the owning worker through
// the proxy's mailbox (served once per loop), or inline when workers are
// not launched, so each table keeps one writer; the counters (`diagnose
// wad stats`) read as they are, like the port counters. C-style: no
// exceptions; errors are negative errno values.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dataplane/worker/worker.h"

namespace tandem::dp {

// One worker's proxy counters. Written by the owning worker only; the
// control side reads them without a lock (a count may be one behind).
struct ZtnaCounters {
  uint64_t accepted;         // client connections taken
  uint64_t active;           // client connections open now (a gauge)
  uint64_t refused_no_conn;  // accepts refused: no free ZtnaConn (RST)
  uint64_t tls_full, tls_resumed;  // handshakes completed
  uint64_t tls_cert_cached;        // of the full ones: client chain accepted from the verification cache
  uint64_t tls_no_cert, tls_bad_cert, tls_failed;  // handshakes failed: no certificate, it did not verify, other
  uint64_t requests;  // request heads decided
  uint64_t forwarded, completed;  // requests sent to a real server; client connections the proxy ended after a response
  uint64_t denied_bad_request, denied_sni_mismatch, denied_no_gateway, denied_no_policy, denied_policy,
      denied_bad_password, denied_login_busy;  // refusals by reason (ZtnaDenyReason)
  uint64_t http_401, challenges;  // 401 answers; of them without credentials (the challenge)
  uint64_t logins, login_checks, login_stale;  // good logins; password checks queued; answers for a closed connection
  uint64_t login_wait_us, login_wait_max_us;  // post to answer, summed and the longest
  uint64_t upstream_failed;  // 502: the real server could not be reached or answered badly
  uint64_t upstream_connects, upstream_pooled, upstream_reused;  // server connections opened; kept idle after a client; taken from the pool
  uint64_t lan_in, lan_out, wan_in, wan_out;  // bytes: TLS from/to clients, plaintext to/from real servers
  uint64_t head_timeouts, keepalive_timeouts, idle_timeouts;
};

struct ZtnaCounterField {
  const char* name;
  uint64_t ZtnaCounters::*field;
};
extern const ZtnaCounterField kZtnaCounterFields[];
extern const size_t kNbZtnaCounterFields;

// Worker i's counters into *out. -ENOTSUP without the proxy, -EINVAL for
// no such worker.
int dataplane_ztna_counters(const Dataplane* dp, unsigned worker, ZtnaCounters* out);

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
