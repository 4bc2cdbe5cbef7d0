#include "services/survey/config.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace lianfang::survey {

SurveyFlags::SurveyFlags() : set_("lf-survey", "Residence survey and daily health report.") {
  set_.AddReadableFile({.name = "risk-regions",
                        .env = "LF_RISK_REGIONS",
                        .default_value = kDefaultRiskRegionsFile,
                        .help = "risk regions, one name per line, # comments"},
                       &risk_regions_file_);
  set_.AddInt({.name = "observation-days",
               .env = "LF_OBSERVATION_DAYS",
               .default_value = absl::StrCat(kDefaultObservationDays),
               .help = "days of home observation after an arrival from a risk region"},
              &observation_days_, 1, kMaxObservationDays);
}

absl::StatusOr<SurveySettings> SurveyFlags::Load() const {
  absl::StatusOr<RiskRegions> regions = RiskRegions::LoadFile(risk_regions_file_);
  if (!regions.ok()) {
    return absl::Status(regions.status().code(), absl::StrCat("LF_RISK_REGIONS (--risk-regions): ",
                                                              regions.status().message()));
  }
  SurveySettings settings;
  settings.risk_regions = *std::move(regions);
  settings.observation_days = static_cast<int>(observation_days_);
  return settings;
}

}  // namespace lianfang::survey
