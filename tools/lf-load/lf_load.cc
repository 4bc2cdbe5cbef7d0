// lf-load's flags, rounds and report (lf_load.h).
#include "tools/lf-load/lf_load.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "common/auth/jwt.h"
#include "common/auth/secret_file.h"
#include "common/sites/site_directory.h"
#include "common/time/clock.h"
#include "tools/lf-load/driver.h"
#include "tools/lf-load/echo.h"
#include "tools/lf-load/workloads.h"

namespace lianfang::load {
namespace {

constexpr char kUsage[] =
    R"(usage: lf-load [flags]            drive the services and the echo baseline
       lf-load echo-server [--listen HOST:PORT]   serve the echo baseline only

Workload (each round runs the echo baseline, then each workload, with the same settings):
  --workload LIST        comma-separated: passage (RecordPassage), dashboard (GetDashboard),
                         health (SubmitHealthReport), claim (ClaimTask), report
                         (GenerateDailyReport)                         [passage]
  --concurrency N        calls in flight (closed loop); the in-flight cap with --rate  [64]
  --rate R               open loop: R call starts per second (0 = closed loop)          [0]
  --duration D           measured time per workload and round                           [10s]
  --warmup D             calls made before measuring                                    [1s]
  --threads N            client threads, each with its own CompletionQueue and channel  [2]
  --rounds N             rounds (the summary gives the median ratio)                    [1]
  --max-calls N          stop each run after N calls (0 = none)                         [0]
  --deadline D           deadline of each call                                          [10s]
  --echo MODE            child (an echo server child process), none, or HOST:PORT of a
                         running `lf-load echo-server`                                  [child]
  --json                 print the results as JSON on stdout (progress stays on stderr)

Data:
  --people N             distinct people passing the gates                              [10000]
  --passes N             of them, people given a pass for their home site first      [5000]
  --fever-percent P      share of readings at fever level                               [1]
  --vehicle-percent P    share of passages with a vehicle plate                         [5]
  --residents N          residents registered for the health workload (<= 1000)         [200]
  --tasks N              open tasks created for the claim workload                      [2000]
  --date YYYY-MM-DD      the day of health reports and daily reports                    [today]

Services and tokens (flags win over the environment):
  --gate, --survey, --dispatch, --report, --gateway HOST:PORT
                         LF_GATE_ADDR, LF_SURVEY_ADDR, LF_DISPATCH_ADDR, LF_REPORT_ADDR,
                         LF_GATEWAY_ADDR; defaults 127.0.0.1:7101, :7102, :7103, :7104, :7100;
                         HOST:PORT,HOST:PORT... spreads the channels (one per thread) over
                         replicas in turn: give --threads a multiple of their number
  --sites FILE           LF_SITES                              [deploy/sites.textproto]
  --tz ZONE              LF_TZ, the deployment's time zone     [Asia/Shanghai]
  --token JWT            LF_TOKEN: one token for every call
  --jwt-secret-file F    LF_JWT_SECRET_FILE: mint a token of the right role per workload
                         (needed by claim)
)";

struct Flags {
  std::vector<std::string> workloads = {"passage"};
  DriverOptions driver;
  int rounds = 1;
  std::string echo = "child";
  bool json = false;
  WorkloadContext context;
  std::string sites_file = "deploy/sites.textproto";
  std::string tz = "Asia/Shanghai";
  std::string token;
  std::string jwt_secret_file;
};

absl::Status BadFlag(absl::string_view flag, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(flag, ": ", why));
}

absl::Status ParseFlags(const std::vector<std::string>& args,
                        const std::function<const char*(const char*)>& getenv, Flags& f) {
  auto env = [&](const char* name, std::string& into) {
    if (const char* v = getenv(name); v != nullptr && *v != '\0') into = v;
  };
  env("LF_GATE_ADDR", f.context.targets.gate);
  env("LF_SURVEY_ADDR", f.context.targets.survey);
  env("LF_DISPATCH_ADDR", f.context.targets.dispatch);
  env("LF_REPORT_ADDR", f.context.targets.report);
  env("LF_GATEWAY_ADDR", f.context.targets.gateway);
  env("LF_SITES", f.sites_file);
  env("LF_TZ", f.tz);
  env("LF_TOKEN", f.token);
  env("LF_JWT_SECRET_FILE", f.jwt_secret_file);

  for (size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    std::optional<std::string> value;
    if (!absl::StartsWith(name, "--")) return BadFlag(name, "unexpected argument");
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (name == "--json") {
      f.json = true;
      continue;
    }
    if (name == "--help") return absl::CancelledError("help");
    if (!value.has_value()) {
      if (i + 1 >= args.size()) return BadFlag(name, "needs a value");
      value = args[++i];
    }
    const std::string& v = *value;
    auto integer = [&](auto& into, int64_t min) -> absl::Status {
      int64_t n = 0;
      if (!absl::SimpleAtoi(v, &n) || n < min) {
        return BadFlag(name, absl::StrCat("want an integer >= ", min));
      }
      into = static_cast<std::remove_reference_t<decltype(into)>>(n);
      return absl::OkStatus();
    };
    auto real = [&](double& into) -> absl::Status {
      if (!absl::SimpleAtod(v, &into) || !(into >= 0)) return BadFlag(name, "want a number >= 0");
      return absl::OkStatus();
    };
    auto duration = [&](absl::Duration& into, bool allow_zero) -> absl::Status {
      if (!absl::ParseDuration(v, &into) || into < absl::ZeroDuration() ||
          (!allow_zero && into == absl::ZeroDuration())) {
        return BadFlag(name, "want a duration such as 10s or 500ms");
      }
      return absl::OkStatus();
    };
    absl::Status s;
    if (name == "--workload") {
      f.workloads = absl::StrSplit(v, ',', absl::SkipEmpty());
      if (f.workloads.empty()) s = BadFlag(name, "name at least one workload");
    } else if (name == "--concurrency") {
      s = integer(f.driver.concurrency, 1);
    } else if (name == "--rate") {
      s = real(f.driver.rate);
    } else if (name == "--duration") {
      s = duration(f.driver.duration, false);
    } else if (name == "--warmup") {
      s = duration(f.driver.warmup, true);
    } else if (name == "--threads") {
      s = integer(f.driver.threads, 1);
      if (s.ok() && f.driver.threads > 64) s = BadFlag(name, "at most 64");
    } else if (name == "--rounds") {
      s = integer(f.rounds, 1);
    } else if (name == "--max-calls") {
      s = integer(f.driver.max_calls, 0);
    } else if (name == "--deadline") {
      s = duration(f.driver.deadline, false);
    } else if (name == "--echo") {
      f.echo = v;
    } else if (name == "--people") {
      s = integer(f.context.people, 1);
    } else if (name == "--passes") {
      s = integer(f.context.passes, 0);
    } else if (name == "--fever-percent") {
      s = real(f.context.fever_percent);
    } else if (name == "--vehicle-percent") {
      s = real(f.context.vehicle_percent);
    } else if (name == "--residents") {
      s = integer(f.context.residents, 1);
      if (s.ok() && f.context.residents > 1000) s = BadFlag(name, "at most 1000");
    } else if (name == "--tasks") {
      s = integer(f.context.tasks, 1);
    } else if (name == "--gate") {
      f.context.targets.gate = v;
    } else if (name == "--survey") {
      f.context.targets.survey = v;
    } else if (name == "--dispatch") {
      f.context.targets.dispatch = v;
    } else if (name == "--report") {
      f.context.targets.report = v;
    } else if (name == "--gateway") {
      f.context.targets.gateway = v;
    } else if (name == "--sites") {
      f.sites_file = v;
    } else if (name == "--date") {
      f.context.date = v;
      if (!time::ParseDate(v).ok()) s = BadFlag(name, "want a date YYYY-MM-DD");
    } else if (name == "--tz") {
      f.tz = v;
    } else if (name == "--token") {
      f.token = v;
    } else if (name == "--jwt-secret-file") {
      f.jwt_secret_file = v;
    } else {
      s = BadFlag(name, "unknown flag (see --help)");
    }
    if (!s.ok()) return s;
  }
  for (const auto& [flag, address] :
       {std::pair{"--gate", &f.context.targets.gate}, {"--survey", &f.context.targets.survey},
        {"--dispatch", &f.context.targets.dispatch}, {"--report", &f.context.targets.report},
        {"--gateway", &f.context.targets.gateway}}) {
    const std::vector<std::string> listed = absl::StrSplit(*address, ',', absl::SkipEmpty());
    if (listed.empty()) return BadFlag(flag, "want HOST:PORT (or several, comma-separated)");
  }
  f.context.channels = f.driver.threads;
  return absl::OkStatus();
}

// One workload's figures in one round.
struct Figures {
  std::string name;
  RunResult run;
  LatencySummary latency;
  std::map<std::string, int64_t> counters;
};

struct Ratio {
  double throughput = 0, p50 = 0, p99 = 0;
};

Ratio RatioOf(const Figures& w, const Figures& echo) {
  auto div = [](double a, double b) { return b > 0 ? a / b : 0.0; };
  return Ratio{div(w.run.throughput(), echo.run.throughput()), div(w.latency.p50, echo.latency.p50),
               div(w.latency.p99, echo.latency.p99)};
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string ErrorList(const RunResult& r) {
  std::string s;
  for (size_t c = 1; c < r.errors_by_code.size(); ++c) {
    if (r.errors_by_code[c] == 0) continue;
    absl::StrAppend(&s, s.empty() ? "" : " ", StatusCodeName(static_cast<int>(c)), "=",
                    r.errors_by_code[c]);
  }
  return s;
}

std::string FiguresJson(const Figures& f) {
  std::string errors;
  for (size_t c = 1; c < f.run.errors_by_code.size(); ++c) {
    if (f.run.errors_by_code[c] == 0) continue;
    absl::StrAppend(&errors, errors.empty() ? "" : ",", "\"", StatusCodeName(static_cast<int>(c)),
                    "\":", f.run.errors_by_code[c]);
  }
  std::string counters;
  for (const auto& [k, v] : f.counters) {
    absl::StrAppend(&counters, counters.empty() ? "" : ",", "\"", k, "\":", v);
  }
  return absl::StrFormat(
      "{\"method\":\"%s\",\"calls\":%d,\"ok\":%d,\"errors\":%d,\"errors_by_code\":{%s},"
      "\"skipped\":%d,\"seconds\":%.3f,\"throughput\":%.1f,\"latency_ms\":{\"p50\":%.3f,"
      "\"p90\":%.3f,\"p99\":%.3f,\"p99_9\":%.3f,\"max\":%.3f,\"mean\":%.3f},\"counters\":{%s}}",
      f.name, f.run.calls(), f.run.ok, f.run.errors(), errors, f.run.skipped, f.run.seconds,
      f.run.throughput(), f.latency.p50, f.latency.p90, f.latency.p99, f.latency.p999,
      f.latency.max, f.latency.mean, counters);
}

void PrintRow(std::ostream& out, const Figures& f) {
  out << absl::StrFormat("  %-20s %9d %9d %11.1f %8.2f %8.2f %8.2f %8.2f %8.2f", f.name,
                         f.run.calls(), f.run.errors(), f.run.throughput(), f.latency.p50,
                         f.latency.p90, f.latency.p99, f.latency.p999, f.latency.max)
      << "\n";
}

Figures Measure(Workload& w, const DriverOptions& base, const std::string& label) {
  DriverOptions o = base;
  o.progress_label = label;
  Figures f;
  f.name = w.name();
  f.run = Drive(o, [&](int thread) { return w.NextCall(thread); });
  f.latency = Summarize(f.run.latencies_us);
  f.run.latencies_us.clear();
  f.run.latencies_us.shrink_to_fit();
  f.counters = w.Counters();
  return f;
}

}  // namespace

int RunLoad(const std::vector<std::string>& args,
            const std::function<const char*(const char*)>& getenv, const std::string& self_binary,
            std::ostream& out, std::ostream& err) {
  Flags f;
  if (absl::Status s = ParseFlags(args, getenv, f); !s.ok()) {
    if (absl::IsCancelled(s)) {
      out << kUsage;
      return 0;
    }
    err << "lf-load: " << s.message() << "\n";
    return 2;
  }
  absl::StatusOr<sites::SiteDirectory> sites = sites::SiteDirectory::LoadFile(f.sites_file);
  if (!sites.ok()) {
    err << "lf-load: --sites: " << sites.status().message() << "\n";
    return 2;
  }
  absl::StatusOr<absl::TimeZone> tz = time::LoadTimeZone(f.tz);
  if (!tz.ok()) {
    err << "lf-load: --tz: " << tz.status().message() << "\n";
    return 2;
  }
  std::optional<auth::TokenSigner> signer;
  if (!f.jwt_secret_file.empty()) {
    absl::StatusOr<std::string> key = auth::ReadSecretFile(f.jwt_secret_file);
    if (!key.ok()) {
      err << "lf-load: --jwt-secret-file: " << key.status().message() << "\n";
      return 2;
    }
    signer.emplace(*key);
  }
  const Credentials credentials(f.token, signer);
  f.context.credentials = &credentials;
  f.context.sites = &*sites;
  f.context.tz = *tz;
  f.context.run_id = absl::StrFormat("%08x", std::random_device{}());

  std::vector<std::unique_ptr<Workload>> workloads;
  for (const std::string& name : f.workloads) {
    absl::StatusOr<std::unique_ptr<Workload>> w = MakeWorkload(name, f.context);
    if (!w.ok()) {
      err << "lf-load: " << w.status().message() << "\n";
      return 2;
    }
    if (absl::Status s = (*w)->Setup(); !s.ok()) {
      err << "lf-load: setting up " << (*w)->name() << " failed: " << s.ToString() << "\n";
      return 2;
    }
    // One probe call: checks address and token before measuring, and gives the response size
    // the echo answers with.
    DriverOptions probe{.threads = 1,
                        .concurrency = 1,
                        .duration = absl::Seconds(30),
                        .warmup = absl::ZeroDuration(),
                        .max_calls = 1,
                        .deadline = f.driver.deadline,
                        .progress_label = ""};
    RunResult r = Drive(probe, [&](int thread) { return (*w)->NextCall(thread); });
    if (r.ok != 1) {
      err << "lf-load: the first " << (*w)->name() << " call failed (" << ErrorList(r)
          << "); check the address, the token and that the service runs\n";
      return 2;
    }
    workloads.push_back(*std::move(w));
  }

  std::unique_ptr<EchoChild> echo_child;
  std::string echo_address;
  if (f.echo == "child") {
    absl::StatusOr<std::unique_ptr<EchoChild>> child = EchoChild::Start(self_binary);
    if (!child.ok()) {
      err << "lf-load: " << child.status().message() << "\n";
      return 2;
    }
    echo_child = *std::move(child);
    echo_address = echo_child->address();
  } else if (f.echo != "none") {
    echo_address = f.echo;
  }

  // rounds x (echo per workload + workload): the echo is sized like each workload's messages.
  std::vector<std::vector<std::pair<std::optional<Figures>, Figures>>> rounds;
  bool any_error = false;
  for (int round = 0; round < f.rounds; ++round) {
    auto& this_round = rounds.emplace_back();
    for (auto& w : workloads) {
      std::optional<Figures> echo;
      if (!echo_address.empty()) {
        std::unique_ptr<Workload> e = MakeEchoWorkload(
            echo_address, f.driver.threads, std::max<size_t>(w->RequestBytes(), 16),
            w->ResponseBytes(), f.token.empty() ? std::string(200, 'x') : f.token);
        echo = Measure(*e, f.driver, absl::StrCat("echo/", w->name()));
        if (echo->run.errors() > 0) any_error = true;
      }
      Figures wf = Measure(*w, f.driver, w->name());
      if (wf.run.errors() > 0) any_error = true;
      this_round.emplace_back(std::move(echo), std::move(wf));
    }
  }

  const std::string mode =
      f.driver.rate > 0 ? absl::StrFormat("open loop at %.0f calls/s (at most %d in flight)",
                                          f.driver.rate, f.driver.concurrency)
                        : absl::StrFormat("closed loop, %d calls in flight", f.driver.concurrency);
  if (f.json) {
    std::string js = absl::StrFormat(
        "{\"settings\":{\"mode\":\"%s\",\"concurrency\":%d,\"rate\":%.1f,\"threads\":%d,"
        "\"duration_s\":%.3f,\"warmup_s\":%.3f,\"rounds\":%d,\"echo\":\"%s\"},\"rounds\":[",
        f.driver.rate > 0 ? "open" : "closed", f.driver.concurrency, f.driver.rate,
        f.driver.threads, absl::ToDoubleSeconds(f.driver.duration),
        absl::ToDoubleSeconds(f.driver.warmup), f.rounds, f.echo);
    for (size_t r = 0; r < rounds.size(); ++r) {
      absl::StrAppend(&js, r ? "," : "", "[");
      for (size_t i = 0; i < rounds[r].size(); ++i) {
        const auto& [echo, w] = rounds[r][i];
        absl::StrAppend(&js, i ? "," : "", "{\"workload\":", FiguresJson(w));
        if (echo.has_value()) {
          const Ratio ratio = RatioOf(w, *echo);
          absl::StrAppend(&js, ",\"echo\":", FiguresJson(*echo),
                          absl::StrFormat(",\"ratio\":{\"throughput\":%.4f,\"p50\":%.3f,"
                                          "\"p99\":%.3f}",
                                          ratio.throughput, ratio.p50, ratio.p99));
        }
        absl::StrAppend(&js, "}");
      }
      absl::StrAppend(&js, "]");
    }
    absl::StrAppend(&js, "],\"median\":[");
    for (size_t i = 0; i < workloads.size(); ++i) {
      std::vector<double> tput, ratio, p99;
      for (const auto& round : rounds) {
        tput.push_back(round[i].second.run.throughput());
        p99.push_back(round[i].second.latency.p99);
        if (round[i].first.has_value())
          ratio.push_back(RatioOf(round[i].second, *round[i].first).throughput);
      }
      absl::StrAppend(
          &js, i ? "," : "",
          absl::StrFormat("{\"method\":\"%s\",\"throughput\":%.1f,\"p99_ms\":%.3f,"
                          "\"throughput_ratio\":%.4f}",
                          workloads[i]->name(), Median(tput), Median(p99), Median(ratio)));
    }
    absl::StrAppend(&js, "]}");
    out << js << "\n";
    return any_error ? 1 : 0;
  }

  out << "lf-load: " << mode << ", " << f.driver.threads << " client threads, "
      << absl::FormatDuration(f.driver.duration) << " measured after "
      << absl::FormatDuration(f.driver.warmup) << " warm-up\n";
  for (size_t r = 0; r < rounds.size(); ++r) {
    out << absl::StrFormat("round %d of %d\n", r + 1, rounds.size());
    out << absl::StrFormat("  %-20s %9s %9s %11s %8s %8s %8s %8s %8s\n", "method", "calls",
                           "errors", "calls/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms");
    for (const auto& [echo, w] : rounds[r]) {
      if (echo.has_value()) PrintRow(out, *echo);
      PrintRow(out, w);
      if (echo.has_value()) {
        const Ratio ratio = RatioOf(w, *echo);
        out << absl::StrFormat("  %-20s throughput %.3f of echo; p50 %.1fx, p99 %.1fx echo's\n",
                               absl::StrCat(w.name, "/echo"), ratio.throughput, ratio.p50,
                               ratio.p99);
      }
      for (const Figures* fig : {echo.has_value() ? &*echo : nullptr, &w}) {
        if (fig == nullptr) continue;
        if (fig->run.errors() > 0)
          out << "  errors of " << fig->name << ": " << ErrorList(fig->run) << "\n";
        if (fig->run.skipped > 0)
          out << "  " << fig->name << ": " << fig->run.skipped
              << " starts skipped at the in-flight cap\n";
      }
      if (!w.counters.empty()) {
        out << "  " << w.name << " so far:";
        for (const auto& [k, v] : w.counters) out << " " << k << "=" << v;
        out << "\n";
      }
    }
  }
  if (rounds.size() > 1) {
    out << "median over " << rounds.size() << " rounds\n";
    for (size_t i = 0; i < workloads.size(); ++i) {
      std::vector<double> tput, ratio, p99;
      for (const auto& round : rounds) {
        tput.push_back(round[i].second.run.throughput());
        p99.push_back(round[i].second.latency.p99);
        if (round[i].first.has_value())
          ratio.push_back(RatioOf(round[i].second, *round[i].first).throughput);
      }
      out << absl::StrFormat("  %-20s %.1f calls/s, p99 %.2f ms, throughput %.3f of echo\n",
                             workloads[i]->name(), Median(tput), Median(p99), Median(ratio));
    }
  }
  return any_error ? 1 : 0;
}

}  // namespace lianfang::load
