// The live feed behind WatchPassages: who receives a published passage, unsubscribing, and
// closing every stream at shutdown (including one that subscribes afterwards).
#include "services/gate/passage_feed.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::gate {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class RecordingSubscriber final : public PassageFeed::Subscriber {
 public:
  void Deliver(const v1::Passage& passage) override { received.push_back(passage.passage_id()); }
  void Close() override { ++closed; }

  std::vector<std::string> received;
  int closed = 0;
};

v1::Passage At(const std::string& site, const std::string& id) {
  v1::Passage p;
  p.set_site_id(site);
  p.set_passage_id(id);
  return p;
}

TEST(PassageFeedTest, ASubscriberReceivesOnlyThePassagesOfItsSites) {
  PassageFeed feed;
  RecordingSubscriber campus, everywhere;
  feed.Subscribe({"campus"}, &campus);
  feed.Subscribe({}, &everywhere);
  feed.Publish(At("campus", "p1"));
  feed.Publish(At("open", "p2"));
  EXPECT_THAT(campus.received, ElementsAre("p1"));
  EXPECT_THAT(everywhere.received, ElementsAre("p1", "p2"));
}

TEST(PassageFeedTest, AnUnsubscribedSubscriberReceivesNothingMore) {
  PassageFeed feed;
  RecordingSubscriber s;
  const int64_t id = feed.Subscribe({}, &s);
  EXPECT_EQ(feed.subscribers(), 1u);
  feed.Unsubscribe(id);
  feed.Unsubscribe(id);  // unknown ids are ignored
  EXPECT_EQ(feed.subscribers(), 0u);
  feed.Publish(At("campus", "p1"));
  EXPECT_THAT(s.received, IsEmpty());
}

TEST(PassageFeedTest, ClosingTheFeedClosesEveryStreamAndEveryLaterOne) {
  PassageFeed feed;
  RecordingSubscriber early, late;
  feed.Subscribe({"campus"}, &early);
  EXPECT_EQ(early.closed, 0);
  feed.CloseAll();
  EXPECT_EQ(early.closed, 1);
  feed.Subscribe({}, &late);  // a watch arriving during shutdown
  EXPECT_EQ(late.closed, 1);
  EXPECT_EQ(early.closed, 1);
}

}  // namespace
}  // namespace lianfang::gate
