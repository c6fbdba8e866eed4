// Structure: commands, nesting, unset, defaults, recovery after errors,
// limits, the FortiOS one-line example and apply().
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "controlplane/config/schema.h"
#include "tests/unit/config/config_test_util.h"

namespace tandem::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::IsEmpty;
using testing::error_lines;
using testing::parse_errors;
using testing::show_text;

constexpr std::string_view kFortiOsOneLine =
    "config system ha set group-name \"501E\" set mode a-p set password ENC set hbdev \"ha\" 0 "
    "set session-pickup enable set override disable set monitor \"port1\" \"port2\" end";

constexpr std::string_view kInterfaces =
    "config system interface\n"
    "    edit \"ha\"\n        set device \"net_memif0\"\n    next\n"
    "    edit \"port1\"\n        set device \"af_xdp:veth1\"\n    next\n"
    "    edit \"port2\"\n        set device \"af_xdp:veth2\"\n    next\n"
    "end\n";

TEST(ConfigParse, FortiOsOneLineExample) {
  ParseResult r = parse(std::string(kInterfaces) + std::string(kFortiOsOneLine), "node.conf");
  ASSERT_THAT(error_lines(r), IsEmpty());
  EXPECT_EQ(show_text(r.config, "system ha"),
            "config system ha\n"
            "    set group-name \"501E\"\n"
            "    set mode a-p\n"
            "    set password ENC " + std::string(value_words(*find_key(*find_object("system ha"), "password"),
                                                                *r.config.singleton("system ha"))[1]) + "\n"
            "    set hbdev \"ha\" 0\n"
            "    set session-pickup enable\n"
            "    set monitor \"port1\" \"port2\"\n"
            "end\n");
}

TEST(ConfigParse, DefaultConfigShowsNothingAndFullShowsDefaults) {
  Config cfg;
  EXPECT_EQ(show_text(cfg), "");
  std::string full = show_text(cfg, "system ha", true);
  EXPECT_THAT(full, HasSubstr("    set priority 128\n"));
  EXPECT_THAT(full, HasSubstr("    set hb-interval-in-milliseconds 100ms\n"));
  EXPECT_THAT(full, HasSubstr("    set ha-mgmt-ip 0.0.0.0 0.0.0.0\n"));
  EXPECT_THAT(full, HasSubstr("    set group-name \"\"\n"));
  EXPECT_THAT(full, HasSubstr("    config peer\n    end\n"));
  EXPECT_THAT(show_text(cfg, "system global", true), HasSubstr("    set hostname \"Tandem\"\n"));
}

TEST(ConfigParse, SettingADefaultEqualsNotSettingIt) {
  ParseResult r = parse("config system ha\n    set priority 128\n    set mode standalone\nend\n", "n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.config, Config());
}

TEST(ConfigParse, UnsetRestoresTheDefault) {
  ParseResult r = parse("config system ha\n    set priority 200\n    set override enable\n    unset priority\nend\n", "n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(show_text(r.config), "config system ha\n    set override enable\nend\n");
}

TEST(ConfigParse, LastSetWins) {
  ParseResult r = parse("config system ha\n set priority 200\n set priority 100\nend\n", "n");
  EXPECT_EQ(show_text(r.config), "config system ha\n    set priority 100\nend\n");
}

TEST(ConfigParse, UnknownKeyWithSuggestion) {
  EXPECT_THAT(parse_errors("config system ha\n    set mode a-p\n\n\n\n\n\n\n\n\n\n        set grop-name x\nend\n"),
              ElementsAre("node.conf:12:13: error: unknown key \"grop-name\" in \"config system ha\" (did you mean \"group-name\"?)"));
  EXPECT_THAT(parse_errors("config system ha\n    set zzzzzz 1\nend\n"),
              ElementsAre("node.conf:2:9: error: unknown key \"zzzzzz\" in \"config system ha\""));
}

TEST(ConfigParse, UnknownObjectIsSkippedAsAWhole) {
  EXPECT_THAT(parse_errors("config system hax\n    set foo bar\n    config baz\n    end\nend\n"
                           "config system ha\n    set priority 300\nend\n"),
              ElementsAre("node.conf:1:8: error: unknown object \"system hax\" (did you mean \"system ha\"?)",
                          "node.conf:7:18: error: priority 300 out of range 0..255"));
  EXPECT_THAT(parse_errors("config system ha\n    config peers\n    end\nend\n"),
              ElementsAre("node.conf:2:12: error: unknown object \"peers\" in \"config system ha\" (did you mean \"peer\"?)"));
}

TEST(ConfigParse, CollectsAllErrorsAndRecovers) {
  EXPECT_THAT(parse_errors("stray words\n"
                           "config system ha\n"
                           "    set priority 300\n"
                           "    set mode bogus\n"
                           "    next\n"
                           "    set override maybe\n"
                           "end\n"
                           "end stray\n"),
              ElementsAre("node.conf:1:1: error: expected config, edit, set, unset, next or end, found \"stray\"",
                          "node.conf:3:18: error: priority 300 out of range 0..255",
                          "node.conf:4:14: error: invalid mode \"bogus\" (expected standalone|a-p)",
                          "node.conf:5:5: error: \"next\" without a matching \"edit\"",
                          "node.conf:6:18: error: invalid override \"maybe\" (expected enable|disable)",
                          "node.conf:8:1: error: \"end\" without a matching \"config\"",
                          "node.conf:8:5: error: unexpected \"stray\" after \"end\" (a value equal to a command word must be quoted)"));
}

TEST(ConfigParse, UnexpectedEndOfFileNamesOpenBlocks) {
  std::string text = "config system ha\n    config peer\n        edit 1\n";
  EXPECT_THAT(parse_errors(text),
              ElementsAre("node.conf:4:1: error: unexpected end of file: 2 \"config\" blocks still open (opened at 1:1, 2:5)"));
  EXPECT_THAT(parse_errors("config system ha set priority 1"),
              ElementsAre("node.conf:1:32: error: unexpected end of file: 1 \"config\" block still open (opened at 1:1)"));
}

TEST(ConfigParse, NestedTablesAndEntryIds) {
  ParseResult r = parse("config system ha\n"
                        "    config peer\n"
                        "        edit 2\n            set ip 10.0.0.2\n            set serial-number \"FG-B\"\n        next\n"
                        "        edit 01\n            set status disable\n        next\n"
                        "    end\n"
                        "end\n",
                        "n");
  ASSERT_THAT(error_lines(r), IsEmpty());
  EXPECT_EQ(show_text(r.config, "system ha"),
            "config system ha\n"
            "    config peer\n"
            "        edit 2\n            set ip 10.0.0.2\n            set serial-number \"FG-B\"\n        next\n"
            "        edit 1\n            set status disable\n        next\n"
            "    end\n"
            "end\n");
  EXPECT_THAT(parse_errors("config system ha\n config peer\n  edit abc\n  next\n end\nend\n"),
              ElementsAre("node.conf:3:8: error: entry id \"abc\" of \"config peer\" is not a number in 1..4294967295"));
}

TEST(ConfigParse, ReEditingAnEntryKeepsItsPlace) {
  ParseResult r = parse("config system interface\n edit a\n next\n edit b\n next\n edit a\n set mtu 9000\n next\nend\n", "n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(show_text(r.config),
            "config system interface\n    edit \"a\"\n        set mtu 9000\n    next\n    edit \"b\"\n    next\nend\n");
}

TEST(ConfigParse, EndInsideEditClosesTheEntry) {
  ParseResult r = parse("config system interface\n edit a\n set mtu 9000\nend\n", "n");
  EXPECT_THAT(error_lines(r), IsEmpty());
}

TEST(ConfigParse, StructureErrors) {
  EXPECT_THAT(parse_errors("set priority 1\n"),
              ElementsAre("node.conf:1:1: error: \"set\" outside of a \"config\" block"));
  EXPECT_THAT(parse_errors("config system interface\n set mtu 1\nend\n"),
              ElementsAre("node.conf:2:2: error: \"set\" in table \"config system interface\" needs an \"edit <name>\" first"));
  EXPECT_THAT(parse_errors("config system ha\n edit 1\n next\nend\n"),
              ElementsAre("node.conf:2:2: error: \"edit\" in \"config system ha\", which is not a table"));
  EXPECT_THAT(parse_errors("config system interface\n edit a\n edit b\n next\nend\n"),
              ElementsAre("node.conf:3:2: error: \"edit\" while editing another entry (missing \"next\"?)"));
  EXPECT_THAT(parse_errors("config system interface\n edit \"a-name-longer-than-15\"\n next\nend\n"),
              ElementsAre("node.conf:2:7: error: entry name \"a-name-longer-than-15\" of \"config system interface\" must be 1..15 bytes"));
  EXPECT_THAT(parse_errors("config\nend\n"),
              ElementsAre("node.conf:1:1: error: missing object path after \"config\" (e.g. config system ha)"));
  EXPECT_THAT(parse_errors("config system ha\n set group-name config\nend\n"),
              ElementsAre("node.conf:2:6: error: missing value for group-name (expected a string of at most 32 bytes)",
                          "node.conf:2:17: error: missing object path after \"config\" (e.g. config system ha)",
                          "node.conf:4:1: error: unexpected end of file: 1 \"config\" block still open (opened at 1:1)"));
}

TEST(ConfigParse, NestingIsCapped) {
  // Skipped (unknown) blocks count too, so garbage cannot nest without bound.
  std::string text = "config system hax\n";
  for (int i = 0; i < 9; ++i) text += "config a\n";
  for (int i = 0; i < 10; ++i) text += "end\n";
  EXPECT_THAT(parse_errors(text),
              ElementsAre("node.conf:1:8: error: unknown object \"system hax\" (did you mean \"system ha\"?)",
                          "node.conf:9:1: error: \"config\" blocks nested deeper than 8 levels"));
}

TEST(ConfigParse, HugeInputIsRejected) {
  std::string text(kMaxConfigBytes + 1, ' ');
  EXPECT_THAT(parse_errors(text),
              ElementsAre("node.conf:1:1: error: configuration is 4194305 bytes; the limit is 4194304 (4 MiB)"));
}

TEST(ConfigParse, TooManyErrorsStops) {
  std::string text;
  for (int i = 0; i < 500; ++i) text += "set x 1\n";
  std::vector<std::string> errors = parse_errors(text);
  EXPECT_EQ(errors.size(), kMaxErrors);
  EXPECT_EQ(errors.back(), "node.conf:100:1: error: too many errors (100); stopping here");
}

TEST(ConfigParse, LoadFileReportsUnreadableFile) {
  ParseResult r = load_file("/nonexistent/node.conf");
  EXPECT_THAT(error_lines(r), ElementsAre("/nonexistent/node.conf: error: cannot open configuration file"));
}

TEST(ConfigParse, LoadFileParsesAFile) {
  std::string path = ::testing::TempDir() + "config_parse_test_node.conf";
  FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("config system global\n    set hostname \"node-a\"\nend\n", f);
  std::fclose(f);
  ParseResult r = load_file(path);
  ASSERT_THAT(error_lines(r), IsEmpty());
  EXPECT_EQ(show_text(r.config), "config system global\n    set hostname \"node-a\"\nend\n");
  std::remove(path.c_str());
}

TEST(ConfigApply, AppliesOnTopOfBase) {
  ParseResult base = parse(std::string(kInterfaces), "node.conf");
  ASSERT_TRUE(base.ok());
  ParseResult r = apply(base.config, "config system interface\nedit port1\nset mtu 9000\nnext\nend", "cli");
  ASSERT_THAT(error_lines(r), IsEmpty());
  EXPECT_THAT(show_text(r.config, "system interface port1"), HasSubstr("set mtu 9000"));
  EXPECT_THAT(show_text(r.config, "system interface port2"), HasSubstr("af_xdp:veth2"));
}

TEST(ConfigApply, ErrorLeavesBaseUnchanged) {
  ParseResult base = parse(std::string(kInterfaces), "node.conf");
  ASSERT_TRUE(base.ok());
  // Parses fine but fails validation as a whole: two ports on one device.
  ParseResult r = apply(base.config,
                        "config system interface\nedit port1\nset mtu 9000\nnext\nedit port3\nset device af_xdp:veth2\nnext\nend",
                        "cli");
  EXPECT_THAT(error_lines(r),
              ElementsAre("cli:6:12: error: device \"af_xdp:veth2\" of interface \"port3\" is already used by interface \"port2\""));
  EXPECT_EQ(r.config, base.config);
}

TEST(ConfigApply, ValidatesTheWholeResult) {
  ParseResult base = parse(std::string(kInterfaces) + "config system ha\n set hbdev ha 0\nend\n", "node.conf");
  ASSERT_THAT(error_lines(base), IsEmpty());
  EXPECT_THAT(error_lines(apply(base.config, "config system ha set mode a-p end", "cli")),
              ElementsAre("cli:1:27: error: mode a-p requires a group-name (set group-name \"<name>\")"));
  EXPECT_TRUE(apply(base.config, "config system ha set mode a-p set group-name g end", "cli").ok());
}

TEST(ConfigApply, DeleteAndPurgeTableEntries) {
  ParseResult base = parse(std::string(kInterfaces) +
                               "config firewall address\n edit a1\n set subnet 10.0.0.0 255.0.0.0\n next\n"
                               " edit a2\n set subnet 10.1.0.0 255.255.0.0\n next\n"
                               " edit a3\n set subnet 10.2.0.0 255.255.0.0\n next\nend\n",
                           "node.conf");
  ASSERT_THAT(error_lines(base), IsEmpty());
  ParseResult r = apply(base.config, "config firewall address delete a2 end", "cli");
  ASSERT_THAT(error_lines(r), IsEmpty());
  const std::string shown = show_text(r.config, "firewall address");
  EXPECT_THAT(shown, Not(HasSubstr("a2")));
  EXPECT_THAT(shown, HasSubstr("edit \"a1\""));
  EXPECT_THAT(shown, HasSubstr("edit \"a3\""));
  // The rest of the table still edits by name after the delete.
  ParseResult r2 = apply(r.config, "config firewall address\nedit a3\nset subnet 10.3.0.0 255.255.0.0\nnext\nend", "cli");
  ASSERT_THAT(error_lines(r2), IsEmpty());
  EXPECT_THAT(show_text(r2.config, "firewall address a3"), HasSubstr("10.3.0.0"));
  ParseResult p = apply(base.config, "config firewall address purge end", "cli");
  ASSERT_THAT(error_lines(p), IsEmpty());
  EXPECT_THAT(show_text(p.config, "firewall address"), Not(HasSubstr("edit")));
}

TEST(ConfigApply, DeleteErrorsAreClear) {
  ParseResult base = parse(std::string(kInterfaces), "node.conf");
  ASSERT_TRUE(base.ok());
  EXPECT_THAT(error_lines(apply(base.config, "config firewall address delete nope end", "cli")),
              ElementsAre("cli:1:32: error: no entry \"nope\" in \"config firewall address\" to delete"));
  EXPECT_THAT(error_lines(apply(base.config, "config system global delete x end", "cli")),
              ElementsAre("cli:1:22: error: \"delete\" in \"config system global\", which is not a table"));
  EXPECT_THAT(error_lines(apply(base.config, "config system interface\nedit port1\ndelete port2\nend", "cli")),
              ElementsAre("cli:3:1: error: \"delete\" while editing an entry (missing \"next\"?)"));
  EXPECT_THAT(error_lines(apply(base.config, "config system interface delete end", "cli")),
              ElementsAre("cli:1:25: error: missing entry name after \"delete\""));
}

// A deleted entry that something still names: the whole change is refused.
TEST(ConfigApply, DeletingAReferencedEntryIsRefused) {
  ParseResult base = parse(std::string(kInterfaces) +
                               "config firewall address\n edit lan\n set subnet 10.0.0.0 255.0.0.0\n next\nend\n"
                               "config firewall policy\n edit 1\n set srcintf port1\n set dstintf port2\n"
                               " set srcaddr lan\n set dstaddr all\n set action accept\n set service ALL\n"
                               " set schedule always\n next\nend\n",
                           "node.conf");
  ASSERT_THAT(error_lines(base), IsEmpty());
  ParseResult r = apply(base.config, "config firewall address delete lan end", "cli");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.config, base.config);
}

}  // namespace
}  // namespace tandem::config
