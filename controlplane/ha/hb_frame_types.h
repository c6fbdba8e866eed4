// Plain types of the HA heartbeat: what one node tells its peer every
// hb-interval on hbdev queue 0, and how a received frame was judged.
// Filled by HaMachine::make_heartbeat(), carried by HbCodec (hb_frame.h),
// read back by HaMachine::on_heartbeat(). Wire layout: docs/ha.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace tandem::ha {

// Local-experimental EtherType (IEEE 802 "Local Experimental Ethertype 1").
inline constexpr uint16_t kHbEtherType = 0x88B5;
inline constexpr uint8_t kHbVersion = 1;
inline constexpr uint8_t kHbTypeHeartbeat = 1;

// Field limits, sized to FortiOS's own (hostname 35, serial 16) so a frame
// always fits one untagged Ethernet frame without fragmentation.
inline constexpr size_t kHbSerialLen = 16;
inline constexpr size_t kHbHostnameMax = 35;
inline constexpr size_t kHbVersionMax = 31;
inline constexpr size_t kHbChecksumMax = 64;
inline constexpr size_t kHbDevNameMax = 15;
inline constexpr size_t kHbFrameMax = 256;

// The role a node announces; the same values as HaRole (ha_state_types.h).
enum class HbRole : uint8_t { kHello = 0, kPrimary = 1, kSecondary = 2 };

// Config/session sync status as FortiOS prints it under "Configuration Status".
enum class HbSyncStatus : uint8_t { kUnknown = 0, kInSync = 1, kOutOfSync = 2 };

struct HbInfo {
  unsigned group_id = 0;
  std::string serial;           // sender id: ≤ kHbSerialLen ASCII bytes, not empty
  uint64_t boot_epoch = 0;      // random per process start; keys the replay window
  uint64_t seq = 0;             // strictly increasing within one boot_epoch
  std::string hostname;
  uint8_t priority = 128;
  bool override = false;        // the sender's `set override`
  bool maintenance = false;     // maintenance-mode enable-with/without-sync
  bool failover_set = false;    // `execute ha failover set 1` is in force
  bool links_pending = false;   // a recovered monitored link is inside its stability period
  uint8_t mon_score = 0;        // monitored interfaces up and stable
  uint8_t mon_total = 0;        // monitored interfaces configured
  uint64_t uptime_ms = 0;       // FGCP "age": time since start or last monitor failure
  HbRole role = HbRole::kHello;
  std::string sw_version;
  std::string config_checksum;  // hex, as `diagnose sys ha checksum` prints it
  HbSyncStatus sync = HbSyncStatus::kUnknown;
  std::string hbdev;            // interface the frame was sent on
};

enum class HbDecodeResult : uint8_t {
  kOk,
  kNotHb,       // not our EtherType: someone else's frame, not an error
  kMalformed,   // our EtherType but the layout or a length is wrong
  kWrongGroup,  // a cluster with another group-id shares the link
  kAuthFailed,  // tag mismatch: wrong password or a corrupted/forged frame
  kReplay,      // authentic but already seen (or older than the window)
};

struct HbCodecCounters {
  uint64_t encoded = 0;
  uint64_t ok = 0, not_hb = 0, malformed = 0, wrong_group = 0, auth_failed = 0, replay = 0;
  uint64_t peer_restarts = 0;  // a known sender came back with a new boot epoch
};

}  // namespace tandem::ha
