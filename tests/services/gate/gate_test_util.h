// Test helpers of the gate service's tests: valid resident ID numbers, the test site
// directory. Test-only.
#ifndef LIANFANG_TESTS_SERVICES_GATE_GATE_TEST_UTIL_H_
#define LIANFANG_TESTS_SERVICES_GATE_GATE_TEST_UTIL_H_

#include <string>

#include "absl/strings/str_format.h"
#include "common/pii/pii.h"
#include "common/sites/site_directory.h"

namespace lianfang::gate::testing {

// A valid (check digit correct) resident ID number, distinct for each `n` in 0..9999: region
// 320102, born 1990-01-01, sequence from `n`.
inline std::string ValidId(int n) {
  const std::string first17 = absl::StrFormat("32010219900101%03d", n % 1000);
  const std::string base =
      n < 1000 ? first17 : absl::StrFormat("3201021990%02d01%03d", 1 + (n / 1000) % 12, n % 1000);
  return base + pii::IdNumberCheckDigit(base);
}

// The same number with a wrong check digit.
inline std::string BadCheckDigit(int n) {
  std::string id = ValidId(n);
  id[17] = id[17] == '0' ? '1' : '0';
  return id;
}

// Sites of the tests:
//   campus  closed to outsiders and outside vehicles, capacity 2, gates east (东大门), north;
//   open    open to outsiders and vehicles, unlimited, gate main;
//   family  closed, unlimited, threshold 37.5, gate south.
inline constexpr char kTestSites[] = R"pb(
  sites {
    id: "campus"
    name: "党校校园"
    kind: SITE_KIND_CAMPUS
    gates { id: "east" name: "东大门" }
    gates { id: "north" name: "北门" }
    policy {
      outsiders_allowed: false
      outside_vehicles_allowed: false
      fever_threshold_c: 37.3
      capacity: 2
    }
  }
  sites {
    id: "open"
    name: "帮建社区"
    kind: SITE_KIND_COMMUNITY
    gates { id: "main" name: "正门" }
    policy { outsiders_allowed: true outside_vehicles_allowed: true capacity: 0 }
  }
  sites {
    id: "family"
    name: "家属区"
    kind: SITE_KIND_FAMILY_AREA
    gates { id: "south" name: "南门" }
    policy { outsiders_allowed: false fever_threshold_c: 37.5 }
  }
)pb";

inline sites::SiteDirectory TestSites() {
  return *sites::SiteDirectory::Parse(kTestSites, "test sites");
}

}  // namespace lianfang::gate::testing

#endif  // LIANFANG_TESTS_SERVICES_GATE_GATE_TEST_UTIL_H_
