#include "controlplane/ha/hb_frame.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>

#include "dataplane/sync/hkdf.h"

namespace tandem::ha {
namespace {

constexpr size_t kEthHdrLen = 14;
constexpr size_t kEthMinFrame = 60;  // without FCS: shorter frames arrive padded
// version, type, group(2), serial(16), epoch(8), seq(8), payload length(2)
constexpr size_t kHbHdrLen = 2 + 2 + kHbSerialLen + 8 + 8 + 2;
constexpr size_t kTagLen = 16;
constexpr size_t kPayloadFixedLen = 14;
constexpr size_t kPayloadMax = kPayloadFixedLen + 4 + kHbHostnameMax + kHbVersionMax +
                               kHbChecksumMax + kHbDevNameMax;
constexpr uint8_t kFlagOverride = 1u << 0, kFlagMaintenance = 1u << 1,
                  kFlagFailoverSet = 1u << 2, kFlagLinksPending = 1u << 3;
constexpr uint8_t kFlagsKnown = kFlagOverride | kFlagMaintenance | kFlagFailoverSet | kFlagLinksPending;
// Domain separation: a key for heartbeats can never equal one for the sync
// stream even when both come from the same password.
constexpr char kSaltLabel[] = "tandem-hb-v1 group ";
constexpr char kInfoLabel[] = "tandem-hb-v1 aes-256-gcm";

void put16(uint8_t* p, uint16_t v) { p[0] = uint8_t(v >> 8); p[1] = uint8_t(v); }
void put64(uint8_t* p, uint64_t v) {
  for (int i = 7; i >= 0; --i, v >>= 8) p[i] = uint8_t(v);
}
uint16_t get16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
uint64_t get64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | p[i];
  return v;
}

bool printable(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

// Serial as it travels: exactly 16 bytes, NUL-padded.
std::string serial_field(std::string_view serial) {
  std::string f(serial);
  f.resize(kHbSerialLen, '\0');
  return f;
}

bool put_str(uint8_t** p, std::string_view s, size_t max) {
  if (s.size() > max || !printable(s)) return false;
  *(*p)++ = uint8_t(s.size());
  std::memcpy(*p, s.data(), s.size());
  *p += s.size();
  return true;
}

bool get_str(const uint8_t** p, const uint8_t* end, size_t max, std::string* out) {
  if (*p >= end) return false;
  size_t n = *(*p)++;
  if (n > max || size_t(end - *p) < n) return false;
  out->assign(reinterpret_cast<const char*>(*p), n);
  *p += n;
  return printable(*out);
}

void nonce_for(uint64_t seq, uint8_t nonce[12]) {
  std::memset(nonce, 0, 4);
  put64(nonce + 4, seq);
}

}  // namespace

const char* hb_decode_result_name(HbDecodeResult r) {
  switch (r) {
    case HbDecodeResult::kOk: return "ok";
    case HbDecodeResult::kNotHb: return "not a heartbeat";
    case HbDecodeResult::kMalformed: return "malformed heartbeat";
    case HbDecodeResult::kWrongGroup: return "heartbeat from another group";
    case HbDecodeResult::kAuthFailed: return "heartbeat authentication failed (wrong password?)";
    case HbDecodeResult::kReplay: return "replayed heartbeat";
  }
  return "?";
}

bool parse_hb_payload(const uint8_t* p, size_t len, HbInfo* out) {
  if (len < kPayloadFixedLen) return false;
  const uint8_t* end = p + len;
  if (p[0] > uint8_t(HbRole::kSecondary)) return false;
  uint8_t flags = p[1];
  if (flags & ~kFlagsKnown) return false;
  if (p[3] > p[4]) return false;
  if (p[5] > uint8_t(HbSyncStatus::kOutOfSync)) return false;
  HbInfo info = *out;
  info.role = HbRole(p[0]);
  info.override = flags & kFlagOverride;
  info.maintenance = flags & kFlagMaintenance;
  info.failover_set = flags & kFlagFailoverSet;
  info.links_pending = flags & kFlagLinksPending;
  info.priority = p[2];
  info.mon_score = p[3];
  info.mon_total = p[4];
  info.sync = HbSyncStatus(p[5]);
  info.uptime_ms = get64(p + 6);
  p += kPayloadFixedLen;
  if (!get_str(&p, end, kHbHostnameMax, &info.hostname) ||
      !get_str(&p, end, kHbVersionMax, &info.sw_version) ||
      !get_str(&p, end, kHbChecksumMax, &info.config_checksum) ||
      !get_str(&p, end, kHbDevNameMax, &info.hbdev) || p != end)
    return false;
  *out = std::move(info);
  return true;
}

HbCodec::HbCodec() : ctx_(EVP_CIPHER_CTX_new()) {}

HbCodec::~HbCodec() { EVP_CIPHER_CTX_free(ctx_); }

bool HbCodec::init(std::string_view password, unsigned group_id, std::string* err) {
  ready_ = false;
  senders_.clear();
  tx_key_valid_ = false;
  if (!ctx_) {
    if (err) *err = "cannot allocate an OpenSSL cipher context";
    return false;
  }
  if (group_id > 0xffff) {
    if (err) *err = "group-id " + std::to_string(group_id) + " does not fit the heartbeat (max 65535)";
    return false;
  }
  std::string salt = kSaltLabel;
  salt.push_back(char(group_id >> 8));
  salt.push_back(char(group_id & 0xff));
  if (!dp::hkdf_sha256_extract(reinterpret_cast<const uint8_t*>(password.data()),
                               password.size(), reinterpret_cast<const uint8_t*>(salt.data()),
                               salt.size(), prk_.data(), prk_.size())) {
    if (err) *err = "HKDF-SHA256 is not available from OpenSSL";
    return false;
  }
  group_id_ = group_id;
  ready_ = true;
  return true;
}

bool HbCodec::derive_key(std::string_view serial16, uint64_t epoch, Key* key) const {
  uint8_t info[sizeof(kInfoLabel) - 1 + kHbSerialLen + 8];
  std::memcpy(info, kInfoLabel, sizeof(kInfoLabel) - 1);
  std::memcpy(info + sizeof(kInfoLabel) - 1, serial16.data(), kHbSerialLen);
  put64(info + sizeof(kInfoLabel) - 1 + kHbSerialLen, epoch);
  return dp::hkdf_sha256_expand(prk_.data(), prk_.size(), info, sizeof(info), key->data(),
                                key->size());
}

HbDecodeResult HbCodec::count(HbDecodeResult r) {
  switch (r) {
    case HbDecodeResult::kOk: ++counters_.ok; break;
    case HbDecodeResult::kNotHb: ++counters_.not_hb; break;
    case HbDecodeResult::kMalformed: ++counters_.malformed; break;
    case HbDecodeResult::kWrongGroup: ++counters_.wrong_group; break;
    case HbDecodeResult::kAuthFailed: ++counters_.auth_failed; break;
    case HbDecodeResult::kReplay: ++counters_.replay; break;
  }
  return r;
}

size_t HbCodec::encode(const HbInfo& info, const uint8_t src_mac[6], uint8_t* buf, size_t cap) {
  if (!ready_ || info.group_id != group_id_ || info.serial.empty() ||
      info.serial.size() > kHbSerialLen || !printable(info.serial) ||
      info.mon_score > info.mon_total || uint8_t(info.role) > uint8_t(HbRole::kSecondary) ||
      uint8_t(info.sync) > uint8_t(HbSyncStatus::kOutOfSync))
    return 0;
  uint8_t plain[kPayloadMax];
  plain[0] = uint8_t(info.role);
  plain[1] = uint8_t((info.override ? kFlagOverride : 0) | (info.maintenance ? kFlagMaintenance : 0) |
                     (info.failover_set ? kFlagFailoverSet : 0) |
                     (info.links_pending ? kFlagLinksPending : 0));
  plain[2] = info.priority;
  plain[3] = info.mon_score;
  plain[4] = info.mon_total;
  plain[5] = uint8_t(info.sync);
  put64(plain + 6, info.uptime_ms);
  uint8_t* p = plain + kPayloadFixedLen;
  if (!put_str(&p, info.hostname, kHbHostnameMax) || !put_str(&p, info.sw_version, kHbVersionMax) ||
      !put_str(&p, info.config_checksum, kHbChecksumMax) || !put_str(&p, info.hbdev, kHbDevNameMax))
    return 0;
  size_t plain_len = size_t(p - plain);
  size_t total = kEthHdrLen + kHbHdrLen + plain_len + kTagLen;
  if (total > cap) return 0;

  std::string serial16 = serial_field(info.serial);
  if (!tx_key_valid_ || tx_serial_ != serial16 || tx_epoch_ != info.boot_epoch) {
    if (!derive_key(serial16, info.boot_epoch, &tx_key_)) return 0;
    tx_serial_ = serial16;
    tx_epoch_ = info.boot_epoch;
    tx_key_valid_ = true;
  }

  std::memset(buf, 0xff, 6);
  std::memcpy(buf + 6, src_mac, 6);
  put16(buf + 12, kHbEtherType);
  uint8_t* h = buf + kEthHdrLen;
  h[0] = kHbVersion;
  h[1] = kHbTypeHeartbeat;
  put16(h + 2, uint16_t(group_id_));
  std::memcpy(h + 4, serial16.data(), kHbSerialLen);
  put64(h + 4 + kHbSerialLen, info.boot_epoch);
  put64(h + 12 + kHbSerialLen, info.seq);
  put16(h + 20 + kHbSerialLen, uint16_t(plain_len));
  uint8_t* ct = h + kHbHdrLen;
  uint8_t nonce[12];
  nonce_for(info.seq, nonce);
  int outl = 0, finl = 0;
  if (EVP_EncryptInit_ex(ctx_, EVP_aes_256_gcm(), nullptr, tx_key_.data(), nonce) != 1 ||
      EVP_EncryptUpdate(ctx_, nullptr, &outl, h, int(kHbHdrLen)) != 1 ||
      EVP_EncryptUpdate(ctx_, ct, &outl, plain, int(plain_len)) != 1 ||
      EVP_EncryptFinal_ex(ctx_, ct + outl, &finl) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_GCM_GET_TAG, int(kTagLen), ct + plain_len) != 1)
    return 0;
  ++counters_.encoded;
  return total;
}

HbDecodeResult HbCodec::decode(const uint8_t* frame, size_t len, HbInfo* out) {
  if (!frame || len < kEthHdrLen || get16(frame + 12) != kHbEtherType) return count(HbDecodeResult::kNotHb);
  if (!ready_ || len < kEthHdrLen + kHbHdrLen + kTagLen) return count(HbDecodeResult::kMalformed);
  const uint8_t* h = frame + kEthHdrLen;
  size_t plain_len = get16(h + 20 + kHbSerialLen);
  size_t need = kEthHdrLen + kHbHdrLen + plain_len + kTagLen;
  // Only a frame shorter than the Ethernet minimum may carry padding; any
  // other extra byte means the length field and the frame disagree.
  bool padded = need < kEthMinFrame && len == kEthMinFrame;
  if (h[0] != kHbVersion || h[1] != kHbTypeHeartbeat || plain_len > kPayloadMax ||
      (len != need && !padded))
    return count(HbDecodeResult::kMalformed);
  if (get16(h + 2) != group_id_) return count(HbDecodeResult::kWrongGroup);
  std::string serial16(reinterpret_cast<const char*>(h + 4), kHbSerialLen);
  std::string serial = serial16.substr(0, serial16.find('\0'));
  // NUL padding only at the end, and a sender id that is not empty.
  if (serial.empty() || !printable(serial) ||
      serial16.find_first_not_of('\0', serial.size()) != std::string::npos)
    return count(HbDecodeResult::kMalformed);
  uint64_t epoch = get64(h + 4 + kHbSerialLen);
  uint64_t seq = get64(h + 12 + kHbSerialLen);

  auto it = senders_.find(serial);
  EpochWindow* win = nullptr;
  if (it != senders_.end()) {
    SenderWindow& sw = it->second;
    for (size_t i = 0; i < sw.count; ++i)
      if (sw.epochs[i].epoch == epoch) win = &sw.epochs[i];
  }
  Key key;
  if (win) {
    key = win->key;
  } else if (!derive_key(serial16, epoch, &key)) {
    return count(HbDecodeResult::kAuthFailed);
  }

  const uint8_t* ct = h + kHbHdrLen;
  uint8_t plain[kPayloadMax];
  uint8_t nonce[12];
  nonce_for(seq, nonce);
  uint8_t tag[kTagLen];
  std::memcpy(tag, ct + plain_len, kTagLen);
  int outl = 0, finl = 0;
  if (EVP_DecryptInit_ex(ctx_, EVP_aes_256_gcm(), nullptr, key.data(), nonce) != 1 ||
      EVP_DecryptUpdate(ctx_, nullptr, &outl, h, int(kHbHdrLen)) != 1 ||
      EVP_DecryptUpdate(ctx_, plain, &outl, ct, int(plain_len)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_GCM_SET_TAG, int(kTagLen), tag) != 1 ||
      EVP_DecryptFinal_ex(ctx_, plain + outl, &finl) != 1)
    return count(HbDecodeResult::kAuthFailed);

  HbInfo info;
  if (!parse_hb_payload(plain, plain_len, &info)) return count(HbDecodeResult::kMalformed);

  // Authentic from here on: only now may the frame touch replay state, so
  // forged frames can neither fill the sender table nor move a window.
  if (win) {
    if (seq > win->top) {
      uint64_t shift = seq - win->top;
      win->seen = shift >= 64 ? 1 : (win->seen << shift) | 1;
      win->top = seq;
    } else {
      uint64_t back = win->top - seq;
      if (back >= 64 || (win->seen >> back) & 1) return count(HbDecodeResult::kReplay);
      win->seen |= uint64_t(1) << back;
    }
  } else {
    if (it == senders_.end()) {
      if (senders_.size() >= kMaxSenders) {
        auto lru = std::min_element(senders_.begin(), senders_.end(), [](const auto& x, const auto& y) {
          return x.second.last_use < y.second.last_use;
        });
        senders_.erase(lru);
      }
      it = senders_.emplace(serial, SenderWindow{}).first;
    } else {
      ++counters_.peer_restarts;  // a known sender with a new boot epoch
    }
    SenderWindow& sw = it->second;
    if (sw.count < kEpochsKept) {
      win = &sw.epochs[sw.count++];
    } else {
      win = &*std::min_element(sw.epochs.begin(), sw.epochs.end(),
                               [](const EpochWindow& x, const EpochWindow& y) { return x.last_use < y.last_use; });
    }
    *win = EpochWindow{epoch, seq, 1, key, 0};
  }
  win->last_use = it->second.last_use = ++use_clock_;

  info.group_id = group_id_;
  info.serial = std::move(serial);
  info.boot_epoch = epoch;
  info.seq = seq;
  *out = std::move(info);
  return count(HbDecodeResult::kOk);
}

}  // namespace tandem::ha
