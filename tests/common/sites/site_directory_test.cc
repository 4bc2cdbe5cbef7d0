#include "common/sites/site_directory.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"

namespace lianfang::sites {
namespace {

using ::lianfang::testing::IsOk;
using ::lianfang::testing::StatusIs;
using ::testing::_;
using ::testing::AllOf;
using ::testing::ContainsRegex;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::StartsWith;

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;

// Where the repository is: LF_SOURCE_DIR when ctest runs us, else the working directory.
std::string RepoPath(const std::string& relative) {
  const char* root = std::getenv("LF_SOURCE_DIR");
  return root != nullptr && *root != '\0' ? absl::StrCat(root, "/", relative) : relative;
}

// The field violations in a status's google.rpc.BadRequest payload.
std::vector<std::pair<std::string, std::string>> Violations(const absl::Status& status) {
  std::vector<std::pair<std::string, std::string>> out;
  auto payload = status.GetPayload("type.googleapis.com/google.rpc.BadRequest");
  if (!payload.has_value()) return out;
  google::rpc::BadRequest details;
  if (!details.ParseFromString(std::string(*payload))) return out;
  for (const auto& v : details.field_violations()) out.emplace_back(v.field(), v.description());
  return out;
}

constexpr char kTwoSites[] = R"pb(
  sites {
    id: "campus"
    name: "党校校园"
    kind: SITE_KIND_CAMPUS
    gates { id: "east" name: "东大门" }
    gates { id: "north" name: "北门" }
    policy { fever_threshold_c: 0 capacity: 10 }
  }
  sites {
    id: "village"
    name: "驻村扶贫村"
    kind: SITE_KIND_VILLAGE
    gates { id: "checkpoint-1" name: "村口卡点" }
    policy { fever_threshold_c: 37.8 }
  }
)pb";

TEST(SiteDirectoryTest, ShippedDeploymentFileLoadsWithTheFourSites) {
  ASSERT_OK_AND_ASSIGN(SiteDirectory dir,
                       SiteDirectory::LoadFile(RepoPath("deploy/sites.textproto")));
  EXPECT_THAT(dir.ids(), ElementsAre("campus", "family-area", "community", "village"));
  ASSERT_NE(dir.Find("campus"), nullptr);
  EXPECT_EQ(dir.Find("campus")->name(), "党校校园");
  EXPECT_EQ(dir.Find("campus")->kind(), common::v1::SITE_KIND_CAMPUS);
  EXPECT_EQ(dir.Find("family-area")->kind(), common::v1::SITE_KIND_FAMILY_AREA);
  EXPECT_EQ(dir.Find("community")->kind(), common::v1::SITE_KIND_COMMUNITY);
  EXPECT_EQ(dir.Find("village")->kind(), common::v1::SITE_KIND_VILLAGE);
  ASSERT_NE(dir.FindGate("campus", "east"), nullptr);
  EXPECT_EQ(dir.FindGate("campus", "east")->name(), "东大门");
  EXPECT_NE(dir.FindGate("village", "checkpoint-1"), nullptr);
  for (const Site& site : dir.sites()) {
    EXPECT_FALSE(site.policy().outsiders_allowed()) << site.id();
    EXPECT_FALSE(site.policy().outside_vehicles_allowed()) << site.id();
    EXPECT_DOUBLE_EQ(dir.FeverThreshold(site.id()), 37.3) << site.id();
    EXPECT_GE(site.gates_size(), 1) << site.id();
  }
}

TEST(SiteDirectoryTest, LookupsFindSitesAndTheirOwnGates) {
  ASSERT_OK_AND_ASSIGN(SiteDirectory dir, SiteDirectory::Parse(kTwoSites));
  EXPECT_EQ(dir.sites().size(), 2);
  EXPECT_EQ(dir.Find("nowhere"), nullptr);
  EXPECT_EQ(dir.FindGate("campus", "checkpoint-1"), nullptr);
  EXPECT_EQ(dir.FindGate("nowhere", "east"), nullptr);
  EXPECT_EQ(dir.Find("village")->policy().capacity(), 0);
  EXPECT_EQ(dir.Find("campus")->policy().capacity(), 10);
  EXPECT_OK(dir.CheckSite("village"));
  EXPECT_OK(dir.CheckGate("campus", "north"));
}

TEST(SiteDirectoryTest, UnknownSiteIsInvalidArgumentNamingTheField) {
  ASSERT_OK_AND_ASSIGN(SiteDirectory dir, SiteDirectory::Parse(kTwoSites));
  const absl::Status status = dir.CheckSite("market");
  EXPECT_THAT(status, StatusIs(kInvalid, "unknown site \"market\""));
  EXPECT_THAT(Violations(status), ElementsAre(std::pair<std::string, std::string>(
                                      "site_id", "unknown site \"market\"")));
  EXPECT_THAT(Violations(dir.CheckSite("market", "sites[2]")), ElementsAre(Pair("sites[2]", _)));
  EXPECT_THAT(dir.CheckGate("market", "east"), StatusIs(kInvalid, "unknown site \"market\""));
}

TEST(SiteDirectoryTest, GateOfAnotherSiteIsRejected) {
  ASSERT_OK_AND_ASSIGN(SiteDirectory dir, SiteDirectory::Parse(kTwoSites));
  const absl::Status status = dir.CheckGate("village", "east");
  EXPECT_THAT(status, StatusIs(kInvalid, "gate \"east\" does not belong to site \"village\""));
  EXPECT_THAT(Violations(status), ElementsAre(Pair("gate_id", HasSubstr("does not belong"))));
  EXPECT_THAT(dir.CheckGate("campus", "side"), StatusIs(kInvalid, HasSubstr("gate \"side\"")));
}

TEST(SiteDirectoryTest, HostileIdsAreEscapedAndShortenedInMessages) {
  ASSERT_OK_AND_ASSIGN(SiteDirectory dir, SiteDirectory::Parse(kTwoSites));
  const absl::Status status = dir.CheckSite(std::string("a\nb\"c") + std::string(200, 'x'));
  ASSERT_THAT(status, StatusIs(kInvalid));
  EXPECT_EQ(std::string(status.message()).find('\n'), std::string::npos);
  EXPECT_LT(status.message().size(), 100u);
  EXPECT_THAT(std::string(status.message()), HasSubstr("a\\nb\\\"c"));
}

TEST(SiteDirectoryTest, ZeroThresholdMeansTheDefault) {
  ASSERT_OK_AND_ASSIGN(SiteDirectory dir, SiteDirectory::Parse(kTwoSites));
  EXPECT_DOUBLE_EQ(dir.FeverThreshold("campus"), kDefaultFeverThresholdC);
  EXPECT_DOUBLE_EQ(dir.Find("campus")->policy().fever_threshold_c(), 37.3);
  EXPECT_DOUBLE_EQ(dir.FeverThreshold("village"), 37.8);
  EXPECT_DOUBLE_EQ(dir.FeverThreshold("unknown"), kDefaultFeverThresholdC);
  Site raw;
  EXPECT_DOUBLE_EQ(EffectiveFeverThreshold(raw), 37.3);
  raw.mutable_policy()->set_fever_threshold_c(38.0);
  EXPECT_DOUBLE_EQ(EffectiveFeverThreshold(raw), 38.0);
}

TEST(SiteDirectoryTest, TextThatDoesNotParseReportsLineAndColumn) {
  const std::string text = "sites {\n  id: \"campus\"\n  colour: \"red\"\n}\n";
  EXPECT_THAT(SiteDirectory::Parse(text, "bad.textproto"),
              StatusIs(kInvalid, AllOf(StartsWith("bad.textproto:3:"), HasSubstr("colour"))));
  EXPECT_THAT(SiteDirectory::Parse("sites { id: \"campus\"", "x"),
              StatusIs(kInvalid, StartsWith("x:1:")));
}

TEST(SiteDirectoryTest, FileThatDoesNotParseNamesTheFileAndLine) {
  const std::string path =
      (std::filesystem::temp_directory_path() / absl::StrCat("lf_sites_bad_", ::getpid(), ".txt"))
          .string();
  // The parser reports an unknown enum value where it stopped reading (the next token), so
  // only the file name and the value are checked here; the line is checked above.
  std::ofstream(path) << "sites {\n  id: \"campus\"\n  kind: SITE_KIND_SPACESHIP\n}\n";
  const auto loaded = SiteDirectory::LoadFile(path);
  EXPECT_THAT(loaded.status(),
              StatusIs(kInvalid, AllOf(StartsWith(path + ":"), ContainsRegex(":[0-9]+:[0-9]+: "),
                                       HasSubstr("SITE_KIND_SPACESHIP"))))
      << loaded.status();
  std::filesystem::remove(path);
}

TEST(SiteDirectoryTest, MissingFileNamesThePath) {
  EXPECT_THAT(
      SiteDirectory::LoadFile("/nonexistent/lianfang/sites.textproto"),
      StatusIs(absl::StatusCode::kNotFound, "/nonexistent/lianfang/sites.textproto: no such file"));
}

TEST(SiteDirectoryTest, DirectoryInsteadOfFileIsAnError) {
  const auto loaded = SiteDirectory::LoadFile(std::filesystem::temp_directory_path().string());
  EXPECT_THAT(loaded.status(), StatusIs(kInvalid, HasSubstr("cannot be read"))) << loaded.status();
}

TEST(SiteDirectoryTest, DuplicateSiteIdsAreRejected) {
  const std::string text = absl::StrCat(kTwoSites, R"pb(
    sites {
      id: "campus"
      name: "重复"
      kind: SITE_KIND_CAMPUS
      gates { id: "g" name: "门" }
    }
  )pb");
  EXPECT_THAT(SiteDirectory::Parse(text),
              StatusIs(kInvalid, "sites: sites[2]: site id \"campus\" is used twice"));
}

TEST(SiteDirectoryTest, DuplicateGateIdsWithinASiteAreRejected) {
  const std::string text = absl::StrReplaceAll(
      kTwoSites,
      {{"gates { id: \"north\" name: \"北门\" }", "gates { id: \"east\" name: \"北门\" }"}});
  EXPECT_THAT(SiteDirectory::Parse(text, "f"),
              StatusIs(kInvalid, "f: sites[0] \"campus\": gate id \"east\" is used twice"));
}

TEST(SiteDirectoryTest, SameGateIdInTwoSitesIsFine) {
  const std::string text =
      absl::StrReplaceAll(kTwoSites, {{"gates { id: \"checkpoint-1\"", "gates { id: \"east\""}});
  ASSERT_OK_AND_ASSIGN(SiteDirectory dir, SiteDirectory::Parse(text));
  EXPECT_OK(dir.CheckGate("village", "east"));
  EXPECT_OK(dir.CheckGate("campus", "east"));
}

// Each case breaks one rule of kTwoSites.
TEST(SiteDirectoryTest, InvalidSitesAreRejectedWithAReason) {
  struct Case {
    std::string from, to, expect;
  };
  const std::vector<Case> cases = {
      {"id: \"campus\"", "id: \"Campus\"", "is not a valid site id"},
      {"id: \"campus\"", "id: \"\"", "is not a valid site id"},
      {"id: \"campus\"", "id: \"-campus\"", "is not a valid site id"},
      {"id: \"campus\"", "id: \"c23456789012345678901234567890123\"", "is not a valid site id"},
      {"id: \"campus\"", "id: \"校园\"", "is not a valid site id"},
      {"name: \"党校校园\"", "name: \"\"", "name is empty"},
      {"kind: SITE_KIND_CAMPUS", "", "kind is not set"},
      {"gates { id: \"checkpoint-1\" name: \"村口卡点\" }", "", "has no gates"},
      {"gates { id: \"east\" name: \"东大门\" }", "gates { id: \"East\" name: \"东大门\" }",
       "is not a valid gate id"},
      {"gates { id: \"east\" name: \"东大门\" }", "gates { id: \"east\" }", "name is empty"},
      {"fever_threshold_c: 37.8", "fever_threshold_c: 34.9", "fever_threshold_c 34.9 is outside"},
      {"fever_threshold_c: 37.8", "fever_threshold_c: 42.5", "is outside 35.0..42.0"},
      {"fever_threshold_c: 37.8", "fever_threshold_c: -1", "is outside"},
      {"fever_threshold_c: 37.8", "fever_threshold_c: nan", "is outside"},
      {"capacity: 10", "capacity: -1", "capacity -1 is negative"},
  };
  for (const Case& c : cases) {
    const std::string text = absl::StrReplaceAll(kTwoSites, {{c.from, c.to}});
    ASSERT_NE(text, kTwoSites) << c.from;
    EXPECT_THAT(SiteDirectory::Parse(text), StatusIs(kInvalid, HasSubstr(c.expect)))
        << c.from << " -> " << c.to;
  }
}

// The follow-up rules' policy (missing-reports check time, tenant verification days): a bad
// value stops loading with a message naming the site and the field.
TEST(SiteDirectoryTest, FollowUpRulePolicyIsValidatedNamingTheSiteAndField) {
  struct Case {
    std::string value, expect;
  };
  const std::vector<Case> cases = {
      {"missing_reports_check_time: \"9:30\"", "missing_reports_check_time \"9:30\" is not"},
      {"missing_reports_check_time: \"24:00\"", "missing_reports_check_time \"24:00\" is not"},
      {"missing_reports_check_time: \"10:60\"", "missing_reports_check_time"},
      {"missing_reports_check_time: \"10-00\"", "missing_reports_check_time"},
      {"missing_reports_check_time: \"10:00 \"", "missing_reports_check_time"},
      {"missing_reports_check_time: \"ten\"", "is not a time of day HH:MM"},
      {"tenant_verification_days: -1", "tenant_verification_days -1 is outside 0..365"},
      {"tenant_verification_days: 366", "tenant_verification_days 366 is outside 0..365"},
  };
  for (const Case& c : cases) {
    const std::string text = absl::StrReplaceAll(
        kTwoSites,
        {{"fever_threshold_c: 37.8", absl::StrCat("fever_threshold_c: 37.8 ", c.value)}});
    EXPECT_THAT(SiteDirectory::Parse(text, "sites.textproto"),
                StatusIs(kInvalid, AllOf(HasSubstr("sites.textproto: sites[1] \"village\": "),
                                         HasSubstr(c.expect))))
        << c.value;
  }

  // Valid values load; empty and 0 mean 10:00 and 3 days.
  const std::string text = absl::StrReplaceAll(
      kTwoSites, {{"fever_threshold_c: 37.8",
                   "fever_threshold_c: 37.8 missing_reports_check_time: \"23:59\" "
                   "tenant_verification_days: 365"}});
  ASSERT_OK_AND_ASSIGN(SiteDirectory dir, SiteDirectory::Parse(text));
  EXPECT_EQ(MissingReportsCheckMinute(dir.Find("village")->policy()), 23 * 60 + 59);
  EXPECT_EQ(TenantVerificationDays(dir.Find("village")->policy()), 365);
  EXPECT_EQ(MissingReportsCheckMinute(dir.Find("campus")->policy()), 10 * 60);
  EXPECT_EQ(TenantVerificationDays(dir.Find("campus")->policy()), 3);
  EXPECT_EQ(ParseTimeOfDay("00:00"), 0);
  EXPECT_EQ(ParseTimeOfDay(""), -1);
}

TEST(SiteDirectoryTest, EmptyDirectoryIsRejected) {
  EXPECT_THAT(SiteDirectory::Parse("# nothing here\n", "empty.textproto"),
              StatusIs(kInvalid, "empty.textproto: no sites (at least one is needed)"));
}

TEST(SiteDirectoryTest, CopiesShareDataAndStayValidAfterTheOriginalIsGone) {
  const Site* campus = nullptr;
  std::optional<SiteDirectory> copy;
  {
    ASSERT_OK_AND_ASSIGN(SiteDirectory dir, SiteDirectory::Parse(kTwoSites));
    campus = dir.Find("campus");
    copy = dir;
  }
  EXPECT_EQ(copy->Find("campus"), campus);
  EXPECT_EQ(copy->Find("campus")->name(), "党校校园");
}

TEST(SiteDirectoryTest, ConcurrentReadsAgree) {
  ASSERT_OK_AND_ASSIGN(SiteDirectory dir, SiteDirectory::Parse(kTwoSites));
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        if (!dir.CheckGate("campus", "east").ok() || dir.CheckSite("x").ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(SiteIdTest, ValidIdsFollowThePattern) {
  EXPECT_TRUE(IsValidId("campus"));
  EXPECT_TRUE(IsValidId("family-area"));
  EXPECT_TRUE(IsValidId("checkpoint_1"));
  EXPECT_TRUE(IsValidId("0"));
  EXPECT_TRUE(IsValidId(std::string(32, 'a')));
  EXPECT_FALSE(IsValidId(std::string(33, 'a')));
  EXPECT_FALSE(IsValidId(""));
  EXPECT_FALSE(IsValidId("_x"));
  EXPECT_FALSE(IsValidId("a b"));
  EXPECT_FALSE(IsValidId("A"));
}

}  // namespace
}  // namespace lianfang::sites
