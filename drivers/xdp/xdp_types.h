/* Names and values shared by Tandem's XDP program (tandem_xdp.bpf.c, built
 * for the BPF target) and its user-space loader (xdp_loader.cc). Plain C so
 * both compilers read it; no code.
 *
 * tandem_addrs: key = IPv4 address (network order), value = TandemAddrFlags.
 *   Frames for these addresses (IPv4 destination, ARP target) go to the
 *   AF_XDP socket of the rx queue they arrived on; the control plane keeps it
 *   current (XdpAddressMap).
 * tandem_ctl: array of u32 indexed by TandemCtlIndex.
 *   kTandemCtlSteerAll != 0: every IPv4 and ARP frame goes to the socket,
 *   whatever its address, for transit traffic -- except frames for addresses
 *   flagged kTandemAddrKernel; all other EtherTypes (IPv6, LLDP, STP...)
 *   still go to the kernel. Default 0; tandemd turns it on for its data ports.
 * xsks_map: XSKMAP the DPDK af_xdp PMD fills with its sockets (the PMD looks
 *   the map up by this exact name when given xdp_prog=). */
#ifndef TANDEM_DRIVERS_XDP_XDP_TYPES_H
#define TANDEM_DRIVERS_XDP_XDP_TYPES_H

#define TANDEM_XDP_XSKS_MAP "xsks_map"
#define TANDEM_XDP_ADDRS_MAP "tandem_addrs"
#define TANDEM_XDP_CTL_MAP "tandem_ctl"

enum TandemXdpLimits {
  kTandemXdpMaxQueues = 64,     /* xsks_map entries: one per rx queue */
  kTandemXdpMaxAddrs = 1024,    /* tandem_addrs entries */
};

enum TandemAddrFlags {
  kTandemAddrLocal = 1u << 0,   /* an interface address of this node */
  kTandemAddrVirtual = 1u << 1, /* an HA virtual address, held by the primary */
  kTandemAddrKernel = 1u << 2,  /* held by the kernel on this netdev: always passed to the
                                   kernel, even in steer-all mode (management on a data port) */
};

enum TandemCtlIndex {
  kTandemCtlSteerAll = 0,
  kTandemCtlCount = 1,
};

#endif /* TANDEM_DRIVERS_XDP_XDP_TYPES_H */
