// lf-gateway: wiring only (see common/app/runtime.h and this folder's README.md).
#include "common/app/runtime.h"

int main(int argc, char** argv) {
  auto rt = lianfang::app::StartOrExit({.service = "gateway", .argc = argc, .argv = argv});
  return lianfang::app::Serve(*rt, {}, {"lianfang.gateway.v1.GatewayService"});
}
