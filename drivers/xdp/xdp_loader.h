// User-space side of Tandem's XDP program (tandem_xdp.bpf.c).
//
// DPDK's net_af_xdp PMD loads and attaches the program itself (xdp_prog= in
// the vdev arguments, built by drivers/port from xdp_object_path()); this
// module finds the object file and, once the port is up, reaches the
// program's maps through libxdp/libbpf so the control plane can keep the set
// of the node's own addresses current as interfaces and the HA role change.
// Slow path only: every call is a syscall.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "drivers/xdp/xdp_types.h"

namespace tandem::drivers {

// Path of tandem_xdp.o: $TANDEM_XDP_OBJ if set, else drivers/xdp/tandem_xdp.o
// under the nearest ancestor of /proc/self/exe's directory that has one (the
// build tree: <dir of exe>/../drivers/xdp for a binary one level down, any
// depth for tests), else the install path (<libdir>/tandem/tandem_xdp.o).
// Empty string + *error when none exists.
std::string xdp_object_path(std::string* error);

// Detaches Tandem's own XDP program (by its name, tandem_xdp) from ifname
// when a node that died without cleaning up (kill -9, a crash) left it
// attached: DPDK refuses to attach over an existing program, so the node
// could not start again. Another program is never touched (returns false
// with *error saying whose it is). *detached says whether anything was done.
bool xdp_detach_stale(const std::string& ifname, bool* detached, std::string* error);

// Handle on the tandem_addrs map (and the tandem_ctl flags) of the XDP
// program attached to an interface.
class XdpAddressMap {
 public:
  // Finds the program attached to ifname (libxdp, falling back to libbpf's
  // bpf_xdp_query), walks its maps by id and keeps the ones Tandem's program
  // declares. Fails when no program is attached or it is not Tandem's.
  static std::unique_ptr<XdpAddressMap> open(const std::string& ifname, std::string* error);

  bool add(uint32_t ip_be, std::string* error, uint32_t flags = kTandemAddrLocal);
  bool remove(uint32_t ip_be, std::string* error);
  std::vector<uint32_t> list() const;

  // tandem_ctl[kTandemCtlSteerAll]: send every IPv4/ARP frame to the socket
  // (transit traffic), not only the node's own.
  bool set_steer_all(bool on, std::string* error);

  uint32_t prog_id() const { return prog_id_; }
  // "libxdp" or "bpf_xdp_query": which lookup found the program.
  const char* found_by() const { return found_by_; }

  XdpAddressMap(const XdpAddressMap&) = delete;
  XdpAddressMap& operator=(const XdpAddressMap&) = delete;
  ~XdpAddressMap();

 private:
  XdpAddressMap(int addrs_fd, int ctl_fd, uint32_t prog_id, const char* found_by)
      : addrs_fd_(addrs_fd), ctl_fd_(ctl_fd), prog_id_(prog_id), found_by_(found_by) {}

  int addrs_fd_;
  int ctl_fd_;
  uint32_t prog_id_;
  const char* found_by_;
};

}  // namespace tandem::drivers
