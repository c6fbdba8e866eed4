// How the glue's counters print, for `diagnose sys tcp stat`: a table of
// (name, field), so a new counter is one line here.
#include <cstdio>

#include "dataplane/tcp/tcp_diag.h"

namespace tandem::dp {
namespace {

struct GlueCounterField {
  const char* name;
  uint64_t TcpGlueCounters::*field;
};

constexpr GlueCounterField kGlueCounterFields[] = {
    {"glue_rx_segments", &TcpGlueCounters::rx_segments},
    {"glue_rx_bad_checksum", &TcpGlueCounters::rx_bad_checksum},
    {"glue_rx_malformed", &TcpGlueCounters::rx_malformed},
    {"glue_rx_handoffs", &TcpGlueCounters::rx_handoffs},
    {"glue_rx_handoff_full", &TcpGlueCounters::rx_handoff_full},
    {"glue_tx_segments", &TcpGlueCounters::tx_segments},
    {"glue_tx_no_mbuf", &TcpGlueCounters::tx_no_mbuf},
    {"glue_tx_no_route", &TcpGlueCounters::tx_no_route},
    {"glue_tx_neigh_queued", &TcpGlueCounters::tx_neigh_queued},
    {"glue_tx_neigh_dropped", &TcpGlueCounters::tx_neigh_dropped},
    {"glue_arp_requests", &TcpGlueCounters::arp_requests},
    {"service_accepted", &TcpGlueCounters::accepted},
    {"glue_pings_sent", &TcpGlueCounters::pings_sent},
    {"glue_ping_replies", &TcpGlueCounters::ping_replies},
};

}  // namespace

size_t tcp_format_glue_counters(const TcpGlueCounters& k, char* buf, size_t len) {
  size_t used = 0;
  for (const auto& f : kGlueCounterFields) {
    int n = std::snprintf(buf + used, len > used ? len - used : 0, "%s=%llu\n", f.name,
                          static_cast<unsigned long long>(k.*f.field));
    if (n < 0) break;
    used += static_cast<size_t>(n);
    if (used >= len) return len > 0 ? len - 1 : 0;
  }
  return used;
}

}  // namespace tandem::dp
