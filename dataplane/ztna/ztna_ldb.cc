#include "dataplane/ztna/ztna_ldb.h"

#include "dataplane/http/http.h"

namespace tandem::dp {
namespace {

// Usable servers of one tier (active or standby) as a mask.
uint32_t tier_mask(const ZtnaGatewayRuntime& g, uint32_t up_mask, bool standby) {
  uint32_t m = 0;
  for (unsigned i = 0; i < g.nb_servers && i < kMaxZtnaRealServers; ++i) {
    if (g.servers[i].standby == standby && (up_mask >> i & 1u)) m |= 1u << i;
  }
  return m;
}

int first_of(uint32_t m) { return m == 0 ? -1 : __builtin_ctz(m); }

int round_robin(const ZtnaGatewayRuntime& g, uint32_t m, ZtnaLdbState* st) {
  unsigned n = g.nb_servers;
  for (unsigned k = 0; k < n; ++k) {
    unsigned i = (st->rr + k) % n;
    if (m >> i & 1u) {
      st->rr = (i + 1) % n;
      return static_cast<int>(i);
    }
  }
  return -1;
}

// Smooth weighted round-robin: every usable server gains its weight, the
// largest current weight wins and gives back the total. With weights 5,1,1
// the order is a a b a c a a: spread, not in bursts.
int weighted(const ZtnaGatewayRuntime& g, uint32_t m, ZtnaLdbState* st) {
  int best = -1;
  int32_t total = 0;
  for (unsigned i = 0; i < g.nb_servers; ++i) {
    if (!(m >> i & 1u)) continue;
    int32_t w = g.servers[i].weight == 0 ? 1 : g.servers[i].weight;
    st->current[i] += w;
    total += w;
    if (best < 0 || st->current[i] > st->current[best]) best = static_cast<int>(i);
  }
  if (best >= 0) st->current[best] -= total;
  return best;
}

// Static: rendezvous (highest random weight) hashing of the source address
// with each usable server's address and port. Every worker and both nodes
// of the pair compute the same choice, and a server that goes down moves
// only its own clients (a modulo over the usable ones would move most).
uint64_t mix(uint64_t x) {  // splitmix64's finaliser
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

int by_source(const ZtnaGatewayRuntime& g, uint32_t m, uint32_t src_ip) {
  int best = -1;
  uint64_t best_score = 0;
  for (unsigned i = 0; i < g.nb_servers; ++i) {
    if (!(m >> i & 1u)) continue;
    const ZtnaRealServer& s = g.servers[i];
    uint64_t score = mix((uint64_t{src_ip} << 32 | s.ip) ^ mix(uint64_t{s.port} + 1));
    if (best < 0 || score > best_score) {
      best = static_cast<int>(i);
      best_score = score;
    }
  }
  return best;
}

}  // namespace

int ztna_ldb_pick(const ZtnaGatewayRuntime& g, uint32_t up_mask, uint32_t src_ip, ZtnaLdbState* st) {
  uint32_t m = tier_mask(g, up_mask, false);
  if (m == 0) m = tier_mask(g, up_mask, true);
  if (m == 0) return -1;
  switch (g.method) {
    case ZtnaLdbMethod::kRoundRobin:
      return round_robin(g, m, st);
    case ZtnaLdbMethod::kWeighted:
      return weighted(g, m, st);
    case ZtnaLdbMethod::kStatic:
      return by_source(g, m, src_ip);
    case ZtnaLdbMethod::kFirstAlive:
    case ZtnaLdbMethod::kHttpHost:
      break;
  }
  return first_of(m);
}

uint32_t ztna_ldb_host_mask(const ZtnaGatewayRuntime& g, std::string_view host) {
  if (g.method != ZtnaLdbMethod::kHttpHost) return UINT32_MAX;
  uint32_t named = 0, unnamed = 0;
  for (unsigned i = 0; i < g.nb_servers && i < kMaxZtnaRealServers; ++i) {
    const ZtnaRealServer& s = g.servers[i];
    if (s.http_host_len == 0)
      unnamed |= 1u << i;
    else if (!host.empty() && http::host_matches_sni(host, std::string_view(s.http_host, s.http_host_len)))
      named |= 1u << i;
  }
  return named != 0 ? named : unnamed;
}

bool ztna_virtual_host_matches(const ZtnaGatewayRuntime& g, std::string_view host) {
  if (g.virtual_host_len == 0) return true;
  return http::host_matches_sni(host, std::string_view(g.virtual_host, g.virtual_host_len));
}

uint8_t ztna_health_probe_kind(const ZtnaRealServer& rs) {
  if (!rs.health_check) return 0;
  if (rs.health_ping) return 1;
  if (!rs.health_http) return 2;
  if (!rs.https) return 3;
  return rs.verify_cert ? 5 : 4;
}

bool ztna_health_result(ZtnaHealth* h, bool ok, unsigned retry, uint64_t now_ms, uint64_t holddown_ms) {
  if (ok) {
    h->fails = 0;
    if (!h->down) return false;
    if (holddown_ms > 0) {
      if (h->holddown_until_ms == 0) h->holddown_until_ms = now_ms + holddown_ms;
      if (now_ms < h->holddown_until_ms) return false;
    }
    h->holddown_until_ms = 0;
    h->down = false;
    ++h->ups;
    h->changed_ms = now_ms;
    return true;
  }
  if (h->fails < 255) ++h->fails;
  h->holddown_until_ms = 0;
  if (h->down || h->fails < retry) return false;
  h->down = true;
  ++h->downs;
  h->changed_ms = now_ms;
  return true;
}

}  // namespace tandem::dp
