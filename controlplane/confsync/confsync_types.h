// Plain types of config sync (controlplane/confsync): the messages the two
// nodes exchange over TCP/5199 (wire form in docs/confsync.md), the state
// of the link to the peer and the counters `diagnose ha stats` prints.
// No code beyond trivial helpers: confsync_msg.cc encodes and parses,
// confsync.cc runs the channel, confsync_format.cc prints.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace tandem::confsync {

// FortiManager HA's port; tests pass their own.
inline constexpr uint16_t kDefaultPort = 5199;

// Per-section checksums in schema order, "all" last (config::checksums over
// the synchronised part of the config, see node_specific.h).
using SectionChecksums = std::vector<std::pair<std::string, std::string>>;

enum class MsgType : uint8_t {
  kHello = 1,      // first message each way after the TLS handshake
  kFull = 2,       // the whole synchronised config; replaces the receiver's
  kChange = 3,     // one committed change: the sections it touched
  kAck = 4,        // answer to FULL or CHANGE: applied or refused (error text)
  kChecksums = 5,  // periodic drift check
};

// One decoded message; which fields a type carries is in docs/confsync.md.
struct Message {
  MsgType type = MsgType::kHello;
  std::string serial;            // HELLO
  std::string software_version;  // HELLO
  bool primary = false;          // HELLO, CHECKSUMS: the sender's HA role
  uint64_t epoch = 0;            // sender's config epoch; ACK: epoch now applied
  uint64_t change_id = 0;        // CHANGE, ACK (0 in an ACK of a FULL)
  bool ok = true;                // ACK
  std::string text;              // FULL, CHANGE: config text; ACK: error
  SectionChecksums checksums;    // all but ACK-with-error: state after the message
};

// The link to the peer, one state at a time (transitions in confsync.cc).
enum class LinkState {
  kDisabled,   // no enabled peer configured, or `execute ha synchronize stop`
  kBackoff,    // nothing connected; the dialing side waits before a retry
  kConnecting, // TCP connect in progress (the dialing side)
  kHandshake,  // TLS 1.3 handshake, then address/serial/CA checks
  kHello,      // peer authenticated; waiting for its HELLO
  kSyncing,    // a FULL is in flight, or the peer is the source and we wait
  kInSync,     // checksums equal; changes flow as CHANGE/ACK
};

const char* link_state_name(LinkState s);

// Counters and the last refusal, for `diagnose ha stats`.
struct ConfSyncStats {
  uint64_t connects = 0;          // authenticated sessions established
  uint64_t refused = 0;           // connections refused (address, serial, CA, TLS)
  uint64_t tx_msgs = 0, rx_msgs = 0;
  uint64_t changes_sent = 0, changes_applied = 0;
  uint64_t fulls_sent = 0, fulls_applied = 0;
  uint64_t acks_ok = 0, acks_error = 0;
  uint64_t protocol_errors = 0;   // undecodable frames (the session is dropped)
  std::string last_error;         // "n/a" until something goes wrong
  std::string last_error_time;    // wall clock, "YYYY-MM-DD HH:MM:SS"
};

}  // namespace tandem::confsync
