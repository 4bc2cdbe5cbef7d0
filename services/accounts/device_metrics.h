// DeviceMetrics: the offline queues of the enrolled gate phones, for Prometheus
// (docs/metrics.md). While it lives, each render of the registry reads the devices from SQL and
// sets lf_device_offline_queue_length{site,gate} for every gate of the site directory: the
// longest offline queue a non-revoked device of that gate reported (with its last refresh), 0
// when the gate has none. Labels come from the directory only, never from stored rows.
//
//   accounts::DeviceMetrics device_metrics(rt->db.get(), rt->sites.get(), &rt->metrics);
//
// Thread-safety: Update may run from any thread; the registry runs it one render at a time.
#ifndef LIANFANG_SERVICES_ACCOUNTS_DEVICE_METRICS_H_
#define LIANFANG_SERVICES_ACCOUNTS_DEVICE_METRICS_H_

#include "common/server/metrics.h"
#include "common/sites/site_directory.h"
#include "common/sql/database.h"

namespace lianfang::accounts {

class DeviceMetrics final {
 public:
  // Registers the collector. None of the pointers is owned; all must outlive this object.
  DeviceMetrics(sql::Database* db, const sites::SiteDirectory* sites, server::Metrics* metrics);
  ~DeviceMetrics();  // removes the collector (waits for a run in progress)
  DeviceMetrics(const DeviceMetrics&) = delete;
  DeviceMetrics& operator=(const DeviceMetrics&) = delete;

  // Reads the devices and sets the gauges; a failed read is logged and leaves them as they
  // were.
  void Update();

 private:
  sql::Database* const db_;
  const sites::SiteDirectory* const sites_;
  server::Metrics* const metrics_;
  int collector_ = 0;
};

}  // namespace lianfang::accounts

#endif  // LIANFANG_SERVICES_ACCOUNTS_DEVICE_METRICS_H_
