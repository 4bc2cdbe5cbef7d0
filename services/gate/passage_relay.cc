#include "services/gate/passage_relay.h"

#include <optional>
#include <utility>
#include <vector>

#include "services/gate/gate_store.h"

namespace lianfang::gate {

std::string PassagePayload(const v1::Passage& passage) {
  return sql::NotifyPayload(passage.SerializeAsString(), passage.passage_id());
}

absl::Status NotifyPassage(sql::Session& session, const v1::Passage& passage) {
  return sql::Notify(session, kPassageChannel, PassagePayload(passage));
}

PassageRelay::PassageRelay(sql::Database* db, PassageFeed* feed)
    : relay_(db,
             sql::NotifyRelayOptions<v1::Passage>{
                 .channel = kPassageChannel,
                 .what = "passage",
                 .parse = [](absl::string_view bytes) -> std::optional<v1::Passage> {
                   v1::Passage passage;
                   if (!passage.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
                     return std::nullopt;
                   }
                   return passage;
                 },
                 .find = [](sql::Session& session,
                            absl::string_view id) { return FindPassage(session, id); },
                 .latest_seq = [](sql::Session& session) { return LatestPassageSeq(session); },
                 .read_after = [](sql::Session& session, int64_t after,
                                  int limit) { return PassagesAfter(session, after, "", limit); },
                 .key_of = [](const v1::Passage& p) { return p.passage_id(); },
                 .seq_of = [](const v1::Passage& p) { return p.seq(); },
                 .publish = [feed](const v1::Passage& p) { feed->Publish(p); },
                 .catch_up_limit = kCatchUpLimit,
                 .catch_up_overlap = kCatchUpOverlap,
                 .dedupe_window = kDedupeWindow,
             }) {}

}  // namespace lianfang::gate
