#include "common/config/flags.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/redis/endpoint.h"
#include "common/time/clock.h"

namespace lianfang::config {
namespace {

constexpr char kHelpPayloadUrl[] = "type.lianfang.dev/lianfang.config.HelpRequested";

bool IsHostNameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

bool IsIpv6Char(char c) {
  return absl::ascii_isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
}

// Parses a port 1..65535 written as plain decimal digits.
absl::StatusOr<int> ParsePort(absl::string_view text) {
  int port = 0;
  if (text.empty() || text.size() > 5 ||
      !std::all_of(text.begin(), text.end(),
                   [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); }) ||
      !absl::SimpleAtoi(text, &port) || port < 1 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("port \"", text, "\" is not 1..65535"));
  }
  return port;
}

// Splits "host:port" / "[v6]:port" / "host" (when the port is optional) into its parts.
absl::StatusOr<HostPort> ParseHostPort(absl::string_view text, bool port_optional, int default_port,
                                       absl::string_view expected) {
  const auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\": ", why, "; expected ", expected));
  };
  HostPort out;
  absl::string_view rest;
  if (absl::StartsWith(text, "[")) {
    const size_t close = text.find(']');
    if (close == absl::string_view::npos) return bad("missing ']'");
    const absl::string_view host = text.substr(1, close - 1);
    if (host.empty() || host.find(':') == absl::string_view::npos ||
        !std::all_of(host.begin(), host.end(), IsIpv6Char)) {
      return bad("bad IPv6 address");
    }
    out.host = std::string(host);
    rest = text.substr(close + 1);
  } else {
    const size_t colon = text.find(':');
    const absl::string_view host = text.substr(0, colon);
    if (colon != absl::string_view::npos && text.find(':', colon + 1) != absl::string_view::npos) {
      return bad("put IPv6 addresses in brackets");
    }
    if (host.empty()) return bad("missing host");
    if (!std::all_of(host.begin(), host.end(), IsHostNameChar) || host.front() == '-' ||
        host.front() == '.') {
      return bad("bad host name");
    }
    out.host = std::string(host);
    rest = colon == absl::string_view::npos ? absl::string_view() : text.substr(colon);
  }
  if (rest.empty()) {
    if (!port_optional) return bad("missing port");
    out.port = default_port;
    return out;
  }
  if (rest.front() != ':') return bad("unexpected text after the host");
  absl::StatusOr<int> port = ParsePort(rest.substr(1));
  if (!port.ok()) return bad(port.status().message());
  out.port = *port;
  return out;
}

absl::Status WithLabel(const FlagSpec& spec, const absl::Status& status) {
  return absl::InvalidArgumentError(absl::StrCat(SettingLabel(spec), ": ", status.message()));
}

absl::StatusOr<bool> ParseBool(absl::string_view text) {
  const std::string v = absl::AsciiStrToLower(text);
  if (v == "true" || v == "1" || v == "yes" || v == "on") return true;
  if (v == "false" || v == "0" || v == "no" || v == "off") return false;
  return absl::InvalidArgumentError(
      absl::StrCat("\"", text, "\" is not a boolean: expected true or false"));
}

}  // namespace

Environment::Environment(Lookup lookup) : lookup_(std::move(lookup)) {}

Environment Environment::Process() {
  return Environment([](absl::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  });
}

Environment Environment::FromMap(absl::flat_hash_map<std::string, std::string> vars) {
  return Environment(
      [vars = std::move(vars)](absl::string_view name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end()) return std::nullopt;
        return it->second;
      });
}

std::optional<std::string> Environment::Get(absl::string_view name) const {
  if (!lookup_) return std::nullopt;
  return lookup_(name);
}

absl::Status HelpRequestedStatus(std::string usage) {
  absl::Status status(absl::StatusCode::kCancelled, "help requested");
  status.SetPayload(kHelpPayloadUrl, absl::Cord(std::move(usage)));
  return status;
}

std::optional<HelpRequested> AsHelpRequested(const absl::Status& status) {
  if (status.code() != absl::StatusCode::kCancelled) return std::nullopt;
  absl::optional<absl::Cord> usage = status.GetPayload(kHelpPayloadUrl);
  if (!usage.has_value()) return std::nullopt;
  return HelpRequested{std::string(*usage)};
}

absl::StatusOr<HostPort> ParseAddress(absl::string_view text) {
  return ParseHostPort(text, /*port_optional=*/false, 0, "host:port or [ipv6]:port");
}

absl::StatusOr<DatabaseUrl> ParseDatabaseUrl(absl::string_view text) {
  constexpr char kExpected[] = "expected sqlite:PATH or postgresql://…";
  if (text.find_first_of(" \t\r\n") != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("database URL contains white space: ", kExpected));
  }
  DatabaseUrl out;
  if (absl::StartsWith(text, "sqlite:")) {
    absl::string_view path = text.substr(strlen("sqlite:"));
    // sqlite:///abs/path and sqlite://rel are common spellings; take them as the path.
    if (absl::StartsWith(path, "//")) path.remove_prefix(2);
    if (path.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("sqlite URL without a path: ", kExpected));
    }
    out.backend = DatabaseUrl::Backend::kSqlite;
    out.target = std::string(path);
    return out;
  }
  if (absl::StartsWith(text, "postgresql://") || absl::StartsWith(text, "postgres://")) {
    out.backend = DatabaseUrl::Backend::kPostgres;
    out.target = std::string(text);
    return out;
  }
  // Never echo the URL itself: a PostgreSQL URL may carry a password.
  const size_t colon = text.find(':');
  const absl::string_view scheme =
      colon == absl::string_view::npos ? absl::string_view() : text.substr(0, colon);
  if (scheme.empty() || scheme.size() > 20) {
    return absl::InvalidArgumentError(absl::StrCat("not a database URL: ", kExpected));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unsupported database scheme \"", scheme, "\": ", kExpected));
}

absl::Status CheckReadableFile(absl::string_view path, bool non_empty) {
  if (path.empty()) return absl::InvalidArgumentError("empty file name");
  const std::string p(path);
  const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    switch (err) {
      case ENOENT:
        return absl::InvalidArgumentError(absl::StrCat(path, ": no such file"));
      case EACCES:
        return absl::InvalidArgumentError(absl::StrCat(path, ": permission denied"));
      case ENOTDIR:
        return absl::InvalidArgumentError(
            absl::StrCat(path, ": a directory in the path is a file"));
      default:
        return absl::InvalidArgumentError(absl::StrCat(path, ": ", std::strerror(err)));
    }
  }
  struct stat st;
  const int rc = ::fstat(fd, &st);
  const int err = errno;
  // Reading one byte proves the file is readable (open of a directory succeeds, read fails).
  char byte;
  const ssize_t n = S_ISREG(st.st_mode) ? ::read(fd, &byte, 1) : 0;
  ::close(fd);
  if (rc != 0) return absl::InvalidArgumentError(absl::StrCat(path, ": ", std::strerror(err)));
  if (S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": is a directory, not a file"));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a regular file"));
  }
  if (n < 0) return absl::InvalidArgumentError(absl::StrCat(path, ": cannot be read"));
  if (non_empty && n == 0) return absl::InvalidArgumentError(absl::StrCat(path, ": file is empty"));
  return absl::OkStatus();
}

std::string SettingLabel(const FlagSpec& spec) {
  if (spec.env.empty()) return absl::StrCat("--", spec.name);
  return absl::StrCat(spec.env, " (--", spec.name, ")");
}

FlagSet::FlagSet(std::string program, std::string summary)
    : program_(std::move(program)), summary_(std::move(summary)) {}

void FlagSet::Add(FlagSpec spec, bool is_bool,
                  std::function<absl::Status(absl::string_view)> apply) {
  for (const Setting& s : settings_) {
    if (s.spec.name == spec.name || (!spec.env.empty() && s.spec.env == spec.env)) {
      std::fprintf(stderr, "FlagSet %s: setting --%s declared twice\n", program_.c_str(),
                   spec.name.c_str());
      std::abort();
    }
  }
  settings_.push_back(Setting{std::move(spec), is_bool, std::move(apply)});
}

void FlagSet::AddString(FlagSpec spec, std::string* out, Validator validate) {
  Add(std::move(spec), false, [out, validate](absl::string_view v) -> absl::Status {
    if (validate) {
      if (absl::Status s = validate(v); !s.ok()) return s;
    }
    *out = std::string(v);
    return absl::OkStatus();
  });
}

void FlagSet::AddAddress(FlagSpec spec, std::string* out) {
  AddString(std::move(spec), out, [](absl::string_view v) { return ParseAddress(v).status(); });
}

void FlagSet::AddDatabaseUrl(FlagSpec spec, std::string* out) {
  AddString(std::move(spec), out, [](absl::string_view v) { return ParseDatabaseUrl(v).status(); });
}

void FlagSet::AddRedisUrl(FlagSpec spec, std::string* out) {
  AddString(std::move(spec), out, [](absl::string_view v) { return redis::ParseUrl(v).status(); });
}

void FlagSet::AddReadableFile(FlagSpec spec, std::string* out, bool non_empty) {
  AddString(std::move(spec), out,
            [non_empty](absl::string_view v) { return CheckReadableFile(v, non_empty); });
}

void FlagSet::AddTimeZone(FlagSpec spec, absl::TimeZone* out, std::string* name_out) {
  Add(std::move(spec), false, [out, name_out](absl::string_view v) -> absl::Status {
    absl::StatusOr<absl::TimeZone> tz = time::LoadTimeZone(v);
    if (!tz.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown time zone \"", v, "\": expected an IANA name like Asia/Shanghai"));
    }
    *out = *tz;
    if (name_out != nullptr) *name_out = std::string(v);
    return absl::OkStatus();
  });
}

void FlagSet::AddDuration(FlagSpec spec, absl::Duration* out, absl::Duration min,
                          absl::Duration max) {
  Add(std::move(spec), false, [out, min, max](absl::string_view v) -> absl::Status {
    absl::Duration d;
    if (!absl::ParseDuration(std::string(v), &d)) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", v, "\" is not a duration: expected e.g. 30s, 5m, 1h30m"));
    }
    if (d < min || d > max) {
      return absl::InvalidArgumentError(absl::StrCat("duration ", v, " is outside ",
                                                     absl::FormatDuration(min), "..",
                                                     absl::FormatDuration(max)));
    }
    *out = d;
    return absl::OkStatus();
  });
}

void FlagSet::AddInt(FlagSpec spec, int64_t* out, int64_t min, int64_t max) {
  Add(std::move(spec), false, [out, min, max](absl::string_view v) -> absl::Status {
    int64_t n = 0;
    if (!absl::SimpleAtoi(v, &n)) {
      return absl::InvalidArgumentError(absl::StrCat("\"", v, "\" is not a whole number"));
    }
    if (n < min || n > max) {
      return absl::InvalidArgumentError(absl::StrCat(n, " is outside ", min, "..", max));
    }
    *out = n;
    return absl::OkStatus();
  });
}

void FlagSet::AddBool(FlagSpec spec, bool* out) {
  Add(std::move(spec), true, [out](absl::string_view v) -> absl::Status {
    absl::StatusOr<bool> b = ParseBool(v);
    if (!b.ok()) return b.status();
    *out = *b;
    return absl::OkStatus();
  });
}

void FlagSet::AddAll(const FlagSet& other) {
  for (const Setting& s : other.settings_) Add(s.spec, s.is_bool, s.apply);
}

const FlagSet::Setting* FlagSet::FindByName(absl::string_view name) const {
  for (const Setting& s : settings_) {
    if (s.spec.name == name) return &s;
  }
  return nullptr;
}

absl::Status FlagSet::Parse(int argc, const char* const* argv, const Environment& env) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  return Parse(args, env);
}

absl::Status FlagSet::Parse(const std::vector<std::string>& args, const Environment& env) {
  positional_.clear();
  sources_.clear();
  // Help wins over every other problem on the command line.
  for (const std::string& arg : args) {
    if (arg == "--") break;
    if (arg == "--help" || arg == "-h" || arg == "-help") return HelpRequestedStatus(Usage());
  }

  absl::flat_hash_map<std::string, std::string> given;  // flag name -> value
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      for (++i; i < args.size(); ++i) positional_.push_back(args[i]);
      break;
    }
    if (!absl::StartsWith(arg, "-") || arg == "-") {
      positional_.push_back(arg);
      continue;
    }
    absl::string_view body = arg;
    body.remove_prefix(absl::StartsWith(body, "--") ? 2 : 1);
    const size_t eq = body.find('=');
    const absl::string_view name = body.substr(0, eq);
    const Setting* setting = FindByName(name);
    if (setting == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name, " (see --help)"));
    }
    if (eq != absl::string_view::npos) {
      given[name] = std::string(body.substr(eq + 1));
    } else if (setting->is_bool) {
      given[name] = "true";
    } else if (i + 1 < args.size()) {
      given[name] = args[++i];
    } else {
      return absl::InvalidArgumentError(absl::StrCat("--", name, ": missing value"));
    }
  }
  if (!allow_positional_ && !positional_.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unexpected argument \"", positional_.front(), "\" (see --help)"));
  }

  for (const Setting& s : settings_) {
    std::string value;
    std::string source;
    if (auto it = given.find(s.spec.name); it != given.end() && !it->second.empty()) {
      value = it->second;
      source = "flag";
    } else if (std::optional<std::string> v =
                   s.spec.env.empty() ? std::nullopt : env.Get(s.spec.env);
               v.has_value() && !v->empty()) {
      value = *v;
      source = "env";
    } else if (!s.spec.default_value.empty()) {
      value = s.spec.default_value;
      source = "default";
    }
    if (source.empty()) {
      if (s.spec.required) {
        return absl::InvalidArgumentError(
            absl::StrCat(SettingLabel(s.spec), ": required but not set"));
      }
      continue;
    }
    if (absl::Status status = s.apply(value); !status.ok()) return WithLabel(s.spec, status);
    sources_[s.spec.name] = source;
  }
  return absl::OkStatus();
}

std::string FlagSet::SourceOf(absl::string_view name) const {
  auto it = sources_.find(name);
  return it == sources_.end() ? "" : it->second;
}

std::string FlagSet::Usage() const {
  std::string out = absl::StrCat("Usage: ", program_, " [flags]\n");
  if (!summary_.empty()) absl::StrAppend(&out, summary_, "\n");
  absl::StrAppend(&out,
                  "\nEach flag may also be given by its environment variable; the flag wins.\n\n");
  for (const Setting& s : settings_) {
    absl::StrAppend(&out, "  --", s.spec.name, s.is_bool ? "" : "=VALUE");
    if (!s.spec.env.empty()) absl::StrAppend(&out, "  (", s.spec.env, ")");
    absl::StrAppend(&out, "\n      ", s.spec.help);
    if (s.spec.required) {
      absl::StrAppend(&out, " [required]");
    } else if (!s.spec.default_value.empty()) {
      absl::StrAppend(&out, " [default: ", s.spec.default_value, "]");
    }
    absl::StrAppend(&out, "\n");
  }
  absl::StrAppend(&out, "  --help\n      print this help and exit\n");
  return out;
}

}  // namespace lianfang::config
