// lfctl supplies|donation|canteen: the supplies service (lf-supplies, LF_SUPPLIES_ADDR or
// --supplies-addr, default 127.0.0.1:7106).
//
//   lfctl supplies item create|list, receive, issue, transfer, adjust, stock, movements, export
//   lfctl donation record|list|totals|statement
//   lfctl canteen register|list|trace
//
// Quantities are whole units of the item; money is typed in yuan with at most two decimals
// (--amount 31.50) and sent as integer fen (tools/lfctl/money.h), and shown in yuan again.
#ifndef LIANFANG_TOOLS_LFCTL_SUPPLIES_COMMAND_H_
#define LIANFANG_TOOLS_LFCTL_SUPPLIES_COMMAND_H_

#include "tools/lfctl/command.h"

namespace lianfang::lfctl {

Command SuppliesCommand();
Command DonationCommand();
Command CanteenCommand();

}  // namespace lianfang::lfctl

#endif  // LIANFANG_TOOLS_LFCTL_SUPPLIES_COMMAND_H_
