#include "tools/lfctl/health_command.h"

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/server/client.h"
#include "tools/lfctl/flags.h"
#include "tools/lfctl/session.h"

namespace lianfang::lfctl {
namespace {

constexpr char kCommand[] = "lfctl health";
constexpr char kSummary[] = "check that every service is SERVING (exit 0 only then)";

struct Target {
  Service service;
  std::string address;
};

absl::string_view StatusName(server::ServingStatus status) {
  switch (status) {
    case server::ServingStatus::kServing:
      return "SERVING";
    case server::ServingStatus::kNotServing:
      return "NOT_SERVING";
    case server::ServingStatus::kServiceUnknown:
      return "SERVICE_UNKNOWN";
    case server::ServingStatus::kUnknown:
      break;
  }
  return "UNKNOWN";
}

std::string JsonString(absl::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (static_cast<unsigned char>(c) >= 0x20) out.push_back(c);
  }
  return out + "\"";
}

int Run(const std::vector<std::string>& args, const CommandIo& io) {
  std::vector<Target> targets;
  for (Service service : kAllServices) targets.push_back({service, ""});
  std::string timeout_text = "2s";
  bool json = false;
  FlagSet flags(kCommand);
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

  bool all_serving = true;
  std::vector<std::string> json_items;
  for (Target& t : targets) {
    if (t.address.empty()) {
      t.address =
          io.getenv(AddressVariable(t.service)).value_or(std::string(DefaultAddress(t.service)));
    }
    const absl::Time start = absl::Now();
    absl::StatusOr<server::ServingStatus> status =
        server::CheckHealth(server::MakeChannel(t.address, nullptr), "", timeout);
    const double ms = absl::ToDoubleMilliseconds(absl::Now() - start);
    const bool serving = status.ok() && *status == server::ServingStatus::kServing;
    all_serving = all_serving && serving;
    const std::string state =
        status.ok() ? std::string(StatusName(*status))
                    : absl::StrCat("DOWN (", absl::StatusCodeToString(status.status().code()), ")");
    if (json) {
      json_items.push_back(absl::StrFormat(
          "{\"service\":%s,\"address\":%s,\"status\":%s,\"latency_ms\":%.1f}",
          JsonString(ServiceName(t.service)), JsonString(t.address), JsonString(state), ms));
    } else {
      io.out << absl::StrFormat("%-9s %-22s %-20s %6.1f ms\n", ServiceName(t.service), t.address,
                                state, ms);
    }
  }
  if (json) io.out << "[" << absl::StrJoin(json_items, ",") << "]\n";
  return all_serving ? kExitOk : kExitFailure;
}

}  // namespace

Command HealthCommand() { return Command{.name = "health", .summary = kSummary, .run = Run}; }

}  // namespace lianfang::lfctl
