// tandemd's own CLI commands: system status, hardware, configuration views
// and dataplane counters. Declared as one table in register_commands().
#include <arpa/inet.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_version.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <sstream>

#include "controlplane/daemon/event_log.h"
#include "controlplane/daemon/node.h"
#include "dataplane/worker/worker.h"
#include "dataplane/worker/worker_types.h"
#include "drivers/port/unmap_guard.h"
#include "hw/nic/nic.h"

namespace tandem::daemon {
namespace {

std::string format_uptime(std::chrono::seconds s) {
  long long t = s.count();
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%lld days %lld hours %lld minutes %lld seconds", t / 86400,
                t / 3600 % 24, t / 60 % 60, t % 60);
  return buf;
}

std::string ipv4_prefix(uint32_t ip_host, uint8_t prefix) {
  return ipv4_text(htonl(ip_host)) + "/" + std::to_string(prefix);
}

}  // namespace

std::string ipv4_text(uint32_t ip_be) {
  in_addr a{ip_be};
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a, buf, sizeof(buf));
  return buf;
}

void Node::register_commands() {
  using cli::Args;
  using cli::Reply;
  commands_.add({
      {"get system status", "", "hostname, serial number, version, uptime, lcores and ports",
       [this](const Args&) { return cmd_system_status(); }},
      {"get system interface", "", "every interface: device, address, link, role",
       [this](const Args&) { return cmd_system_interface(); }},
      {"get hardware nic", "<port>", "driver, queues, RSS, offloads and counters of a port",
       [this](const Args& a) { return cmd_hardware_nic(a[0]); }, 1, 1},
      {"show", "[<path>...]", "configuration that differs from the defaults (e.g. show system ha)",
       [this](const Args& a) { return cmd_show(a, false); }, -1, 0},
      {"show full-configuration", "[<path>...]", "every key, defaults included",
       [this](const Args& a) { return cmd_show(a, true); }, -1, 0},
      {"diagnose sys dataplane counters", "[<port>]",
       "per-worker, per-port packet counters and drop reasons",
       [this](const Args& a) { return cmd_dataplane_counters(a); }, 1, 0},
      {"diagnose sys ha checksum show", "",
       "checksum of each synchronised configuration section (node_confsync.cc)",
       [this](const Args&) { return cmd_checksum(); }},
      {"diagnose debug eventlog", "", "the node's recent events",
       [](const Args&) {
         std::string out;
         for (const auto& l : event_log().recent()) out += l + "\n";
         return Reply{true, out};
       }},
      {"help", "[<words>...]", "list commands (under the given words)",
       [this](const Args& a) { return Reply{true, commands_.help(a)}; }, -1, 0},
  });
  commands_.add(session_commands());
  commands_.add(tcp_commands());
  commands_.add(ztna_commands());
  commands_.add(realserver_commands());
  commands_.add(route_commands());
  commands_.add(fqdn_commands());
  commands_.add(log_commands());
  commands_.add(ha_commands());
  commands_.add(sync_commands());
  commands_.add(confsync_commands());
}

cli::Reply Node::cmd_system_status() const {
  std::ostringstream o;
  auto up = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() -
                                                             started_at_);
  std::time_t now = std::time(nullptr);
  char when[64];
  std::strftime(when, sizeof(when), "%a %b %d %H:%M:%S %Y", std::localtime(&now));
  o << "Version: Tandem v" << TANDEM_VERSION << " (" << rte_version() << ")\n"
    << "Serial-Number: " << serial_ << "\n"
    << "Hostname: " << node_.global.hostname << "\n"
    << "Operation Mode: NAT\n"
    << "Current virtual domain: root\n"
    << "Current HA mode: " << (node_.ha.mode == "a-p" ? "a-p" : "standalone") << "\n"
    << "System time: " << when << "\n"
    << "Uptime: " << format_uptime(up) << "\n"
    << "Memory: " << node_.dpdk.memory_mb << " MiB "
    << (eal_.no_huge ? "(no hugepages)" : "(hugepages)") << ", " << node_.dpdk.mbufs
    << " mbufs\n"
    << "Lcores: control " << eal_.control_lcore << " (cpu " << eal_.cpus[0] << "), workers "
    << eal_.worker_lcores.size() << " (";
  for (size_t i = 0; i < eal_.worker_lcores.size(); ++i) {
    unsigned l = eal_.worker_lcores[i];
    o << (i ? ", " : "") << "lcore " << l << " cpu " << eal_.cpus[l % eal_.cpus.size()];
  }
  o << "), idle-sleep " << node_.dpdk.idle_sleep_us << " us";
  // Ports whose frames wake a napping worker (AF_XDP), the rest wait it out.
  std::string wakers;
  for (const auto& p : ports_) {
    const auto& fds = p.info.rx_wait_fds;
    if (std::any_of(fds.begin(), fds.end(), [](int fd) { return fd >= 0; }))
      wakers += (wakers.empty() ? "" : ", ") + p.name;
  }
  if (node_.dpdk.idle_sleep_us > 0 && !wakers.empty())
    o << " (a frame on " << wakers << " ends it)";
  o << "\n";
  o << "Ports:\n";
  char line[256];
  for (const auto& p : ports_) {
    const config::InterfaceConfig* ifc = node_.interface(p.name);
    std::string addr = ifc && ifc->ip ? ipv4_prefix(ifc->ip, ifc->prefix_len) : "-";
    std::string link = !p.is_dpdk ? "kernel" : p.link_up ? "up" : "down";
    std::string driver = p.is_dpdk ? p.info.driver : "kernel:" + p.spec.ifname;
    std::snprintf(line, sizeof(line), "  %-10s %-6s %-18s %-20s %s\n", p.name.c_str(), link.c_str(),
                  addr.c_str(), driver.c_str(), p.is_hbdev ? "hbdev" : ifc ? ifc->role.c_str() : "");
    o << line;
  }
  return cli::Reply{true, o.str()};
}

cli::Reply Node::cmd_system_interface() const {
  std::ostringstream o;
  for (const auto& p : ports_) {
    const config::InterfaceConfig* ifc = node_.interface(p.name);
    if (ifc == nullptr) continue;
    o << "== [ " << p.name << " ]\n"
      << "name: " << p.name << "   mode: static    ip: "
      << (ifc->ip ? ipv4_prefix(ifc->ip, ifc->prefix_len) : "0.0.0.0/0")
      << "   status: " << (ifc->up ? "up" : "down")
      << "    netbios-forward: disable    type: physical   device: " << ifc->device
      << "   link: " << (!p.is_dpdk ? "kernel" : p.link_up ? "up" : "down")
      << "   role: " << (p.is_hbdev ? "hbdev" : ifc->role) << "   allowaccess:";
    for (const auto& a : ifc->allowaccess) o << " " << a;
    o << "\n";
  }
  return cli::Reply{true, o.str()};
}

cli::Reply Node::cmd_hardware_nic(const std::string& name) const {
  for (const auto& p : ports_) {
    if (p.name != name) continue;
    if (!p.is_dpdk) {
      return cli::Reply::error(name + " is a kernel interface (" + p.spec.ifname +
                               "), not a DPDK port; use `ip -s link show " + p.spec.ifname + "`");
    }
    return cli::Reply{true, hw::format_nic(p.info.port_id, p.info)};
  }
  std::string names;
  for (const auto& p : ports_) names += " " + p.name;
  return cli::Reply::error("no interface named \"" + name + "\"; interfaces:" + names);
}

cli::Reply Node::cmd_show(const cli::Args& args, bool full) const {
  std::string path;
  for (const auto& a : args) path += (path.empty() ? "" : " ") + a;
  std::string out, err;
  if (!config::show(config_, path, full, &out, &err)) return cli::Reply::error(err);
  return cli::Reply{true, out};
}

cli::Reply Node::cmd_dataplane_counters(const cli::Args& args) const {
  std::ostringstream o;
  bool found = args.empty();
  unsigned workers = dp::dataplane_nb_workers(dataplane_);
  for (const auto& p : ports_) {
    if (p.data_index < 0 || (!args.empty() && args[0] != p.name)) continue;
    found = true;
    for (unsigned w = 0; w <= workers; ++w) {
      // The last row is the sum over workers.
      dp::PortCounters c =
          w < workers ? dp::dataplane_worker_port_counters(dataplane_, w,
                                                           static_cast<unsigned>(p.data_index))
                      : dp::dataplane_port_counters(dataplane_, static_cast<unsigned>(p.data_index));
      if (w == workers && workers == 1) break;
      // Every counter the dataplane declares, one "name=value" each, so a
      // new counter shows up here without touching the CLI.
      o << p.name << (w < workers ? " worker " + std::to_string(w) : std::string(" total")) << ":\n";
      for (size_t f = 0; f < dp::kNbPortCounterFields; ++f) {
        o << (f % 5 == 0 ? "  " : " ") << dp::kPortCounterFields[f].name << "="
          << c.*(dp::kPortCounterFields[f].field) << (f % 5 == 4 ? "\n" : "");
      }
      if (dp::kNbPortCounterFields % 5 != 0) o << "\n";
    }
  }
  if (!found) return cli::Reply::error("no data port named \"" + args[0] + "\"");
  o << "hbdev frames drained by the control lcore: " << hbdev_frames_ << "\n";
  const drivers::UnmapGuardStats guard = drivers::unmap_guard_stats();
  o << "unmaps held until pollers left their burst: " << guard.waits << " (gave up waiting: "
    << guard.timeouts << ")\n";
  // busy_cycles and stalled_cycles count this clock: cycles / rate = seconds.
  o << "tsc_hz=" << rte_get_tsc_hz() << "\n";
  return cli::Reply{true, o.str()};
}

}  // namespace tandem::daemon
