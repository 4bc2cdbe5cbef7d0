#include "services/supplies/stock_ledger.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/time/clock.h"

namespace lianfang::supplies {

std::vector<Batch> FefoOrder(std::vector<Batch> batches) {
  std::erase_if(batches, [](const Batch& b) { return b.quantity <= 0; });
  std::stable_sort(batches.begin(), batches.end(), [](const Batch& a, const Batch& b) {
    // "" (no expiry) sorts last; dates as text sort as dates.
    const bool a_none = a.expires_on.empty();
    const bool b_none = b.expires_on.empty();
    if (a_none != b_none) return b_none;
    if (a.expires_on != b.expires_on) return a.expires_on < b.expires_on;
    return a.batch < b.batch;
  });
  return batches;
}

int64_t TotalOf(const std::vector<Batch>& batches) {
  int64_t total = 0;
  for (const Batch& b : batches) total += std::max<int64_t>(b.quantity, 0);
  return total;
}

absl::StatusOr<std::vector<Batch>> AllocateFefo(const std::vector<Batch>& batches,
                                                int64_t quantity) {
  const int64_t on_hand = TotalOf(batches);
  if (quantity > on_hand) {
    return absl::FailedPreconditionError(
        absl::StrCat("quantity ", quantity, " exceeds the balance ", on_hand, " on hand"));
  }
  std::vector<Batch> taken;
  int64_t left = quantity;
  for (Batch b : FefoOrder(batches)) {
    if (left == 0) break;
    b.quantity = std::min(b.quantity, left);
    left -= b.quantity;
    taken.push_back(std::move(b));
  }
  return taken;
}

absl::StatusOr<std::vector<Batch>> AllocateUsable(const std::vector<Batch>& batches,
                                                  int64_t quantity, absl::string_view today) {
  std::vector<Batch> usable;
  int64_t expired = 0;
  for (const Batch& b : batches) {
    // Dates as text sort as dates; a batch is usable through its expiry day.
    if (!b.expires_on.empty() && b.expires_on < today) {
      expired += std::max<int64_t>(b.quantity, 0);
    } else {
      usable.push_back(b);
    }
  }
  if (expired > 0 && quantity > TotalOf(usable)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "quantity ", quantity, " exceeds the usable balance ", TotalOf(usable), " on hand (",
        expired, " more expired before ", today, "; a stocktake takes them off)"));
  }
  return AllocateFefo(usable, quantity);
}

std::string NearestExpiry(const std::vector<Batch>& batches) {
  std::string nearest;
  for (const Batch& b : batches) {
    if (b.quantity <= 0 || b.expires_on.empty()) continue;
    if (nearest.empty() || b.expires_on < nearest) nearest = b.expires_on;
  }
  return nearest;
}

bool IsLow(int64_t quantity, int64_t min_stock) { return quantity < min_stock; }

bool CrossesBelowMinimum(int64_t before, int64_t after, int64_t min_stock) {
  return min_stock > 0 && before >= min_stock && after < min_stock;
}

void CheckQuantity(server::FieldErrors& errors, absl::string_view field, int64_t quantity,
                   int64_t min_allowed) {
  if (quantity < min_allowed) {
    errors.Add(field, absl::StrCat("must be at least ", min_allowed));
  } else if (quantity > kMaxQuantity) {
    errors.Add(field, absl::StrCat("must be at most ", kMaxQuantity));
  }
}

void CheckExpiry(server::FieldErrors& errors, absl::string_view field, absl::string_view expires_on,
                 absl::CivilDay today) {
  if (expires_on.empty()) return;
  absl::StatusOr<absl::CivilDay> day = time::ParseDate(expires_on);
  if (!day.ok()) {
    errors.Add(field, "must be a date YYYY-MM-DD");
  } else if (*day < today) {
    errors.Add(field, "must not be in the past");
  }
}

bool IsItemCode(absl::string_view code) {
  if (code.empty() || code.size() > 32) return false;
  return std::all_of(code.begin(), code.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

}  // namespace lianfang::supplies
