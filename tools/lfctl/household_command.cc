#include "tools/lfctl/household_command.h"

#include <string>
#include <vector>

#include "tools/lfctl/rpc_command.h"

namespace lianfang::lfctl {

Command HouseholdCommand() {
  const std::vector<std::string> columns = {"household_id",
                                            "site_id",
                                            "building",
                                            "unit",
                                            "room",
                                            "kind",
                                            "resident_count",
                                            "landlord_name|landlord_name_masked",
                                            "landlord_phone|landlord_phone_masked",
                                            "surveyed_at"};
  return MakeFamily(
      "household", "households of the survey (摸排)",
      {
          RpcSpec{
              .name = "upsert",
              .summary = "register or correct a household (the address is its key)",
              .service = Service::kSurvey,
              .method = "UpsertHousehold",
              .flags = {{"id", "household.household_id", "ID",
                         "household id, to change the address of an existing one"},
                        {"site", "household.site_id", "SITE", "site id", true},
                        {"building", "household.building", "TEXT", "building, e.g. 3号楼", true},
                        {"unit", "household.unit", "TEXT", "unit, e.g. 2单元"},
                        {"room", "household.room", "TEXT", "room, e.g. 301", true},
                        {"kind", "household.kind", "KIND",
                         "owner-occupied (default), rented, dormitory, vacant", false,
                         "owner-occupied"},
                        {"landlord-name", "household.landlord_name", "NAME",
                         "landlord of a rented household"},
                        {"landlord-phone", "household.landlord_phone", "PHONE", "landlord's phone"},
                        {"surveyed", "surveyed", "", "the household was visited now"}},
              .columns = columns},
          RpcSpec{.name = "get",
                  .summary = "one household",
                  .service = Service::kSurvey,
                  .method = "GetHousehold",
                  .flags = {{"id", "household_id", "ID", "household id", true}},
                  .columns = columns},
          RpcSpec{.name = "list",
                  .summary = "households of a site",
                  .service = Service::kSurvey,
                  .method = "ListHouseholds",
                  .flags = {{"site", "site_id", "SITE", "site id", true},
                            {"building", "building", "TEXT", "only this building"},
                            {"only-unsurveyed", "only_unsurveyed", "",
                             "only households not yet visited"}},
                  .rows = "households",
                  .columns = columns},
      });
}

}  // namespace lianfang::lfctl
