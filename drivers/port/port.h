// DPDK port set-up for Tandem's interfaces.
//
// After rte_eal_init the control plane calls port_setup() once per data/HA
// port, with the DeviceSpec that parse_device() produced for the EAL command
// line, and port_shutdown() on exit. RSS and offload choices come from hw/.
// Init and teardown only; workers never call into this module.
#pragma once

#include <cstdint>
#include <string>

#include <rte_mempool.h>

#include "drivers/port/port_types.h"

namespace tandem::drivers {

// Finds the port by spec.dpdk_name, configures nb_rxq/nb_txq queues (RSS
// with the symmetric key where the driver has it, otherwise out->rss=false and
// out->rss_note says why), checksum offloads where offered, descriptor counts
// as the PMD adjusts them, queues from pool, starts it and turns promiscuous
// mode on where the driver allows (the HA virtual MAC needs it).
bool port_setup(const DeviceSpec& spec, const std::string& port_name, unsigned nb_rxq,
                unsigned nb_txq, unsigned rx_desc, unsigned tx_desc, rte_mempool* pool,
                PortInfo* out, std::string* error);

// As port_setup(), but a failure of the final start is not an error: the
// port is left configured and stopped, out->started=false and
// out->start_error says why. For links whose far end may come later (a memif
// client whose server is down: the HA peer must not stop a node starting).
bool port_setup_deferred(const DeviceSpec& spec, const std::string& port_name, unsigned nb_rxq,
                         unsigned nb_txq, unsigned rx_desc, unsigned tx_desc, rte_mempool* pool,
                         PortInfo* out, std::string* error);

// Starts a configured port (again); turns promiscuous mode on. Sets
// info->started and info->start_error.
bool port_start(PortInfo* info, std::string* error);

// Stop + close, each side of them in step with the EAL interrupt thread
// (interrupt_thread_sync, unmap_guard.h). Idempotent; a port that is gone
// already is not an error.
void port_shutdown(uint16_t port_id);

// Port id of the ethdev named dpdk_name (e.g. "net_ring_port1").
bool port_id_by_name(const std::string& dpdk_name, uint16_t* port_id);

}  // namespace tandem::drivers
