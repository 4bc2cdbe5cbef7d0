// Command-line flags with environment-variable equivalents, for every Lianfang binary.
//
// A binary declares its settings on a FlagSet, each with a flag name (`--db`), an environment
// variable (`LF_DB`), a default, a help text, whether it is required, and a kind that
// validates and converts the value into a variable the binary owns:
//
//   lianfang::config::FlagSet flags("lf-survey", "Residence survey and daily health report.");
//   std::string risk_file;
//   flags.AddReadableFile({.name = "risk-regions", .env = "LF_RISK_REGIONS",
//                          .default_value = "deploy/risk_regions.txt",
//                          .help = "risk regions, one per line"}, &risk_file);
//   absl::Status status = flags.Parse(argc, argv, lianfang::config::Environment::Process());
//
// Value precedence: the flag, else the environment variable, else the default. An empty value
// (`--tls-cert=` or `LF_TLS_CERT=`) counts as not set. Flags are `--name=value` or
// `--name value` (boolean flags: `--name`, `--name=true|false`); `--` ends the flags;
// `--help` (or `-h`) anywhere before `--` asks for the usage. Unknown flags are errors.
//
// We do not use absl flags: its globals are process-wide, which breaks tests that parse
// several configurations in one process, and it has no environment fallback.
//
// Thread-safety: a FlagSet is used from one thread at start-up. Environment is immutable and
// safe to share.
#ifndef LIANFANG_COMMON_CONFIG_FLAGS_H_
#define LIANFANG_COMMON_CONFIG_FLAGS_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace lianfang::config {

// Where environment variables come from. Tests inject a map so they never touch the process
// environment; binaries use Process().
class Environment final {
 public:
  using Lookup = std::function<std::optional<std::string>(absl::string_view name)>;

  // `lookup` returns the variable's value, or nullopt when it is not set.
  explicit Environment(Lookup lookup);

  // The real process environment (getenv). Read-only.
  static Environment Process();
  // A fixed set of variables.
  static Environment FromMap(absl::flat_hash_map<std::string, std::string> vars);

  std::optional<std::string> Get(absl::string_view name) const;

 private:
  Lookup lookup_;
};

// The description of one setting.
struct FlagSpec {
  std::string name = "";           // without dashes: "jwt-secret-file" is --jwt-secret-file
  std::string env = "";            // "LF_JWT_SECRET_FILE"; empty = no environment variable
  std::string default_value = "";  // text form, validated like a given value; "" = no default
  std::string help = "";           // one line
  bool required = false;           // an error when neither flag, variable nor default gives a value
};

// "--help" was given. Carries the usage text to print on stdout before exiting 0.
struct HelpRequested {
  std::string usage;
};

// The status FlagSet::Parse (and LoadCommonConfig) return for --help: code CANCELLED, with the
// usage attached. Use AsHelpRequested to tell it from an error.
absl::Status HelpRequestedStatus(std::string usage);
// The help request carried by `status`, or nullopt when `status` is anything else.
std::optional<HelpRequested> AsHelpRequested(const absl::Status& status);

// Checks a value's text; returns OK or INVALID_ARGUMENT with a message about the value only
// (e.g. "/x/y: no such file"); the FlagSet prefixes it with the setting's names.
using Validator = std::function<absl::Status(absl::string_view value)>;

// The parsed parts of the values the kinds below accept. Each Parse function returns
// INVALID_ARGUMENT with a short message saying what is wrong and what is expected.

// `host:port` or `[ipv6]:port`; host is a name, IPv4 or IPv6 address; port 1..65535.
struct HostPort {
  std::string host;  // without brackets
  int port = 0;
};
absl::StatusOr<HostPort> ParseAddress(absl::string_view text);

// `sqlite:PATH` or `postgresql://…` (also `postgres://…`).
struct DatabaseUrl {
  enum class Backend { kSqlite, kPostgres };
  Backend backend = Backend::kSqlite;
  std::string target;  // the SQLite file path, or the whole PostgreSQL URL (a libpq conninfo)
};
absl::StatusOr<DatabaseUrl> ParseDatabaseUrl(absl::string_view text);

// OK when `path` names a regular file this process can open for reading; otherwise
// INVALID_ARGUMENT "<path>: no such file" / "is a directory" / "permission denied" / ...
// With `non_empty`, an empty file is an error too ("<path>: file is empty").
absl::Status CheckReadableFile(absl::string_view path, bool non_empty = false);

// A set of declared settings. Each Add* stores the converted value in `*out` during a
// successful Parse; `out` is owned by the caller and must outlive Parse. When a setting has
// no value (not required, no default), `*out` is left untouched: initialise it.
// REQUIRES: names and environment variables are unique within the set (a duplicate is a
// programming error and aborts).
class FlagSet final {
 public:
  // `program` heads the usage ("Usage: lf-gate [flags]"); `summary` is one line under it.
  explicit FlagSet(std::string program, std::string summary = "");

  FlagSet(const FlagSet&) = default;
  FlagSet& operator=(const FlagSet&) = default;

  // Any text; an optional extra check.
  void AddString(FlagSpec spec, std::string* out, Validator validate = nullptr);
  // host:port (ParseAddress); stores the text as given.
  void AddAddress(FlagSpec spec, std::string* out);
  // sqlite:/postgresql:// (ParseDatabaseUrl); stores the text as given.
  void AddDatabaseUrl(FlagSpec spec, std::string* out);
  // redis:// or redis-sentinel:// (redis::ParseUrl, the one parser of LF_REDIS); stores the
  // text as given.
  void AddRedisUrl(FlagSpec spec, std::string* out);
  // A readable regular file (CheckReadableFile); stores the path.
  void AddReadableFile(FlagSpec spec, std::string* out, bool non_empty = false);
  // An IANA time zone name (lianfang::time::LoadTimeZone). `name_out` may be null.
  void AddTimeZone(FlagSpec spec, absl::TimeZone* out, std::string* name_out = nullptr);
  // absl::ParseDuration syntax ("30s", "1h30m"), within [min, max].
  void AddDuration(FlagSpec spec, absl::Duration* out, absl::Duration min = absl::ZeroDuration(),
                   absl::Duration max = absl::InfiniteDuration());
  // A decimal integer within [min, max].
  void AddInt(FlagSpec spec, int64_t* out, int64_t min, int64_t max);
  // true/false, 1/0, yes/no, on/off; `--name` alone means true.
  void AddBool(FlagSpec spec, bool* out);
  // Appends every setting of `other` (its bindings included) after this set's own.
  void AddAll(const FlagSet& other);

  // Reads argv (argv[0] is skipped) and the environment, then resolves, validates and stores
  // every setting in declaration order, stopping at the first problem. Returns:
  //   OK;
  //   HelpRequestedStatus(Usage()) when --help or -h is given;
  //   INVALID_ARGUMENT with one line naming the setting, e.g.
  //     `LF_JWT_SECRET_FILE (--jwt-secret-file): /x/y: no such file`,
  //     `LF_JWT_SECRET_FILE (--jwt-secret-file): required but not set`,
  //     `unknown flag --colour (see --help)`, `--db: missing value`,
  //     `unexpected argument "x" (see --help)` (unless positional arguments are allowed).
  // Outputs of settings before the failing one may already be written.
  absl::Status Parse(int argc, const char* const* argv, const Environment& env);
  absl::Status Parse(const std::vector<std::string>& args, const Environment& env);

  // Positional arguments are collected instead of rejected (see positional()).
  void set_allow_positional(bool allow) { allow_positional_ = allow; }
  // The positional arguments of the last Parse, in order.
  const std::vector<std::string>& positional() const { return positional_; }

  // Where the last Parse took a setting's value from, by flag name; "" when not set.
  // One of "flag", "env", "default", "".
  std::string SourceOf(absl::string_view name) const;

  // The usage: program, summary, then every setting with its flag, variable, default and
  // help.
  std::string Usage() const;

 private:
  struct Setting {
    FlagSpec spec;
    bool is_bool = false;
    // Validates and stores the value; returns a message-only status on failure.
    std::function<absl::Status(absl::string_view)> apply;
  };
  void Add(FlagSpec spec, bool is_bool, std::function<absl::Status(absl::string_view)> apply);
  const Setting* FindByName(absl::string_view name) const;

  std::string program_;
  std::string summary_;
  std::vector<Setting> settings_;
  bool allow_positional_ = false;
  std::vector<std::string> positional_;
  absl::flat_hash_map<std::string, std::string> sources_;
};

// "LF_DB (--db)" or "--db" when the setting has no variable: the prefix of error messages.
std::string SettingLabel(const FlagSpec& spec);

}  // namespace lianfang::config

#endif  // LIANFANG_COMMON_CONFIG_FLAGS_H_
