// A gate database for the tests of the store, the ledger and the core: a fresh SQLite file
// (or PostgreSQL database under LF_TEST_DB=postgres) with the gate's schema and the shared
// idempotency, outbox and audit tables, and the test sites (gate_test_util.h). Test-only.
#ifndef LIANFANG_TESTS_SERVICES_GATE_GATE_DB_FIXTURE_H_
#define LIANFANG_TESTS_SERVICES_GATE_GATE_DB_FIXTURE_H_

#include <memory>

#include "absl/time/time.h"
#include "common/audit/audit.h"
#include "common/idempotency/idempotency.h"
#include "common/outbox/outbox.h"
#include "common/sites/site_directory.h"
#include "common/sql/database.h"
#include "common/status/status_matchers.h"
#include "common/testing/temp_dir.h"
#include "common/testing/test_database.h"
#include "gtest/gtest.h"
#include "services/gate/gate_store.h"
#include "tests/services/gate/gate_test_util.h"

namespace lianfang::gate::testing {

class GateDbTest : public ::testing::Test {
 public:
  // 2026-03-02 10:00 UTC.
  static constexpr absl::Time kNow() { return absl::FromUnixSeconds(1'772'445'600); }

 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(db_,
                         sql::Database::Open(::lianfang::testing::TestDatabaseUrl(dir_, "gate.db")));
    ASSERT_OK(db_->Migrate(idempotency::kComponent, idempotency::Migrations()));
    ASSERT_OK(db_->Migrate(outbox::kComponent, outbox::Migrations()));
    ASSERT_OK(db_->Migrate(audit::kComponent, audit::Migrations()));
    ASSERT_OK(db_->Migrate("gate", Migrations()));
  }

  ::lianfang::testing::TempDir dir_;
  const sites::SiteDirectory sites_ = TestSites();
  std::unique_ptr<sql::Database> db_;
};

}  // namespace lianfang::gate::testing

#endif  // LIANFANG_TESTS_SERVICES_GATE_GATE_DB_FIXTURE_H_
