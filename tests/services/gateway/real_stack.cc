#include "tests/services/gateway/real_stack.h"

namespace lianfang::gateway::testing {

absl::Status RealStack::Start(const Options& options) {
  lianfang::testing::Suite::Options launch;
  launch.services = {"gate", "dispatch"};
  if (options.survey) launch.services.push_back("survey");
  if (options.supplies) launch.services.push_back("supplies");
  launch.services.push_back("gateway");
  launch.env = {{"LF_LOG_LEVEL", "warning"}};
  launch.service_env = {{"gateway", options.gateway_env}};
  if (options.report_on_gate) launch.served_by = {{"report", "gate"}};
  return suite_.Start(launch);
}

}  // namespace lianfang::gateway::testing
