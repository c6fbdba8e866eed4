// parse_device: every accepted `set device` form and every rejection.
#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "drivers/port/device.h"
#include "drivers/xdp/xdp_loader.h"

namespace tandem::drivers {
namespace {

DeviceSpec parse_ok(const std::string& port, const std::string& device, unsigned queues = 1) {
  DeviceSpec spec;
  std::string error;
  EXPECT_TRUE(parse_device(port, device, queues, &spec, &error)) << device << ": " << error;
  EXPECT_TRUE(error.empty());
  return spec;
}

std::string parse_error(const std::string& port, const std::string& device, unsigned queues = 1) {
  DeviceSpec spec;
  spec.dpdk_name = "untouched";
  std::string error;
  EXPECT_FALSE(parse_device(port, device, queues, &spec, &error)) << device;
  EXPECT_EQ(spec.dpdk_name, "untouched") << "out must not change on failure";
  EXPECT_FALSE(error.empty());
  return error;
}

TEST(ParseDevice, PciAddress) {
  const DeviceSpec spec = parse_ok("port1", "0000:03:00.0");
  EXPECT_EQ(spec.kind, DeviceKind::kPci);
  EXPECT_EQ(spec.dpdk_name, "0000:03:00.0");
  EXPECT_TRUE(spec.ifname.empty());
  EXPECT_EQ(spec.eal_args, (std::vector<std::string>{"-a", "0000:03:00.0"}));
}

TEST(ParseDevice, PciAddressIsLowerCased) {
  const DeviceSpec spec = parse_ok("port1", "0000:AF:1F.7");
  EXPECT_EQ(spec.dpdk_name, "0000:af:1f.7");
  EXPECT_EQ(spec.eal_args, (std::vector<std::string>{"-a", "0000:af:1f.7"}));
}

TEST(ParseDevice, PciErrors) {
  EXPECT_NE(parse_error("port1", "03:00.0").find("DDDD:BB:DD.F"), std::string::npos);
  EXPECT_NE(parse_error("port1", "0000:03:00.0.1").find("DDDD:BB:DD.F"), std::string::npos);
  EXPECT_NE(parse_error("port1", "0000:0g:00.0").find("hexadecimal"), std::string::npos);
  EXPECT_NE(parse_error("port1", "0000:03:20.0").find("up to 1f"), std::string::npos);
  EXPECT_NE(parse_error("port1", "0000:03:00.8").find("up to 7"), std::string::npos);
}

TEST(ParseDevice, AfXdp) {
  const std::string obj = "/tmp/tandem_xdp_parse_test.o";
  FILE* f = std::fopen(obj.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  setenv("TANDEM_XDP_OBJ", obj.c_str(), 1);
  const DeviceSpec spec = parse_ok("port2", "af_xdp:veth-lan0", 2);
  EXPECT_EQ(spec.kind, DeviceKind::kAfXdp);
  EXPECT_EQ(spec.dpdk_name, "net_af_xdp_port2");
  EXPECT_EQ(spec.ifname, "veth-lan0");
  EXPECT_EQ(spec.eal_args,
            (std::vector<std::string>{"--vdev=net_af_xdp_port2,iface=veth-lan0,start_queue=0,"
                                      "queue_count=2,busy_budget=0,xdp_prog=" + obj}));
  std::remove(obj.c_str());
  EXPECT_NE(parse_error("port2", "af_xdp:veth-lan0").find("TANDEM_XDP_OBJ"), std::string::npos);
  unsetenv("TANDEM_XDP_OBJ");
}

TEST(ParseDevice, AfXdpQueueLimits) {
  EXPECT_NE(parse_error("port2", "af_xdp:eth0", 0).find("expected 1..64"), std::string::npos);
  EXPECT_NE(parse_error("port2", "af_xdp:eth0", kTandemXdpMaxQueues + 1).find("queues requested"),
            std::string::npos);
}

TEST(ParseDevice, AfPacket) {
  const DeviceSpec spec = parse_ok("port1", "af_packet:eth1.100", 4);
  EXPECT_EQ(spec.kind, DeviceKind::kAfPacket);
  EXPECT_EQ(spec.dpdk_name, "net_af_packet_port1");
  EXPECT_EQ(spec.ifname, "eth1.100");
  EXPECT_EQ(spec.eal_args,
            (std::vector<std::string>{"--vdev=net_af_packet_port1,iface=eth1.100,qpairs=4"}));
  EXPECT_NE(parse_error("port1", "af_packet:eth1", 17).find("expected 1..16"), std::string::npos);
}

TEST(ParseDevice, Kernel) {
  const DeviceSpec spec = parse_ok("mgmt", "kernel:eth0");
  EXPECT_EQ(spec.kind, DeviceKind::kKernel);
  EXPECT_TRUE(spec.dpdk_name.empty());
  EXPECT_EQ(spec.ifname, "eth0");
  EXPECT_TRUE(spec.eal_args.empty());
  // A kernel interface has no DPDK queues, so the queue count is not checked.
  parse_ok("mgmt", "kernel:eth0", 0);
}

TEST(ParseDevice, VdevPassThrough) {
  DeviceSpec spec = parse_ok("ha", "net_memif0,role=server,socket=/run/tandem/ha.sock");
  EXPECT_EQ(spec.kind, DeviceKind::kVdev);
  EXPECT_EQ(spec.dpdk_name, "net_memif0");
  EXPECT_EQ(spec.eal_args,
            (std::vector<std::string>{"--vdev=net_memif0,role=server,socket=/run/tandem/ha.sock"}));
  spec = parse_ok("port1", "net_ring0");
  EXPECT_EQ(spec.dpdk_name, "net_ring0");
  EXPECT_EQ(spec.eal_args, (std::vector<std::string>{"--vdev=net_ring0"}));
}

TEST(ParseDevice, VdevErrors) {
  EXPECT_NE(parse_error("port1", "net_").find("no driver name"), std::string::npos);
  EXPECT_NE(parse_error("port1", "net_,iface=x").find("no driver name"), std::string::npos);
  EXPECT_NE(parse_error("port1", "net_ri:ng").find("contains ':'"), std::string::npos);
  EXPECT_NE(parse_error("port1", "net_ring0,a b").find("whitespace"), std::string::npos);
  // Control bytes too (found by fuzz_device): a NUL would cut EAL's copy short.
  for (const char c : {'\r', '\v', '\x01', '\x7f', '\0'}) {
    EXPECT_NE(parse_error("port1", std::string("net_memif0,socket=/tmp/a") + c + "b").find("control"),
              std::string::npos)
        << int(c);
  }
  EXPECT_NE(parse_error("port1", "net_" + std::string(60, 'x')).find("longer than"),
            std::string::npos);
}

TEST(ParseDevice, IfnameErrors) {
  EXPECT_NE(parse_error("port1", "af_packet:").find("is empty"), std::string::npos);
  EXPECT_NE(parse_error("port1", "kernel:").find("is empty"), std::string::npos);
  EXPECT_NE(parse_error("port1", "af_packet:abcdefghijklmnop").find("at most 15"),
            std::string::npos);
  parse_ok("port1", "af_packet:abcdefghijklmno");  // exactly 15
  EXPECT_NE(parse_error("port1", "af_packet:eth0,qpairs=9").find("contains ','"),
            std::string::npos);
  EXPECT_NE(parse_error("port1", "kernel:a/b").find("contains '/'"), std::string::npos);
  EXPECT_NE(parse_error("port1", "kernel:..").find("not a valid"), std::string::npos);
  EXPECT_NE(parse_error("port1", "af_xdp:e th0").find("contains ' '"), std::string::npos);
}

TEST(ParseDevice, UnknownAndEmpty) {
  EXPECT_NE(parse_error("port1", "").find("empty"), std::string::npos);
  const std::string error = parse_error("port1", "eth0");
  EXPECT_NE(error.find("unknown device"), std::string::npos);
  EXPECT_NE(error.find("af_xdp:<ifname>"), std::string::npos) << "error must show the forms";
  EXPECT_NE(parse_error("port1", "tap:eth0").find("unknown device"), std::string::npos);
  EXPECT_NE(error.find("interface port1"), std::string::npos);
}

TEST(ParseDevice, PortNameErrors) {
  EXPECT_NE(parse_error("", "net_ring0").find("empty"), std::string::npos);
  EXPECT_NE(parse_error("port 1", "net_ring0").find("contains ' '"), std::string::npos);
  EXPECT_NE(parse_error("port,1", "net_ring0").find("contains ','"), std::string::npos);
  EXPECT_NE(parse_error(std::string(50, 'p'), "net_ring0").find("longer than"), std::string::npos);
}

TEST(DeviceKindName, AllKinds) {
  EXPECT_STREQ(device_kind_name(DeviceKind::kPci), "pci");
  EXPECT_STREQ(device_kind_name(DeviceKind::kAfXdp), "af_xdp");
  EXPECT_STREQ(device_kind_name(DeviceKind::kAfPacket), "af_packet");
  EXPECT_STREQ(device_kind_name(DeviceKind::kKernel), "kernel");
  EXPECT_STREQ(device_kind_name(DeviceKind::kVdev), "vdev");
}

TEST(XdpObjectPath, EnvironmentWins) {
  const std::string obj = "/tmp/tandem_xdp_path_test.o";
  FILE* f = std::fopen(obj.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  setenv("TANDEM_XDP_OBJ", obj.c_str(), 1);
  std::string error;
  EXPECT_EQ(xdp_object_path(&error), obj);
  std::remove(obj.c_str());
  EXPECT_EQ(xdp_object_path(&error), "");
  EXPECT_NE(error.find("does not exist"), std::string::npos);
  unsetenv("TANDEM_XDP_OBJ");
}

}  // namespace
}  // namespace tandem::drivers
