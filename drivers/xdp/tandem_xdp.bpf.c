// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/* Tandem's XDP program for AF_XDP data ports.
 *
 * Loaded by DPDK's net_af_xdp PMD (xdp_prog=<this object>), which takes the
 * first program of the object and puts its sockets into xsks_map. Frames for
 * the node's own addresses (tandem_addrs) go to the socket of their rx
 * queue; everything else goes to the kernel, so the host keeps working on a
 * shared interface. Map layout and flags: drivers/xdp/xdp_types.h. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/types.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "drivers/xdp/xdp_types.h"

struct {
  __uint(type, BPF_MAP_TYPE_XSKMAP);
  __uint(max_entries, kTandemXdpMaxQueues);
  __type(key, __u32);
  __type(value, __u32);
} xsks_map SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, kTandemXdpMaxAddrs);
  __type(key, __be32);
  __type(value, __u32);
} tandem_addrs SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, kTandemCtlCount);
  __type(key, __u32);
  __type(value, __u32);
} tandem_ctl SEC(".maps");

/* linux/if_arp.h drags in libc headers that do not exist for the BPF
 * target, so the ARP layout (RFC 826, Ethernet/IPv4) is spelt out here. */
#define TANDEM_ARPHRD_ETHER 1

struct arp_ipv4 {
  __be16 ar_hrd;
  __be16 ar_pro;
  __u8 ar_hln;
  __u8 ar_pln;
  __be16 ar_op;
  __u8 sha[ETH_ALEN];
  __be32 spa;
  __u8 tha[ETH_ALEN];
  __be32 tpa;
} __attribute__((packed));

struct vlan_tag {
  __be16 tci;
  __be16 encapsulated_proto;
};

static __always_inline int to_socket(struct xdp_md *ctx) {
  /* XDP_PASS as the fallback: before the PMD has a socket on this queue
   * the frame still reaches the kernel instead of being dropped. */
  return bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);
}

/* 1: to the socket, 0: to the kernel. A kernel-held address always goes to
 * the kernel; a node address always to the socket; anything else follows
 * steer-all. */
static __always_inline int wants_socket(__be32 addr, int all) {
  __u32 *flags = bpf_map_lookup_elem(&tandem_addrs, &addr);
  if (flags == NULL) return all;
  return (*flags & kTandemAddrKernel) == 0;
}

static __always_inline int steer_all(void) {
  __u32 key = kTandemCtlSteerAll;
  __u32 *flag = bpf_map_lookup_elem(&tandem_ctl, &key);
  return flag != NULL && *flag != 0;
}

SEC("xdp")
int tandem_xdp(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end) return XDP_PASS;

  void *l3 = eth + 1;
  __be16 proto = eth->h_proto;
  /* One 802.1Q or 802.1ad tag: the lab's trunk ports carry one, QinQ is
   * not a Tandem use case. */
  if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
    struct vlan_tag *tag = l3;
    if ((void *)(tag + 1) > data_end) return XDP_PASS;
    proto = tag->encapsulated_proto;
    l3 = tag + 1;
  }

  if (proto == bpf_htons(ETH_P_ARP)) {
    struct arp_ipv4 *arp = l3;
    if ((void *)(arp + 1) > data_end) return XDP_PASS;
    if (arp->ar_hrd != bpf_htons(TANDEM_ARPHRD_ETHER) || arp->ar_pro != bpf_htons(ETH_P_IP) ||
        arp->ar_hln != ETH_ALEN || arp->ar_pln != 4)
      return XDP_PASS;
    if (wants_socket(arp->tpa, steer_all())) return to_socket(ctx);
    /* An answer to an RFC 5227 probe (target IP 0): the HA node's own
     * probes for whoever holds its virtual MAC (docs/ha.md). */
    if (arp->tpa == 0 && arp->ar_op == bpf_htons(2)) return to_socket(ctx);
    return XDP_PASS;
  }

  if (proto == bpf_htons(ETH_P_IP)) {
    struct iphdr *ip = l3;
    if ((void *)(ip + 1) > data_end) return XDP_PASS;
    if (ip->version != 4) return XDP_PASS;
    if (wants_socket(ip->daddr, steer_all())) return to_socket(ctx);
    return XDP_PASS;
  }

  return XDP_PASS;
}

char _license[] SEC("license") = "Dual BSD/GPL";
