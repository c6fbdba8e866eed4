// The ZTNA proxy's counters as a table (ztna_diag.h), in the order
// `diagnose wad stats` prints them.
#include "dataplane/ztna/ztna_diag.h"

namespace tandem::dp {

#define ZTNA_COUNTER(f) {#f, &ZtnaCounters::f}
const ZtnaCounterField kZtnaCounterFields[] = {
    ZTNA_COUNTER(accepted),
    ZTNA_COUNTER(active),
    ZTNA_COUNTER(refused_no_conn),
    ZTNA_COUNTER(tls_full),
    ZTNA_COUNTER(tls_resumed),
    ZTNA_COUNTER(tls_cert_cached),
    ZTNA_COUNTER(tls_no_cert),
    ZTNA_COUNTER(tls_bad_cert),
    ZTNA_COUNTER(tls_failed),
    ZTNA_COUNTER(requests),
    ZTNA_COUNTER(forwarded),
    ZTNA_COUNTER(completed),
    ZTNA_COUNTER(denied_bad_request),
    ZTNA_COUNTER(denied_sni_mismatch),
    ZTNA_COUNTER(denied_no_gateway),
    ZTNA_COUNTER(denied_no_policy),
    ZTNA_COUNTER(denied_policy),
    ZTNA_COUNTER(denied_bad_password),
    ZTNA_COUNTER(denied_login_busy),
    ZTNA_COUNTER(http_401),
    ZTNA_COUNTER(challenges),
    ZTNA_COUNTER(logins),
    ZTNA_COUNTER(login_checks),
    ZTNA_COUNTER(login_stale),
    ZTNA_COUNTER(login_wait_us),
    ZTNA_COUNTER(login_wait_max_us),
    ZTNA_COUNTER(upstream_failed),
    ZTNA_COUNTER(upstream_connects),
    ZTNA_COUNTER(upstream_pooled),
    ZTNA_COUNTER(upstream_reused),
    ZTNA_COUNTER(lan_in),
    ZTNA_COUNTER(lan_out),
    ZTNA_COUNTER(wan_in),
    ZTNA_COUNTER(wan_out),
    ZTNA_COUNTER(head_timeouts),
    ZTNA_COUNTER(keepalive_timeouts),
    ZTNA_COUNTER(idle_timeouts),
};
#undef ZTNA_COUNTER
const size_t kNbZtnaCounterFields = sizeof kZtnaCounterFields / sizeof kZtnaCounterFields[0];
static_assert(sizeof kZtnaCounterFields / sizeof kZtnaCounterFields[0] == sizeof(ZtnaCounters) / sizeof(uint64_t),
              "every counter has its row");

}  // namespace tandem::dp
