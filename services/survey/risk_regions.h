// The risk-region list of the survey service: the regions whose arrivals are put under home
// observation (居家观察). Loaded at start-up from a plain text file (LF_RISK_REGIONS, default
// deploy/risk-regions.txt): one region name per line, `#` starts a comment (to the end of the
// line), blank lines are ignored, surrounding spaces are trimmed.
//
//   ASSIGN_OR_RETURN(RiskRegions risk, RiskRegions::LoadFile(path));
//   if (risk.Matches(request.from_region())) { ... open an observation ... }
//
// Matching: a recorded `from_region` matches a listed region when, after trimming and ASCII
// lower-casing both, it equals it or contains it ("某省青川市北区" matches a listed
// "青川市"), so volunteers may write the place as precisely as they like.
//
// Thread-safety: immutable after construction; safe to share between threads.
#ifndef LIANFANG_SERVICES_SURVEY_RISK_REGIONS_H_
#define LIANFANG_SERVICES_SURVEY_RISK_REGIONS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lianfang::survey {

class RiskRegions final {
 public:
  // Longest region name accepted, in bytes.
  static constexpr size_t kMaxNameBytes = 256;

  // An empty list (nobody is put under observation).
  RiskRegions() = default;

  // Parses the file format above. INVALID_ARGUMENT "<source>:LINE: ..." for a name longer
  // than kMaxNameBytes or containing control characters.
  static absl::StatusOr<RiskRegions> Parse(absl::string_view text,
                                           absl::string_view source = "risk regions");

  // A list of names already normalised (a stored version, risk_versions.h).
  static RiskRegions Of(std::vector<std::string> normalized_names);

  // Reads and parses `path`. NOT_FOUND "<path>: no such file" when missing, INVALID_ARGUMENT
  // when it cannot be read or parsed.
  static absl::StatusOr<RiskRegions> LoadFile(const std::string& path);

  // True when `from_region` matches a listed region (see the header comment).
  bool Matches(absl::string_view from_region) const;

  // The listed regions, normalised (trimmed, ASCII lower-case), in file order without
  // duplicates.
  const std::vector<std::string>& regions() const { return regions_; }

  // The normalised form used for matching: trimmed, ASCII lower-case.
  static std::string Normalize(absl::string_view name);

 private:
  std::vector<std::string> regions_;
};

}  // namespace lianfang::survey

#endif  // LIANFANG_SERVICES_SURVEY_RISK_REGIONS_H_
