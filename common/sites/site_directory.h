// The site directory: the sites (campus, family area, community, village), their gates and
// admission policies, shared by every service and loaded at start-up from a text-format
// `lianfang.common.v1.SiteDirectory` file (LF_SITES, default deploy/sites.textproto).
//
//   ASSIGN_OR_RETURN(sites::SiteDirectory sites, sites::SiteDirectory::LoadFile(config.sites));
//   RETURN_IF_ERROR(sites.CheckGate(request.site_id(), request.gate_id()));
//   if (temperature >= sites.FeverThreshold(request.site_id())) ...
//
// A loaded directory is valid: at least one site; site and gate ids match
// [a-z0-9][a-z0-9_-]{0,31} and are unique (gate ids within their site); every site and gate
// has a name; every site has a kind and at least one gate; fever thresholds are within
// 35.0..42.0 °C (0 in the file means the default 37.3, and the loaded policy holds 37.3);
// capacities are >= 0 (0 = unlimited); missing_reports_check_time is empty (10:00) or "HH:MM"
// (00:00..23:59, two digits each); tenant_verification_days is within 0..365 (0 = 3). Those two
// stay as written in the loaded policy: MissingReportsCheckMinute and TenantVerificationDays
// give their effective values.
//
// Thread-safety: immutable after loading; every method may be called from any thread. Copies
// are cheap and share the data; pointers returned by lookups stay valid as long as any copy
// of the directory lives.
#ifndef LIANFANG_COMMON_SITES_SITE_DIRECTORY_H_
#define LIANFANG_COMMON_SITES_SITE_DIRECTORY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lianfang/common/v1/common.pb.h"

namespace lianfang::sites {

using Site = ::lianfang::common::v1::Site;
using Gate = ::lianfang::common::v1::Gate;
using SitePolicy = ::lianfang::common::v1::SitePolicy;

// The fever threshold of a site whose policy leaves it at 0 (检测体温: 37.3 °C and above).
inline constexpr double kDefaultFeverThresholdC = 37.3;
// The range a configured threshold must fall in.
inline constexpr double kMinFeverThresholdC = 35.0;
inline constexpr double kMaxFeverThresholdC = 42.0;

// The threshold of `site`'s policy, with 0 meaning kDefaultFeverThresholdC. Useful for Site
// messages that did not come from a SiteDirectory (those are already normalised).
double EffectiveFeverThreshold(const Site& site);

// The follow-up rules' defaults (SitePolicy fields 6 and 7).
inline constexpr char kDefaultMissingReportsCheckAt[] = "10:00";
inline constexpr int kDefaultTenantVerificationDays = 3;
inline constexpr int kMaxTenantVerificationDays = 365;

// Minutes after midnight of a strict "HH:MM" (two digits each, 00:00..23:59), or -1.
int ParseTimeOfDay(absl::string_view hhmm);
// The time of day (minutes after midnight, local) of the site's missing-reports check: the
// policy's missing_reports_check_time, empty meaning 10:00. -1 only for a policy that did not
// come from a SiteDirectory and holds a bad value.
int MissingReportsCheckMinute(const SitePolicy& policy);
// The days a tenant may stay pending: tenant_verification_days, 0 meaning 3.
int TenantVerificationDays(const SitePolicy& policy);

class SiteDirectory final {
 public:
  // Reads and validates the text-format file at `path`. Returns NOT_FOUND "<path>: no such
  // file" when it does not exist, INVALID_ARGUMENT "<path>: …" when it cannot be read, does
  // not parse ("<path>:LINE:COLUMN: <parser message>", 1-based) or is not valid
  // ("<path>: sites[1] \"family-area\": gate id \"east\" is used twice").
  static absl::StatusOr<SiteDirectory> LoadFile(const std::string& path);

  // Parses and validates text-format content; `source` names it in error messages.
  // INVALID_ARGUMENT as for LoadFile.
  static absl::StatusOr<SiteDirectory> Parse(absl::string_view text,
                                             absl::string_view source = "sites");

  // Validates an already built message (tests, tools). INVALID_ARGUMENT as for LoadFile.
  static absl::StatusOr<SiteDirectory> FromProto(common::v1::SiteDirectory proto,
                                                 absl::string_view source = "sites");

  // The site with this id, or null.
  const Site* Find(absl::string_view site_id) const;
  // The gate `gate_id` of site `site_id`, or null when either is unknown.
  const Gate* FindGate(absl::string_view site_id, absl::string_view gate_id) const;

  // OK when the site exists. Otherwise INVALID_ARGUMENT `unknown site "x"` carrying a
  // google.rpc.BadRequest payload (type URL type.googleapis.com/google.rpc.BadRequest, as
  // common/server/errors.h reads it) with one violation of `field`.
  absl::Status CheckSite(absl::string_view site_id, absl::string_view field = "site_id") const;
  // OK when the gate belongs to the site. Otherwise INVALID_ARGUMENT with a BadRequest payload:
  // `unknown site "s"` (violation of `site_field`) or `gate "g" does not belong to site "s"`
  // (violation of `gate_field`).
  absl::Status CheckGate(absl::string_view site_id, absl::string_view gate_id,
                         absl::string_view site_field = "site_id",
                         absl::string_view gate_field = "gate_id") const;

  // Every site, in file order.
  const google::protobuf::RepeatedPtrField<Site>& sites() const;
  // Every site id, in file order.
  std::vector<std::string> ids() const;
  // The whole directory as loaded (thresholds normalised).
  const common::v1::SiteDirectory& proto() const;

  // The site's fever threshold in °C (never 0), or kDefaultFeverThresholdC for an unknown
  // site (callers check the site first).
  double FeverThreshold(absl::string_view site_id) const;

 private:
  struct Data {
    common::v1::SiteDirectory proto;
    absl::flat_hash_map<std::string, const Site*> by_id;
    // "site_id\0gate_id" -> gate.
    absl::flat_hash_map<std::string, const Gate*> gates;
  };
  explicit SiteDirectory(std::shared_ptr<const Data> data) : data_(std::move(data)) {}

  std::shared_ptr<const Data> data_;
};

// True when `id` is a valid site or gate id: [a-z0-9][a-z0-9_-]{0,31}.
bool IsValidId(absl::string_view id);

}  // namespace lianfang::sites

#endif  // LIANFANG_COMMON_SITES_SITE_DIRECTORY_H_
