#include "controlplane/daemon/eal_args.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

namespace tandem::daemon {

bool parse_cpu_list(const std::string& text, std::vector<unsigned>* cpus, std::string* error) {
  constexpr unsigned kMaxCpu = 1023;
  cpus->clear();
  std::stringstream ss(text);
  std::string part;
  auto number = [&](std::string_view s, unsigned* v) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
    return ec == std::errc() && p == s.data() + s.size() && *v <= kMaxCpu;
  };
  while (std::getline(ss, part, ',')) {
    auto dash = part.find('-');
    unsigned lo = 0, hi = 0;
    bool ok = dash == std::string::npos
                  ? number(part, &lo) && (hi = lo, true)
                  : number(std::string_view(part).substr(0, dash), &lo) &&
                        number(std::string_view(part).substr(dash + 1), &hi) && lo <= hi;
    if (!ok) {
      *error = "bad CPU list \"" + text + "\": expected numbers 0.." + std::to_string(kMaxCpu) +
               " and ranges like \"0-3,6\"";
      return false;
    }
    for (unsigned c = lo; c <= hi; ++c) {
      if (std::find(cpus->begin(), cpus->end(), c) == cpus->end()) cpus->push_back(c);
    }
  }
  if (cpus->empty()) {
    *error = "empty CPU list: set cores, e.g. \"0-1\"";
    return false;
  }
  return true;
}

bool plan_eal(const EalInputs& in, EalPlan* plan, std::string* error) {
  *plan = EalPlan{};
  if (in.workers == 0) {
    *error = "workers must be at least 1";
    return false;
  }
  if (!parse_cpu_list(in.cores, &plan->cpus, error)) return false;

  // lcore 0 is the control plane; workers follow. With fewer CPUs than
  // lcores they share CPUs round-robin, which is why workers have an idle
  // sleep (a two-core test machine runs two nodes and a generator).
  const unsigned nb_lcores = in.workers + 1;
  std::string lcores;
  for (unsigned l = 0; l < nb_lcores; ++l) {
    unsigned cpu = plan->cpus[l % plan->cpus.size()];
    if (!lcores.empty()) lcores += ",";
    lcores += std::to_string(l) + "@" + std::to_string(cpu);
    if (l > 0) plan->worker_lcores.push_back(l);
  }
  if (nb_lcores > plan->cpus.size()) {
    plan->warnings.push_back(std::to_string(nb_lcores) + " lcores share " +
                             std::to_string(plan->cpus.size()) +
                             " CPUs; set idle-sleep so they can take turns");
  }

  auto& a = plan->args;
  a.push_back(in.program);
  a.push_back("--lcores=" + lcores);
  a.push_back("--main-lcore=0");
  if (!in.file_prefix.empty()) a.push_back("--file-prefix=" + in.file_prefix);
  if (in.hugepages && in.hugepage_free_mb >= in.memory_mb) {
    a.push_back("-m");
    a.push_back(std::to_string(in.memory_mb));
  } else {
    plan->no_huge = true;
    if (in.hugepages) {
      plan->warnings.push_back(
          "hugepages wanted but only " + std::to_string(in.hugepage_free_mb) + " MiB free of " +
          std::to_string(in.memory_mb) +
          " MiB needed: running with --no-huge (slower; reserve hugepages, e.g. scripts/setup)");
    }
    a.push_back("--no-huge");
    a.push_back("-m");
    a.push_back(std::to_string(in.memory_mb));
  }
  // Never probe PCI devices the configuration does not name: the machine's
  // own management NIC must stay with the kernel.
  if (!in.any_pci) a.push_back("--no-pci");
  for (const auto& d : in.device_args) a.push_back(d);
  for (const auto& e : in.extra) a.push_back(e);
  return true;
}

unsigned long hugepage_free_mb() {
  std::ifstream mounts("/proc/mounts");
  std::string line;
  bool mounted = false;
  while (std::getline(mounts, line)) {
    if (line.find(" hugetlbfs ") != std::string::npos) mounted = true;
  }
  if (!mounted) return 0;
  std::ifstream meminfo("/proc/meminfo");
  unsigned long free_pages = 0, page_kb = 0;
  while (std::getline(meminfo, line)) {
    std::istringstream ls(line);
    std::string key;
    unsigned long v = 0;
    ls >> key >> v;
    if (key == "HugePages_Free:") free_pages = v;
    if (key == "Hugepagesize:") page_kb = v;
  }
  return free_pages * page_kb / 1024;
}

}  // namespace tandem::daemon
