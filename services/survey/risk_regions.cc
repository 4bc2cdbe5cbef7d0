#include "services/survey/risk_regions.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace lianfang::survey {

std::string RiskRegions::Normalize(absl::string_view name) {
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(name));
}

absl::StatusOr<RiskRegions> RiskRegions::Parse(absl::string_view text, absl::string_view source) {
  RiskRegions out;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    if (const size_t hash = line.find('#'); hash != absl::string_view::npos) {
      line = line.substr(0, hash);
    }
    const std::string name = Normalize(line);
    if (name.empty()) continue;
    if (name.size() > kMaxNameBytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          source, ":", line_number, ": region name longer than ", kMaxNameBytes, " bytes"));
    }
    for (const char c : name) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7f) {
        return absl::InvalidArgumentError(
            absl::StrCat(source, ":", line_number, ": region name contains a control character"));
      }
    }
    bool seen = false;
    for (const std::string& r : out.regions_) seen = seen || r == name;
    if (!seen) out.regions_.push_back(name);
  }
  return out;
}

RiskRegions RiskRegions::Of(std::vector<std::string> normalized_names) {
  RiskRegions out;
  out.regions_ = std::move(normalized_names);
  return out;
}

absl::StatusOr<RiskRegions> RiskRegions::LoadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat(path, ": no such file"));
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", std::strerror(errno)));
  }
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return absl::InvalidArgumentError(absl::StrCat(path, ": read error"));
  return Parse(content.str(), path);
}

bool RiskRegions::Matches(absl::string_view from_region) const {
  const std::string region = Normalize(from_region);
  if (region.empty()) return false;
  for (const std::string& listed : regions_) {
    if (absl::StrContains(region, listed)) return true;
  }
  return false;
}

}  // namespace lianfang::survey
