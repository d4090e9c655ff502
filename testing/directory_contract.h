// File: testing/directory_contract.h
//
// The contract every directory::DirectoryRepository backend must pass (STYLE.md
// convention 9): structures, administrators, operators, accounts, connection
// rights, expiry, the autocomplete search, and the transaction guarantees the
// directory relies on. The tests are value-parameterized over a factory that
// makes a fresh, empty, migrated database and its repository; a backend's test
// file instantiates them once:
//
//   caduce::testing::DirectoryBackendFactory MakeSqlite() { ... }
//   INSTANTIATE_TEST_SUITE_P(Sqlite, DirectoryContractTest,
//                            ::testing::Values(MakeSqlite()),
//                            caduce::testing::DirectoryBackendName);
//
// The suite links as an object library (caduce_directory_contract) so that its
// TEST_P registrations reach the test binary even though nothing calls into them.
#ifndef CADUCE_TESTING_DIRECTORY_CONTRACT_H_
#define CADUCE_TESTING_DIRECTORY_CONTRACT_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "base/status.h"
#include "directory/model.h"
#include "directory/repository.h"
#include "storage/database.h"

namespace caduce::testing {

// What a backend hands the suite for one test. Members are destroyed in reverse
// order, so `keep_alive` (a temporary directory, a server handle) outlives both.
struct DirectoryBackend {
  std::shared_ptr<void> keep_alive;
  std::unique_ptr<storage::Database> db;
  std::unique_ptr<directory::DirectoryRepository> repo;
};

struct DirectoryBackendFactory {
  std::string name;  // a test name suffix: letters, digits and '_' only
  std::function<Result<DirectoryBackend>()> make;
};

inline void PrintTo(const DirectoryBackendFactory& f, std::ostream* os) { *os << f.name; }

// The name generator for INSTANTIATE_TEST_SUITE_P.
inline std::string DirectoryBackendName(
    const ::testing::TestParamInfo<DirectoryBackendFactory>& info) {
  return info.param.name;
}

class DirectoryContractTest : public ::testing::TestWithParam<DirectoryBackendFactory> {
 protected:
  void SetUp() override;

  storage::Database& db() { return *backend_.db; }
  directory::DirectoryRepository& repo() { return *backend_.repo; }

  // Runs `fn` in a write transaction and commits it when `fn` succeeds.
  Status InWrite(const std::function<Status(storage::Tx&)>& fn);
  // Runs `fn` in a read transaction.
  Status InRead(const std::function<Status(storage::Tx&)>& fn);

  // Inserts a structure and returns its id.
  Result<int64_t> AddStructure(const std::string& name, const std::string& mss_domain = "");
  // Inserts `account` and returns its id.
  Result<int64_t> AddAccount(const directory::Account& account);
  // Inserts an account made by NewAccount and returns its id.
  Result<int64_t> AddAccount(int64_t structure_id, directory::AccountType type,
                             const std::string& address, const std::string& nom = "",
                             const std::string& prenom = "");

  // An account with the given identity and plausible values elsewhere.
  static directory::Account NewAccount(int64_t structure_id, directory::AccountType type,
                                       const std::string& address, const std::string& nom = "",
                                       const std::string& prenom = "");

  // The addresses found by `q`, in the order returned.
  Result<std::vector<std::string>> SearchAddresses(const directory::SearchQuery& q);
  Result<std::vector<std::string>> SearchAddresses(const std::string& prefix);

 private:
  DirectoryBackend backend_;
};

}  // namespace caduce::testing

#endif  // CADUCE_TESTING_DIRECTORY_CONTRACT_H_
