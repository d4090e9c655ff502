// File: cli/runner.h
//
// What every `caduce` command shares: the global options, the context opened on
// first use, and the wrapper that turns a command body returning a Status into an
// exit code. A body reads like the service calls it makes:
//
//   cmd->callback(run([=](Context& c) -> Status {
//     CADUCE_TRY(Structure s, c.StructureByName(o->structure));
//     CADUCE_RETURN_IF_ERROR(c.directory().AddAdministrator(c.actor(), s.id, o->address));
//     c.Done({{"ok", true}}, fmt::format("{} administre « {} ».", o->address, s.name));
//     return OkStatus();
//   }));
#ifndef CADUCE_CLI_RUNNER_H_
#define CADUCE_CLI_RUNNER_H_

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>

#include "cli/context.h"

namespace caduce::cli {

class Runner {
 public:
  Runner() = default;

  GlobalOptions& options() { return options_; }
  int exit_code() const { return exit_code_; }
  // For a command that succeeded but must still exit non-zero (a broken chain).
  void SetExitCode(int code) { exit_code_ = code; }

  // Wraps `body`: opens the context (once), runs the body, and on an error prints it
  // with the findings the body gathered in Context::findings, and sets the exit code.
  std::function<void()> operator()(std::function<Status(Context&)> body);

 private:
  GlobalOptions options_;
  std::unique_ptr<Context> context_;
  int exit_code_ = kExitOk;
};

// The command groups, one file each.
void AddDirectoryCommands(CLI::App& app, Runner& run);  // init structure admin account right default expire
void AddAuditCommands(CLI::App& app, Runner& run);      // audit list|verify
void AddTransferCommands(CLI::App& app, Runner& run);   // export, import
void AddServeCommand(CLI::App& app, Runner& run);       // serve
void AddMailCommands(CLI::App& app, Runner& run);       // mail queue|flush|activation
void AddMailStoreCommands(CLI::App& app, Runner& run);  // mail deliver (after AddMailCommands)
// Delivers the French demo messages into the demo mailboxes (caduce init --demo).
Status DeliverDemoMail(Context& c);

// Parses repeated "--set HEADER=VALUE" (header or key, loosely matched).
Status ParseSets(const std::vector<std::string>& sets,
                 std::map<directory::Field, std::string>* out);

}  // namespace caduce::cli

#endif  // CADUCE_CLI_RUNNER_H_
