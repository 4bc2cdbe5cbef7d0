// Internal to lf_redis: an owning pointer to a hiredis connection (freed with redisFree),
// declared without pulling hiredis into public headers.
#ifndef LIANFANG_COMMON_REDIS_CONTEXT_PTR_H_
#define LIANFANG_COMMON_REDIS_CONTEXT_PTR_H_

#include <memory>

struct redisContext;  // hiredis

namespace lianfang::redis::internal {

struct ContextDeleter {
  void operator()(redisContext* context) const;  // redisFree
};
using ContextPtr = std::unique_ptr<redisContext, ContextDeleter>;

}  // namespace lianfang::redis::internal

#endif  // LIANFANG_COMMON_REDIS_CONTEXT_PTR_H_
