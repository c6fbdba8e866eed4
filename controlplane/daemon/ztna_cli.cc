// `diagnose wad user list|clear`: the ZTNA proxy's authenticated users
// (dataplane/user), read and cleared on the owning worker through the
// proxy's mailbox, never from the control lcore directly. `diagnose wad
// stats`: the proxy's counters per worker and summed, read as they are,
// and the node's TLS 1.2 session-id cache.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "controlplane/daemon/node.h"
#include "dataplane/worker/worker.h"
#include "dataplane/ztna/ztna_auth.h"
#include "dataplane/ztna/ztna_diag.h"

namespace tandem::daemon {
namespace {

constexpr size_t kListBytes = 4u << 20;  // a longer list is cut, with the total said

cli::Reply ztna_error(const char* what, int rc) {
  if (rc == -ENOTSUP) {
    return cli::Reply::error(std::string(what) +
                             ": the ZTNA proxy is not running; configure a `firewall access-proxy` "
                             "and restart tandemd");
  }
  return cli::Reply::error(std::string(what) + ": " +
                           (rc == -ETIMEDOUT ? "a worker did not answer within 2 s" : std::strerror(-rc)));
}

// One block of counters, five "name=value" a line (as `diagnose sys
// dataplane counters`), so a new counter shows up without touching this.
void put_counters(std::string* out, const std::string& title, const dp::ZtnaCounters& c) {
  *out += title + ":\n";
  for (size_t f = 0; f < dp::kNbZtnaCounterFields; ++f) {
    *out += (f % 5 == 0 ? "  " : " ");
    *out += std::string(dp::kZtnaCounterFields[f].name) + "=" + std::to_string(c.*(dp::kZtnaCounterFields[f].field));
    if (f % 5 == 4) *out += "\n";
  }
  if (dp::kNbZtnaCounterFields % 5 != 0) *out += "\n";
}

}  // namespace

cli::Reply Node::cmd_wad_stats() const {
  unsigned workers = dp::dataplane_nb_workers(dataplane_);
  dp::ZtnaCounters total{};
  std::string out;
  for (unsigned w = 0; w < workers; ++w) {
    dp::ZtnaCounters c{};
    int rc = dp::dataplane_ztna_counters(dataplane_, w, &c);
    if (rc < 0) return ztna_error("wad stats", rc);
    for (size_t f = 0; f < dp::kNbZtnaCounterFields; ++f) {
      auto field = dp::kZtnaCounterFields[f].field;
      total.*field = field == &dp::ZtnaCounters::login_wait_max_us ? std::max(total.*field, c.*field)
                                                                     : total.*field + c.*field;
    }
    put_counters(&out, "worker " + std::to_string(w), c);
  }
  put_counters(&out, "total", total);
  dp::ZtnaAuthStats a = dp::ztna_auth_stats();
  out += "password checks (verifier thread): checked=" + std::to_string(a.checked) + " good=" +
         std::to_string(a.good) + " busy_us=" + std::to_string(a.busy_us) + " queued=" + std::to_string(a.queued) +
         "\n";
  dp::tls::SessionCacheCounters t = tls_session_cache_->counters();
  out += "TLS 1.2 session cache: entries=" + std::to_string(t.entries) + "/" + std::to_string(t.capacity) +
         " stored=" + std::to_string(t.stored) + " hits=" + std::to_string(t.hits) + " misses=" +
         std::to_string(t.misses) + " expired=" + std::to_string(t.expired) + " evictions=" +
         std::to_string(t.evictions) + " removed=" + std::to_string(t.removed) + " too_big=" +
         std::to_string(t.too_big) + "\n  replicated_out=" + std::to_string(t.replicated_out) +
         " replicated_in=" + std::to_string(t.replicated_in) + " rejected_in=" + std::to_string(t.rejected_in) +
         " removals_out=" + std::to_string(t.removals_out) + " removed_in=" + std::to_string(t.removed_in) + "\n";
  return cli::Reply{true, out};
}

std::vector<cli::Command> Node::ztna_commands() {
  using cli::Args;
  return {
      {"diagnose wad user list", "", "users the ZTNA proxy authenticated, per worker (FortiOS layout)",
       [this](const Args&) {
         std::vector<char> buf(kListBytes);
         unsigned total = 0;
         int n = dp::dataplane_ztna_user_list(dataplane_, buf.data(), buf.size(), &total, kCliWorkerTimeoutMs);
         if (n < 0) return ztna_error("wad user list", n);
         std::string out(buf.data(), static_cast<size_t>(n));
         size_t listed = 0;
         for (size_t at = out.find("ID: "); at != std::string::npos; at = out.find("\nID: ", at + 1)) ++listed;
         if (total > listed) out += "(" + std::to_string(total - listed) + " more not listed)\n";
         return cli::Reply{true, out};
       }},
      {"diagnose wad stats", "", "the ZTNA proxy's counters per worker and in total, and the TLS 1.2 session cache",
       [this](const Args&) { return cmd_wad_stats(); }},
      {"diagnose wad user clear", "", "log every ZTNA user out (the next request asks again)",
       [this](const Args&) {
         unsigned cleared = 0;
         int rc = dp::dataplane_ztna_user_clear(dataplane_, &cleared, kCliWorkerTimeoutMs);
         if (rc < 0) return ztna_error("wad user clear", rc);
         return cli::Reply{true, ""};
       }},
  };
}

}  // namespace tandem::daemon
