// rte_flow steering of Tandem's own frames to a chosen RX queue: on an
// hbdev, heartbeats (EtherType 0x88B5) go to queue 0, which only the control
// lcore polls, so no amount of sync traffic on the workers' queues can delay
// them. Called once per hbdev by tandemd after the port starts. Where the
// NIC (or vdev) has no rte_flow, nothing is installed and the caller is told
// why: the peer then sends heartbeats on queue 0 itself and the control lcore
// dispatches whatever arrives there.
#pragma once

#include <cstdint>
#include <string>

struct rte_flow;

namespace tandem::hw {

struct FlowSteering {
  rte_flow* flow = nullptr;  // nullptr: not installed (see note)
  std::string note;          // what was done, or why not
};

// Validates, then creates, an ingress rule "EtherType == ether_type ->
// queue". Never fails the caller: the outcome is in the result.
FlowSteering steer_ethertype_to_queue(uint16_t port_id, uint16_t ether_type, uint16_t queue);

// Removes a rule installed by steer_ethertype_to_queue (no-op for nullptr).
void remove_steering(uint16_t port_id, FlowSteering* steering);

}  // namespace tandem::hw
