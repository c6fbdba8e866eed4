// The config-sync wire format: every message type round-trips, and
// malformed frames are refused with a reason instead of crashing or
// waiting for bytes that a bad length promises.
#include <gtest/gtest.h>

#include <string>

#include "controlplane/confsync/confsync_msg.h"

namespace tandem::confsync {
namespace {

Message sample(MsgType t) {
  Message m;
  m.type = t;
  m.serial = "FGT-A";
  m.software_version = "0.1.0";
  m.primary = true;
  m.epoch = 0x0102030405060708ULL;
  m.change_id = 42;
  m.ok = false;
  m.text = t == MsgType::kAck ? "refused" : "config firewall address\nend\n";
  m.checksums = {{"system global", "00112233445566778899aabbccddeeff"}, {"all", "ffeeddccbbaa99887766554433221100"}};
  return m;
}

DecodeStatus decode(const std::string& wire, Message* m, std::size_t* used, std::string* error) {
  return decode_message(wire, m, used, error);
}

TEST(ConfSyncMsg, EveryTypeRoundTrips) {
  for (MsgType t : {MsgType::kHello, MsgType::kFull, MsgType::kChange, MsgType::kAck, MsgType::kChecksums}) {
    Message in = sample(t), out;
    std::string wire;
    encode_message(in, &wire);
    std::size_t used = 0;
    std::string error;
    ASSERT_EQ(decode(wire, &out, &used, &error), DecodeStatus::kOk) << msg_type_name(t) << ": " << error;
    EXPECT_EQ(used, wire.size());
    EXPECT_EQ(out.type, t);
    EXPECT_EQ(out.epoch, in.epoch);
    EXPECT_EQ(out.checksums, in.checksums);
    if (t == MsgType::kHello) {
      EXPECT_EQ(out.serial, "FGT-A");
      EXPECT_EQ(out.software_version, "0.1.0");
      EXPECT_TRUE(out.primary);
    }
    if (t == MsgType::kChange || t == MsgType::kFull) {
      EXPECT_EQ(out.text, in.text);
    }
    if (t == MsgType::kChange || t == MsgType::kAck) {
      EXPECT_EQ(out.change_id, 42u);
    }
    if (t == MsgType::kAck) {
      EXPECT_FALSE(out.ok);
      EXPECT_EQ(out.text, "refused");
    }
  }
}

TEST(ConfSyncMsg, PartialFrameAsksForMoreThenDecodes) {
  std::string wire;
  encode_message(sample(MsgType::kChange), &wire);
  encode_message(sample(MsgType::kAck), &wire);
  Message m;
  std::size_t used = 0;
  std::string error;
  for (std::size_t cut = 0; cut < 20; ++cut) {
    EXPECT_EQ(decode(wire.substr(0, cut), &m, &used, &error), DecodeStatus::kNeedMore) << cut;
  }
  ASSERT_EQ(decode(wire, &m, &used, &error), DecodeStatus::kOk);
  EXPECT_EQ(m.type, MsgType::kChange);
  ASSERT_EQ(decode(wire.substr(used), &m, &used, &error), DecodeStatus::kOk);
  EXPECT_EQ(m.type, MsgType::kAck);
}

struct Garbage {
  const char* name;
  std::string wire;
  const char* reason;
};

std::string frame(uint8_t type, const std::string& payload, uint8_t version = 1) {
  std::string f = {'T', 'C', static_cast<char>(version), static_cast<char>(type)};
  uint32_t n = static_cast<uint32_t>(payload.size());
  for (int s = 24; s >= 0; s -= 8) f.push_back(static_cast<char>(n >> s));
  return f + payload;
}

TEST(ConfSyncMsg, GarbageIsRefusedWithAReason) {
  std::string hello;
  encode_message(sample(MsgType::kHello), &hello);
  std::string hello_payload = hello.substr(kFrameHeaderBytes);
  std::string bad_serial = hello_payload;
  bad_serial[1] = '\x01';  // first byte of the serial
  std::string empty_serial = std::string(1, '\0') + hello_payload.substr(1 + 5);
  std::string ack;
  encode_message(sample(MsgType::kAck), &ack);
  std::string ack_payload = ack.substr(kFrameHeaderBytes);
  ack_payload[16] = 2;  // status byte
  const Garbage cases[] = {
      {"http", "GET / HTTP/1.1\r\n\r\n", "bad frame magic"},
      {"version", frame(1, hello_payload, 9), "unsupported wire version 9"},
      {"type", frame(77, ""), "unknown message type 77"},
      {"huge", std::string("TC\x01\x02\xff\xff\xff\xff", 8), "exceeds"},
      {"truncated field", frame(1, hello_payload.substr(0, 10)), "payload ends inside"},
      {"trailing", frame(1, hello_payload + "x"), "1 trailing bytes"},
      {"control byte", frame(1, bad_serial), "non-printable"},
      {"no serial", frame(1, empty_serial), "HELLO without a serial"},
      {"ack status", frame(4, ack_payload), "neither 0 nor 1"},
      {"flags", frame(5, std::string("\x20") + std::string(8, '\0') + std::string(1, '\0')), "unknown flag bits 32"},
      {"text length", frame(2, std::string(8, '\0') + std::string("\x7f\xff\xff\xff", 4)), "exceeds the 4 MiB limit"},
      {"nul in text", frame(2, std::string(8, '\0') + std::string("\0\0\0\x01", 4) + std::string(1, '\0') + std::string(1, '\0')), "NUL byte"},
  };
  for (const Garbage& g : cases) {
    Message m;
    std::size_t used = 0;
    std::string error;
    EXPECT_EQ(decode(g.wire, &m, &used, &error), DecodeStatus::kError) << g.name;
    EXPECT_NE(error.find(g.reason), std::string::npos) << g.name << ": " << error;
    EXPECT_EQ(used, 0u) << g.name;
  }
}

}  // namespace
}  // namespace tandem::confsync
