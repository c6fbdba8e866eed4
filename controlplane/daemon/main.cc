// tandemd: one Tandem appliance node (one DPDK primary process).
//
//   tandemd -c node.conf [-s SOCKET] [-l LOG-DIR] [--state-dir DIR] [--check] [-- EAL-ARGS...]
//
// Loads and validates the FortiOS-syntax configuration (nothing starts on a
// config that does not validate), brings up EAL, ports and workers, and
// serves tandemctl until SIGINT/SIGTERM.
#include <getopt.h>
#include <signal.h>
#include <sys/stat.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <string>

#include "controlplane/config/config.h"
#include "controlplane/config/node_config.h"
#include "controlplane/daemon/node.h"

namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_signal(int) { g_stop.store(true); }

void usage(FILE* out) {
  std::fprintf(out, R"(Usage: tandemd -c FILE [-s SOCKET] [-l LOG-DIR] [--state-dir DIR] [--check] [-- EAL-ARGS...]

Runs one Tandem node: a kernel-bypass ZTNA access proxy on DPDK.

  -c, --config FILE   FortiOS-syntax configuration (see docs/config.md)
  -s, --socket PATH   tandemctl socket (default /run/tandem/tandemd.sock)
  -l, --log-dir DIR   where traffic.log is written (default /var/log/tandem;
                      `config log disk setting` turns it on and off)
      --state-dir DIR state kept across restarts: the config sync epoch and
                      the default config-sync certificate (default
                      /var/lib/tandem)
      --check         validate FILE, print the canonical configuration, exit
  -h, --help          this text
  -V, --version       print the version
  -- EAL-ARGS         extra DPDK EAL arguments, appended after the ones
                      derived from `config system dpdk` (e.g. --log-level=8)

Exit status: 0 after a clean stop (SIGINT/SIGTERM), 1 when start-up fails,
2 for a configuration that does not validate or bad usage.
)");
}

}  // namespace

int main(int argc, char** argv) {
  tandem::daemon::NodeOptions options;
  options.socket_path = "/run/tandem/tandemd.sock";
  bool check_only = false;
  static const option kOptions[] = {{"config", required_argument, nullptr, 'c'},
                                    {"socket", required_argument, nullptr, 's'},
                                    {"log-dir", required_argument, nullptr, 'l'},
                                    {"check", no_argument, nullptr, 'k'},
                                    {"state-dir", required_argument, nullptr, 'S'},
                                    {"help", no_argument, nullptr, 'h'},
                                    {"version", no_argument, nullptr, 'V'},
                                    {nullptr, 0, nullptr, 0}};
  int opt;
  while ((opt = getopt_long(argc, argv, "c:s:l:hV", kOptions, nullptr)) != -1) {
    switch (opt) {
      case 'c': options.config_path = optarg; break;
      case 's': options.socket_path = optarg; break;
      case 'l': options.log_dir = optarg; break;
      case 'k': check_only = true; break;
      case 'S': options.state_dir = optarg; break;
      case 'h': usage(stdout); return 0;
      case 'V': std::printf("tandemd %s (allocator: %s)\n", TANDEM_VERSION, TANDEM_ALLOCATOR); return 0;
      default: usage(stderr); return 2;
    }
  }
  for (int i = optind; i < argc; ++i) options.extra_eal_args.emplace_back(argv[i]);
  if (options.config_path.empty()) {
    std::fprintf(stderr, "tandemd: no configuration given; use -c FILE (tandemd --help)\n");
    return 2;
  }

  tandem::config::ParseResult parsed = tandem::config::load_file(options.config_path);
  if (!parsed.ok()) {
    for (const auto& d : parsed.errors) std::fprintf(stderr, "%s\n", d.to_string().c_str());
    std::fprintf(stderr, "tandemd: %zu error(s) in %s; nothing started\n", parsed.errors.size(),
                 options.config_path.c_str());
    return 2;
  }
  if (check_only) {
    std::string text, err;
    tandem::config::show(parsed.config, "", false, &text, &err);
    std::fputs(text.c_str(), stdout);
    std::fprintf(stderr, "tandemd: %s is valid\n", options.config_path.c_str());
    return 0;
  }

  struct sigaction sa{};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);

  // The default socket lives in /run/tandem; create it when missing.
  if (auto slash = options.socket_path.rfind('/'); slash != std::string::npos && slash > 0) {
    std::string dir = options.socket_path.substr(0, slash);
    for (size_t i = 1; i <= dir.size(); ++i) {
      if (i == dir.size() || dir[i] == '/') ::mkdir(dir.substr(0, i).c_str(), 0755);
    }
  }

  tandem::daemon::Node node(options, std::move(parsed.config));
  std::string error;
  if (!node.start(&error)) {
    node.shutdown();  // first, so the error is the last line printed
    std::fprintf(stderr, "tandemd: %s\n", error.c_str());
    return 1;
  }
  node.run(g_stop);
  node.shutdown();
  std::fprintf(stderr, "tandemd: stopped\n");
  return 0;
}
