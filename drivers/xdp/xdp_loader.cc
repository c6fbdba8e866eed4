#include "drivers/xdp/xdp_loader.h"

#include <net/if.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <xdp/libxdp.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace tandem::drivers {

namespace {

constexpr const char* kXdpObjectName = "tandem_xdp.o";

std::string errno_text(int err) { return std::strerror(err < 0 ? -err : err); }

std::string ipv4_text(uint32_t ip_be) {
  char text[INET_ADDRSTRLEN] = {};
  in_addr addr{};
  addr.s_addr = ip_be;
  inet_ntop(AF_INET, &addr, text, sizeof(text));
  return text;
}

struct ProgMaps {
  int addrs_fd = -1;
  int ctl_fd = -1;
};

// Walks the maps of program prog_fd by id and opens the ones named like
// Tandem's. Leaves fds at -1 for maps the program does not have.
ProgMaps find_maps(int prog_fd) {
  ProgMaps maps;
  bpf_prog_info info;
  std::memset(&info, 0, sizeof(info));
  uint32_t info_len = sizeof(info);
  if (bpf_obj_get_info_by_fd(prog_fd, &info, &info_len) != 0 || info.nr_map_ids == 0) return maps;

  std::vector<uint32_t> map_ids(info.nr_map_ids);
  const uint32_t nr_map_ids = info.nr_map_ids;
  std::memset(&info, 0, sizeof(info));
  info.nr_map_ids = nr_map_ids;
  info.map_ids = reinterpret_cast<uint64_t>(map_ids.data());
  info_len = sizeof(info);
  if (bpf_obj_get_info_by_fd(prog_fd, &info, &info_len) != 0) return maps;

  for (uint32_t i = 0; i < std::min(info.nr_map_ids, nr_map_ids); ++i) {
    const int map_fd = bpf_map_get_fd_by_id(map_ids[i]);
    if (map_fd < 0) continue;
    bpf_map_info map_info;
    std::memset(&map_info, 0, sizeof(map_info));
    uint32_t map_info_len = sizeof(map_info);
    bool keep = false;
    if (bpf_obj_get_info_by_fd(map_fd, &map_info, &map_info_len) == 0) {
      if (maps.addrs_fd < 0 && std::strcmp(map_info.name, TANDEM_XDP_ADDRS_MAP) == 0 &&
          map_info.key_size == sizeof(uint32_t) && map_info.value_size == sizeof(uint32_t)) {
        maps.addrs_fd = map_fd;
        keep = true;
      } else if (maps.ctl_fd < 0 && std::strcmp(map_info.name, TANDEM_XDP_CTL_MAP) == 0 &&
                 map_info.value_size == sizeof(uint32_t)) {
        maps.ctl_fd = map_fd;
        keep = true;
      }
    }
    if (!keep) close(map_fd);
  }
  return maps;
}

uint32_t prog_id_of(int prog_fd) {
  bpf_prog_info info;
  std::memset(&info, 0, sizeof(info));
  uint32_t info_len = sizeof(info);
  return bpf_obj_get_info_by_fd(prog_fd, &info, &info_len) == 0 ? info.id : 0;
}

// libxdp sees both its own dispatcher (the programs behind it are
// candidates) and a program attached directly, as DPDK's PMD does (legacy
// mode: the main program is the candidate).
bool find_with_libxdp(int ifindex, ProgMaps* maps, uint32_t* prog_id, std::string* why) {
  xdp_multiprog* mp = xdp_multiprog__get_from_ifindex(ifindex);
  const long err = libxdp_get_error(mp);
  if (err != 0 || mp == nullptr) {
    *why = "libxdp: " + (err != 0 ? errno_text(static_cast<int>(err)) : std::string("no program"));
    return false;
  }
  std::vector<xdp_program*> candidates;
  if (xdp_multiprog__is_legacy(mp)) {
    if (xdp_program* main = xdp_multiprog__main_prog(mp)) candidates.push_back(main);
  } else {
    for (xdp_program* prog = xdp_multiprog__next_prog(nullptr, mp); prog != nullptr;
         prog = xdp_multiprog__next_prog(prog, mp)) {
      candidates.push_back(prog);
    }
  }
  if (xdp_program* hw = xdp_multiprog__hw_prog(mp)) candidates.push_back(hw);
  bool found = false;
  for (xdp_program* prog : candidates) {
    const int fd = xdp_program__fd(prog);
    if (fd < 0) continue;
    ProgMaps candidate = find_maps(fd);
    if (candidate.addrs_fd >= 0) {
      *maps = candidate;
      *prog_id = prog_id_of(fd);
      found = true;
      break;
    }
    if (candidate.ctl_fd >= 0) close(candidate.ctl_fd);
  }
  xdp_multiprog__close(mp);
  if (!found) *why = "libxdp: " + std::to_string(candidates.size()) + " program(s), none with " + TANDEM_XDP_ADDRS_MAP;
  return found;
}

bool find_with_libbpf(int ifindex, ProgMaps* maps, uint32_t* prog_id, std::string* why) {
  LIBBPF_OPTS(bpf_xdp_query_opts, query);
  const int rc = bpf_xdp_query(ifindex, 0, &query);
  if (rc != 0) {
    *why = "bpf_xdp_query: " + errno_text(rc);
    return false;
  }
  for (uint32_t id : {query.prog_id, query.drv_prog_id, query.skb_prog_id, query.hw_prog_id}) {
    if (id == 0) continue;
    const int fd = bpf_prog_get_fd_by_id(id);
    if (fd < 0) continue;
    ProgMaps candidate = find_maps(fd);
    close(fd);
    if (candidate.addrs_fd >= 0) {
      *maps = candidate;
      *prog_id = id;
      return true;
    }
    if (candidate.ctl_fd >= 0) close(candidate.ctl_fd);
  }
  *why = "bpf_xdp_query: no attached program has a map named " TANDEM_XDP_ADDRS_MAP;
  return false;
}

}  // namespace

std::string xdp_object_path(std::string* error) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (const char* env = std::getenv("TANDEM_XDP_OBJ"); env != nullptr && env[0] != '\0') {
    if (fs::is_regular_file(env, ec)) return env;
    if (error != nullptr) *error = std::string("TANDEM_XDP_OBJ=") + env + " does not exist";
    return "";
  }
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (fs::path dir = exe.parent_path(); !dir.empty(); dir = dir.parent_path()) {
      const fs::path candidate = dir / "drivers" / "xdp" / kXdpObjectName;
      if (fs::is_regular_file(candidate, ec)) return candidate.string();
      if (dir == dir.root_path()) break;
    }
  }
#ifdef TANDEM_XDP_INSTALL_PATH
  if (fs::is_regular_file(TANDEM_XDP_INSTALL_PATH, ec)) return TANDEM_XDP_INSTALL_PATH;
  const std::string installed = TANDEM_XDP_INSTALL_PATH;
#else
  const std::string installed = "(no install path compiled in)";
#endif
  if (error != nullptr) {
    *error = std::string(kXdpObjectName) + " not found: set TANDEM_XDP_OBJ, or install it to " +
             installed;
  }
  return "";
}

std::unique_ptr<XdpAddressMap> XdpAddressMap::open(const std::string& ifname, std::string* error) {
  const unsigned ifindex = if_nametoindex(ifname.c_str());
  if (ifindex == 0) {
    if (error != nullptr) *error = "interface " + ifname + ": " + errno_text(errno);
    return nullptr;
  }
  ProgMaps maps;
  uint32_t prog_id = 0;
  std::string why_libxdp;
  std::string why_libbpf;
  const char* found_by = nullptr;
  if (find_with_libxdp(static_cast<int>(ifindex), &maps, &prog_id, &why_libxdp)) {
    found_by = "libxdp";
  } else if (find_with_libbpf(static_cast<int>(ifindex), &maps, &prog_id, &why_libbpf)) {
    found_by = "bpf_xdp_query";
  } else {
    if (error != nullptr) {
      *error = "interface " + ifname + ": Tandem's XDP program is not attached (" + why_libxdp +
               "; " + why_libbpf + "); is the port set up as af_xdp?";
    }
    return nullptr;
  }
  return std::unique_ptr<XdpAddressMap>(new XdpAddressMap(maps.addrs_fd, maps.ctl_fd, prog_id, found_by));
}

XdpAddressMap::~XdpAddressMap() {
  if (addrs_fd_ >= 0) close(addrs_fd_);
  if (ctl_fd_ >= 0) close(ctl_fd_);
}

bool XdpAddressMap::add(uint32_t ip_be, std::string* error, uint32_t flags) {
  if (bpf_map_update_elem(addrs_fd_, &ip_be, &flags, BPF_ANY) != 0) {
    if (error != nullptr) {
      *error = "cannot add " + ipv4_text(ip_be) + " to " TANDEM_XDP_ADDRS_MAP ": " +
               errno_text(errno) + (errno == E2BIG ? " (map full)" : "");
    }
    return false;
  }
  return true;
}

bool XdpAddressMap::remove(uint32_t ip_be, std::string* error) {
  if (bpf_map_delete_elem(addrs_fd_, &ip_be) != 0) {
    if (error != nullptr) {
      *error = "cannot remove " + ipv4_text(ip_be) + " from " TANDEM_XDP_ADDRS_MAP ": " +
               errno_text(errno);
    }
    return false;
  }
  return true;
}

std::vector<uint32_t> XdpAddressMap::list() const {
  std::vector<uint32_t> addrs;
  uint32_t key = 0;
  uint32_t next = 0;
  const void* prev = nullptr;  // nullptr asks for the first key
  while (bpf_map_get_next_key(addrs_fd_, prev, &next) == 0) {
    addrs.push_back(next);
    key = next;
    prev = &key;
  }
  return addrs;
}

bool XdpAddressMap::set_steer_all(bool on, std::string* error) {
  if (ctl_fd_ < 0) {
    if (error != nullptr) *error = "the attached XDP program has no " TANDEM_XDP_CTL_MAP " map";
    return false;
  }
  const uint32_t key = kTandemCtlSteerAll;
  const uint32_t value = on ? 1 : 0;
  if (bpf_map_update_elem(ctl_fd_, &key, &value, BPF_ANY) != 0) {
    if (error != nullptr) *error = "cannot set " TANDEM_XDP_CTL_MAP ": " + errno_text(errno);
    return false;
  }
  return true;
}

bool xdp_detach_stale(const std::string& ifname, bool* detached, std::string* error) {
  *detached = false;
  const unsigned ifindex = if_nametoindex(ifname.c_str());
  if (ifindex == 0) {
    *error = "no interface named " + ifname;
    return false;
  }
  // Native (driver) and generic (skb) attachments are queried separately;
  // DPDK picks whichever the driver supports.
  for (uint32_t mode : {static_cast<uint32_t>(XDP_FLAGS_DRV_MODE),
                        static_cast<uint32_t>(XDP_FLAGS_SKB_MODE)}) {
    uint32_t prog_id = 0;
    if (bpf_xdp_query_id(static_cast<int>(ifindex), static_cast<int>(mode), &prog_id) != 0 ||
        prog_id == 0) {
      continue;
    }
    const int fd = bpf_prog_get_fd_by_id(prog_id);
    if (fd < 0) continue;
    bpf_prog_info info{};
    uint32_t info_len = sizeof(info);
    const bool ok = bpf_obj_get_info_by_fd(fd, &info, &info_len) == 0;
    close(fd);
    if (!ok) continue;
    if (std::strcmp(info.name, "tandem_xdp") != 0) {
      *error = "interface " + ifname + " already has another XDP program attached (" +
               info.name + ", id " + std::to_string(prog_id) + "); detach it first";
      return false;
    }
    const int rc = bpf_xdp_detach(static_cast<int>(ifindex), static_cast<int>(mode), nullptr);
    if (rc != 0) {
      *error = "cannot detach the stale Tandem XDP program from " + ifname + ": " +
               errno_text(rc);
      return false;
    }
    *detached = true;
  }
  return true;
}

}  // namespace tandem::drivers
