// HbCodec: builds and checks HA heartbeat frames (EtherType 0x88B5).
// The control lcore owns one codec per node: HaMachine fills an HbInfo,
// encode() seals it into a frame for hbdev queue 0, and every frame read
// from that queue goes through decode() before HaMachine sees it.
//
// Frames are AES-256-GCM sealed with a key derived by HKDF-SHA256 from the
// cluster password and group id, per (sender serial, boot epoch), and a
// per-sender sliding replay window drops repeats. decode() is total: any
// byte string yields one HbDecodeResult, never a crash or an exception.
// Wire format and the replay argument: docs/ha.md.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "controlplane/ha/hb_frame_types.h"

typedef struct evp_cipher_ctx_st EVP_CIPHER_CTX;

namespace tandem::ha {

// Parses the plaintext payload of a heartbeat (after decryption) into the
// payload fields of *out. Exposed for the fuzz target and tests; decode()
// is the only production caller. False on any layout error.
bool parse_hb_payload(const uint8_t* p, size_t len, HbInfo* out);

const char* hb_decode_result_name(HbDecodeResult r);

class HbCodec {
 public:
  // Boot epochs remembered per sender (the live one and the ones before
  // it), so a replay of a previous life is still caught (docs/ha.md "Replay").
  static constexpr size_t kEpochsKept = 16;
  // Distinct senders tracked; a two-node cluster needs one.
  static constexpr size_t kMaxSenders = 8;

  HbCodec();
  ~HbCodec();
  HbCodec(const HbCodec&) = delete;
  HbCodec& operator=(const HbCodec&) = delete;

  // password: the cluster secret both nodes hold (tandemd passes the
  // `set password` hash from the config, identical on both nodes).
  bool init(std::string_view password, unsigned group_id, std::string* err);

  // Writes the whole Ethernet frame (broadcast destination) into buf and
  // returns its length, or 0 if the codec is not initialised, a field is out
  // of range (see hb_frame_types.h limits) or cap is too small.
  size_t encode(const HbInfo& info, const uint8_t src_mac[6], uint8_t* buf, size_t cap);

  // Checks one received frame. *out is written only for kOk. The caller
  // drops, counts and logs everything else; nothing else is acted on.
  HbDecodeResult decode(const uint8_t* frame, size_t len, HbInfo* out);

  const HbCodecCounters& counters() const { return counters_; }
  unsigned group_id() const { return group_id_; }

 private:
  using Key = std::array<uint8_t, 32>;

  // One boot of one sender: bit i of seen is seq (top - i).
  struct EpochWindow {
    uint64_t epoch = 0;
    uint64_t top = 0;
    uint64_t seen = 0;
    Key key{};
    uint64_t last_use = 0;
  };
  // A sender's recent boots, each with its own window: a replayed frame of
  // an earlier boot is judged by that boot's window and never displaces
  // the live one (docs/ha.md "Replay").
  struct SenderWindow {
    std::array<EpochWindow, kEpochsKept> epochs{};
    size_t count = 0;
    uint64_t last_use = 0;
  };

  bool derive_key(std::string_view serial16, uint64_t epoch, Key* key) const;
  HbDecodeResult count(HbDecodeResult r);

  EVP_CIPHER_CTX* ctx_ = nullptr;
  std::array<uint8_t, 32> prk_{};
  unsigned group_id_ = 0;
  bool ready_ = false;
  std::string tx_serial_;  // the encoder's cached key is for (tx_serial_, tx_epoch_)
  uint64_t tx_epoch_ = 0;
  Key tx_key_{};
  bool tx_key_valid_ = false;
  std::map<std::string, SenderWindow> senders_;
  uint64_t use_clock_ = 0;
  HbCodecCounters counters_;
};

}  // namespace tandem::ha
