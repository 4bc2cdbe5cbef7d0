// The settings every service-talking lfctl command shares, and the one place lfctl talks gRPC.
//
//   Session session("lfctl task list", io);
//   FlagSet flags("lfctl task list");
//   session.AddFlags(&flags);                      // --token, --<service>-addr, --json, ...
//   ... flags.Parse(args) ...
//   if (absl::Status s = session.Resolve(flags); !s.ok()) return session.UsageError(s);
//   absl::StatusOr<std::unique_ptr<google::protobuf::Message>> reply =
//       session.Call(Service::kDispatch, "ListTasks", request);
//   if (!reply.ok()) return session.Fail(reply.status());
//
// Calls go through grpc::GenericStub with the request and response types found in the
// generated descriptor pool, so commands are written against messages, not stubs. Every call
// carries the bearer token and a deadline (--timeout). Errors become one line on stderr naming
// the flag (or CSV column) of each bad field reported in the google.rpc.BadRequest details,
// and an exit code from command.h. Not thread-safe; one Session per command invocation.
#ifndef LIANFANG_TOOLS_LFCTL_SESSION_H_
#define LIANFANG_TOOLS_LFCTL_SESSION_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "tools/lfctl/command.h"
#include "tools/lfctl/flags.h"

namespace lianfang::lfctl {

enum class Service { kGateway, kGate, kSurvey, kDispatch, kReport, kAccounts, kSupplies };

// The seven services `lfctl health` and `lfctl audit` know, in the order health checks list them.
inline constexpr Service kAllServices[] = {Service::kGateway,  Service::kGate,   Service::kSurvey,
                                           Service::kDispatch, Service::kReport, Service::kAccounts,
                                           Service::kSupplies};

// "gate", "survey", ... (the word used in flags, e.g. --gate-addr, and in `lfctl audit gate`).
absl::string_view ServiceName(Service service);
// The setting naming its address ("LF_GATE_ADDR") and the address without it.
absl::string_view AddressVariable(Service service);
absl::string_view DefaultAddress(Service service);
// The full name of its gRPC API ("lianfang.gate.v1.GateService"), as the gRPC health service
// knows it.
std::string ApiServiceName(Service service);

// Languages of the tables (--lang): Chinese labels by default, English on request.
enum class Lang { kZh, kEn };

// The exit code for a failed call's status (command.h): 2 INVALID_ARGUMENT/OUT_OF_RANGE,
// 3 NOT_FOUND, 4 UNAUTHENTICATED/PERMISSION_DENIED, 5 UNAVAILABLE/DEADLINE_EXCEEDED, 1 others.
int ExitCodeFor(absl::StatusCode code);

class Session final {
 public:
  // `command` prefixes every error line ("lfctl task list"). `io` must outlive the session.
  Session(std::string command, const CommandIo& io);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Declares the shared flags on `flags`: --token, --gateway-addr ... --report-addr,
  // --timeout, --json, --lang, --progress, --tz. `flags` must outlive the session.
  void AddFlags(FlagSet* flags);

  // After flags.Parse: fills what was not given from LF_TOKEN, LF_<SERVICE>_ADDR, LF_TZ and the
  // defaults, and validates. INVALID_ARGUMENT naming the flag on bad values. A missing token is
  // not an error here (the service answers UNAUTHENTICATED); `require_token` makes it one.
  absl::Status Resolve(bool require_token = true);

  // Calls `method` (e.g. "ListTasks") of `service` with `request`, whose type must be the
  // method's input type. Returns the response (of the method's output type), or the call's
  // status with its details (google.rpc.BadRequest) as payloads. `deadline` zero = --timeout.
  absl::StatusOr<std::unique_ptr<google::protobuf::Message>> Call(
      Service service, absl::string_view method, const google::protobuf::Message& request,
      absl::Duration deadline = absl::ZeroDuration()) const;

  // Calls the server-streaming `method` and hands each message to `on_message` until it
  // returns false, the stream ends, or `duration` passes (zero = no limit). OK when the stream
  // ended because on_message or `duration` stopped it, or the server closed it cleanly.
  absl::Status Stream(Service service, absl::string_view method,
                      const google::protobuf::Message& request,
                      const std::function<bool(const google::protobuf::Message&)>& on_message,
                      absl::Duration duration) const;

  // Parses `args` with `flags` (which AddFlags has been called on) and resolves the settings.
  // Returns the exit code when the command is done already: kExitOk after printing the usage
  // for --help (headed by `summary`), kExitUsage after printing a bad flag or setting;
  // nullopt when the command should go on.
  std::optional<int> ParseFlags(FlagSet& flags, const std::vector<std::string>& args,
                                absl::string_view summary, bool require_token = true);

  // A new message of `method`'s input type (e.g. for Call), or null when unknown.
  std::unique_ptr<google::protobuf::Message> NewRequest(Service service,
                                                        absl::string_view method) const;

  // Prints "<command>: <message>" on stderr and returns kExitUsage.
  int UsageError(const absl::Status& status) const;

  // Prints one line for a failed call and returns ExitCodeFor(status). With BadRequest details
  // each violation is shown as "<name>: <description>", where <name> is `field_names[field]`
  // when the field is there (a flag "--site", a CSV column), else the field path itself.
  int Fail(const absl::Status& status,
           const std::map<std::string, std::string>& field_names = {}) const;

  // The one-line description used by Fail (without the command prefix).
  static std::string Describe(const absl::Status& status,
                              const std::map<std::string, std::string>& field_names);

  // A fresh request id ("lfctl-" + 32 random hex digits).
  static std::string NewRequestId();

  // Replaces the token of the calls that follow (`lfctl demo` acts as several people).
  void SetToken(std::string token) { token_ = std::move(token); }

  const std::string& command() const { return command_; }
  const CommandIo& io() const { return io_; }
  bool json() const { return json_; }
  Lang lang() const { return lang_; }
  const absl::TimeZone& tz() const { return tz_; }
  const std::string& token() const { return token_; }
  absl::Duration timeout() const { return timeout_; }
  const std::string& address(Service service) const;
  // True when a progress line should be drawn on stderr: --progress, or stderr is a terminal
  // (JSON goes to stdout, so --json does not silence it).
  bool progress() const { return progress_; }

 private:
  std::string command_;
  const CommandIo& io_;
  FlagSet* flags_ = nullptr;
  std::string token_;
  std::map<Service, std::string> addresses_;
  std::string timeout_text_ = "10s";
  absl::Duration timeout_ = absl::Seconds(10);
  bool json_ = false;
  std::string lang_text_;
  Lang lang_ = Lang::kZh;
  bool progress_ = false;
  std::string tz_text_;
  absl::TimeZone tz_;
  struct Channels;
  std::unique_ptr<Channels> channels_;
};

}  // namespace lianfang::lfctl

#endif  // LIANFANG_TOOLS_LFCTL_SESSION_H_
