// Plain types of the TCP engine on the workers (dataplane/tcp/tcp_glue):
// the test service's settings as the Snapshot carries them and the glue's
// own per-worker counters (what happens around the engine: checksums,
// hand-offs, mbufs, next hops). No code here; tandemd fills TcpServiceConf,
// the workers only read it. Deliberately free of tcp_types.h: worker_types.h
// includes this, and session_inl.h has TCP flag constants of its own.
#pragma once

#include <cstdint>

namespace tandem::dp {

// `config system tcp-test-service`: a listener per non-zero port on every
// address of the node. Echo returns what it reads; http answers `GET /<n>`
// with n bytes of tcp_service_pattern and a POST with the body's length and
// checksums (docs/tcp.md). Changes take effect at the next publish.
struct TcpServiceConf {
  uint16_t echo_port;  // 0: off
  uint16_t http_port;  // 0: off
  uint32_t max_conns;  // live connections per listener
};

// Written only by the owning worker (relaxed stores, see counter_add).
struct TcpGlueCounters {
  uint64_t rx_segments;      // decoded and given to the engine
  uint64_t rx_bad_checksum;  // TCP checksum wrong (software or NIC verdict)
  uint64_t rx_malformed;     // header would not decode
  uint64_t rx_handoffs;      // segments of another worker's flow sent to it
  uint64_t rx_handoff_full;  // ... lost because its ring was full
  uint64_t tx_segments;      // frames queued for TX (or on a neighbour)
  uint64_t tx_no_mbuf;       // emit found the pool empty
  uint64_t tx_no_route;      // no route (or standby port) to the peer
  uint64_t tx_neigh_queued;  // held until ARP resolves the next hop
  uint64_t tx_neigh_dropped; // the neighbour's queue was full or the table was
  uint64_t arp_requests;     // sent by the glue for a next hop it lacked
  uint64_t accepted;         // connections the test service took
  uint64_t pings_sent;       // ICMP echo requests of the access proxy's health probes
  uint64_t ping_replies;     // ... and the echo replies that came back for them
};

}  // namespace tandem::dp
