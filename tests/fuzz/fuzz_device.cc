// libFuzzer target for device strings (drivers/port/device.cc:
// parse_device, what follows `set device` in `config system interface` and
// tandem-gen's --client-port/--server-port). Input: byte 0 is the queue
// count, then the interface name up to the first '\n', then the device
// string. Checked for every input: a refusal says why; an accepted string
// gives EAL arguments that say exactly what the operator wrote (no control
// byte, which EAL's kvargs or a truncation at a NUL would read otherwise)
// and a port name DPDK can look up:
//   vdev: {"--vdev=" + device}, dpdk_name = the part before the first ','
//   PCI:  {"-a", address in lower case}, dpdk_name = that address
//   af_packet / af_xdp: one --vdev argument naming the interface
//   kernel: no EAL argument.
// Any breach aborts. Seeds: tests/fuzz/corpus/fuzz_device/.
#include <cstddef>
#include <cstdint>
#include <string>

#include "drivers/port/device.h"
#include "tests/fuzz/fuzz_require.h"

namespace {

using tandem::fuzz::require;
using namespace tandem::drivers;

bool printable(const std::string& s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const unsigned queues = data[0];
  const std::string rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const size_t nl = rest.find('\n');
  const std::string port_name = rest.substr(0, nl);
  const std::string device = nl == std::string::npos ? std::string() : rest.substr(nl + 1);

  DeviceSpec spec;
  std::string error;
  if (!parse_device(port_name, device, queues, &spec, &error)) {
    require(!error.empty(), "refused without a reason", device);
    return 0;
  }
  require(error.empty(), "accepted with an error", error);
  require(printable(port_name), "accepted an interface name with a control byte", port_name);
  for (const std::string& arg : spec.eal_args)
    require(printable(arg), "an EAL argument holds a control byte", arg);
  switch (spec.kind) {
    case DeviceKind::kVdev:
      require(spec.eal_args.size() == 1 && spec.eal_args[0] == "--vdev=" + device,
              "vdev: not the operator's string", device);
      require(spec.dpdk_name == device.substr(0, device.find(',')), "vdev: wrong port name", device);
      require(spec.dpdk_name.size() > 4 && spec.dpdk_name.rfind("net_", 0) == 0,
              "vdev: port name is not net_<driver>", device);
      break;
    case DeviceKind::kPci:
      require(spec.eal_args.size() == 2 && spec.eal_args[0] == "-a" &&
                  spec.eal_args[1] == spec.dpdk_name,
              "PCI: not -a <address>", device);
      for (char c : spec.dpdk_name) require(c < 'A' || c > 'Z', "PCI: address not in lower case", device);
      break;
    case DeviceKind::kAfPacket:
    case DeviceKind::kAfXdp:
      require(spec.eal_args.size() == 1 && spec.eal_args[0].rfind("--vdev=" + spec.dpdk_name + ",iface=" +
                                                                      spec.ifname + ",", 0) == 0,
              "af_packet/af_xdp: argument does not name the port and interface", device);
      require(!spec.ifname.empty() && queues >= 1, "af_packet/af_xdp: no interface or queue", device);
      break;
    case DeviceKind::kKernel:
      require(spec.eal_args.empty() && !spec.ifname.empty(), "kernel: EAL arguments or no interface",
              device);
      break;
  }
  return 0;
}
