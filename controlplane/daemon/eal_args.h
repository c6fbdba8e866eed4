// Turns a node's configuration into the arguments of rte_eal_init(): lcore
// layout, memory (hugepages or the --no-huge fallback), file prefix and the
// ports' device arguments. Pure logic so it can be unit tested without EAL;
// called once by tandemd at start-up.
#pragma once

#include <string>
#include <vector>

namespace tandem::daemon {

struct EalPlan {
  std::vector<std::string> args;        // argv for rte_eal_init, argv[0] included
  std::vector<unsigned> cpus;           // cpus[i] runs lcore i
  unsigned control_lcore = 0;           // the main lcore: control plane
  std::vector<unsigned> worker_lcores;  // worker i runs on worker_lcores[i]
  bool no_huge = false;
  std::vector<std::string> warnings;    // printed once at start-up
};

struct EalInputs {
  std::string program = "tandemd";
  std::string cores;          // "0-1", "0,2,4-5"
  unsigned workers = 1;
  unsigned memory_mb = 512;
  bool hugepages = true;
  std::string file_prefix;
  // Free hugepage memory in MiB as read from /proc/meminfo (0 when none or
  // no hugetlbfs is mounted).
  unsigned long hugepage_free_mb = 0;
  bool any_pci = false;
  std::vector<std::string> device_args;  // from drivers::parse_device
  std::vector<std::string> extra;        // operator's own EAL args (after --)
};

// Parses a CPU list ("0-3,6"). Returns false and sets *error on bad input.
bool parse_cpu_list(const std::string& text, std::vector<unsigned>* cpus, std::string* error);

bool plan_eal(const EalInputs& in, EalPlan* plan, std::string* error);

// Free hugepage memory in MiB, 0 when hugepages are not usable (none
// reserved, or no hugetlbfs mounted).
unsigned long hugepage_free_mb();

}  // namespace tandem::daemon
