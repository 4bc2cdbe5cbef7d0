// `lfctl health [SERVICE...]`: asks the gRPC health service of every service, or of the named
// ones only, whether it is SERVING. Container health checks name their own service:
//
//   lfctl health gate --gate-addr=127.0.0.1:7101 --timeout=3s
#ifndef LIANFANG_TOOLS_LFCTL_HEALTH_COMMAND_H_
#define LIANFANG_TOOLS_LFCTL_HEALTH_COMMAND_H_

#include "tools/lfctl/command.h"

namespace lianfang::lfctl {

// Each service is asked about its own API (grpc.health.v1 Check with the service's full name,
// e.g. "lianfang.gate.v1.GateService"), so an address where another program answers does not
// pass. Exit codes (command.h): kExitOk when every service asked is SERVING; kExitFailure when
// some address answers but not as that service (SERVICE_UNKNOWN: a wrong address, retrying
// will not help); kExitUnavailable when some service is unreachable, did not answer within
// --timeout, or answered NOT_SERVING (starting or draining: retrying later may help);
// kExitUsage on bad flags or an unknown service name (nothing asked).
Command HealthCommand();

}  // namespace lianfang::lfctl

#endif  // LIANFANG_TOOLS_LFCTL_HEALTH_COMMAND_H_
