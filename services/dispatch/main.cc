// lf-dispatch: wiring only (see common/app/runtime.h and this folder's README.md).
#include "common/app/runtime.h"

int main(int argc, char** argv) {
  auto rt = lianfang::app::StartOrExit({.service = "dispatch", .argc = argc, .argv = argv});
  return lianfang::app::Serve(*rt, {}, {"lianfang.dispatch.v1.DispatchService"});
}
