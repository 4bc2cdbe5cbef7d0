// The survey service's own settings, parsed together with the common ones
// (common/config/config.h) through StartOptions::extra_flags:
//
//   --risk-regions        LF_RISK_REGIONS        deploy/risk-regions.txt (readable file)
//   --observation-days    LF_OBSERVATION_DAYS    14 (1..60)
//
//   SurveyFlags flags;                       // owns the FlagSet and the parsed values
//   auto rt = app::StartOrExit({..., .extra_flags = &flags.set()});
//   ASSIGN_OR_RETURN(SurveySettings settings, flags.Load());   // reads the risk list
//
// Not thread-safe; used once at start-up.
#ifndef LIANFANG_SERVICES_SURVEY_CONFIG_H_
#define LIANFANG_SERVICES_SURVEY_CONFIG_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "common/config/flags.h"
#include "services/survey/risk_regions.h"

namespace lianfang::survey {

inline constexpr char kDefaultRiskRegionsFile[] = "deploy/risk-regions.txt";
inline constexpr int kDefaultObservationDays = 14;
inline constexpr int kMaxObservationDays = 60;

// The typed settings the service runs with.
struct SurveySettings {
  RiskRegions risk_regions;
  // Length of a home observation in days after the day of arrival (an arrival on day A is
  // observed through day A + observation_days).
  int observation_days = kDefaultObservationDays;
};

class SurveyFlags final {
 public:
  SurveyFlags();
  SurveyFlags(const SurveyFlags&) = delete;
  SurveyFlags& operator=(const SurveyFlags&) = delete;

  // The settings to hand to LoadCommonConfig / StartOptions::extra_flags. Lives as long as
  // this object.
  const config::FlagSet& set() const { return set_; }

  // After a successful parse: the settings, with the risk list read from its file.
  // INVALID_ARGUMENT "LF_RISK_REGIONS (--risk-regions): <path>:LINE: ..." when the file does
  // not parse, NOT_FOUND when it vanished since the parse.
  absl::StatusOr<SurveySettings> Load() const;

  const std::string& risk_regions_file() const { return risk_regions_file_; }

 private:
  config::FlagSet set_;
  std::string risk_regions_file_ = kDefaultRiskRegionsFile;
  int64_t observation_days_ = kDefaultObservationDays;
};

}  // namespace lianfang::survey

#endif  // LIANFANG_SERVICES_SURVEY_CONFIG_H_
