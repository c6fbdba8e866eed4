#include "hw/flow/flow.h"

#include <rte_errno.h>
#include <rte_flow.h>

#include <cstdio>

namespace tandem::hw {

FlowSteering steer_ethertype_to_queue(uint16_t port_id, uint16_t ether_type, uint16_t queue) {
  FlowSteering result;
  rte_flow_attr attr{};
  attr.ingress = 1;
  rte_flow_item_eth eth_spec{};
  rte_flow_item_eth eth_mask{};
  eth_spec.hdr.ether_type = rte_cpu_to_be_16(ether_type);
  eth_mask.hdr.ether_type = 0xffff;
  rte_flow_item pattern[2]{};
  pattern[0].type = RTE_FLOW_ITEM_TYPE_ETH;
  pattern[0].spec = &eth_spec;
  pattern[0].mask = &eth_mask;
  pattern[1].type = RTE_FLOW_ITEM_TYPE_END;
  rte_flow_action_queue to_queue{};
  to_queue.index = queue;
  rte_flow_action actions[2]{};
  actions[0].type = RTE_FLOW_ACTION_TYPE_QUEUE;
  actions[0].conf = &to_queue;
  actions[1].type = RTE_FLOW_ACTION_TYPE_END;

  rte_flow_error err{};
  char text[160];
  if (rte_flow_validate(port_id, &attr, pattern, actions, &err) != 0) {
    std::snprintf(text, sizeof(text), "no rte_flow rule (%s); the control lcore dispatches queue %u",
                  err.message != nullptr ? err.message : rte_strerror(rte_errno), queue);
    result.note = text;
    return result;
  }
  result.flow = rte_flow_create(port_id, &attr, pattern, actions, &err);
  if (result.flow == nullptr) {
    std::snprintf(text, sizeof(text), "rte_flow rule refused at create (%s); the control lcore "
                  "dispatches queue %u", err.message != nullptr ? err.message : "unknown", queue);
    result.note = text;
    return result;
  }
  std::snprintf(text, sizeof(text), "rte_flow: EtherType 0x%04x -> queue %u", ether_type, queue);
  result.note = text;
  return result;
}

void remove_steering(uint16_t port_id, FlowSteering* steering) {
  if (steering->flow == nullptr) return;
  rte_flow_error err{};
  (void)rte_flow_destroy(port_id, steering->flow, &err);
  steering->flow = nullptr;
}

}  // namespace tandem::hw
