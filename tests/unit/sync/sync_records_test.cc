// The record bodies of session pickup: round trips, the byte layout the
// peer relies on (little-endian, addresses in network order), and what
// decode must refuse before the receiver indexes or switches on it.
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "dataplane/session/session_inl.h"
#include "dataplane/session/session_table.h"
#include "dataplane/sync/sync_records.h"

namespace tandem::dp {
namespace {

SessionRecord sample_record() {
  SessionRecord r{};
  r.key.ip_lo_be = 0x1664010au;  // 10.1.100.22 as stored (network order)
  r.key.ip_hi_be = 0xd1c810acu;  // 172.16.200.209
  r.key.port_lo = 443;
  r.key.port_hi = 51000;
  r.key.proto = 6;
  r.key.zone = 3;
  r.state = static_cast<uint8_t>(TcpState::kFinWait);
  r.flags = kSessionOrigFromLo | kSessionFinOrig;
  r.port[0] = 1;
  r.port[1] = 0;
  r.policy_index = 0x0102;
  r.policy_id = 0x0a0b0c0d;
  r.next_hop_be[0] = 0x01c810acu;
  r.next_hop_be[1] = 0x1664010au;
  r.timeout_s = 120;
  r.expire_in_ms = 0x11223344;
  r.age_s = 77;
  r.packets[0] = 0x0102030405060708ull;
  r.packets[1] = 9;
  r.bytes[0] = 1ull << 40;
  r.bytes[1] = 12345;
  return r;
}

bool same(const SessionRecord& a, const SessionRecord& b) {
  return std::memcmp(&a.key, &b.key, sizeof(a.key)) == 0 && a.state == b.state &&
         a.flags == b.flags && a.port[0] == b.port[0] && a.port[1] == b.port[1] &&
         a.policy_index == b.policy_index && a.policy_id == b.policy_id &&
         a.next_hop_be[0] == b.next_hop_be[0] && a.next_hop_be[1] == b.next_hop_be[1] &&
         a.timeout_s == b.timeout_s && a.expire_in_ms == b.expire_in_ms && a.age_s == b.age_s &&
         a.packets[0] == b.packets[0] && a.packets[1] == b.packets[1] &&
         a.bytes[0] == b.bytes[0] && a.bytes[1] == b.bytes[1];
}

TEST(SyncRecords, SessionRecordRoundTripAndLayout) {
  SessionRecord r = sample_record();
  uint8_t buf[kSessionRecordLen + 8];
  std::memset(buf, 0xee, sizeof(buf));
  ASSERT_EQ(session_record_encode(r, buf), kSessionRecordLen);
  EXPECT_EQ(buf[kSessionRecordLen], 0xee) << "writes exactly kSessionRecordLen bytes";
  // Addresses as on the wire (network order), the rest little-endian.
  EXPECT_EQ(std::vector<uint8_t>(buf, buf + 4), (std::vector<uint8_t>{10, 1, 100, 22}));
  EXPECT_EQ(buf[8], 443 & 0xff);
  EXPECT_EQ(buf[9], 443 >> 8);
  EXPECT_EQ(buf[12], 6);
  EXPECT_EQ(buf[13], 3);
  EXPECT_EQ(buf[16], static_cast<uint8_t>(TcpState::kFinWait));
  EXPECT_EQ(buf[20], 0x02);
  EXPECT_EQ(buf[21], 0x01);
  EXPECT_EQ(buf[22], 0x0d);
  EXPECT_EQ(buf[25], 0x0a);
  EXPECT_EQ(buf[46], 0x08) << "packets[0], least significant byte first";
  SessionRecord back{};
  ASSERT_TRUE(session_record_decode(buf, kSessionRecordLen, &back));
  EXPECT_TRUE(same(r, back));
}

TEST(SyncRecords, SessionRecordDecodeRejects) {
  SessionRecord r = sample_record();
  uint8_t buf[kSessionRecordLen + 1] = {};
  session_record_encode(r, buf);
  SessionRecord out;
  for (size_t len : {size_t{0}, size_t{16}, kSessionRecordLen - 1, kSessionRecordLen + 1})
    EXPECT_FALSE(session_record_decode(buf, len, &out)) << len;

  uint8_t bad[kSessionRecordLen];
  std::memcpy(bad, buf, sizeof(bad));
  bad[14] = 1;  // key pad
  EXPECT_FALSE(session_record_decode(bad, sizeof(bad), &out));
  std::memcpy(bad, buf, sizeof(bad));
  bad[16] = kNbTcpStates;  // state out of range
  EXPECT_FALSE(session_record_decode(bad, sizeof(bad), &out));
  std::memcpy(bad, buf, sizeof(bad));
  bad[12] = 17;  // UDP with a TCP state
  EXPECT_FALSE(session_record_decode(bad, sizeof(bad), &out));
  bad[16] = 0;  // UDP, no state: fine
  EXPECT_TRUE(session_record_decode(bad, sizeof(bad), &out));
  EXPECT_EQ(out.key.proto, 17);
  std::memcpy(bad, buf, sizeof(bad));
  bad[16] = kNbTcpStates - 1;  // the last TCP state is valid
  EXPECT_TRUE(session_record_decode(bad, sizeof(bad), &out));
}

TEST(SyncRecords, SessionRecordFromSession) {
  // An entry of a table: its second line is found by its address.
  std::unique_ptr<void, decltype(&std::free)> mem(
      std::aligned_alloc(64, (session_table_memsize(1) + 63) / 64 * 64), &std::free);
  SessionTable* t = session_table_init(mem.get(), 1, 0, 0);
  Session& s = *session_entry(t, 0);
  s.key.ip_lo_be = 1;
  s.key.ip_hi_be = 2;
  s.key.port_lo = 3;
  s.key.port_hi = 4;
  s.key.proto = 6;
  s.state = static_cast<uint8_t>(TcpState::kEstablished);
  s.flags = kSessionInUse | kSessionOrigFromLo | kSessionLog;
  s.port[0] = 1;
  s.port[1] = 2;
  s.policy_index = 5;
  session_cold(&s)->policy_id = 7;
  s.next_hop_be[0] = 8;
  s.next_hop_be[1] = 9;
  session_cold(&s)->timeout_s = 3600;
  session_cold(&s)->created_ms = 10'000;
  s.expire_ms = 70'000;
  // Counters past 32 bits: the record carries both halves.
  session_set_counters(&s, kDirOrig, 11, 0);
  session_set_counters(&s, kDirReply, 0, (uint64_t{5} << 32) + 12);
  SessionRecord r{};
  session_record_from(s, 40'500, &r);
  EXPECT_EQ(std::memcmp(&r.key, &s.key, sizeof(s.key)), 0);
  EXPECT_EQ(r.flags, kSessionOrigFromLo | kSessionLog) << "in-use is the receiver's own";
  EXPECT_EQ(r.expire_in_ms, 29'500u);
  EXPECT_EQ(r.age_s, 30u);
  EXPECT_EQ(r.policy_id, 7u);
  EXPECT_EQ(r.next_hop_be[1], 9u);
  EXPECT_EQ(r.packets[0], 11u);
  EXPECT_EQ(r.bytes[1], (uint64_t{5} << 32) + 12);
  // Past its expiry (the wheel has not run yet) and a clock behind creation.
  session_record_from(s, 80'000, &r);
  EXPECT_EQ(r.expire_in_ms, 0u);
  session_record_from(s, 5'000, &r);
  EXPECT_EQ(r.age_s, 0u);
  // A far expiry saturates rather than wraps.
  s.expire_ms = 1ull << 40;
  session_record_from(s, 0, &r);
  EXPECT_EQ(r.expire_in_ms, UINT32_MAX);
}

TEST(SyncRecords, SessionKeyRoundTripAndRejects) {
  SessionKey k = sample_record().key;
  uint8_t buf[kSessionDeleteLen];
  ASSERT_EQ(session_key_encode(k, buf), kSessionDeleteLen);
  SessionKey back{};
  ASSERT_TRUE(session_key_decode(buf, sizeof(buf), &back));
  EXPECT_EQ(std::memcmp(&k, &back, sizeof(k)), 0);
  EXPECT_FALSE(session_key_decode(buf, sizeof(buf) - 1, &back));
  EXPECT_FALSE(session_key_decode(buf, 0, &back));
  buf[15] = 0x80;  // pad
  EXPECT_FALSE(session_key_decode(buf, sizeof(buf), &back));
}

// The key a secondary prefetches a frame's buckets by (sync.cc).
TEST(SyncRecords, SessionRecordKeyOfUpsertsAndDeletesOnly) {
  SessionRecord r = sample_record();
  uint8_t upsert[kSessionRecordLen], del[kSessionDeleteLen];
  ASSERT_EQ(session_record_encode(r, upsert), kSessionRecordLen);
  ASSERT_EQ(session_key_encode(r.key, del), kSessionDeleteLen);
  SessionKey k{};
  ASSERT_TRUE(session_record_key(SyncRecordType::kSessionUpsert, upsert, sizeof(upsert), &k));
  EXPECT_EQ(std::memcmp(&k, &r.key, sizeof(k)), 0);
  k = SessionKey{};
  ASSERT_TRUE(session_record_key(SyncRecordType::kSessionDelete, del, sizeof(del), &k));
  EXPECT_EQ(std::memcmp(&k, &r.key, sizeof(k)), 0);
  EXPECT_FALSE(session_record_key(SyncRecordType::kSessionUpsert, upsert, sizeof(upsert) - 1, &k));
  EXPECT_FALSE(session_record_key(SyncRecordType::kSessionUpsert, del, sizeof(del), &k));
  EXPECT_FALSE(session_record_key(SyncRecordType::kSessionDelete, upsert, sizeof(upsert), &k));
  EXPECT_FALSE(session_record_key(SyncRecordType::kBulkEnd, upsert, sizeof(upsert), &k));
  EXPECT_FALSE(session_record_key(SyncRecordType::kUserAdd, del, sizeof(del), &k));
  upsert[15] = 0x80;  // pad
  EXPECT_FALSE(session_record_key(SyncRecordType::kSessionUpsert, upsert, sizeof(upsert), &k));
}

TEST(SyncRecords, UserRecordRoundTripAndRejects) {
  UserRecord u{};
  u.client_ip_be = 0x1664010au;
  u.expire_in_s = 28800;
  const char name[] = "alice@example";
  u.name_len = sizeof(name) - 1;
  std::memcpy(u.name, name, u.name_len);
  u.policy_id = 7;
  u.group_id = 3;
  u.age_s = 42;
  u.timeout_s = 300;
  u.flags = kUserRecordIdleTimeout;
  u.auth_type = 1;
  u.auth_method = 2;
  u.user_based = 1;
  u.lan_bytes_in = 2093;
  u.lan_bytes_out = 5753;
  u.wan_bytes_in = 2024;
  u.wan_bytes_out = uint64_t{1} << 40;
  uint8_t buf[9 + kUserNameMax + kUserRecordTailLen];
  size_t n = user_record_encode(u, buf, sizeof(buf));
  ASSERT_EQ(n, 9u + u.name_len + kUserRecordTailLen);
  UserRecord back{};
  ASSERT_TRUE(user_record_decode(buf, n, &back));
  EXPECT_EQ(back.client_ip_be, u.client_ip_be);
  EXPECT_EQ(back.expire_in_s, 28800u);
  ASSERT_EQ(back.name_len, u.name_len);
  EXPECT_EQ(std::memcmp(back.name, name, u.name_len), 0);
  EXPECT_EQ(back.policy_id, 7u);
  EXPECT_EQ(back.group_id, 3u);
  EXPECT_EQ(back.age_s, 42u);
  EXPECT_EQ(back.timeout_s, 300u);
  EXPECT_EQ(back.flags, kUserRecordIdleTimeout);
  EXPECT_EQ(back.auth_type, 1);
  EXPECT_EQ(back.auth_method, 2);
  EXPECT_EQ(back.user_based, 1);
  EXPECT_EQ(back.lan_bytes_in, 2093u);
  EXPECT_EQ(back.lan_bytes_out, 5753u);
  EXPECT_EQ(back.wan_bytes_in, 2024u);
  EXPECT_EQ(back.wan_bytes_out, uint64_t{1} << 40);
  // The original layout (no tail) still decodes, tail fields zero.
  UserRecord base{};
  ASSERT_TRUE(user_record_decode(buf, 9u + u.name_len, &base));
  EXPECT_EQ(base.expire_in_s, 28800u);
  EXPECT_EQ(base.policy_id, 0u);
  EXPECT_EQ(base.wan_bytes_out, 0u);
  buf[n - 33] = 0x81;  // flags: an unknown bit
  EXPECT_FALSE(user_record_decode(buf, n, &back));
  buf[n - 33] = kUserRecordIdleTimeout;

  EXPECT_EQ(user_record_encode(u, buf, n - 1), 0u) << "no room";
  EXPECT_FALSE(user_record_decode(buf, 8, &back));
  EXPECT_FALSE(user_record_decode(buf, n - 1, &back)) << "shorter than its name";
  EXPECT_FALSE(user_record_decode(buf, n + 1, &back)) << "longer than its name";
  buf[8] = kUserNameMax + 1;
  std::vector<uint8_t> long_name(buf, buf + 9);
  long_name.resize(9 + kUserNameMax + 1, 'x');
  EXPECT_FALSE(user_record_decode(long_name.data(), long_name.size(), &back));
  UserRecord too_long = u;
  too_long.name_len = kUserNameMax + 1;
  uint8_t big[256];
  EXPECT_EQ(user_record_encode(too_long, big, sizeof(big)), 0u);

  // Empty name is a valid record (9 bytes and the tail).
  u.name_len = 0;
  n = user_record_encode(u, buf, sizeof(buf));
  ASSERT_EQ(n, 9u + kUserRecordTailLen);
  EXPECT_TRUE(user_record_decode(buf, n, &back));
  EXPECT_EQ(back.name_len, 0u);
}

tls::TicketKeyRing test_ring(unsigned keys, uint8_t seed) {
  tls::TicketKeyRing ring;
  for (unsigned i = 0; i < keys; ++i) {
    unsigned slot = (i + 1) % tls::kTicketRingSize;  // wraps like rotations do
    std::memset(&ring.keys[slot], seed + i, sizeof(tls::TicketKey));
    ring.valid[slot] = true;
    ring.current = slot;
  }
  ring.version = 1000 + keys;
  return ring;
}

bool same_ring(const tls::TicketKeyRing& a, const tls::TicketKeyRing& b) {
  if (a.version != b.version || a.current != b.current) return false;
  for (unsigned i = 0; i < tls::kTicketRingSize; ++i)
    if (a.valid[i] != b.valid[i] || (a.valid[i] && std::memcmp(&a.keys[i], &b.keys[i], sizeof(tls::TicketKey)) != 0))
      return false;
  return true;
}

TEST(SyncRecords, TicketRingTravelsAsOneRecordPerKey) {
  tls::TicketKeyRing ring = test_ring(3, 0x40);
  TicketKeyRecord recs[tls::kTicketRingSize];
  ASSERT_EQ(ticket_ring_records(ring, recs), 3u);
  TicketRingAssembler rx;
  tls::TicketKeyRing got;
  for (unsigned i = 0; i < 3; ++i) {
    uint8_t wire[kTicketKeyRecordLen];
    ASSERT_EQ(ticket_key_record_encode(recs[i], wire), kTicketKeyRecordLen);
    EXPECT_EQ(wire[0], kTicketKeyRecordFormat);
    TicketKeyRecord back;
    ASSERT_TRUE(ticket_key_record_decode(wire, sizeof wire, &back));
    EXPECT_EQ(rx.add(back, &got), i == 2) << i;  // complete with the last key only
  }
  EXPECT_TRUE(same_ring(got, ring));
  // A ring without a current key sends nothing.
  EXPECT_EQ(ticket_ring_records(tls::TicketKeyRing{}, recs), 0u);
}

TEST(SyncRecords, TicketRingOfANewVersionStartsOver) {
  tls::TicketKeyRing old_ring = test_ring(2, 0x10), new_ring = test_ring(3, 0x70);
  TicketKeyRecord o[tls::kTicketRingSize], n[tls::kTicketRingSize];
  ASSERT_EQ(ticket_ring_records(old_ring, o), 2u);
  ASSERT_EQ(ticket_ring_records(new_ring, n), 3u);
  TicketRingAssembler rx;
  tls::TicketKeyRing got;
  EXPECT_FALSE(rx.add(o[0], &got));  // half of the old ring, then the new one
  EXPECT_FALSE(rx.add(n[0], &got));
  EXPECT_FALSE(rx.add(n[1], &got));
  EXPECT_TRUE(rx.add(n[2], &got));
  EXPECT_TRUE(same_ring(got, new_ring));
  // Any ring the sender sends is taken whole, even an older version (the
  // receiver follows the primary, whatever its history), and a resend of
  // the same ring completes again (tandemd compares).
  EXPECT_FALSE(rx.add(o[0], &got));
  EXPECT_TRUE(rx.add(o[1], &got));
  EXPECT_TRUE(same_ring(got, old_ring));
  EXPECT_FALSE(rx.add(o[0], &got));
  EXPECT_TRUE(rx.add(o[1], &got));
}

TEST(SyncRecords, TicketKeyRecordDecodeRejects) {
  tls::TicketKeyRing ring = test_ring(2, 0x33);
  TicketKeyRecord recs[tls::kTicketRingSize];
  ASSERT_EQ(ticket_ring_records(ring, recs), 2u);
  uint8_t wire[kTicketKeyRecordLen];
  ticket_key_record_encode(recs[0], wire);
  TicketKeyRecord back;
  EXPECT_FALSE(ticket_key_record_decode(wire, sizeof wire - 1, &back));  // short
  uint8_t bad[kTicketKeyRecordLen];
  std::memcpy(bad, wire, sizeof bad);
  bad[0] = kTicketKeyRecordFormat + 1;  // a later layout
  EXPECT_FALSE(ticket_key_record_decode(bad, sizeof bad, &back));
  std::memcpy(bad, wire, sizeof bad);
  bad[9] = tls::kTicketRingSize;  // slot out of the ring
  EXPECT_FALSE(ticket_key_record_decode(bad, sizeof bad, &back));
  std::memcpy(bad, wire, sizeof bad);
  bad[11] = 0;  // the slot itself not marked valid
  EXPECT_FALSE(ticket_key_record_decode(bad, sizeof bad, &back));
  std::memcpy(bad, wire, sizeof bad);
  bad[11] = 0x10 | bad[11];  // a slot the ring does not have
  EXPECT_FALSE(ticket_key_record_decode(bad, sizeof bad, &back));
  EXPECT_TRUE(ticket_key_record_decode(wire, sizeof wire, &back));
}

// ---- TLS 1.2 session-cache entries (type 7): the blob and its fragments.

tls::SessionCacheEntry sample_entry(uint16_t der_len) {
  tls::SessionCacheEntry e{};
  e.sid_ctx_len = 32;
  for (unsigned i = 0; i < 32; ++i) e.sid_ctx[i] = static_cast<uint8_t>(0xc0 + i);
  e.id_len = 32;
  for (unsigned i = 0; i < 32; ++i) e.id[i] = static_cast<uint8_t>(i);
  e.age_s = 0x01020304;
  e.timeout_s = 7200;
  e.der_len = der_len;
  for (unsigned i = 0; i < der_len; ++i) e.der[i] = static_cast<uint8_t>(i * 7);
  return e;
}

bool same_entry(const tls::SessionCacheEntry& a, const tls::SessionCacheEntry& b) {
  return a.sid_ctx_len == b.sid_ctx_len && a.id_len == b.id_len && a.age_s == b.age_s &&
         a.timeout_s == b.timeout_s && a.der_len == b.der_len &&
         std::memcmp(a.sid_ctx, b.sid_ctx, a.sid_ctx_len) == 0 && std::memcmp(a.id, b.id, a.id_len) == 0 &&
         std::memcmp(a.der, b.der, a.der_len) == 0;
}

TEST(SyncRecords, TlsSessionEntryRoundTripAndLayout) {
  static tls::SessionCacheEntry e, got;
  e = sample_entry(1400);
  static uint8_t blob[kTlsSessionBlobMax];
  size_t n = tls_session_entry_encode(e, blob, sizeof blob);
  ASSERT_EQ(n, kTlsSessionFixedLen + 32 + 32 + 1400);
  EXPECT_EQ(blob[0], kTlsSessionFormat);
  EXPECT_EQ(blob[1], 32);           // context length, then the context
  EXPECT_EQ(blob[2], 0xc0);
  EXPECT_EQ(blob[34], 32);          // id length, then the id
  EXPECT_EQ(blob[35 + 32], 0x04);   // age, little endian
  EXPECT_EQ(blob[35 + 32 + 3], 0x01);
  EXPECT_EQ(blob[35 + 32 + 8], 1400 & 0xff);  // DER length after the timeout
  ASSERT_TRUE(tls_session_entry_decode(blob, n, &got));
  EXPECT_TRUE(same_entry(e, got));
  EXPECT_EQ(tls_session_entry_encode(e, blob, n - 1), 0u) << "no room";
  // An empty session id context is allowed (OpenSSL's default).
  e.sid_ctx_len = 0;
  n = tls_session_entry_encode(e, blob, sizeof blob);
  ASSERT_TRUE(tls_session_entry_decode(blob, n, &got));
  EXPECT_TRUE(same_entry(e, got));
}

TEST(SyncRecords, TlsSessionEntryDecodeRejects) {
  static tls::SessionCacheEntry e, got;
  e = sample_entry(600);
  static uint8_t blob[kTlsSessionBlobMax];
  size_t n = tls_session_entry_encode(e, blob, sizeof blob);
  ASSERT_GT(n, 0u);
  auto refused = [&](size_t at, uint8_t value, size_t len) {
    static uint8_t copy[kTlsSessionBlobMax];
    std::memcpy(copy, blob, n);
    copy[at] = value;
    return !tls_session_entry_decode(copy, len, &got);
  };
  EXPECT_TRUE(refused(0, 2, n)) << "another format";
  EXPECT_TRUE(refused(1, 33, n)) << "context too long";
  EXPECT_TRUE(refused(34, 0, n)) << "no session id";
  EXPECT_TRUE(refused(34, 33, n)) << "session id too long";
  EXPECT_TRUE(refused(0, kTlsSessionFormat, n - 1)) << "cut short";
  EXPECT_TRUE(refused(0, kTlsSessionFormat, n + 1)) << "a byte past the DER";
  EXPECT_TRUE(refused(35 + 32 + 8, 0, n) && refused(35 + 32 + 9, 9, n)) << "DER length off";
  for (size_t len = 0; len < kTlsSessionFixedLen; ++len) EXPECT_FALSE(tls_session_entry_decode(blob, len, &got));
  e.timeout_s = 0;
  n = tls_session_entry_encode(e, blob, sizeof blob);
  EXPECT_FALSE(tls_session_entry_decode(blob, n, &got)) << "no lifetime";
  e = sample_entry(0);
  n = tls_session_entry_encode(e, blob, sizeof blob);
  EXPECT_FALSE(tls_session_entry_decode(blob, n, &got)) << "no DER";
  e = sample_entry(600);
  e.der_len = tls::kSessionDerMax + 1;
  EXPECT_EQ(tls_session_entry_encode(e, blob, sizeof blob), 0u);
}

// The blob of a 1.4 KB session in fragments: each a record body of at
// most 255 bytes, reassembled in order into the same bytes.
TEST(SyncRecords, TlsSessionTravelsInFragments) {
  static tls::SessionCacheEntry e, got;
  e = sample_entry(1400);
  static uint8_t blob[kTlsSessionBlobMax];
  size_t total = tls_session_entry_encode(e, blob, sizeof blob);
  unsigned count = tls_session_fragment_count(total);
  EXPECT_EQ(count, (total + kTlsFragmentBytes - 1) / kTlsFragmentBytes);
  EXPECT_EQ(tls_session_fragment_count(kTlsSessionBlobMax), kTlsFragmentsMax);
  EXPECT_EQ(tls_session_fragment_count(0), 0u);
  EXPECT_EQ(tls_session_fragment_count(kTlsSessionBlobMax + 1), 0u);
  static TlsSessionAssembler a;
  a = TlsSessionAssembler{};
  for (unsigned i = 0; i < count; ++i) {
    uint8_t body[255];
    size_t n = tls_session_fragment_encode(7, blob, total, i, body);
    ASSERT_LE(n, 255u);
    EXPECT_EQ(body[0], kTlsSessionFormat);
    EXPECT_EQ(body[1], 7);  // entry, little endian
    EXPECT_EQ(body[5], i);
    EXPECT_EQ(body[6], count);
    TlsSessionFragment f;
    ASSERT_TRUE(tls_session_fragment_decode(body, n, &f));
    EXPECT_EQ(f.entry, 7u);
    EXPECT_EQ(f.total, total);
    EXPECT_EQ(a.add(f, 10), i + 1 == count);
  }
  EXPECT_EQ(a.total, total);
  ASSERT_EQ(std::memcmp(a.blob, blob, total), 0);
  ASSERT_TRUE(tls_session_entry_decode(a.blob, a.total, &got));
  EXPECT_TRUE(same_entry(e, got));
  EXPECT_EQ(a.dropped, 0u);
  uint8_t body[255];
  EXPECT_EQ(tls_session_fragment_encode(7, blob, total, count, body), 0u) << "past the last";
}

TEST(SyncRecords, TlsSessionFragmentDecodeRejects) {
  static uint8_t blob[kTlsSessionBlobMax];
  for (size_t i = 0; i < sizeof blob; ++i) blob[i] = static_cast<uint8_t>(i);
  size_t total = 1000;  // 5 fragments: 4 of 246 bytes, one of 16
  uint8_t body[255];
  size_t n = tls_session_fragment_encode(1, blob, total, 4, body);
  ASSERT_EQ(n, kTlsFragmentHdrLen + 16);
  TlsSessionFragment f;
  ASSERT_TRUE(tls_session_fragment_decode(body, n, &f));
  auto refused = [&](size_t at, uint8_t value, size_t len) {
    uint8_t copy[255];
    std::memcpy(copy, body, n);
    copy[at] = value;
    return !tls_session_fragment_decode(copy, len, &f);
  };
  EXPECT_TRUE(refused(0, 2, n)) << "another format";
  EXPECT_TRUE(refused(5, 5, n)) << "index not below the count";
  EXPECT_TRUE(refused(6, 6, n)) << "a count the length does not take";
  EXPECT_TRUE(refused(5, 3, n)) << "a middle fragment of 16 bytes";
  EXPECT_TRUE(refused(0, kTlsSessionFormat, n - 1)) << "a byte short";
  EXPECT_TRUE(refused(7, 0, n) && refused(8, 0, n)) << "another blob length";
  EXPECT_TRUE(refused(8, 0xff, n)) << "a blob longer than any entry";
  EXPECT_FALSE(tls_session_fragment_decode(body, kTlsFragmentHdrLen, &f)) << "no bytes";
}

// Out of order, another entry, too late: the assembly in progress is
// dropped (counted) and nothing completes until a fragment 0 starts over.
TEST(SyncRecords, TlsSessionAssemblerDropsWhatDoesNotFollow) {
  static uint8_t blob[kTlsSessionBlobMax];
  for (size_t i = 0; i < sizeof blob; ++i) blob[i] = static_cast<uint8_t>(i * 3);
  size_t total = 700;  // 3 fragments
  uint8_t bodies[3][255];
  TlsSessionFragment f[3], other0;
  for (unsigned i = 0; i < 3; ++i) {
    size_t n = tls_session_fragment_encode(5, blob, total, i, bodies[i]);
    ASSERT_TRUE(tls_session_fragment_decode(bodies[i], n, &f[i]));
  }
  uint8_t other[255];
  size_t on = tls_session_fragment_encode(6, blob, total, 0, other);
  ASSERT_TRUE(tls_session_fragment_decode(other, on, &other0));
  static TlsSessionAssembler a;
  a = TlsSessionAssembler{};
  EXPECT_FALSE(a.add(f[1], 0)) << "nothing in progress";
  EXPECT_EQ(a.dropped, 1u);
  EXPECT_FALSE(a.add(f[0], 0));
  EXPECT_FALSE(a.add(f[2], 0)) << "skips fragment 1";
  EXPECT_EQ(a.dropped, 2u);
  EXPECT_FALSE(a.add(f[1], 0)) << "the assembly is gone";
  EXPECT_FALSE(a.add(f[0], 0));
  EXPECT_FALSE(a.add(other0, 0)) << "another entry's fragment 0 starts over";
  EXPECT_EQ(a.dropped, 4u);
  EXPECT_FALSE(a.add(f[1], 0)) << "entry 5's fragment does not continue entry 6";
  EXPECT_FALSE(a.add(f[0], 0));
  EXPECT_FALSE(a.add(f[1], 100));
  EXPECT_FALSE(a.add(f[2], 100 + kTlsAssemblyTimeoutMs + 1)) << "too late";
  a.reset();
  uint64_t dropped = a.dropped;
  EXPECT_FALSE(a.add(f[0], 200));
  EXPECT_FALSE(a.add(f[1], 200));
  a.reset();  // a new generation
  EXPECT_EQ(a.dropped, dropped) << "a reset is not a drop";
  EXPECT_FALSE(a.add(f[2], 200));
  EXPECT_FALSE(a.add(f[0], 300));
  EXPECT_FALSE(a.add(f[1], 300));
  EXPECT_TRUE(a.add(f[2], 300));
  EXPECT_EQ(std::memcmp(a.blob, blob, total), 0);
}

}  // namespace
}  // namespace tandem::dp
