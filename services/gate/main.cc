// lf-gate: wiring only (see common/app/runtime.h and this folder's README.md).
#include "common/app/runtime.h"

int main(int argc, char** argv) {
  auto rt = lianfang::app::StartOrExit({.service = "gate", .argc = argc, .argv = argv});
  return lianfang::app::Serve(*rt, {}, {"lianfang.gate.v1.GateService"});
}
