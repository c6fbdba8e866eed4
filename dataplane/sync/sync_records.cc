#include "dataplane/sync/sync_records.h"

#include <cstring>
#include <initializer_list>

#include "dataplane/session/session_inl.h"
#include "dataplane/session/session_table.h"

namespace tandem::dp {
namespace {

template <typename T>
void put(uint8_t** p, T v) {
  for (size_t i = 0; i < sizeof(T); ++i) (*p)[i] = uint8_t(uint64_t(v) >> (8 * i));
  *p += sizeof(T);
}

template <typename T>
T get(const uint8_t** p) {
  uint64_t v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) v |= uint64_t((*p)[i]) << (8 * i);
  *p += sizeof(T);
  return T(v);
}

void put_key(uint8_t** p, const SessionKey& k) {
  // Addresses stay in network order, as the key holds them.
  std::memcpy(*p, &k.ip_lo_be, 4);
  std::memcpy(*p + 4, &k.ip_hi_be, 4);
  *p += 8;
  put<uint16_t>(p, k.port_lo);
  put<uint16_t>(p, k.port_hi);
  put<uint8_t>(p, k.proto);
  put<uint8_t>(p, k.zone);
  put<uint16_t>(p, 0);
}

void get_key(const uint8_t** p, SessionKey* k) {
  std::memcpy(&k->ip_lo_be, *p, 4);
  std::memcpy(&k->ip_hi_be, *p + 4, 4);
  *p += 8;
  k->port_lo = get<uint16_t>(p);
  k->port_hi = get<uint16_t>(p);
  k->proto = get<uint8_t>(p);
  k->zone = get<uint8_t>(p);
  k->pad = get<uint16_t>(p);
}

}  // namespace

void session_record_from(const Session& s, uint64_t now_ms, SessionRecord* r) {
  r->key = s.key;
  r->state = s.state;
  r->flags = static_cast<uint8_t>(s.flags & (kSessionOrigFromLo | kSessionFinOrig |
                                             kSessionFinReply | kSessionLog));
  r->port[0] = s.port[0];
  r->port[1] = s.port[1];
  const SessionCold& c = *session_cold(&s);
  r->policy_index = s.policy_index;
  r->policy_id = c.policy_id;
  r->next_hop_be[0] = s.next_hop_be[0];
  r->next_hop_be[1] = s.next_hop_be[1];
  r->timeout_s = c.timeout_s;
  uint64_t left = s.expire_ms > now_ms ? s.expire_ms - now_ms : 0;
  r->expire_in_ms = left > UINT32_MAX ? UINT32_MAX : uint32_t(left);
  uint64_t age = now_ms > c.created_ms ? (now_ms - c.created_ms) / 1000 : 0;
  r->age_s = age > UINT32_MAX ? UINT32_MAX : uint32_t(age);
  for (SessionDir d : {kDirOrig, kDirReply}) {
    r->packets[d] = session_packets(s, d);
    r->bytes[d] = session_bytes(s, d);
  }
}

size_t session_record_encode(const SessionRecord& r, uint8_t* out) {
  uint8_t* p = out;
  put_key(&p, r.key);
  put<uint8_t>(&p, r.state);
  put<uint8_t>(&p, r.flags);
  put<uint8_t>(&p, r.port[0]);
  put<uint8_t>(&p, r.port[1]);
  put<uint16_t>(&p, r.policy_index);
  put<uint32_t>(&p, r.policy_id);
  std::memcpy(p, r.next_hop_be, 8);
  p += 8;
  put<uint32_t>(&p, r.timeout_s);
  put<uint32_t>(&p, r.expire_in_ms);
  put<uint32_t>(&p, r.age_s);
  for (int d = 0; d < 2; ++d) put<uint64_t>(&p, r.packets[d]);
  for (int d = 0; d < 2; ++d) put<uint64_t>(&p, r.bytes[d]);
  return size_t(p - out);
}

bool session_record_decode(const uint8_t* p, size_t len, SessionRecord* r) {
  if (len != kSessionRecordLen) return false;
  get_key(&p, &r->key);
  r->state = get<uint8_t>(&p);
  r->flags = get<uint8_t>(&p);
  r->port[0] = get<uint8_t>(&p);
  r->port[1] = get<uint8_t>(&p);
  r->policy_index = get<uint16_t>(&p);
  r->policy_id = get<uint32_t>(&p);
  std::memcpy(r->next_hop_be, p, 8);
  p += 8;
  r->timeout_s = get<uint32_t>(&p);
  r->expire_in_ms = get<uint32_t>(&p);
  r->age_s = get<uint32_t>(&p);
  for (int d = 0; d < 2; ++d) r->packets[d] = get<uint64_t>(&p);
  for (int d = 0; d < 2; ++d) r->bytes[d] = get<uint64_t>(&p);
  // What the receiver would index or switch on must be in range.
  if (r->key.pad != 0 || r->state >= kNbTcpStates || (r->key.proto != 6 && r->state != 0))
    return false;
  return true;
}

bool session_install_record(SessionTable* t, const SessionRecord& r, uint64_t now_ms,
                            uint32_t generation) {
  uint32_t hash = session_key_hash(r.key);
  Session* s = session_lookup(t, r.key, hash);
  // The sender refreshes once its expiry moved a quarter TTL past what we
  // know; keeping the session that much longer never ages it out early.
  uint64_t quarter = uint64_t{r.timeout_s} * 250;
  uint64_t expire = now_ms + r.expire_in_ms + (quarter < 1000 ? 1000 : quarter);
  auto state = static_cast<TcpState>(r.state);
  if (s == nullptr) {
    s = session_insert(t, r.key, hash, r.flags, state, r.timeout_s, now_ms);
    if (s == nullptr) return false;
  }
  session_rearm(t, s, state, r.timeout_s, expire);
  s->flags = static_cast<uint8_t>(r.flags | kSessionInUse);
  s->port[0] = r.port[0];
  s->port[1] = r.port[1];
  s->policy_index = r.policy_index;
  SessionCold* c = session_cold(s);
  c->policy_id = r.policy_id;
  s->next_hop_be[0] = r.next_hop_be[0];
  s->next_hop_be[1] = r.next_hop_be[1];
  uint64_t age_ms = uint64_t{r.age_s} * 1000;
  c->created_ms = now_ms > age_ms ? now_ms - age_ms : 0;
  for (SessionDir d : {kDirOrig, kDirReply}) session_set_counters(s, d, r.packets[d], r.bytes[d]);
  s->sync_flags = kSessionSynced;
  c->sync_generation = generation;
  return true;
}

size_t session_key_encode(const SessionKey& k, uint8_t* out) {
  uint8_t* p = out;
  put_key(&p, k);
  return size_t(p - out);
}

bool session_key_decode(const uint8_t* p, size_t len, SessionKey* out) {
  if (len != kSessionDeleteLen) return false;
  get_key(&p, out);
  return out->pad == 0;
}

void session_prefetch_records(const SessionTable* t, const uint8_t* records, size_t len) {
  constexpr unsigned kMax = kSyncMaxPlain / (2 + kSessionDeleteLen) + 1;
  uint32_t homes[kMax];
  SessionKey keys[kMax];
  bool upsert[kMax];
  unsigned n = 0;
  sync_for_each_record(records, len, [&](SyncRecordType type, const uint8_t* body, size_t body_len) {
    if (n == kMax || !session_record_key(type, body, body_len, &keys[n])) return;
    homes[n] = session_home(t, session_key_hash(keys[n]));
    upsert[n] = type == SyncRecordType::kSessionUpsert;
    session_prefetch(t, homes[n++]);
  });
  for (unsigned i = 0; i < n; ++i) {
    if (upsert[i]) session_prefetch_upsert(t, homes[i], keys[i]);
    else session_prefetch_entry(t, homes[i], keys[i]);
  }
  // Every install and delete writes its entry's second line, which lies
  // apart from the first (session_types.h): the entry's, found with the
  // first lines now in flight, or, for an upsert that will insert, both
  // lines of the entry it will take.
  for (unsigned i = 0; i < n; ++i) {
    if (const Session* s = session_lookup_home(t, keys[i], homes[i])) rte_prefetch0(session_cold(s));
    else if (upsert[i]) session_prefetch_free(t, homes[i]);
  }
}

bool session_record_key(SyncRecordType type, const uint8_t* body, size_t len, SessionKey* out) {
  if (type == SyncRecordType::kSessionUpsert && len == kSessionRecordLen) {
    get_key(&body, out);
    return out->pad == 0;
  }
  return type == SyncRecordType::kSessionDelete && session_key_decode(body, len, out);
}

size_t user_record_encode(const UserRecord& r, uint8_t* out, size_t cap) {
  size_t need = 4 + 4 + 1 + r.name_len + kUserRecordTailLen;
  if (r.name_len > kUserNameMax || cap < need) return 0;
  std::memcpy(out, &r.client_ip_be, 4);
  uint8_t* p = out + 4;
  put<uint32_t>(&p, r.expire_in_s);
  put<uint8_t>(&p, r.name_len);
  std::memcpy(p, r.name, r.name_len);
  p += r.name_len;
  put<uint32_t>(&p, r.policy_id);
  put<uint32_t>(&p, r.group_id);
  put<uint32_t>(&p, r.age_s);
  put<uint32_t>(&p, r.timeout_s);
  put<uint8_t>(&p, r.auth_type);
  put<uint8_t>(&p, r.auth_method);
  put<uint8_t>(&p, r.user_based);
  put<uint8_t>(&p, r.flags);
  for (uint64_t v : {r.lan_bytes_in, r.lan_bytes_out, r.wan_bytes_in, r.wan_bytes_out}) put<uint64_t>(&p, v);
  return need;
}

bool user_record_decode(const uint8_t* p, size_t len, UserRecord* r) {
  if (len < 9) return false;
  *r = UserRecord{};
  std::memcpy(&r->client_ip_be, p, 4);
  p += 4;
  r->expire_in_s = get<uint32_t>(&p);
  r->name_len = get<uint8_t>(&p);
  size_t base = size_t{9} + r->name_len;
  if (r->name_len > kUserNameMax || (len != base && len != base + kUserRecordTailLen)) return false;
  std::memcpy(r->name, p, r->name_len);
  if (len == base) return true;
  p += r->name_len;
  r->policy_id = get<uint32_t>(&p);
  r->group_id = get<uint32_t>(&p);
  r->age_s = get<uint32_t>(&p);
  r->timeout_s = get<uint32_t>(&p);
  r->auth_type = get<uint8_t>(&p);
  r->auth_method = get<uint8_t>(&p);
  r->user_based = get<uint8_t>(&p);
  r->flags = get<uint8_t>(&p);
  r->lan_bytes_in = get<uint64_t>(&p);
  r->lan_bytes_out = get<uint64_t>(&p);
  r->wan_bytes_in = get<uint64_t>(&p);
  r->wan_bytes_out = get<uint64_t>(&p);
  return (r->flags & ~kUserRecordIdleTimeout) == 0;
}

size_t ticket_key_record_encode(const TicketKeyRecord& r, uint8_t* out) {
  uint8_t* p = out;
  put<uint8_t>(&p, kTicketKeyRecordFormat);
  put<uint64_t>(&p, r.ring_version);
  put<uint8_t>(&p, r.slot);
  put<uint8_t>(&p, r.current);
  put<uint8_t>(&p, r.valid_mask);
  std::memcpy(p, r.key.name, sizeof r.key.name);
  p += sizeof r.key.name;
  std::memcpy(p, r.key.aes_key, sizeof r.key.aes_key);
  p += sizeof r.key.aes_key;
  std::memcpy(p, r.key.hmac_key, sizeof r.key.hmac_key);
  p += sizeof r.key.hmac_key;
  return static_cast<size_t>(p - out);
}

bool ticket_key_record_decode(const uint8_t* p, size_t len, TicketKeyRecord* r) {
  if (len != kTicketKeyRecordLen || p[0] != kTicketKeyRecordFormat) return false;
  ++p;
  r->ring_version = get<uint64_t>(&p);
  r->slot = get<uint8_t>(&p);
  r->current = get<uint8_t>(&p);
  r->valid_mask = get<uint8_t>(&p);
  std::memcpy(r->key.name, p, sizeof r->key.name);
  p += sizeof r->key.name;
  std::memcpy(r->key.aes_key, p, sizeof r->key.aes_key);
  p += sizeof r->key.aes_key;
  std::memcpy(r->key.hmac_key, p, sizeof r->key.hmac_key);
  constexpr unsigned kAllSlots = (1u << tls::kTicketRingSize) - 1;
  return r->slot < tls::kTicketRingSize && r->current < tls::kTicketRingSize &&
         (r->valid_mask & ~kAllSlots) == 0 && (r->valid_mask >> r->slot & 1) != 0 &&
         (r->valid_mask >> r->current & 1) != 0;
}

unsigned ticket_ring_records(const tls::TicketKeyRing& ring, TicketKeyRecord* out) {
  if (ring.current >= tls::kTicketRingSize || !ring.valid[ring.current]) return 0;
  uint8_t mask = 0;
  for (unsigned i = 0; i < tls::kTicketRingSize; ++i) mask = static_cast<uint8_t>(mask | (ring.valid[i] ? 1u << i : 0u));
  unsigned n = 0;
  for (unsigned i = 0; i < tls::kTicketRingSize; ++i) {
    if (!ring.valid[i]) continue;
    out[n] = TicketKeyRecord{ring.version, static_cast<uint8_t>(i), static_cast<uint8_t>(ring.current), mask,
                             ring.keys[i]};
    ++n;
  }
  return n;
}

bool TicketRingAssembler::add(const TicketKeyRecord& r, tls::TicketKeyRing* complete) {
  if (r.ring_version != ring.version || r.valid_mask != valid_mask || r.current != ring.current) {
    ring = tls::TicketKeyRing{};
    ring.version = r.ring_version;
    ring.current = r.current;
    valid_mask = r.valid_mask;
    have_mask = 0;
  }
  // A resent ring (a new generation's walk) is collected again and
  // completes again: the control side compares it with the one it holds.
  if (have_mask == valid_mask) have_mask = 0;
  ring.keys[r.slot] = r.key;
  ring.valid[r.slot] = true;
  have_mask = static_cast<uint8_t>(have_mask | 1u << r.slot);
  if (have_mask != valid_mask) return false;
  *complete = ring;
  return true;
}

namespace {

// The part types 7 and 8 share: format, session id context, session id.
void put_tls_key(uint8_t** p, uint8_t ctx_len, const uint8_t* ctx, uint8_t id_len, const uint8_t* id) {
  put<uint8_t>(p, kTlsSessionFormat);
  put<uint8_t>(p, ctx_len);
  std::memcpy(*p, ctx, ctx_len);
  *p += ctx_len;
  put<uint8_t>(p, id_len);
  std::memcpy(*p, id, id_len);
  *p += id_len;
}

// Reads it into zeroed arrays (an entry compares as a whole); false for
// another format, a length out of range, or fewer than `after` bytes left
// behind the session id.
bool get_tls_key(const uint8_t** p, const uint8_t* end, size_t after, uint8_t* ctx_len, uint8_t* ctx,
                 uint8_t* id_len, uint8_t* id) {
  if (end - *p < 3 || **p != kTlsSessionFormat) return false;
  ++*p;
  std::memset(ctx, 0, tls::kSessionIdCtxMax);
  std::memset(id, 0, tls::kSessionIdMax);
  *ctx_len = get<uint8_t>(p);
  if (*ctx_len > tls::kSessionIdCtxMax || size_t(end - *p) < *ctx_len + 1u) return false;
  std::memcpy(ctx, *p, *ctx_len);
  *p += *ctx_len;
  *id_len = get<uint8_t>(p);
  if (*id_len == 0 || *id_len > tls::kSessionIdMax || size_t(end - *p) < *id_len + after) return false;
  std::memcpy(id, *p, *id_len);
  *p += *id_len;
  return true;
}

}  // namespace

size_t tls_session_entry_encode(const tls::SessionCacheEntry& e, uint8_t* out, size_t cap) {
  size_t need = kTlsSessionFixedLen + e.sid_ctx_len + e.id_len + e.der_len;
  if (e.sid_ctx_len > tls::kSessionIdCtxMax || e.id_len > tls::kSessionIdMax || e.der_len > tls::kSessionDerMax ||
      cap < need)
    return 0;
  uint8_t* p = out;
  put_tls_key(&p, e.sid_ctx_len, e.sid_ctx, e.id_len, e.id);
  put<uint32_t>(&p, e.age_s);
  put<uint32_t>(&p, e.timeout_s);
  put<uint16_t>(&p, e.der_len);
  std::memcpy(p, e.der, e.der_len);
  p += e.der_len;
  return static_cast<size_t>(p - out);
}

bool tls_session_entry_decode(const uint8_t* p, size_t len, tls::SessionCacheEntry* out) {
  const uint8_t* end = p + len;
  if (len < kTlsSessionFixedLen ||
      !get_tls_key(&p, end, 10, &out->sid_ctx_len, out->sid_ctx, &out->id_len, out->id))
    return false;
  out->age_s = get<uint32_t>(&p);
  out->timeout_s = get<uint32_t>(&p);
  out->der_len = get<uint16_t>(&p);
  if (out->timeout_s == 0 || out->der_len == 0 || out->der_len > tls::kSessionDerMax ||
      size_t(end - p) != out->der_len)
    return false;
  std::memcpy(out->der, p, out->der_len);
  return true;
}

size_t tls_session_key_encode(const tls::SessionCacheKey& k, uint8_t* out, size_t cap) {
  size_t need = 3u + k.sid_ctx_len + k.id_len;
  if (k.sid_ctx_len > tls::kSessionIdCtxMax || k.id_len == 0 || k.id_len > tls::kSessionIdMax || cap < need)
    return 0;
  uint8_t* p = out;
  put_tls_key(&p, k.sid_ctx_len, k.sid_ctx, k.id_len, k.id);
  return static_cast<size_t>(p - out);
}

bool tls_session_key_decode(const uint8_t* p, size_t len, tls::SessionCacheKey* out) {
  const uint8_t* end = p + len;
  return get_tls_key(&p, end, 0, &out->sid_ctx_len, out->sid_ctx, &out->id_len, out->id) && p == end;
}

unsigned tls_session_fragment_count(size_t total) {
  if (total == 0 || total > kTlsSessionBlobMax) return 0;
  return static_cast<unsigned>((total + kTlsFragmentBytes - 1) / kTlsFragmentBytes);
}

size_t tls_session_fragment_encode(uint32_t entry, const uint8_t* blob, size_t total, unsigned index, uint8_t* out) {
  unsigned count = tls_session_fragment_count(total);
  if (index >= count) return 0;
  size_t at = size_t{index} * kTlsFragmentBytes;
  size_t n = total - at < kTlsFragmentBytes ? total - at : kTlsFragmentBytes;
  uint8_t* p = out;
  put<uint8_t>(&p, kTlsSessionFormat);
  put<uint32_t>(&p, entry);
  put<uint8_t>(&p, static_cast<uint8_t>(index));
  put<uint8_t>(&p, static_cast<uint8_t>(count));
  put<uint16_t>(&p, static_cast<uint16_t>(total));
  std::memcpy(p, blob + at, n);
  return kTlsFragmentHdrLen + n;
}

bool tls_session_fragment_decode(const uint8_t* p, size_t len, TlsSessionFragment* out) {
  if (len <= kTlsFragmentHdrLen || p[0] != kTlsSessionFormat) return false;
  ++p;
  out->entry = get<uint32_t>(&p);
  out->index = get<uint8_t>(&p);
  out->count = get<uint8_t>(&p);
  out->total = get<uint16_t>(&p);
  out->bytes = p;
  out->len = len - kTlsFragmentHdrLen;
  unsigned count = tls_session_fragment_count(out->total);
  if (count == 0 || out->count != count || out->index >= count) return false;
  size_t at = size_t{out->index} * kTlsFragmentBytes;
  size_t want = out->total - at < kTlsFragmentBytes ? out->total - at : kTlsFragmentBytes;
  return out->len == want;
}

bool TlsSessionAssembler::add(const TlsSessionFragment& f, uint64_t now_ms) {
  if (f.index == 0) {
    if (active) ++dropped;
    active = true;
    entry = f.entry;
    total = f.total;
    count = f.count;
    next = 0;
    started_ms = now_ms;
  } else if (!active || f.entry != entry || f.index != next || f.total != total || f.count != count ||
             now_ms - started_ms > kTlsAssemblyTimeoutMs) {
    // A fragment that continues nothing in progress is dropped as well.
    ++dropped;
    active = false;
    return false;
  }
  // decode() checked index, count and length against total, and total
  // against the blob's size.
  std::memcpy(blob + size_t{f.index} * kTlsFragmentBytes, f.bytes, f.len);
  ++next;
  if (next < count) return false;
  active = false;
  return true;
}

}  // namespace tandem::dp
