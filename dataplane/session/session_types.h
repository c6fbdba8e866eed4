// Plain types of the per-worker session table: the normalised flow key, the
// 128-byte session entry, TCP states and the configurable timers, plus what
// the control side reads (SessionFilter, SessionView, SessionStats) for
// `diagnose sys session list|filter|clear|stat`. No code here but the
// accessor of an entry's second line (session_cold).
//
// Session pickup (dataplane/sync) keeps its per-session state in the
// sync_* fields: whether the peer holds the entry, which generation of the
// peer's stream last refreshed it, and (the low 32 bits of) the expiry the
// peer was last told.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tandem::dp {

// Both directions of a flow give the same key: the (address, port) pair that
// compares lower goes first. ICMP echo uses the identifier as both ports.
struct SessionKey {
  uint32_t ip_lo_be, ip_hi_be;
  uint16_t port_lo, port_hi;  // host order
  uint8_t proto;
  uint8_t zone;  // VDOM/zone; 0 until zones exist
  uint16_t pad;  // always 0, hashed with the rest
};
static_assert(sizeof(SessionKey) == 16);

// FortiOS proto_state numbers for TCP, so `diagnose` output reads the same.
enum class TcpState : uint8_t {
  kNone = 0,         // not TCP
  kEstablished = 1,  // three-way handshake done
  kSynSent = 2,      // originator's SYN seen
  kSynRecv = 3,      // responder's SYN-ACK seen
  kFinWait = 4,      // one side sent FIN
  kTimeWait = 5,     // both sides sent FIN
  kClose = 6,        // RST seen
};
inline constexpr unsigned kNbTcpStates = 7;

enum SessionDir : uint8_t { kDirOrig = 0, kDirReply = 1 };

// Seconds; FortiOS-like defaults. 0 in a snapshot means "default".
struct SessionTimers {
  uint32_t tcp_halfopen, tcp_established, tcp_halfclose, tcp_timewait, udp, icmp, other;
};
inline constexpr SessionTimers kDefaultSessionTimers{10, 3600, 120, 1, 180, 60, 3600};

inline constexpr uint32_t kSessionNil = UINT32_MAX;

// Sessions per worker table: `set session-table-size` in config system
// dpdk, its range and default (the config schema and bench-worker use these).
inline constexpr uint32_t kSessionTableMin = 1024;
inline constexpr uint32_t kSessionTableMax = 67108864;
inline constexpr uint32_t kSessionTableDefault = 1048576;

// Session flag bits.
inline constexpr uint8_t kSessionInUse = 0x01;
inline constexpr uint8_t kSessionOrigFromLo = 0x02;  // originator is (ip_lo, port_lo)
inline constexpr uint8_t kSessionFinOrig = 0x04;
inline constexpr uint8_t kSessionFinReply = 0x08;
inline constexpr uint8_t kSessionLog = 0x10;  // policy has logtraffic
inline constexpr uint8_t kSessionRstReply = 0x20;  // the first RST came from the responder (traffic log action)

// Session sync_flags bits.
inline constexpr uint8_t kSessionSyncKnown = 0x01;  // sender: the peer was sent this session
inline constexpr uint8_t kSessionSynced = 0x02;     // receiver: installed from the peer's stream

// One flow, both directions, in two cache lines that do not sit side by
// side: the table lays its entries out in blocks of kSessionBlockEntries,
// their first lines (Session) together and their second lines
// (SessionCold) together after them, so the second line of an entry is
// kSessionColdOffset bytes after its first (session_cold). Index-linked
// (hash chain, wheel list) so the table is one block with no pointers to
// fix up, which a bulk sync can walk. A Session is only ever an entry of a
// table, never a copy: its second line is found by its address.
//
// The first line holds everything a packet of an established flow reads
// or writes (key, chain links, counters, expiry, next hops, ports, state,
// and on an HA primary the expiry the peer knows), so the lookup fetches
// one line per packet, not two: at 1 M sessions every line is a DRAM
// miss, and one line less per frame made the worker ~10 cycles a frame
// cheaper, and an HA primary with session pickup ~8-16 more. With the
// first lines together, the pages a packet's lookup walks hold half the
// table, and each page walk costs less (docs/bench-forwarding.md, "First
// lines apart"). The TTL itself (timeout_s) is on the second line: a
// packet needs it only when the state or the timers change.
// The counters are split for it: the low 16 bits of the packets and 32 of
// the bytes here, the rest in the second line, which a packet touches only
// when a low part wraps (every 65,536 packets or 4 GiB of a direction).
// Read and write them with session_packets/session_bytes/session_count/
// session_set_counters.
struct alignas(64) Session {
  SessionKey key;                     // 16
  uint32_t hash_next;                 // next in the chain of its home
  // The slot's, not its flow's, in use or free (an insert keeps it): the
  // first of the flows whose home (session_home) this entry is;
  // kSessionNil when none is.
  uint32_t home_chain;
  uint64_t expire_ms;                 // 32
  uint32_t bytes_lo[2];               // [SessionDir]
  uint16_t packets_lo[2];             // [SessionDir]; 44
  // Sender: the low 32 bits of expire_ms as of the last record sent. A
  // refresh is due once expire_ms moved a quarter TTL past it, and at most
  // 1.25 TTLs (~9 days at session-ttl's 604800 s) separate the two when a
  // packet compares them, so 32 bits (49 days) of it are enough.
  uint32_t sync_expire_lo;            // 48
  uint32_t next_hop_be[2];            // gateway towards the receiver of each direction
  uint16_t policy_index;
  uint8_t port[2];                    // ingress port index of each direction
  uint8_t state;                      // TcpState for TCP, 0 otherwise
  uint8_t flags;
  uint8_t sync_flags;                 // kSessionSync*
  uint8_t timers_gen;                 // ActiveConfig::timers_gen when last armed; 64
};
// The second line: the timer wheel, the rest, and the counters' high halves.
struct alignas(64) SessionCold {
  uint32_t wheel_next, wheel_prev;    // timer wheel slot list
  uint32_t wheel_tick;                // tick whose slot holds the entry
  uint32_t serial;
  uint64_t created_ms;
  uint32_t policy_id;
  uint32_t sync_generation;           // receiver: the peer's stream generation that wrote it
  uint64_t packets_hi[2];             // packets >> 16
  uint32_t bytes_hi[2];               // bytes >> 32
  uint32_t timeout_s;                 // TTL of the state, as of its last change
  // The slot's, not its flow's, like home_chain: an insert keeps it.
  // In the first entry of each group of kSessionGroupEntries, a bit per
  // entry of the group, set when that entry is free; 0 and unused in the
  // others. So the free map costs no bytes of its own.
  uint32_t group_free;
};
static_assert(sizeof(Session) == 64, "a packet's fields fill the first line");
static_assert(sizeof(SessionCold) == 64, "the rest fills the second");
static_assert(offsetof(SessionCold, group_free) + 4 == sizeof(SessionCold),
              "the slot's own field ends the second line");
// Entries whose first lines fill 64 KiB, followed by their second lines:
// the table's unit of layout. bench-pagewalk on this guest: random lines
// in the even 64 KiB of 128 MiB cost ~38 cycles, 64 MiB in one piece ~37,
// and all of 128 MiB ~44.
inline constexpr uint32_t kSessionBlockEntries = 1024;
inline constexpr size_t kSessionColdOffset = size_t{kSessionBlockEntries} * sizeof(Session);
// A group of entries shares the free bits in its first entry's second line
// (half a page of first lines): the table's groups for the free map.
inline constexpr uint32_t kSessionGroupEntries = 32;
static_assert(kSessionBlockEntries % kSessionGroupEntries == 0);

// An entry's second line.
inline SessionCold* session_cold(Session* s) {
  return reinterpret_cast<SessionCold*>(reinterpret_cast<char*>(s) + kSessionColdOffset);
}
inline const SessionCold* session_cold(const Session* s) {
  return reinterpret_cast<const SessionCold*>(reinterpret_cast<const char*>(s) +
                                              kSessionColdOffset);
}

// `diagnose sys session filter`: 0 fields mean "any".
struct SessionFilter {
  uint32_t src_be, dst_be;
  uint16_t sport, dport;
  uint8_t proto;
  uint32_t policy_id;
};

struct SessionTuple {
  uint32_t src_be, dst_be;
  uint16_t sport, dport;
};

// A copy of one session for the CLI, taken on the owning worker.
struct SessionView {
  SessionTuple orig, reply;
  uint8_t proto;
  uint8_t proto_state;   // TcpState value for TCP
  const char* state_name;
  uint32_t duration_s, expire_s, timeout_s;
  uint32_t policy_id;
  uint8_t in_port, out_port;  // of the original direction
  uint32_t gateway_be[2];     // next hop of each direction
  uint64_t bytes[2], packets[2];
  uint32_t worker;
  uint32_t serial;
  uint8_t flags;
  bool synced;  // installed from the HA peer (session pickup)
};

// Why a transit packet was dropped (per worker, summed on demand).
enum class FwdDrop : uint8_t {
  kTableFull,     // new flow, no free session
  kNoRoute,       // no route to the destination, or back to the source
  kNoNeighbour,   // ARP did not resolve in time, or its queue overflowed
  kPolicyDeny,    // a deny policy, or no policy (implicit deny)
  kTtlExceeded,   // TTL <= 1
  kTcpNotSyn,     // first packet of a TCP flow without SYN
  kFragment,      // IPv4 fragments are not reassembled
  kHandoffFull,   // the owner's hand-off ring was full
  kStandby,       // the egress (or, for a handed-off packet, ingress) port is standby
  kLand,          // source address = destination address (a LAND attack)
  kCount
};
inline constexpr unsigned kNbFwdDrops = static_cast<unsigned>(FwdDrop::kCount);

struct SessionStats {
  uint64_t by_tcp_state[kNbTcpStates];  // live TCP sessions per state
  uint64_t udp, icmp, other;            // live non-TCP sessions
  uint64_t inserts_total, deletes_total, expired_total, cleared_total;
  uint64_t forwarded_packets, handoffs;
  uint64_t drops[kNbFwdDrops];
  uint64_t capacity, in_use;
  bool table_full_seen;  // some worker has dropped a new flow for lack of room
};

}  // namespace tandem::dp
