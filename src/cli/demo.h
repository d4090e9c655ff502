// File: cli/demo.h
//
// The demonstration structure that `caduce init --demo` (and `make run`) creates in
// an empty database: a hospital with a doctor, an intern, a secretary, an
// administrator, a shared secretariat mailbox and a laboratory mailbox, created
// through DirectoryService like any other accounts (every rule applies).
#ifndef CADUCE_CLI_DEMO_H_
#define CADUCE_CLI_DEMO_H_

#include "base/status.h"
#include "cli/context.h"

namespace caduce::cli {

// Creates the demo data when the database has no structure yet. Returns true when it
// created them, false when the database already had structures.
Result<bool> CreateDemoData(Context& ctx);

}  // namespace caduce::cli

#endif  // CADUCE_CLI_DEMO_H_
