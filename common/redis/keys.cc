#include "common/redis/keys.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace lianfang::redis {
namespace {

constexpr size_t kMaxIdLength = 64;

absl::Status CheckSiteAndService(absl::string_view service, absl::string_view site_id) {
  if (absl::Status s = ValidateService(service); !s.ok()) return s;
  if (absl::Status s = ValidateKeyId(site_id); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("site id: ", s.message()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateKeyId(absl::string_view id) {
  if (id.empty()) return absl::InvalidArgumentError("an id used in a Redis key must not be empty");
  if (id.size() > kMaxIdLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("an id used in a Redis key must be at most ", kMaxIdLength, " characters"));
  }
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') {
      return absl::InvalidArgumentError(
          "an id used in a Redis key may hold only letters, digits, '_', '.' and '-'");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateService(absl::string_view service) {
  for (absl::string_view known : {kGate, kSurvey, kDispatch, kReport, kGateway, kSupplies}) {
    if (service == known) return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      "unknown service name for a Redis key (expected gate, survey, dispatch, report or "
      "gateway)");
}

absl::StatusOr<std::string> LiveKey(absl::string_view service, absl::string_view site_id) {
  if (absl::Status s = CheckSiteAndService(service, site_id); !s.ok()) return s;
  return absl::StrCat("lf:{", site_id, "}:", service, ":live");
}

absl::StatusOr<std::string> DayKey(absl::string_view service, absl::string_view site_id,
                                   absl::CivilDay day) {
  if (absl::Status s = CheckSiteAndService(service, site_id); !s.ok()) return s;
  if (day.year() < 1000 || day.year() > 9999) {
    return absl::InvalidArgumentError("the day of a Redis day key must be in years 1000..9999");
  }
  return absl::StrFormat("lf:{%s}:%s:day:%04d-%02d-%02d", site_id, service, day.year(), day.month(),
                         day.day());
}

absl::StatusOr<std::string> HeartbeatKey(absl::string_view service) {
  if (absl::Status s = ValidateService(service); !s.ok()) return s;
  return absl::StrCat("lf:svc:", service, ":heartbeat");
}

absl::StatusOr<std::string> SnapshotKey(absl::string_view service) {
  if (absl::Status s = ValidateService(service); !s.ok()) return s;
  return absl::StrCat("lf:svc:", service, ":snapshot");
}

absl::StatusOr<std::string> DeltaLogKey(absl::string_view service) {
  if (absl::Status s = ValidateService(service); !s.ok()) return s;
  return absl::StrCat("lf:svc:", service, ":deltas");
}

absl::StatusOr<std::string> ChangeNotice(absl::string_view service, absl::string_view site_id) {
  if (absl::Status s = CheckSiteAndService(service, site_id); !s.ok()) return s;
  return absl::StrCat(service, ":", site_id);
}

absl::StatusOr<Change> ParseChangeNotice(absl::string_view payload) {
  const size_t colon = payload.find(':');
  if (colon == absl::string_view::npos) {
    return absl::InvalidArgumentError("a change notice must be <service>:<site_id>");
  }
  Change change{std::string(payload.substr(0, colon)), std::string(payload.substr(colon + 1))};
  if (absl::Status s = CheckSiteAndService(change.service, change.site_id); !s.ok()) return s;
  return change;
}

}  // namespace lianfang::redis
