#include "common/sites/site_directory.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/cord.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "google/rpc/error_details.pb.h"

namespace lianfang::sites {
namespace {

// The same type URL common/server/errors.h uses, so its GetBadRequest and the gRPC status
// conversion pick the violation up. Kept as a literal to stay free of the server library.
constexpr char kBadRequestTypeUrl[] = "type.googleapis.com/google.rpc.BadRequest";

// A client-supplied id, quoted for a message: escaped and cut short so that hostile input
// cannot flood logs or smuggle control characters.
std::string Quote(absl::string_view id) {
  constexpr size_t kMax = 64;
  std::string out = absl::StrCat("\"", absl::CHexEscape(id.substr(0, kMax)));
  if (id.size() > kMax) out += "...";
  out += "\"";
  return out;
}

absl::Status InvalidField(absl::string_view field, const std::string& description) {
  absl::Status status = absl::InvalidArgumentError(description);
  google::rpc::BadRequest details;
  google::rpc::BadRequest::FieldViolation* v = details.add_field_violations();
  v->set_field(std::string(field));
  v->set_description(description);
  status.SetPayload(kBadRequestTypeUrl, absl::Cord(details.SerializeAsString()));
  return status;
}

std::string GateKey(absl::string_view site_id, absl::string_view gate_id) {
  return absl::StrCat(site_id, absl::string_view("\0", 1), gate_id);
}

// Keeps the first error the text-format parser reports (later ones tend to follow from it).
class FirstErrorCollector final : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (!error_.empty()) return;
    // The parser counts from 0; editors and people count from 1.
    error_ = absl::StrCat(line + 1, ":", column + 1, ": ", message);
  }
  void AddWarning(int, google::protobuf::io::ColumnNumber, const std::string&) override {}
  const std::string& error() const { return error_; }

 private:
  std::string error_;
};

// Checks one site and normalises its policy. Returns a message without the source prefix.
absl::Status ValidateSite(int index, Site& site) {
  const std::string where = absl::StrCat("sites[", index, "] ", Quote(site.id()));
  auto bad = [&](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", what));
  };
  if (!IsValidId(site.id())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "sites[", index, "]: id ", Quote(site.id()),
        " is not a valid site id (1-32 of a-z, 0-9, '_', '-', starting with a letter or digit)"));
  }
  if (site.name().empty()) return bad("name is empty");
  if (site.kind() == common::v1::SITE_KIND_UNSPECIFIED) {
    return bad("kind is not set (SITE_KIND_CAMPUS, _FAMILY_AREA, _COMMUNITY or _VILLAGE)");
  }
  if (site.gates().empty()) return bad("has no gates (at least one is needed)");
  absl::flat_hash_set<std::string> gate_ids;
  for (int g = 0; g < site.gates_size(); ++g) {
    const Gate& gate = site.gates(g);
    if (!IsValidId(gate.id())) {
      return bad(absl::StrCat("gates[", g, "]: id ", Quote(gate.id()),
                              " is not a valid gate id (1-32 of a-z, 0-9, '_', '-', starting "
                              "with a letter or digit)"));
    }
    if (!gate_ids.insert(gate.id()).second) {
      return bad(absl::StrCat("gate id ", Quote(gate.id()), " is used twice"));
    }
    if (gate.name().empty()) return bad(absl::StrCat("gate ", Quote(gate.id()), ": name is empty"));
  }
  SitePolicy& policy = *site.mutable_policy();
  const double threshold = policy.fever_threshold_c();
  if (threshold == 0) {
    policy.set_fever_threshold_c(kDefaultFeverThresholdC);
  } else if (!std::isfinite(threshold) || threshold < kMinFeverThresholdC ||
             threshold > kMaxFeverThresholdC) {
    return bad(absl::StrFormat("fever_threshold_c %g is outside %.1f..%.1f (0 = default %.1f)",
                               threshold, kMinFeverThresholdC, kMaxFeverThresholdC,
                               kDefaultFeverThresholdC));
  }
  if (policy.capacity() < 0) {
    return bad(absl::StrCat("capacity ", policy.capacity(), " is negative (0 = unlimited)"));
  }
  if (!policy.missing_reports_check_time().empty() &&
      ParseTimeOfDay(policy.missing_reports_check_time()) < 0) {
    return bad(absl::StrCat(
        "missing_reports_check_time ", Quote(policy.missing_reports_check_time()),
        " is not a time of day HH:MM (00:00..23:59; empty = ", kDefaultMissingReportsCheckAt, ")"));
  }
  if (policy.tenant_verification_days() < 0 ||
      policy.tenant_verification_days() > kMaxTenantVerificationDays) {
    return bad(absl::StrCat("tenant_verification_days ", policy.tenant_verification_days(),
                            " is outside 0..", kMaxTenantVerificationDays, " (0 = default ",
                            kDefaultTenantVerificationDays, ")"));
  }
  return absl::OkStatus();
}

}  // namespace

bool IsValidId(absl::string_view id) {
  if (id.empty() || id.size() > 32) return false;
  const auto lower_or_digit = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  };
  if (!lower_or_digit(id[0])) return false;
  for (char c : id) {
    if (!lower_or_digit(c) && c != '_' && c != '-') return false;
  }
  return true;
}

int ParseTimeOfDay(absl::string_view hhmm) {
  if (hhmm.size() != 5 || hhmm[2] != ':') return -1;
  for (int i : {0, 1, 3, 4}) {
    if (hhmm[i] < '0' || hhmm[i] > '9') return -1;
  }
  const int hours = (hhmm[0] - '0') * 10 + (hhmm[1] - '0');
  const int minutes = (hhmm[3] - '0') * 10 + (hhmm[4] - '0');
  if (hours > 23 || minutes > 59) return -1;
  return hours * 60 + minutes;
}

int MissingReportsCheckMinute(const SitePolicy& policy) {
  return ParseTimeOfDay(policy.missing_reports_check_time().empty()
                            ? absl::string_view(kDefaultMissingReportsCheckAt)
                            : absl::string_view(policy.missing_reports_check_time()));
}

int TenantVerificationDays(const SitePolicy& policy) {
  return policy.tenant_verification_days() == 0 ? kDefaultTenantVerificationDays
                                                : policy.tenant_verification_days();
}

double EffectiveFeverThreshold(const Site& site) {
  const double t = site.policy().fever_threshold_c();
  return t == 0 ? kDefaultFeverThresholdC : t;
}

absl::StatusOr<SiteDirectory> SiteDirectory::LoadFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) return absl::NotFoundError(absl::StrCat(path, ": no such file"));
    return absl::InvalidArgumentError(absl::StrCat(path, ": cannot open: ", std::strerror(err)));
  }
  std::string text;
  struct stat st;
  absl::Status status;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    status = absl::InvalidArgumentError(absl::StrCat(path, ": cannot be read: not a regular file"));
  } else {
    char buf[16384];
    while (true) {
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n > 0) {
        text.append(buf, static_cast<size_t>(n));
      } else if (n == 0) {
        break;
      } else if (errno != EINTR) {
        status = absl::InvalidArgumentError(
            absl::StrCat(path, ": cannot be read: ", std::strerror(errno)));
        break;
      }
    }
  }
  ::close(fd);
  if (!status.ok()) return status;
  return Parse(text, path);
}

absl::StatusOr<SiteDirectory> SiteDirectory::Parse(absl::string_view text,
                                                   absl::string_view source) {
  common::v1::SiteDirectory proto;
  FirstErrorCollector errors;
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(std::string(text), &proto)) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ":", errors.error().empty() ? "1:1: cannot parse" : errors.error()));
  }
  return FromProto(std::move(proto), source);
}

absl::StatusOr<SiteDirectory> SiteDirectory::FromProto(common::v1::SiteDirectory proto,
                                                       absl::string_view source) {
  auto data = std::make_shared<Data>();
  data->proto = std::move(proto);
  if (data->proto.sites().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": no sites (at least one is needed)"));
  }
  for (int i = 0; i < data->proto.sites_size(); ++i) {
    Site& site = *data->proto.mutable_sites(i);
    if (absl::Status status = ValidateSite(i, site); !status.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": ", status.message()));
    }
    if (!data->by_id.emplace(site.id(), &site).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ": sites[", i, "]: site id ", Quote(site.id()), " is used twice"));
    }
    for (const Gate& gate : site.gates()) data->gates.emplace(GateKey(site.id(), gate.id()), &gate);
  }
  return SiteDirectory(std::move(data));
}

const Site* SiteDirectory::Find(absl::string_view site_id) const {
  auto it = data_->by_id.find(site_id);
  return it == data_->by_id.end() ? nullptr : it->second;
}

const Gate* SiteDirectory::FindGate(absl::string_view site_id, absl::string_view gate_id) const {
  auto it = data_->gates.find(GateKey(site_id, gate_id));
  return it == data_->gates.end() ? nullptr : it->second;
}

absl::Status SiteDirectory::CheckSite(absl::string_view site_id, absl::string_view field) const {
  if (Find(site_id) != nullptr) return absl::OkStatus();
  return InvalidField(field, absl::StrCat("unknown site ", Quote(site_id)));
}

absl::Status SiteDirectory::CheckGate(absl::string_view site_id, absl::string_view gate_id,
                                      absl::string_view site_field,
                                      absl::string_view gate_field) const {
  if (absl::Status status = CheckSite(site_id, site_field); !status.ok()) return status;
  if (FindGate(site_id, gate_id) != nullptr) return absl::OkStatus();
  return InvalidField(gate_field, absl::StrCat("gate ", Quote(gate_id), " does not belong to site ",
                                               Quote(site_id)));
}

const google::protobuf::RepeatedPtrField<Site>& SiteDirectory::sites() const {
  return data_->proto.sites();
}

std::vector<std::string> SiteDirectory::ids() const {
  std::vector<std::string> out;
  out.reserve(data_->proto.sites_size());
  for (const Site& site : data_->proto.sites()) out.push_back(site.id());
  return out;
}

const common::v1::SiteDirectory& SiteDirectory::proto() const { return data_->proto; }

double SiteDirectory::FeverThreshold(absl::string_view site_id) const {
  const Site* site = Find(site_id);
  return site == nullptr ? kDefaultFeverThresholdC : site->policy().fever_threshold_c();
}

}  // namespace lianfang::sites
