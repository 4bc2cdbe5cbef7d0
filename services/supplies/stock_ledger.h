// The rules of the stock ledger, pure (no database, no clock): quantities, expiry dates, the
// first-expiry-first-out (FEFO) allocation of an issue over a site's batches, the balance that
// never goes below zero, and the low-stock crossing that raises one restock task.
//
//   std::vector<Batch> on_hand = ...;                    // the site's batches of the item
//   ASSIGN_OR_RETURN(std::vector<Batch> taken, AllocateFefo(on_hand, 30));
//   // taken: the batches to take from, earliest expiry first, summing to 30
//   if (CrossesBelowMinimum(before, after, item.min_stock_per_site())) { ...raise a task... }
//
// Quantities are whole units of the item (int64), never floating point. Dates are
// "YYYY-MM-DD" text ("" for none), which orders as the dates do.
//
// Thread-safety: pure functions.
#ifndef LIANFANG_SERVICES_SUPPLIES_STOCK_LEDGER_H_
#define LIANFANG_SERVICES_SUPPLIES_STOCK_LEDGER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "common/server/errors.h"

namespace lianfang::supplies {

// The largest quantity of one request (and the largest minimum of an item): 10^9 units.
inline constexpr int64_t kMaxQuantity = 1'000'000'000;

// Units of one batch of an item at a site.
struct Batch {
  std::string batch{};       // "" when the receipt named none
  std::string expires_on{};  // "YYYY-MM-DD", or "" when it does not expire
  int64_t quantity = 0;

  friend bool operator==(const Batch&, const Batch&) = default;
};

// `batches` in the order issues take them: earliest expiry first, those without expiry last,
// ties by batch name. Batches with no units are dropped.
std::vector<Batch> FefoOrder(std::vector<Batch> batches);

// The sum of the batches' units.
int64_t TotalOf(const std::vector<Batch>& batches);

// The batches an issue of `quantity` takes, in FEFO order, each with the units taken from it
// (the last one possibly partly). FAILED_PRECONDITION when the batches hold fewer units than
// `quantity` (the message states the balance; nothing is to be written). REQUIRES:
// quantity > 0.
absl::StatusOr<std::vector<Batch>> AllocateFefo(const std::vector<Batch>& batches,
                                                int64_t quantity);
// As AllocateFefo over the batches still usable on `today` ("YYYY-MM-DD"): a batch whose expiry
// is before today is never issued nor transferred (a stocktake takes it off). Beyond the usable
// units FAILED_PRECONDITION, whose message states the usable balance and the expired units.
absl::StatusOr<std::vector<Batch>> AllocateUsable(const std::vector<Batch>& batches,
                                                  int64_t quantity, absl::string_view today);

// The earliest expiry among `batches` with units, or "" when none expires.
std::string NearestExpiry(const std::vector<Batch>& batches);

// True when a balance below `min_stock` is low (never when min_stock is 0).
bool IsLow(int64_t quantity, int64_t min_stock);

// True when a change of the balance from `before` to `after` crosses the item's minimum
// downwards (before >= min_stock > after): the one moment a restock task is raised. A balance
// that stays low raises nothing more until it has been back at or above the minimum.
bool CrossesBelowMinimum(int64_t before, int64_t after, int64_t min_stock);

// ---- validation helpers (add violations named after `field`) ----

// `quantity` within min_allowed..kMaxQuantity ("must be at least 1" / "must be at most
// 1000000000").
void CheckQuantity(server::FieldErrors& errors, absl::string_view field, int64_t quantity,
                   int64_t min_allowed);

// An expiry date of a receipt: empty, or a valid "YYYY-MM-DD" not before `today`.
void CheckExpiry(server::FieldErrors& errors, absl::string_view field, absl::string_view expires_on,
                 absl::CivilDay today);

// An item code: 1..32 of [a-z0-9_-].
bool IsItemCode(absl::string_view code);

}  // namespace lianfang::supplies

#endif  // LIANFANG_SERVICES_SUPPLIES_STOCK_LEDGER_H_
