// What lf-load sends: the Lianfang workloads (RecordPassage, GetDashboard, SubmitHealthReport,
// ClaimTask, GenerateDailyReport) and the echo baseline, each a factory of driver Calls with
// valid, varied requests and unique request ids, plus the one-off setup some need (residents
// for health reports, a team, a volunteer and open tasks for claims).
#ifndef LIANFANG_TOOLS_LF_LOAD_WORKLOADS_H_
#define LIANFANG_TOOLS_LF_LOAD_WORKLOADS_H_

#include <grpcpp/channel.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/auth/jwt.h"
#include "common/auth/principal.h"
#include "common/sites/site_directory.h"
#include "tools/lf-load/driver.h"

namespace lianfang::load {

// Where the services listen.
struct Targets {
  std::string gate = "127.0.0.1:7101";
  std::string survey = "127.0.0.1:7102";
  std::string dispatch = "127.0.0.1:7103";
  std::string report = "127.0.0.1:7104";
  std::string gateway = "127.0.0.1:7100";
};

// Where tokens come from: minted per workload with the right role when a signing key is
// known, else the one fixed token for everything.
class Credentials final {
 public:
  Credentials(std::string fixed_token, std::optional<auth::TokenSigner> signer)
      : fixed_(std::move(fixed_token)), signer_(std::move(signer)) {}
  // A token for `role`/`subject`/`sites` (minted, valid 12 h), or the fixed token.
  // FAILED_PRECONDITION when neither is available, or when `must_mint` and there is no key
  // (e.g. ClaimTask needs a volunteer token with a known subject).
  absl::StatusOr<std::string> For(auth::Role role, const std::string& subject,
                                  std::vector<std::string> sites, bool must_mint = false) const;

 private:
  std::string fixed_;
  std::optional<auth::TokenSigner> signer_;
};

// A valid resident ID number (GB 11643 check digit), distinct for every n below 100 million.
std::string LoadIdNumber(int64_t n);
// A plausible Chinese name for person n.
std::string LoadName(int64_t n);

// Settings shared by the workloads.
struct WorkloadContext {
  Targets targets;
  const Credentials* credentials = nullptr;     // not owned
  const sites::SiteDirectory* sites = nullptr;  // not owned
  absl::TimeZone tz;
  std::string date;              // day of reports (health, report); empty = today in tz
  int channels = 2;              // one channel (TCP connection) per client thread
  std::string run_id;            // makes request ids unique across runs
  int people = 10000;            // distinct people passing the gates
  int passes = 5000;             // of them, how many hold a pass for their home site
  double fever_percent = 1.0;    // share of entries with a fever reading
  double vehicle_percent = 5.0;  // share of passages with a vehicle plate
  int residents = 200;           // residents registered for SubmitHealthReport
  int tasks = 2000;              // open tasks created for ClaimTask
};

// One kind of call to drive.
class Workload {
 public:
  virtual ~Workload() = default;
  // The method's name ("RecordPassage", "Echo").
  virtual std::string name() const = 0;
  // One-off preparation before the first call (registrations, tasks). Returns the first
  // error of the setup calls.
  virtual absl::Status Setup() { return absl::OkStatus(); }
  // The next call for client thread `thread`, or null when there is nothing left to do.
  virtual std::unique_ptr<Call> NextCall(int thread) = 0;
  // Sizes of a typical request and of the last response seen (0 before any), in bytes; the
  // echo baseline sends and answers as much.
  virtual size_t RequestBytes() const = 0;
  size_t ResponseBytes() const { return last_response_bytes_.load(); }
  // Extra figures to print and put in the JSON (e.g. passages acknowledged, by decision).
  virtual std::map<std::string, int64_t> Counters() const { return {}; }

 protected:
  std::atomic<size_t> last_response_bytes_{0};
};

// "passage" (RecordPassage), "dashboard" (GetDashboard), "health" (SubmitHealthReport),
// "claim" (ClaimTask), "report" (GenerateDailyReport). INVALID_ARGUMENT for another name;
// FAILED_PRECONDITION when no token can be had for it.
absl::StatusOr<std::unique_ptr<Workload>> MakeWorkload(absl::string_view name,
                                                       const WorkloadContext& context);

// The echo baseline against `address`, with `request_bytes` of payload asking for
// `response_bytes`, sending `token` as the bearer header (ignored by the server, but the same
// bytes on the wire as the workload's).
std::unique_ptr<Workload> MakeEchoWorkload(const std::string& address, int channels,
                                           size_t request_bytes, size_t response_bytes,
                                           const std::string& token);

// `n` channels to `address`, each its own connection (no subchannel sharing between them).
// `address` may list several HOST:PORT separated by commas (replicas of a service): channel i
// goes to the (i mod count)-th. Empty when `address` lists none.
std::vector<std::shared_ptr<grpc::Channel>> MakeChannels(const std::string& address, int n);

}  // namespace lianfang::load

#endif  // LIANFANG_TOOLS_LF_LOAD_WORKLOADS_H_
