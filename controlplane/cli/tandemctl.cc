// tandemctl: the operator's CLI. Sends one command to a running tandemd over
// its Unix socket and prints the answer, in the FortiOS dialect.
#include <getopt.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <string>

#include "controlplane/cli/cli.h"
#include "controlplane/cli/cli_server.h"

namespace {

constexpr const char* kDefaultSocket = "/run/tandem/tandemd.sock";
constexpr int kDefaultTimeoutMs = 10'000;

void usage(FILE* out) {
  std::fprintf(out,
R"(Usage: tandemctl [-s SOCKET] [-t MS] COMMAND...
       tandemctl [-s SOCKET] < commands.txt

Sends COMMAND to a running tandemd and prints its answer. Commands use the
FortiOS CLI dialect; words may be abbreviated when unambiguous ("get sys stat").

  get system status          hostname, serial, version, uptime, lcores, ports
  get hardware nic <port>    driver, queues, RSS, offloads and counters of a port
  show [<path>]              configuration that differs from the defaults
  show full-configuration    every key, defaults included
  diagnose ...               see `tandemctl help diagnose`
  config <path> ... end      edit the running configuration (one-line form works:
                             tandemctl config system interface edit port2 set allowaccess ping end)
  help [<words>]             every command the daemon knows, with its help

Options:
  -s, --socket PATH   daemon socket (default: $TANDEM_SOCKET, else %s)
  -t, --timeout MS    how long to wait for the answer (default %d)
  -h, --help          this text
  -V, --version       print the version

With no COMMAND and standard input not a terminal, the whole input is sent as
one request (a `config ... end` script, for example).
Exit status: 0 when the command succeeded, 1 when tandemd refused it,
2 when tandemd could not be reached or the usage was wrong.
)", kDefaultSocket, kDefaultTimeoutMs);
}

}  // namespace

int main(int argc, char** argv) {
  std::string socket_path;
  if (const char* env = std::getenv("TANDEM_SOCKET")) socket_path = env;
  if (socket_path.empty()) socket_path = kDefaultSocket;
  int timeout_ms = kDefaultTimeoutMs;

  static const option kOptions[] = {
      {"socket", required_argument, nullptr, 's'}, {"timeout", required_argument, nullptr, 't'},
      {"help", no_argument, nullptr, 'h'},         {"version", no_argument, nullptr, 'V'},
      {nullptr, 0, nullptr, 0}};
  int opt;
  // '+' stops at the first command word so `tandemctl diagnose sys -x` works.
  while ((opt = getopt_long(argc, argv, "+s:t:hV", kOptions, nullptr)) != -1) {
    switch (opt) {
      case 's':
        socket_path = optarg;
        break;
      case 't': {
        char* end = nullptr;
        long v = std::strtol(optarg, &end, 10);
        if (end == optarg || *end != '\0' || v <= 0 || v > 3'600'000) {
          std::fprintf(stderr, "tandemctl: -t takes milliseconds between 1 and 3600000, got '%s'\n",
                       optarg);
          return 2;
        }
        timeout_ms = static_cast<int>(v);
        break;
      }
      case 'h':
        usage(stdout);
        return 0;
      case 'V':
        std::printf("tandemctl %s\n", TANDEM_VERSION);
        return 0;
      default:
        usage(stderr);
        return 2;
    }
  }

  std::string req;
  if (optind < argc) {
    for (int i = optind; i < argc; ++i) {
      if (!req.empty()) req.push_back(' ');
      req += tandem::cli::quote(argv[i]);
    }
  } else if (!isatty(STDIN_FILENO)) {
    req.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    usage(stderr);
    return 2;
  }

  tandem::cli::Reply reply = tandem::cli::request(socket_path, req, timeout_ms);
  std::fwrite(reply.text.data(), 1, reply.text.size(), reply.ok ? stdout : stderr);
  if (reply.ok) return 0;
  // Connection problems come back without ever reaching the daemon.
  return reply.text.rfind("cannot reach tandemd", 0) == 0 ||
                 reply.text.rfind("tandemd did not answer", 0) == 0
             ? 2
             : 1;
}
