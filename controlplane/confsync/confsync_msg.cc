#include "controlplane/confsync/confsync_msg.h"

namespace tandem::confsync {
namespace {

constexpr uint8_t kMagic0 = 'T', kMagic1 = 'C';
constexpr uint8_t kFlagPrimary = 0x01;

void put_u8(std::string* out, uint8_t v) { out->push_back(static_cast<char>(v)); }
void put_u16(std::string* out, uint16_t v) {
  put_u8(out, static_cast<uint8_t>(v >> 8));
  put_u8(out, static_cast<uint8_t>(v));
}
void put_u32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) put_u8(out, static_cast<uint8_t>(v >> shift));
}
void put_u64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) put_u8(out, static_cast<uint8_t>(v >> shift));
}
// Short strings carry a 1-byte length, errors a 2-byte one, config text 4.
void put_str8(std::string* out, std::string_view s) {
  s = s.substr(0, kMaxShortString);
  put_u8(out, static_cast<uint8_t>(s.size()));
  out->append(s);
}
void put_str16(std::string* out, std::string_view s) {
  s = s.substr(0, kMaxErrorBytes);
  put_u16(out, static_cast<uint16_t>(s.size()));
  out->append(s);
}
void put_str32(std::string* out, std::string_view s) {
  s = s.substr(0, kMaxTextBytes);
  put_u32(out, static_cast<uint32_t>(s.size()));
  out->append(s);
}
void put_checksums(std::string* out, const SectionChecksums& sums) {
  std::size_t n = sums.size() < kMaxSections ? sums.size() : kMaxSections;
  put_u8(out, static_cast<uint8_t>(n));
  for (std::size_t i = 0; i < n; ++i) {
    put_str8(out, sums[i].first);
    put_str8(out, sums[i].second);
  }
}

// Reads fields of one payload; the first failure sticks and names the field.
class Reader {
 public:
  explicit Reader(std::string_view p) : p_(p) {}

  bool u8(const char* what, uint8_t* v) {
    if (!need(what, 1)) return false;
    *v = static_cast<uint8_t>(p_[pos_++]);
    return true;
  }
  bool u64(const char* what, uint64_t* v) {
    if (!need(what, 8)) return false;
    *v = 0;
    for (int i = 0; i < 8; ++i) *v = (*v << 8) | static_cast<uint8_t>(p_[pos_++]);
    return true;
  }
  // Short strings must be printable ASCII (serials, versions, checksums).
  bool str8(const char* what, std::string* s) {
    uint8_t len = 0;
    if (!u8(what, &len)) return false;
    if (len > kMaxShortString) return fail(std::string(what) + " longer than " + std::to_string(kMaxShortString) + " bytes");
    if (!need(what, len)) return false;
    *s = std::string(p_.substr(pos_, len));
    pos_ += len;
    for (char c : *s) {
      if (c < 0x20 || c > 0x7e) return fail(std::string(what) + " holds a non-printable byte");
    }
    return true;
  }
  bool str16(const char* what, std::string* s) {
    if (!need(what, 2)) return false;
    std::size_t len = (static_cast<std::size_t>(static_cast<uint8_t>(p_[pos_])) << 8) |
                      static_cast<uint8_t>(p_[pos_ + 1]);
    pos_ += 2;
    if (len > kMaxErrorBytes) return fail(std::string(what) + " longer than " + std::to_string(kMaxErrorBytes) + " bytes");
    return bytes(what, len, s);
  }
  // Config text: any bytes but NUL (the config tokenizer rejects the rest).
  bool str32(const char* what, std::string* s) {
    if (!need(what, 4)) return false;
    std::size_t len = 0;
    for (int i = 0; i < 4; ++i) len = (len << 8) | static_cast<uint8_t>(p_[pos_++]);
    if (len > kMaxTextBytes) return fail(std::string(what) + " of " + std::to_string(len) + " bytes exceeds the 4 MiB limit");
    if (!bytes(what, len, s)) return false;
    if (s->find('\0') != std::string::npos) return fail(std::string(what) + " holds a NUL byte");
    return true;
  }
  bool checksums(SectionChecksums* sums) {
    uint8_t n = 0;
    if (!u8("section count", &n)) return false;
    if (n > kMaxSections) return fail("more than " + std::to_string(kMaxSections) + " sections");
    sums->clear();
    for (uint8_t i = 0; i < n; ++i) {
      std::string name, sum;
      if (!str8("section name", &name) || !str8("section checksum", &sum)) return false;
      sums->emplace_back(std::move(name), std::move(sum));
    }
    return true;
  }
  bool done() {
    if (pos_ != p_.size()) return fail(std::to_string(p_.size() - pos_) + " trailing bytes after the last field");
    return true;
  }
  const std::string& error() const { return error_; }

 private:
  bool need(const char* what, std::size_t n) {
    if (!error_.empty()) return false;
    if (p_.size() - pos_ < n) return fail(std::string("payload ends inside ") + what);
    return true;
  }
  bool bytes(const char* what, std::size_t len, std::string* s) {
    if (!need(what, len)) return false;
    *s = std::string(p_.substr(pos_, len));
    pos_ += len;
    return true;
  }
  bool fail(std::string e) {
    if (error_.empty()) error_ = std::move(e);
    return false;
  }

  std::string_view p_;
  std::size_t pos_ = 0;
  std::string error_;
};

bool known_type(uint8_t t) { return t >= 1 && t <= 5; }

}  // namespace

const char* msg_type_name(MsgType t) {
  switch (t) {
    case MsgType::kHello: return "HELLO";
    case MsgType::kFull: return "FULL";
    case MsgType::kChange: return "CHANGE";
    case MsgType::kAck: return "ACK";
    case MsgType::kChecksums: return "CHECKSUMS";
  }
  return "?";
}

void encode_message(const Message& msg, std::string* out) {
  std::string p;
  switch (msg.type) {
    case MsgType::kHello:
      put_str8(&p, msg.serial);
      put_str8(&p, msg.software_version);
      put_u8(&p, msg.primary ? kFlagPrimary : 0);
      put_u64(&p, msg.epoch);
      put_checksums(&p, msg.checksums);
      break;
    case MsgType::kFull:
      put_u64(&p, msg.epoch);
      put_str32(&p, msg.text);
      put_checksums(&p, msg.checksums);
      break;
    case MsgType::kChange:
      put_u64(&p, msg.change_id);
      put_u64(&p, msg.epoch);
      put_str32(&p, msg.text);
      put_checksums(&p, msg.checksums);
      break;
    case MsgType::kAck:
      put_u64(&p, msg.change_id);
      put_u64(&p, msg.epoch);
      put_u8(&p, msg.ok ? 1 : 0);
      put_str16(&p, msg.text);
      put_checksums(&p, msg.checksums);
      break;
    case MsgType::kChecksums:
      put_u8(&p, msg.primary ? kFlagPrimary : 0);
      put_u64(&p, msg.epoch);
      put_checksums(&p, msg.checksums);
      break;
  }
  put_u8(out, kMagic0);
  put_u8(out, kMagic1);
  put_u8(out, kWireVersion);
  put_u8(out, static_cast<uint8_t>(msg.type));
  put_u32(out, static_cast<uint32_t>(p.size()));
  out->append(p);
}

DecodeStatus decode_message(std::string_view in, Message* out, std::size_t* consumed,
                            std::string* error) {
  *consumed = 0;
  // The header is judged as soon as it is complete, so garbage is refused
  // without waiting for a length it announces.
  if (in.size() >= 2 && (static_cast<uint8_t>(in[0]) != kMagic0 || static_cast<uint8_t>(in[1]) != kMagic1)) {
    *error = "bad frame magic (not a Tandem config-sync peer?)";
    return DecodeStatus::kError;
  }
  if (in.size() < kFrameHeaderBytes) return DecodeStatus::kNeedMore;
  uint8_t version = static_cast<uint8_t>(in[2]);
  uint8_t type = static_cast<uint8_t>(in[3]);
  if (version != kWireVersion) {
    *error = "unsupported wire version " + std::to_string(version) + " (this node speaks " +
             std::to_string(kWireVersion) + ")";
    return DecodeStatus::kError;
  }
  if (!known_type(type)) {
    *error = "unknown message type " + std::to_string(type);
    return DecodeStatus::kError;
  }
  std::size_t len = 0;
  for (int i = 4; i < 8; ++i) len = (len << 8) | static_cast<uint8_t>(in[static_cast<std::size_t>(i)]);
  if (len > kMaxPayloadBytes) {
    *error = "frame of " + std::to_string(len) + " bytes exceeds the " +
             std::to_string(kMaxPayloadBytes) + "-byte limit";
    return DecodeStatus::kError;
  }
  if (in.size() - kFrameHeaderBytes < len) return DecodeStatus::kNeedMore;

  Message m;
  m.type = static_cast<MsgType>(type);
  Reader r(in.substr(kFrameHeaderBytes, len));
  uint8_t flags = 0, ok = 0;
  bool good = false;
  switch (m.type) {
    case MsgType::kHello:
      good = r.str8("serial", &m.serial) && r.str8("software version", &m.software_version) &&
             r.u8("flags", &flags) && r.u64("epoch", &m.epoch) && r.checksums(&m.checksums);
      m.primary = (flags & kFlagPrimary) != 0;
      if (good && m.serial.empty()) {
        *error = "HELLO without a serial number";
        return DecodeStatus::kError;
      }
      break;
    case MsgType::kFull:
      good = r.u64("epoch", &m.epoch) && r.str32("config text", &m.text) && r.checksums(&m.checksums);
      break;
    case MsgType::kChange:
      good = r.u64("change id", &m.change_id) && r.u64("epoch", &m.epoch) &&
             r.str32("config text", &m.text) && r.checksums(&m.checksums);
      break;
    case MsgType::kAck:
      good = r.u64("change id", &m.change_id) && r.u64("epoch", &m.epoch) && r.u8("status", &ok) &&
             r.str16("error text", &m.text) && r.checksums(&m.checksums);
      if (good && ok > 1) {
        *error = "ACK status " + std::to_string(ok) + " is neither 0 nor 1";
        return DecodeStatus::kError;
      }
      m.ok = ok == 1;
      break;
    case MsgType::kChecksums:
      good = r.u8("flags", &flags) && r.u64("epoch", &m.epoch) && r.checksums(&m.checksums);
      m.primary = (flags & kFlagPrimary) != 0;
      break;
  }
  if (good && (flags & ~kFlagPrimary) != 0) {
    *error = std::string(msg_type_name(m.type)) + ": unknown flag bits " + std::to_string(flags);
    return DecodeStatus::kError;
  }
  if (good) good = r.done();
  if (!good) {
    *error = std::string(msg_type_name(m.type)) + ": " + r.error();
    return DecodeStatus::kError;
  }
  *out = std::move(m);
  *consumed = kFrameHeaderBytes + len;
  return DecodeStatus::kOk;
}

}  // namespace tandem::confsync
