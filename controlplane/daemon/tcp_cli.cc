// `diagnose sys tcp list|stat`: the connections and counters of the
// workers' userspace TCP stacks (dataplane/tcp), read on the owning worker
// through the glue's mailbox, never from the control lcore directly.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "controlplane/daemon/node.h"
#include "dataplane/tcp/tcp.h"
#include "dataplane/tcp/tcp_diag.h"

namespace tandem::daemon {
namespace {

// A list larger than this is cut, with the total said.
constexpr size_t kListBytes = 4u << 20;
constexpr size_t kStatBytes = 8192;

cli::Reply tcp_error(const char* what, int rc) {
  if (rc == -ENOTSUP) {
    return cli::Reply::error(std::string(what) +
                             ": the workers have no TCP stack; set echo-port or http-port in "
                             "`config system tcp-test-service` and restart tandemd");
  }
  return cli::Reply::error(std::string(what) + ": " +
                           (rc == -ETIMEDOUT ? "a worker did not answer within 2 s"
                                             : std::strerror(-rc)));
}

}  // namespace

std::vector<cli::Command> Node::tcp_commands() {
  using cli::Args;
  return {
      {"diagnose sys tcp list", "", "connections of the workers' TCP stacks, one per line",
       [this](const Args&) {
         std::vector<char> buf(kListBytes);
         unsigned total = 0;
         int n = dp::dataplane_tcp_list(dataplane_, buf.data(), buf.size(), &total,
                                        kCliWorkerTimeoutMs);
         if (n < 0) return tcp_error("tcp list", n);
         std::string out(buf.data(), static_cast<size_t>(n));
         size_t listed = static_cast<size_t>(std::count(out.begin(), out.end(), '\n'));
         if (total > listed)
           out += "(" + std::to_string(total - listed) + " more not listed)\n";
         out += "total tcp " + std::to_string(total) + "\n";
         return cli::Reply{true, out};
       }},
      {"diagnose sys tcp stat", "", "per-worker TCP engine and glue counters, then the sums",
       [this](const Args&) {
         unsigned nb = dp::dataplane_nb_workers(dataplane_);
         std::string out;
         dp::TcpWorkerStats sum{};
         std::vector<char> buf(kStatBytes);
         for (unsigned i = 0; i < nb; ++i) {
           dp::TcpWorkerStats st{};
           int rc = dp::dataplane_tcp_stats(dataplane_, i, &st, kCliWorkerTimeoutMs);
           if (rc < 0) return tcp_error("tcp stat", rc);
           out += "worker " + std::to_string(i) + ": live=" + std::to_string(st.live) + "/" +
                  std::to_string(st.slots) + " buffers=" +
                  std::to_string(st.buffers - st.buffers_free) + "/" + std::to_string(st.buffers);
           for (unsigned s = 1; s < dp::kNbTcpConnStates; ++s) {
             if (st.by_state[s] == 0) continue;
             out += std::string(" ") + dp::tcp_state_name(static_cast<dp::TcpConnStateId>(s)) +
                    "=" + std::to_string(st.by_state[s]);
           }
           out += "\n";
           // Sum field by field: both structs are all uint64_t counters.
           auto add = [](auto& to, const auto& from) {
             static_assert(sizeof(to) % sizeof(uint64_t) == 0, "counters only");
             auto* t = reinterpret_cast<uint64_t*>(&to);
             const auto* f = reinterpret_cast<const uint64_t*>(&from);
             for (size_t k = 0; k < sizeof(to) / sizeof(uint64_t); ++k) t[k] += f[k];
           };
           add(sum.stack, st.stack);
           add(sum.glue, st.glue);
           sum.live += st.live;
           sum.slots += st.slots;
           sum.buffers += st.buffers;
           sum.buffers_free += st.buffers_free;
           if (nb > 1) {
             size_t len = dp::tcp_format_counters(st.stack, buf.data(), buf.size());
             out.append(buf.data(), std::min(len, buf.size() - 1));
             len = dp::tcp_format_glue_counters(st.glue, buf.data(), buf.size());
             out.append(buf.data(), std::min(len, buf.size() - 1));
           }
         }
         out += "total: live=" + std::to_string(sum.live) + "/" + std::to_string(sum.slots) +
                " buffers=" + std::to_string(sum.buffers - sum.buffers_free) + "/" +
                std::to_string(sum.buffers) + "\n";
         size_t len = dp::tcp_format_counters(sum.stack, buf.data(), buf.size());
         out.append(buf.data(), std::min(len, buf.size() - 1));
         len = dp::tcp_format_glue_counters(sum.glue, buf.data(), buf.size());
         out.append(buf.data(), std::min(len, buf.size() - 1));
         return cli::Reply{true, out};
       }},
  };
}

}  // namespace tandem::daemon
