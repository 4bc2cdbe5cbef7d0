// Free text of the supplies requests that every reader sees as typed (notes, a stocktake's
// reason, an issue's area): an ID number or a phone typed into it is refused as
// INVALID_ARGUMENT naming the field, without repeating it; ordinary text passes.
#include <memory>
#include <string>

#include "common/server/errors.h"
#include "common/sites/site_directory.h"
#include "common/status/status_matchers.h"
#include "common/testing/service_binaries.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/supplies/validation.h"

namespace lianfang::supplies {
namespace {

using ::lianfang::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Key;
using ::testing::Not;

constexpr char kPhone[] = "13957293846";
constexpr char kId[] = "610113195708234616";  // a valid check digit

class FreeTextTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(
        sites::SiteDirectory sites,
        sites::SiteDirectory::LoadFile(lianfang::testing::SourcePath("deploy/sites.textproto")));
    sites_ = std::make_unique<sites::SiteDirectory>(std::move(sites));
  }

  static v1::IssueStockRequest Issue() {
    v1::IssueStockRequest req;
    req.set_request_id("r1");
    req.set_site_id("campus");
    req.set_item_code("mask-n95");
    req.set_quantity(2);
    req.mutable_to()->set_area("3号楼楼道");
    req.set_note("楼道值守用");
    return req;
  }

  static void ExpectRefused(const absl::Status& status, const std::string& field,
                            const std::string& secret) {
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    EXPECT_THAT(server::FieldViolations(status), ElementsAre(Key(field))) << status;
    EXPECT_THAT(std::string(status.message()), Not(HasSubstr(secret)));
    for (const auto& [f, description] : server::FieldViolations(status)) {
      EXPECT_THAT(description, Not(HasSubstr(secret)));
    }
  }

  std::unique_ptr<sites::SiteDirectory> sites_;
};

TEST_F(FreeTextTest, OrdinaryNotesReasonsAndAreasPass) {
  EXPECT_THAT(ValidateIssueStock(Issue(), *sites_), IsOk());
  v1::AdjustStockRequest adjust;
  adjust.set_request_id("r2");
  adjust.set_site_id("campus");
  adjust.set_item_code("mask-n95");
  adjust.set_counted_quantity(98);
  adjust.set_reason("盘点：破损2个，批次B2026-03，2026-12-06清点");
  EXPECT_THAT(ValidateAdjustStock(adjust, *sites_), IsOk());
}

TEST_F(FreeTextTest, APhoneOrAnIdNumberInANoteReasonOrAreaIsRefusedNamingTheField) {
  v1::IssueStockRequest note = Issue();
  note.set_note(std::string("联系电话") + kPhone);
  ExpectRefused(ValidateIssueStock(note, *sites_), "note", kPhone);
  v1::IssueStockRequest spaced = Issue();
  spaced.set_note("电话 139-5729-3846");
  ExpectRefused(ValidateIssueStock(spaced, *sites_), "note", "5729");
  v1::IssueStockRequest area = Issue();
  area.mutable_to()->set_area(std::string("身份证") + kId);
  ExpectRefused(ValidateIssueStock(area, *sites_), "to.area", kId);

  v1::ReceiveStockRequest receive;
  receive.set_request_id("r3");
  receive.set_site_id("campus");
  receive.set_item_code("mask-n95");
  receive.set_quantity(10);
  receive.set_source(v1::STOCK_SOURCE_DONATION);
  receive.set_note(std::string("经手人") + kId);
  ExpectRefused(ValidateReceiveStock(receive, *sites_, absl::CivilDay(2026, 3, 10)), "note", kId);

  v1::AdjustStockRequest adjust;
  adjust.set_request_id("r4");
  adjust.set_site_id("campus");
  adjust.set_item_code("mask-n95");
  adjust.set_counted_quantity(0);
  adjust.set_reason(std::string("盘点人") + kPhone);
  ExpectRefused(ValidateAdjustStock(adjust, *sites_), "reason", kPhone);
}

}  // namespace
}  // namespace lianfang::supplies
