#include "common/config/config.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_split.h"
#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/config/test_files.h"

namespace lianfang::config {
namespace {

using ::lianfang::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;

// Environments start from valid secrets and a sites file in a temporary directory, so each
// test changes only what it is about.
class LoadCommonConfigTest : public ::testing::Test {
 protected:
  LoadCommonConfigTest()
      : jwt_(dir_.Write("jwt.key", "jwt-secret")),
        pii_(dir_.Write("pii.key", "pii-secret")),
        sites_(dir_.Write("sites.textproto", "sites {}\n")) {}

  absl::flat_hash_map<std::string, std::string> BaseVars() const {
    return {{"LF_JWT_SECRET_FILE", jwt_}, {"LF_PII_KEY_FILE", pii_}, {"LF_SITES", sites_}};
  }

  absl::StatusOr<CommonConfig> Load(absl::string_view service, std::vector<std::string> args,
                                    absl::flat_hash_map<std::string, std::string> vars,
                                    const FlagSet* extra = nullptr) {
    args.insert(args.begin(), "lf-test");
    std::vector<const char*> argv;
    for (const std::string& a : args) argv.push_back(a.c_str());
    return LoadCommonConfig(service, static_cast<int>(argv.size()), argv.data(),
                            Environment::FromMap(std::move(vars)), extra);
  }
  absl::StatusOr<CommonConfig> LoadGate(std::vector<std::string> args = {}) {
    return Load("gate", std::move(args), BaseVars());
  }
  absl::StatusOr<CommonConfig> LoadGateWith(std::string var, std::string value) {
    auto vars = BaseVars();
    vars[var] = value;
    return Load("gate", {}, std::move(vars));
  }

  TempDir dir_;
  std::string jwt_;
  std::string pii_;
  std::string sites_;
};

TEST_F(LoadCommonConfigTest, DefaultsFollowTheApiTable) {
  // The sites default is relative to the working directory: run from a folder that has it.
  TempDir root;
  root.Write("deploy/sites.textproto", "sites {}\n");
  const std::filesystem::path saved = std::filesystem::current_path();
  std::filesystem::current_path(root.path());
  auto vars = BaseVars();
  vars.erase("LF_SITES");
  absl::StatusOr<CommonConfig> config = Load("survey", {}, vars);
  std::filesystem::current_path(saved);
  ASSERT_OK(config);
  EXPECT_EQ(config->service, "survey");
  EXPECT_EQ(config->listen, "127.0.0.1:7102");
  EXPECT_EQ(config->http_listen, "");
  EXPECT_EQ(config->db, "sqlite:var/survey.db");
  EXPECT_EQ(config->redis, "redis://127.0.0.1:6379/0");
  EXPECT_EQ(config->sites, "deploy/sites.textproto");
  EXPECT_EQ(config->jwt_secret_file, jwt_);
  EXPECT_EQ(config->pii_key_file, pii_);
  EXPECT_EQ(config->tz_name, "Asia/Shanghai");
  EXPECT_EQ(config->tz.name(), "Asia/Shanghai");
  EXPECT_EQ(config->gate_addr, "127.0.0.1:7101");
  EXPECT_EQ(config->survey_addr, "127.0.0.1:7102");
  EXPECT_EQ(config->dispatch_addr, "127.0.0.1:7103");
  EXPECT_EQ(config->report_addr, "127.0.0.1:7104");
  EXPECT_EQ(config->supplies_addr, "127.0.0.1:7106");
  EXPECT_EQ(config->tls_cert, "");
  EXPECT_FALSE(config->tls_enabled());
  EXPECT_EQ(config->log_level, logging::Level::kInfo);
}

TEST_F(LoadCommonConfigTest, EachServiceListensOnItsOwnDefaultPort) {
  EXPECT_EQ(Load("gateway", {}, BaseVars())->listen, "127.0.0.1:7100");
  EXPECT_EQ(Load("gate", {}, BaseVars())->listen, "127.0.0.1:7101");
  EXPECT_EQ(Load("survey", {}, BaseVars())->listen, "127.0.0.1:7102");
  EXPECT_EQ(Load("dispatch", {}, BaseVars())->listen, "127.0.0.1:7103");
  EXPECT_EQ(Load("report", {}, BaseVars())->listen, "127.0.0.1:7104");
  EXPECT_EQ(Load("supplies", {}, BaseVars())->listen, "127.0.0.1:7106");
  EXPECT_EQ(Load("gateway", {}, BaseVars())->http_listen, "127.0.0.1:8080");
  EXPECT_EQ(DefaultListen("lfctl"), "");
}

TEST_F(LoadCommonConfigTest, OnlyTheGatewayHasAnHttpListenSetting) {
  ASSERT_OK_AND_ASSIGN(CommonConfig gw,
                       Load("gateway", {"--http-listen=0.0.0.0:8081"}, BaseVars()));
  EXPECT_EQ(gw.http_listen, "0.0.0.0:8081");
  EXPECT_THAT(LoadGate({"--http-listen=0.0.0.0:8081"}),
              StatusIs(kInvalid, "unknown flag --http-listen (see --help)"));
}

TEST_F(LoadCommonConfigTest, MetricsListenerIsOffByDefaultAndValidated) {
  for (const char* service : {"gate", "survey", "dispatch", "report", "gateway", "accounts"}) {
    EXPECT_EQ(Load(service, {}, BaseVars())->metrics_listen, "") << service;
  }
  auto vars = BaseVars();
  vars["LF_METRICS_LISTEN"] = "0.0.0.0:9100";
  EXPECT_EQ(Load("report", {}, vars)->metrics_listen, "0.0.0.0:9100");
  vars["LF_METRICS_LISTEN"] = "";
  EXPECT_EQ(Load("report", {}, vars)->metrics_listen, "");
  EXPECT_EQ(Load("gate", {"--metrics-listen=[::1]:9101"}, BaseVars())->metrics_listen,
            "[::1]:9101");
  EXPECT_THAT(LoadGateWith("LF_METRICS_LISTEN", "9100"),
              StatusIs(kInvalid, StartsWith("LF_METRICS_LISTEN (--metrics-listen): ")));
  EXPECT_THAT(LoadGateWith("LF_METRICS_LISTEN", "0.0.0.0:70000"),
              StatusIs(kInvalid, StartsWith("LF_METRICS_LISTEN (--metrics-listen): ")));
}

TEST_F(LoadCommonConfigTest, FlagWinsOverEnvironment) {
  auto vars = BaseVars();
  vars["LF_LISTEN"] = "0.0.0.0:9001";
  vars["LF_DB"] = "postgresql://lf@db/gate";
  ASSERT_OK_AND_ASSIGN(CommonConfig from_env, Load("gate", {}, vars));
  EXPECT_EQ(from_env.listen, "0.0.0.0:9001");
  EXPECT_EQ(from_env.db, "postgresql://lf@db/gate");
  ASSERT_OK_AND_ASSIGN(CommonConfig from_flag,
                       Load("gate", {"--listen", "[::1]:9002", "--db=sqlite:/tmp/g.db"}, vars));
  EXPECT_EQ(from_flag.listen, "[::1]:9002");
  EXPECT_EQ(from_flag.db, "sqlite:/tmp/g.db");
}

TEST_F(LoadCommonConfigTest, MissingSecretFileNamesTheSettingAndThePath) {
  EXPECT_THAT(LoadGateWith("LF_JWT_SECRET_FILE", "/x/y"),
              StatusIs(kInvalid, "LF_JWT_SECRET_FILE (--jwt-secret-file): /x/y: no such file"));
  EXPECT_THAT(LoadGateWith("LF_PII_KEY_FILE", "/x/z"),
              StatusIs(kInvalid, "LF_PII_KEY_FILE (--pii-key-file): /x/z: no such file"));
}

TEST_F(LoadCommonConfigTest, UnsetSecretFileIsRequired) {
  auto vars = BaseVars();
  vars.erase("LF_JWT_SECRET_FILE");
  EXPECT_THAT(Load("gate", {}, vars),
              StatusIs(kInvalid, "LF_JWT_SECRET_FILE (--jwt-secret-file): required but not set"));
}

TEST_F(LoadCommonConfigTest, DirectoryOrEmptyFileIsNotASecret) {
  EXPECT_THAT(LoadGateWith("LF_JWT_SECRET_FILE", dir_.path()),
              StatusIs(kInvalid, StartsWith("LF_JWT_SECRET_FILE (--jwt-secret-file): " +
                                            dir_.path() + ": is a directory")));
  const std::string empty = dir_.Write("empty.key", "");
  EXPECT_THAT(LoadGateWith("LF_PII_KEY_FILE", empty),
              StatusIs(kInvalid, "LF_PII_KEY_FILE (--pii-key-file): " + empty + ": file is empty"));
}

TEST_F(LoadCommonConfigTest, MissingSitesFileNamesTheSetting) {
  EXPECT_THAT(LoadGateWith("LF_SITES", dir_.path() + "/none.textproto"),
              StatusIs(kInvalid, StartsWith("LF_SITES (--sites): ")));
}

TEST_F(LoadCommonConfigTest, BadAddressesAreRejected) {
  EXPECT_THAT(LoadGateWith("LF_LISTEN", "localhost"),
              StatusIs(kInvalid, StartsWith("LF_LISTEN (--listen): \"localhost\": missing port")));
  EXPECT_THAT(LoadGateWith("LF_LISTEN", "127.0.0.1:0"),
              StatusIs(kInvalid, StartsWith("LF_LISTEN (--listen): ")));
  EXPECT_THAT(LoadGateWith("LF_GATE_ADDR", "127.0.0.1:99999"),
              StatusIs(kInvalid, HasSubstr("LF_GATE_ADDR (--gate-addr): ")));
  EXPECT_THAT(LoadGateWith("LF_REPORT_ADDR", "::1:7104"),
              StatusIs(kInvalid, HasSubstr("LF_REPORT_ADDR (--report-addr): ")));
  EXPECT_THAT(Load("gateway", {"--http-listen=:80"}, BaseVars()),
              StatusIs(kInvalid, StartsWith("LF_HTTP_LISTEN (--http-listen): ")));
}

TEST_F(LoadCommonConfigTest, BadDatabaseAndRedisUrlsAreRejected) {
  EXPECT_THAT(LoadGateWith("LF_DB", "mysql://db/gate"),
              StatusIs(kInvalid, StartsWith("LF_DB (--db): unsupported database scheme")));
  EXPECT_THAT(LoadGateWith("LF_DB", "var/gate.db"), StatusIs(kInvalid, StartsWith("LF_DB (--db)")));
  EXPECT_THAT(LoadGateWith("LF_REDIS", "127.0.0.1:6379"),
              StatusIs(kInvalid, AllOf(StartsWith("LF_REDIS (--redis): invalid Redis URL"),
                                       HasSubstr("redis-sentinel://"))));
  EXPECT_THAT(LoadGateWith("LF_REDIS", "redis://127.0.0.1:6379/zero"),
              StatusIs(kInvalid, AllOf(StartsWith("LF_REDIS (--redis): invalid Redis URL"),
                                       HasSubstr("database"))));
  EXPECT_THAT(LoadGateWith("LF_REDIS", "redis-sentinel://:pw-9x@10.0.0.5:26379/lf"),
              StatusIs(kInvalid, AllOf(StartsWith("LF_REDIS (--redis): "),
                                       HasSubstr("MASTER_NAME"), Not(HasSubstr("pw-9x")))));
}

TEST_F(LoadCommonConfigTest, RedisThroughSentinelIsAccepted) {
  const std::string url = "redis-sentinel://10.0.0.5:26379,10.0.0.6:26379/lf/1";
  ASSERT_OK_AND_ASSIGN(CommonConfig config, LoadGateWith("LF_REDIS", url));
  EXPECT_EQ(config.redis, url);
}

TEST_F(LoadCommonConfigTest, BadTimeZoneIsRejected) {
  EXPECT_THAT(LoadGateWith("LF_TZ", "Asia/Atlantis"),
              StatusIs(kInvalid, StartsWith("LF_TZ (--tz): unknown time zone \"Asia/Atlantis\"")));
  ASSERT_OK_AND_ASSIGN(CommonConfig utc, LoadGateWith("LF_TZ", "UTC"));
  EXPECT_EQ(utc.tz, absl::UTCTimeZone());
}

TEST_F(LoadCommonConfigTest, LogLevelIsParsed) {
  ASSERT_OK_AND_ASSIGN(CommonConfig debug, LoadGateWith("LF_LOG_LEVEL", "debug"));
  EXPECT_EQ(debug.log_level, logging::Level::kDebug);
  EXPECT_THAT(LoadGate({"--log-level=loud"}),
              StatusIs(kInvalid, StartsWith("LF_LOG_LEVEL (--log-level): unknown log level")));
}

TEST_F(LoadCommonConfigTest, EveryServiceHasTheRetentionSetting) {
  for (const char* service : {"gate", "survey", "dispatch", "report", "gateway"}) {
    ASSERT_OK_AND_ASSIGN(CommonConfig config, Load(service, {}, BaseVars()));
    EXPECT_EQ(config.retention_days, 30) << service;
  }
  ASSERT_OK_AND_ASSIGN(CommonConfig ninety, LoadGateWith("LF_RETENTION_DAYS", "90"));
  EXPECT_EQ(ninety.retention_days, 90);
  auto vars = BaseVars();
  vars["LF_RETENTION_DAYS"] = "90";
  ASSERT_OK_AND_ASSIGN(CommonConfig flag, Load("dispatch", {"--retention-days=7"}, vars));
  EXPECT_EQ(flag.retention_days, 7);
  EXPECT_THAT(LoadGateWith("LF_RETENTION_DAYS", "0"),
              StatusIs(kInvalid, StartsWith("LF_RETENTION_DAYS (--retention-days)")));
  EXPECT_THAT(LoadGateWith("LF_RETENTION_DAYS", "3651"),
              StatusIs(kInvalid, StartsWith("LF_RETENTION_DAYS (--retention-days)")));
}

TEST_F(LoadCommonConfigTest, DatabaseWritersHaveADefaultAndABound) {
  ASSERT_OK_AND_ASSIGN(CommonConfig defaults, LoadGateWith("LF_LOG_LEVEL", "info"));
  EXPECT_EQ(defaults.db_writers, kDefaultDbWriters);
  ASSERT_OK_AND_ASSIGN(CommonConfig four, LoadGateWith("LF_DB_WRITERS", "4"));
  EXPECT_EQ(four.db_writers, 4);
  ASSERT_OK_AND_ASSIGN(CommonConfig flag, Load("survey", {"--db-writers=1"}, BaseVars()));
  EXPECT_EQ(flag.db_writers, 1);
  for (const char* bad : {"0", "17", "two"}) {
    EXPECT_THAT(LoadGateWith("LF_DB_WRITERS", bad),
                StatusIs(kInvalid, StartsWith("LF_DB_WRITERS (--db-writers)")))
        << bad;
  }
}

TEST_F(LoadCommonConfigTest, TlsCertificateAndKeyComeTogether) {
  const std::string cert = dir_.Write("server.crt", "CERT");
  const std::string key = dir_.Write("server.key", "KEY");
  const std::string ca = dir_.Write("ca.crt", "CA");
  EXPECT_THAT(LoadGate({"--tls-cert", cert}),
              StatusIs(kInvalid, HasSubstr("LF_TLS_KEY (--tls-key): required when")));
  EXPECT_THAT(LoadGate({"--tls-key", key}),
              StatusIs(kInvalid, HasSubstr("LF_TLS_CERT (--tls-cert): required when")));
  EXPECT_THAT(LoadGate({"--tls-ca", ca}), StatusIs(kInvalid, StartsWith("LF_TLS_CA (--tls-ca)")));
  EXPECT_THAT(LoadGate({"--tls-cert", cert, "--tls-key", dir_.path() + "/missing.key"}),
              StatusIs(kInvalid, StartsWith("LF_TLS_KEY (--tls-key): ")));
  ASSERT_OK_AND_ASSIGN(CommonConfig tls,
                       LoadGate({"--tls-cert", cert, "--tls-key", key, "--tls-ca", ca}));
  EXPECT_TRUE(tls.tls_enabled());
  EXPECT_EQ(tls.tls_key, key);
  EXPECT_EQ(tls.tls_ca, ca);
}

TEST_F(LoadCommonConfigTest, UnknownFlagIsAnError) {
  EXPECT_THAT(LoadGate({"--dbb=sqlite:x"}), StatusIs(kInvalid, "unknown flag --dbb (see --help)"));
}

TEST_F(LoadCommonConfigTest, ServiceSettingsAreParsedInTheSamePass) {
  FlagSet extra("lf-survey");
  std::string risk_file;
  absl::Duration observation;
  extra.AddReadableFile(
      {.name = "risk-regions", .env = "LF_RISK_REGIONS", .help = "risk regions", .required = true},
      &risk_file);
  extra.AddDuration({.name = "observation",
                     .env = "LF_OBSERVATION",
                     .default_value = "336h",
                     .help = "observation period"},
                    &observation);
  auto vars = BaseVars();
  EXPECT_THAT(Load("survey", {}, vars, &extra),
              StatusIs(kInvalid, "LF_RISK_REGIONS (--risk-regions): required but not set"));
  const std::string regions = dir_.Write("risk.txt", "somewhere\n");
  ASSERT_OK_AND_ASSIGN(CommonConfig config,
                       Load("survey", {"--risk-regions", regions, "--tz=UTC"}, vars, &extra));
  EXPECT_EQ(risk_file, regions);
  EXPECT_EQ(observation, absl::Hours(336));
  EXPECT_EQ(config.tz_name, "UTC");
}

TEST_F(LoadCommonConfigTest, HelpListsEveryVariableWithItsDefault) {
  const absl::Status status = LoadGate({"--help"}).status();
  std::optional<HelpRequested> help = AsHelpRequested(status);
  ASSERT_TRUE(help.has_value()) << status;
  EXPECT_THAT(help->usage, StartsWith("Usage: lf-gate [flags]"));
  for (const char* var :
       {"LF_LISTEN", "LF_DB", "LF_DB_WRITERS", "LF_REDIS", "LF_SITES", "LF_JWT_SECRET_FILE", "LF_PII_KEY_FILE",
        "LF_TZ", "LF_GATE_ADDR", "LF_SURVEY_ADDR", "LF_DISPATCH_ADDR", "LF_REPORT_ADDR",
        "LF_TLS_CERT", "LF_TLS_KEY", "LF_TLS_CA", "LF_LOG_LEVEL"}) {
    EXPECT_THAT(help->usage, HasSubstr(var));
  }
  EXPECT_THAT(help->usage, HasSubstr("[default: sqlite:var/gate.db]"));
  EXPECT_THAT(help->usage, HasSubstr("[default: 127.0.0.1:7101]"));
  EXPECT_THAT(help->usage, HasSubstr("[required]"));
}

TEST_F(LoadCommonConfigTest, UnknownServiceIsAProgrammingError) {
  EXPECT_THAT(Load("cafeteria", {}, BaseVars()), StatusIs(kInvalid, HasSubstr("unknown service")));
}

// Runs the probe binary with exactly `env` (no inherited variables) and collects its output.
struct ProbeResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

ProbeResult RunProbe(const std::vector<std::string>& args, const std::vector<std::string>& env,
                     const TempDir& dir) {
  const std::string out_path = dir.path() + "/probe.out";
  const std::string err_path = dir.path() + "/probe.err";
  std::vector<std::string> argv_s = {LF_CONFIG_EXIT_PROBE};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_s = env;
  std::vector<char*> envp;
  for (std::string& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);

  const pid_t pid = ::fork();
  if (pid == 0) {
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (out < 0 || err < 0) ::_exit(127);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ProbeResult result;
  int status = 0;
  if (pid > 0 && ::waitpid(pid, &status, 0) == pid && WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  }
  auto slurp = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  result.out = slurp(out_path);
  result.err = slurp(err_path);
  return result;
}

TEST_F(LoadCommonConfigTest, BinaryWithUnsetSecretExitsWithCodeTwoAndOneLine) {
  const ProbeResult r = RunProbe({}, {"LF_PII_KEY_FILE=" + pii_, "LF_SITES=" + sites_}, dir_);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "lf-gate: LF_JWT_SECRET_FILE (--jwt-secret-file): required but not set\n");
  EXPECT_EQ(r.out, "");
}

TEST_F(LoadCommonConfigTest, BinaryWithMissingSecretFileExitsWithCodeTwoAndOneLine) {
  const std::string missing = dir_.path() + "/no/such/jwt.key";
  const ProbeResult r = RunProbe(
      {}, {"LF_JWT_SECRET_FILE=" + missing, "LF_PII_KEY_FILE=" + pii_, "LF_SITES=" + sites_}, dir_);
  EXPECT_EQ(r.exit_code, 2);
  const std::vector<std::string> lines = absl::StrSplit(r.err, '\n');
  ASSERT_EQ(lines.size(), 2u) << r.err;  // one line, then the empty rest after its newline
  EXPECT_EQ(lines[0],
            "lf-gate: LF_JWT_SECRET_FILE (--jwt-secret-file): " + missing + ": no such file");
}

TEST_F(LoadCommonConfigTest, BinaryFlagOverridesEnvironmentAndStartsWhenValid) {
  const ProbeResult r = RunProbe({"--listen", "127.0.0.1:7999"},
                                 {"LF_JWT_SECRET_FILE=" + jwt_, "LF_PII_KEY_FILE=" + pii_,
                                  "LF_SITES=" + sites_, "LF_LISTEN=127.0.0.1:7998"},
                                 dir_);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "ok 127.0.0.1:7999\n");
  EXPECT_EQ(r.err, "");
}

TEST_F(LoadCommonConfigTest, BinaryHelpPrintsUsageAndExitsZero) {
  const ProbeResult r = RunProbe({"--help"}, {}, dir_);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, StartsWith("Usage: lf-gate [flags]"));
  EXPECT_THAT(r.out, HasSubstr("LF_JWT_SECRET_FILE"));
  EXPECT_EQ(r.err, "");
}

}  // namespace
}  // namespace lianfang::config
