#include "drivers/port/device.h"
#include <cstring>
#include <cerrno>
#include <unistd.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/socket.h>

#include <cctype>
#include <string_view>

#include "drivers/xdp/xdp_loader.h"

namespace tandem::drivers {

namespace {

// Linux IFNAMSIZ is 16 including the terminating NUL.
constexpr size_t kIfnameMaxLen = 15;
// RTE_ETH_NAME_MAX_LEN is 64 with the NUL; the longest prefix we add is
// "net_af_packet_" (14 chars).
constexpr size_t kEthdevNameMaxLen = 63;
constexpr size_t kPortNameMaxLen = kEthdevNameMaxLen - std::string_view("net_af_packet_").size();

constexpr std::string_view kAfXdpPrefix = "af_xdp:";
constexpr std::string_view kAfPacketPrefix = "af_packet:";
constexpr std::string_view kKernelPrefix = "kernel:";
constexpr std::string_view kVdevPrefix = "net_";

constexpr const char* kForms =
    "expected a PCI address (0000:03:00.0), af_xdp:<ifname>, af_packet:<ifname>, "
    "kernel:<ifname> or a DPDK vdev (net_<driver>[,<args>])";

bool fail(std::string* error, const std::string& text) {
  if (error != nullptr) *error = text;
  return false;
}

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
}

// Interface names go into the comma/equals separated vdev argument string, so
// only the characters Linux distributions actually use are allowed.
bool valid_ifname(std::string_view ifname, std::string* why) {
  if (ifname.empty()) {
    *why = "is empty";
    return false;
  }
  if (ifname.size() > kIfnameMaxLen) {
    *why = "is " + std::to_string(ifname.size()) + " characters, Linux allows at most " +
           std::to_string(kIfnameMaxLen);
    return false;
  }
  if (ifname == "." || ifname == "..") {
    *why = "is not a valid interface name";
    return false;
  }
  for (char c : ifname) {
    if (!is_name_char(c) && c != '.') {
      *why = std::string("contains '") + c + "'; use letters, digits, '_', '-' and '.'";
      return false;
    }
  }
  return true;
}

bool is_hex(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (std::isxdigit(static_cast<unsigned char>(c)) == 0) return false;
  }
  return true;
}

unsigned hex_value(std::string_view text) {
  return static_cast<unsigned>(std::stoul(std::string(text), nullptr, 16));
}

// DDDD:BB:DD.F (domain:bus:device.function), as lspci -D prints it.
bool valid_pci_address(std::string_view text, std::string* why) {
  if (text.size() != 12 || text[4] != ':' || text[7] != ':' || text[10] != '.') {
    *why = "is not of the form DDDD:BB:DD.F (domain:bus:device.function, e.g. 0000:03:00.0)";
    return false;
  }
  const std::string_view domain = text.substr(0, 4);
  const std::string_view bus = text.substr(5, 2);
  const std::string_view dev = text.substr(8, 2);
  const std::string_view function = text.substr(11, 1);
  if (!is_hex(domain) || !is_hex(bus) || !is_hex(dev) || !is_hex(function)) {
    *why = "has non-hexadecimal digits";
    return false;
  }
  if (hex_value(dev) > 0x1f) {
    *why = "has device " + std::string(dev) + ", PCI devices go up to 1f";
    return false;
  }
  if (hex_value(function) > 7) {
    *why = "has function " + std::string(function) + ", PCI functions go up to 7";
    return false;
  }
  return true;
}

bool looks_like_pci(std::string_view text) {
  return !text.empty() && std::isxdigit(static_cast<unsigned char>(text[0])) != 0 &&
         text.find(':') != std::string_view::npos && text.find('.') != std::string_view::npos &&
         text.find('_') == std::string_view::npos;
}

}  // namespace

const char* device_kind_name(DeviceKind kind) {
  switch (kind) {
    case DeviceKind::kPci: return "pci";
    case DeviceKind::kAfXdp: return "af_xdp";
    case DeviceKind::kAfPacket: return "af_packet";
    case DeviceKind::kKernel: return "kernel";
    case DeviceKind::kVdev: return "vdev";
  }
  return "unknown";
}

bool parse_device(const std::string& port_name, const std::string& device, unsigned nb_queues,
                  DeviceSpec* out, std::string* error) {
  if (port_name.empty()) return fail(error, "interface name is empty");
  if (port_name.size() > kPortNameMaxLen) {
    return fail(error, "interface " + port_name + ": name longer than " +
                           std::to_string(kPortNameMaxLen) + " characters");
  }
  for (char c : port_name) {
    if (!is_name_char(c)) {
      return fail(error, "interface " + port_name + ": name contains '" + c +
                             "'; use letters, digits, '_' and '-'");
    }
  }
  const std::string where = "interface " + port_name + ": set device \"" + device + "\": ";
  if (device.empty()) return fail(error, where + "empty; " + kForms);

  const std::string_view text = device;
  DeviceSpec spec;
  std::string why;

  auto take_ifname = [&](std::string_view prefix) -> bool {
    spec.ifname = std::string(text.substr(prefix.size()));
    if (!valid_ifname(spec.ifname, &why)) {
      return fail(error, where + "interface name \"" + spec.ifname + "\" " + why);
    }
    return true;
  };
  auto check_queues = [&](unsigned max) -> bool {
    if (nb_queues == 0 || nb_queues > max) {
      return fail(error, where + std::to_string(nb_queues) + " queues requested, expected 1.." +
                             std::to_string(max));
    }
    return true;
  };

  if (text.starts_with(kAfXdpPrefix)) {
    if (!take_ifname(kAfXdpPrefix) || !check_queues(kTandemXdpMaxQueues)) return false;
    std::string obj_error;
    const std::string obj = xdp_object_path(&obj_error);
    if (obj.empty()) return fail(error, where + obj_error);
    spec.kind = DeviceKind::kAfXdp;
    spec.dpdk_name = "net_af_xdp_" + port_name;
    // busy_budget=0: no preferred busy polling. With it on (the PMD's
    // default) every RX poll that finds the ring empty makes a recvfrom(),
    // which on a veth busy-polls nothing and was up to 40 % of a worker's
    // samples (docs/bench-ztna.md, "With busy_budget=0").
    spec.eal_args.push_back("--vdev=" + spec.dpdk_name + ",iface=" + spec.ifname +
                            ",start_queue=0,queue_count=" + std::to_string(nb_queues) +
                            ",busy_budget=0,xdp_prog=" + obj);
  } else if (text.starts_with(kAfPacketPrefix)) {
    // net_af_packet takes at most RTE_PMD_AF_PACKET_MAX_RINGS (16) qpairs.
    if (!take_ifname(kAfPacketPrefix) || !check_queues(16)) return false;
    spec.kind = DeviceKind::kAfPacket;
    spec.dpdk_name = "net_af_packet_" + port_name;
    spec.eal_args.push_back("--vdev=" + spec.dpdk_name + ",iface=" + spec.ifname +
                            ",qpairs=" + std::to_string(nb_queues));
  } else if (text.starts_with(kKernelPrefix)) {
    if (!take_ifname(kKernelPrefix)) return false;
    spec.kind = DeviceKind::kKernel;
  } else if (text.starts_with(kVdevPrefix)) {
    const std::string_view name = text.substr(0, text.find(','));
    if (name.size() == kVdevPrefix.size()) {
      return fail(error, where + "vdev has no driver name after \"net_\"");
    }
    if (name.size() > kEthdevNameMaxLen) {
      return fail(error, where + "vdev name longer than " + std::to_string(kEthdevNameMaxLen) +
                             " characters");
    }
    for (char c : name) {
      if (!is_name_char(c)) {
        return fail(error, where + "vdev name contains '" + c + "'; " + kForms);
      }
    }
    // EAL takes the string as one argument; a blank or a control byte in it
    // (a NUL would cut it short) is never what the operator meant.
    for (char c : text) {
      const auto u = static_cast<unsigned char>(c);
      if (u <= 0x20 || u == 0x7f)
        return fail(error, where + "vdev arguments contain whitespace or a control character");
    }
    spec.kind = DeviceKind::kVdev;
    spec.dpdk_name = std::string(name);
    spec.eal_args.push_back("--vdev=" + device);
  } else if (looks_like_pci(text)) {
    if (!valid_pci_address(text, &why)) return fail(error, where + "PCI address " + why);
    // DPDK names PCI ports in lower case; the port lookup after EAL init
    // compares names exactly.
    std::string address = device;
    for (char& c : address) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    spec.kind = DeviceKind::kPci;
    spec.dpdk_name = address;
    spec.eal_args = {"-a", address};
  } else {
    return fail(error, where + "unknown device; " + kForms);
  }
  *out = std::move(spec);
  return true;
}

bool remove_stale_memif_socket(const std::string& device, bool* removed, std::string* error) {
  *removed = false;
  if (device.rfind("net_memif", 0) != 0) return true;
  std::string path;
  bool server = false, abstract = true;  // DPDK 22.11's defaults: client, abstract socket
  size_t pos = device.find(',');
  while (pos != std::string::npos) {
    size_t next = device.find(',', pos + 1);
    std::string kv = device.substr(pos + 1, next == std::string::npos ? next : next - pos - 1);
    if (kv == "role=server") server = true;
    if (kv == "socket-abstract=no") abstract = false;
    if (kv.rfind("socket=", 0) == 0) path = kv.substr(7);
    pos = next;
  }
  if (!server || abstract || path.empty()) return true;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) return true;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) return true;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd < 0) return true;
  const bool live = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  if (live) {
    *error = "memif socket " + path + " is served by another running process";
    return false;
  }
  if (::unlink(path.c_str()) != 0) {
    *error = "cannot remove the stale memif socket " + path + ": " + std::strerror(errno);
    return false;
  }
  *removed = true;
  return true;
}

}  // namespace tandem::drivers
