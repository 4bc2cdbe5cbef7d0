#include "services/accounts/device_metrics.h"

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "common/logging/logging.h"
#include "common/status/status_macros.h"
#include "services/accounts/store.h"

namespace lianfang::accounts {

DeviceMetrics::DeviceMetrics(sql::Database* db, const sites::SiteDirectory* sites,
                             server::Metrics* metrics)
    : db_(db), sites_(sites), metrics_(metrics) {
  collector_ = metrics_->AddCollector([this] { Update(); });
}

DeviceMetrics::~DeviceMetrics() { metrics_->RemoveCollector(collector_); }

void DeviceMetrics::Update() {
  std::map<std::pair<std::string, std::string>, int64_t> longest;
  const AccountsStore store{};
  const absl::Status read = db_->Read([&](sql::Session& session) -> absl::Status {
    ASSIGN_OR_RETURN(longest, store.LongestOfflineQueues(session));
    return absl::OkStatus();
  });
  if (!read.ok()) {
    logging::Warning("accounts metrics: cannot read the devices", {}, {{"error", read.message()}});
    return;
  }
  for (const sites::Site& site : sites_->sites()) {
    for (const common::v1::Gate& gate : site.gates()) {
      auto it = longest.find({site.id(), gate.id()});
      metrics_
          ->GetGauge("lf_device_offline_queue_length",
                     "Longest offline queue reported by a non-revoked device of the gate.",
                     {{"site", site.id()}, {"gate", gate.id()}})
          ->Set(it == longest.end() ? 0 : static_cast<double>(it->second));
    }
  }
}

}  // namespace lianfang::accounts
