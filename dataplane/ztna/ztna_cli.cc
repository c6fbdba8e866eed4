// The proxy's operator requests, run on the worker that owns the state:
// `diagnose wad user list` and `clear` (the user table), and `diagnose
// firewall vip realserver list` (each real server as this worker sees it).
// The control thread posts a ZtnaUserRequest to every worker's mailbox, or
// runs it inline before the workers are launched, and collects the text.
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <algorithm>
#include <mutex>

#include "dataplane/sync/sync_inl.h"
#include "dataplane/tcp/tcp_glue.h"
#include "dataplane/worker/worker_context.h"
#include "dataplane/worker/worker_mailbox.h"
#include "dataplane/ztna/ztna_app.h"
#include "dataplane/ztna/ztna_app_internal.h"

namespace tandem::dp {

namespace {

struct ListCtx {
  ZtnaUserRequest* req;
  uint64_t now_ms;
};

void list_one(const UserEntry& e, void* arg) {
  auto* lc = static_cast<ListCtx*>(arg);
  ZtnaUserRequest* req = lc->req;
  ++req->total;
  if (req->used + 1 >= req->len) return;
  size_t n = format_user(e, lc->now_ms, "root", req->buf + req->used, req->len - req->used);
  if (req->used + n >= req->len) {  // cut: leave it out whole
    req->buf[req->used] = '\0';
    return;
  }
  req->used += n;
}

struct ClearCtx {
  ZtnaApp* a;
  unsigned n;
};

void collect_one(const UserEntry& e, void* arg) {
  auto* cc = static_cast<ClearCtx*>(arg);
  if (cc->n < kZtnaUserCapacity) cc->a->clear_ips[cc->n++] = e.ip;
}

const char* ldb_name(ZtnaLdbMethod m) {
  switch (m) {
    case ZtnaLdbMethod::kRoundRobin: return "round-robin";
    case ZtnaLdbMethod::kWeighted: return "weighted";
    case ZtnaLdbMethod::kFirstAlive: return "first-alive";
    case ZtnaLdbMethod::kHttpHost: return "http-host";
    case ZtnaLdbMethod::kStatic: break;
  }
  return "static";
}

// Appends to a CLI answer; what does not fit is cut.
__attribute__((format(printf, 2, 3))) void put_text(ZtnaUserRequest* req, const char* fmt, ...) {
  if (req->used + 1 >= req->len) return;
  va_list ap;
  va_start(ap, fmt);
  int n = std::vsnprintf(req->buf + req->used, req->len - req->used, fmt, ap);
  va_end(ap);
  if (n > 0) req->used = std::min(req->len - 1, req->used + static_cast<size_t>(n));
}

// `diagnose firewall vip realserver list`: this worker's view of every
// real server of its runtime.
void list_realservers(ZtnaApp* a, ZtnaUserRequest* req) {
  const ZtnaRuntime* rt = a->rt;
  if (req->len > 0) req->buf[0] = '\0';
  if (rt == nullptr) return;
  uint64_t now = ztna_now_ms(a);
  put_text(req, "worker=%u retried=%lu (requests sent to another server after a failed connect)\n", a->g->w->index,
           static_cast<unsigned long>(a->retried));
  for (uint32_t p = 0; p < rt->nb_proxies; ++p) {
    const ZtnaProxyRuntime& pr = rt->proxies[p];
    for (unsigned gi = 0; gi < pr.nb_gateways; ++gi) {
      const ZtnaGatewayRuntime& g = pr.gateways[gi];
      put_text(req, "worker=%u access-proxy=%s api-gateway=%u ldb-method=%s service=%s virtual-host=\"%.*s\"\n",
               a->g->w->index, pr.realm, g.id, ldb_name(g.method), g.https ? "https" : "http",
               static_cast<int>(g.virtual_host_len), g.virtual_host);
      for (unsigned si = 0; si < g.nb_servers; ++si) {
        const ZtnaRealServer& rs = g.servers[si];
        const ZtnaHealth& h = a->health[rs.index];
        ++req->total;
        put_text(req, "  id=%u ip=%u.%u.%u.%u port=%u status=%s weight=%u health-check=%s", rs.id, rs.ip >> 24,
                 rs.ip >> 16 & 0xff, rs.ip >> 8 & 0xff, rs.ip & 0xff, rs.port, rs.standby ? "standby" : "active",
                 rs.weight, rs.health_check ? "enable" : "disable");
        if (g.https) put_text(req, " verify-cert=%s", rs.verify_cert ? "enable" : "disable");
        if (g.method == ZtnaLdbMethod::kHttpHost)
          put_text(req, " http-host=\"%.*s\"", static_cast<int>(rs.http_host_len), rs.http_host);
        if (rs.health_check && rs.health_http) put_text(req, " health-check-proto=http");  // not the default
        if (rs.health_check && rs.health_ping) put_text(req, " health-check-proto=ping");
        if (rs.health_check && rs.holddown) put_text(req, " holddown-interval=enable");
        if (!rs.health_check) {
          put_text(req, " state=up\n");
          continue;
        }
        put_text(req, " state=%s fails=%u probes_ok=%lu probes_failed=%lu conn_failed=%lu downs=%u ups=%u",
                 h.down ? "down" : "up", h.fails, static_cast<unsigned long>(h.probes_ok),
                 static_cast<unsigned long>(h.probes_failed), static_cast<unsigned long>(h.conn_failed), h.downs,
                 h.ups);
        if (h.holddown_until_ms > now)
          put_text(req, " holddown=%lus", static_cast<unsigned long>((h.holddown_until_ms - now + 999) / 1000));
        if (h.changed_ms != 0)
          put_text(req, " changed=%lus\n", static_cast<unsigned long>((now - h.changed_ms) / 1000));
        else
          put_text(req, "\n");
      }
    }
  }
}

}  // namespace

void ztna_serve_user_request(ZtnaApp* a, ZtnaUserRequest* req) {
  if (req->ask == ZtnaAsk::kRealservers) {
    list_realservers(a, req);
    return;
  }
  if (req->ask == ZtnaAsk::kUserClear) {
    // Removing shifts entries (backward-shift deletion): collect first.
    ClearCtx cc{a, 0};
    a->users.for_each(collect_one, &cc);
    for (unsigned i = 0; i < cc.n; ++i) {
      a->users.remove(a->clear_ips[i]);
      sync_user_gone(a->g->w, a->clear_ips[i]);  // the primary logs them out on the peer too
    }
    req->total = cc.n;
    return;
  }
  if (req->len > 0) req->buf[0] = '\0';
  ListCtx lc{req, ztna_now_ms(a)};
  a->users.for_each(list_one, &lc);
}

namespace {

bool run_inline_or_post(Dataplane* dp, ZtnaApp* a, ZtnaUserRequest* req, unsigned timeout_ms) {
  return mailbox_run(dp->launched_.load(std::memory_order_acquire), a->mailbox, req, timeout_ms,
                     [&] { ztna_serve_user_request(a, req); });
}

ZtnaApp* app_of(Dataplane* dp, unsigned worker) {
  WorkerContext* w = dp->workers_[worker];
  return w != nullptr && w->tcp != nullptr ? w->tcp->ztna : nullptr;
}


}  // namespace

bool dataplane_ztna_enabled(const Dataplane* dp) { return dp->params_.ztna && dp->params_.tcp_max_conns > 0; }

int dataplane_ztna_counters(const Dataplane* dp, unsigned worker, ZtnaCounters* out) {
  if (!dataplane_ztna_enabled(dp)) return -ENOTSUP;
  if (worker >= dp->params_.nb_workers) return -EINVAL;
  *out = ZtnaCounters{};
  const WorkerContext* w = dp->workers_[worker];
  const ZtnaApp* a = w != nullptr && w->tcp != nullptr
                         ? std::atomic_ref<ZtnaApp*>(w->tcp->ztna).load(std::memory_order_acquire)
                         : nullptr;
  if (a != nullptr) *out = a->counters;
  return 0;
}

namespace {

// Asks every worker's proxy in turn, their text one after the other in buf
// (len > 0) when buf is given. The answer's total is summed into *total.
// 0 or -ETIMEDOUT; *used = the text's length.
int ask_workers(Dataplane* dp, ZtnaAsk ask, char* buf, size_t len, unsigned timeout_ms,
                size_t* used, unsigned* total) {
  std::lock_guard<std::mutex> lock(dp->control_mutex_);
  if (buf != nullptr) buf[0] = '\0';
  *used = 0;
  *total = 0;
  for (unsigned i = 0; i < dp->params_.nb_workers; ++i) {
    ZtnaApp* a = app_of(dp, i);
    if (a == nullptr) continue;
    ZtnaUserRequest req{};
    req.ask = ask;
    if (buf != nullptr) {
      req.buf = buf + *used;
      req.len = len - *used;
    }
    if (!run_inline_or_post(dp, a, &req, timeout_ms)) return -ETIMEDOUT;
    *used += req.used;
    *total += req.total;
  }
  return 0;
}

}  // namespace

int dataplane_ztna_user_list(Dataplane* dp, char* buf, size_t len, unsigned* total, unsigned timeout_ms) {
  if (!dataplane_ztna_enabled(dp)) return -ENOTSUP;
  if (buf == nullptr || len == 0) return -EINVAL;
  size_t used = 0;
  unsigned sum = 0;
  if (int rc = ask_workers(dp, ZtnaAsk::kUserList, buf, len, timeout_ms, &used, &sum); rc != 0) return rc;
  if (total != nullptr) *total = sum;
  return static_cast<int>(used);
}

int dataplane_ztna_realserver_list(Dataplane* dp, char* buf, size_t len, unsigned timeout_ms) {
  if (!dataplane_ztna_enabled(dp)) return -ENOTSUP;
  if (buf == nullptr || len == 0) return -EINVAL;
  size_t used = 0;
  unsigned sum = 0;
  if (int rc = ask_workers(dp, ZtnaAsk::kRealservers, buf, len, timeout_ms, &used, &sum); rc != 0) return rc;
  return static_cast<int>(used);
}

int dataplane_ztna_user_clear(Dataplane* dp, unsigned* cleared, unsigned timeout_ms) {
  if (!dataplane_ztna_enabled(dp)) return -ENOTSUP;
  size_t used = 0;
  unsigned sum = 0;
  if (int rc = ask_workers(dp, ZtnaAsk::kUserClear, nullptr, 0, timeout_ms, &used, &sum); rc != 0) return rc;
  if (cleared != nullptr) *cleared = sum;
  return 0;
}

}  // namespace tandem::dp
