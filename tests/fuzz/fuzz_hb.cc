// libFuzzer target for the HA heartbeat decoder (controlplane/ha/hb_frame).
// The first input byte picks what the rest is:
//   0: a received frame for HbCodec::decode() (wrong tags, lengths, groups);
//   1: a decrypted payload for parse_hb_payload(); whatever parses must
//      re-encode, decode as kOk with equal fields, and then be a replay.
// Random bytes almost never pass the AES-GCM tag, so mode 1 is how the
// plaintext parser behind it gets coverage.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "controlplane/ha/hb_frame.h"

using tandem::ha::HbCodec;
using tandem::ha::HbDecodeResult;
using tandem::ha::HbInfo;

namespace {

constexpr char kPassword[] = "fuzz-password";
constexpr unsigned kGroup = 7;
const uint8_t kMac[6] = {2, 0, 0, 0, 0, 1};

bool same(const HbInfo& a, const HbInfo& b) {
  return a.serial == b.serial && a.boot_epoch == b.boot_epoch && a.seq == b.seq && a.hostname == b.hostname &&
         a.priority == b.priority && a.override == b.override && a.maintenance == b.maintenance &&
         a.failover_set == b.failover_set && a.links_pending == b.links_pending && a.mon_score == b.mon_score &&
         a.mon_total == b.mon_total && a.uptime_ms == b.uptime_ms && a.role == b.role &&
         a.sw_version == b.sw_version && a.config_checksum == b.config_checksum && a.sync == b.sync &&
         a.hbdev == b.hbdev && a.group_id == b.group_id;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static HbCodec* rx = [] {
    auto* c = new HbCodec;
    std::string err;
    if (!c->init(kPassword, kGroup, &err)) std::abort();
    return c;
  }();
  if (size == 0) return 0;
  if (data[0] % 2 == 0) {
    HbInfo out;
    HbDecodeResult r = rx->decode(data + 1, size - 1, &out);
    if (r == HbDecodeResult::kOk && (out.serial.empty() || out.group_id != kGroup)) std::abort();
    return 0;
  }
  HbInfo info;
  if (!tandem::ha::parse_hb_payload(data + 1, size - 1, &info)) return 0;
  info.group_id = kGroup;
  info.serial = "FUZZSERIAL000001";
  info.boot_epoch = 42;
  info.seq = 1;
  HbCodec tx, check;
  std::string err;
  if (!tx.init(kPassword, kGroup, &err) || !check.init(kPassword, kGroup, &err)) std::abort();
  uint8_t frame[tandem::ha::kHbFrameMax];
  size_t n = tx.encode(info, kMac, frame, sizeof(frame));
  if (n == 0) std::abort();  // everything the parser accepts must be encodable
  HbInfo back;
  if (check.decode(frame, n, &back) != HbDecodeResult::kOk || !same(info, back)) std::abort();
  if (check.decode(frame, n, &back) != HbDecodeResult::kReplay) std::abort();
  return 0;
}
