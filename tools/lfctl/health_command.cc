#include "tools/lfctl/health_command.h"

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/logging/logging.h"
#include "common/server/client.h"
#include "tools/lfctl/flags.h"
#include "tools/lfctl/session.h"

namespace lianfang::lfctl {
namespace {

constexpr char kCommand[] = "lfctl health";
constexpr char kSummary[] =
    "check that the services (all, or the ones named) are SERVING (exit 0 only then)";

struct Target {
  Service service;
  std::string address;
  bool asked = false;
};

// What one check found, and the exit code it alone would give.
struct Outcome {
  std::string state;  // SERVING, NOT_SERVING, SERVICE_UNKNOWN, DOWN (UNAVAILABLE), ...
  int exit_code = kExitOk;
};

Outcome OutcomeOf(const absl::StatusOr<server::ServingStatus>& status) {
  if (!status.ok()) {
    switch (status.status().code()) {
      case absl::StatusCode::kNotFound:       // the health service does not know this API
      case absl::StatusCode::kUnimplemented:  // no health service: not a Lianfang service
        return {"SERVICE_UNKNOWN", kExitFailure};
      default:
        return {absl::StrCat("DOWN (", absl::StatusCodeToString(status.status().code()), ")"),
                kExitUnavailable};
    }
  }
  switch (*status) {
    case server::ServingStatus::kServing:
      return {"SERVING", kExitOk};
    case server::ServingStatus::kNotServing:
      return {"NOT_SERVING", kExitUnavailable};
    case server::ServingStatus::kServiceUnknown:
      return {"SERVICE_UNKNOWN", kExitFailure};
    case server::ServingStatus::kUnknown:
      break;
  }
  return {"UNKNOWN", kExitUnavailable};
}

int Run(const std::vector<std::string>& args, const CommandIo& io) {
  std::vector<Target> targets;
  for (Service service : kAllServices) targets.push_back({service, "", false});
  std::string timeout_text = "2s";
  bool json = false;
  std::vector<std::string> names;
  FlagSet flags(kCommand);
  flags.AllowPositional(
      "[gateway|gate|survey|dispatch|report|accounts|supplies ...] (default: all seven)", &names);
  for (Target& t : targets) {
    flags.AddString(absl::StrCat(ServiceName(t.service), "-addr"), "HOST:PORT",
                    absl::StrCat("the ", ServiceName(t.service),
                                 " service (default: ", AddressVariable(t.service), " or ",
                                 DefaultAddress(t.service), ")"),
                    &t.address);
  }
  flags.AddString("timeout", "DURATION", "how long to wait for each service (default 2s)",
                  &timeout_text);
  flags.AddBool("json", "print JSON only", &json);
  absl::StatusOr<bool> help = flags.Parse(args);
  if (!help.ok()) {
    io.err << kCommand << ": " << help.status().message() << "\n";
    return kExitUsage;
  }
  if (*help) {
    io.out << flags.Usage(absl::StrCat(kCommand, " - ", kSummary));
    return kExitOk;
  }
  absl::Duration timeout;
  if (!absl::ParseDuration(timeout_text, &timeout) || timeout <= absl::ZeroDuration()) {
    io.err << kCommand << ": --timeout: not a positive duration, e.g. 2s\n";
    return kExitUsage;
  }
  // No name: every service. Names: those only, in the usual order, each once.
  for (const std::string& name : names) {
    bool known = false;
    for (Target& t : targets) {
      if (ServiceName(t.service) == name) t.asked = known = true;
    }
    if (!known) {
      std::vector<std::string> all;
      for (const Target& t : targets) all.emplace_back(ServiceName(t.service));
      io.err << kCommand << ": unknown service \"" << name.substr(0, 40) << "\": expected one of "
             << absl::StrJoin(all, ", ") << "\n";
      return kExitUsage;
    }
  }
  if (names.empty()) {
    for (Target& t : targets) t.asked = true;
  }

  int exit_code = kExitOk;
  std::vector<std::string> json_items;
  for (Target& t : targets) {
    if (!t.asked) continue;
    if (t.address.empty()) {
      t.address =
          io.getenv(AddressVariable(t.service)).value_or(std::string(DefaultAddress(t.service)));
    }
    const absl::Time start = absl::Now();
    absl::StatusOr<server::ServingStatus> status = server::CheckHealth(
        server::MakeChannel(t.address, nullptr), ApiServiceName(t.service), timeout);
    const double ms = absl::ToDoubleMilliseconds(absl::Now() - start);
    const Outcome outcome = OutcomeOf(status);
    // A wrong address (1) says more than a service that is down (5): it will not heal.
    if (outcome.exit_code == kExitFailure ||
        (outcome.exit_code != kExitOk && exit_code == kExitOk)) {
      exit_code = outcome.exit_code;
    }
    if (json) {
      json_items.push_back(absl::StrFormat(
          "{\"service\":\"%s\",\"address\":\"%s\",\"status\":\"%s\",\"latency_ms\":%.1f}",
          logging::JsonEscape(ServiceName(t.service)), logging::JsonEscape(t.address),
          logging::JsonEscape(outcome.state), ms));
    } else {
      io.out << absl::StrFormat("%-9s %-22s %-20s %6.1f ms\n", ServiceName(t.service), t.address,
                                outcome.state, ms);
    }
  }
  if (json) io.out << "[" << absl::StrJoin(json_items, ",") << "]\n";
  return exit_code;
}

}  // namespace

Command HealthCommand() { return Command{.name = "health", .summary = kSummary, .run = Run}; }

}  // namespace lianfang::lfctl
