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

// The password of every demo person (printed by `make run`). Demo data only.
inline constexpr std::string_view kDemoPassword = "Caduce-Essai-2026";

// Creates the demo data when the database has no structure yet, and gives each demo
// person kDemoPassword (through an activation link, as a person would). The hashes
// use libsodium's minimal argon2id cost so that creating the demo stays instant;
// the first sign-in rehashes them at the production cost. Returns true when it
// created them, false when the database already had structures.
Result<bool> CreateDemoData(Context& ctx);

}  // namespace caduce::cli

#endif  // CADUCE_CLI_DEMO_H_
