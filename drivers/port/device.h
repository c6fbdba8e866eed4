// Device strings: what an operator writes after `set device` in
// `config system interface`, turned into the EAL arguments that create the
// DPDK port. Called by the control plane while building the EAL command line,
// before rte_eal_init; pure string work, no DPDK calls.
#pragma once

#include <string>

#include "drivers/port/port_types.h"

namespace tandem::drivers {

// Accepted forms (port_name is Tandem's interface name, e.g. "port1"):
//   "0000:03:00.0"       -> kPci, {"-a", "0000:03:00.0"}
//   "af_xdp:<ifname>"    -> kAfXdp, {"--vdev=net_af_xdp_<port_name>,iface=<ifname>,start_queue=0,
//                            queue_count=<nb_queues>,xdp_prog=<xdp_object_path()>"}
//   "af_packet:<ifname>" -> kAfPacket, {"--vdev=net_af_packet_<port_name>,iface=<ifname>,qpairs=<nb_queues>"}
//   "kernel:<ifname>"    -> kKernel, no EAL arguments
//   "net_<driver>[,args]" -> kVdev, {"--vdev=<device>"}, dpdk_name = the part before the first comma
// Returns false with *error saying what was wrong and the expected form.
bool parse_device(const std::string& port_name, const std::string& device, unsigned nb_queues,
                  DeviceSpec* out, std::string* error);

// "pci", "af_xdp", "af_packet", "kernel", "vdev".
const char* device_kind_name(DeviceKind kind);

// A memif server (role=server, socket=PATH, socket-abstract=no) that died
// without cleaning up leaves its socket file, and DPDK then refuses to
// create the socket again ("Address already in use"): the node could not
// restart. Removes PATH when nobody answers on it; fails, saying so, when a
// live process does. Does nothing for other devices.
bool remove_stale_memif_socket(const std::string& device, bool* removed, std::string* error);

}  // namespace tandem::drivers
