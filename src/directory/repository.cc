// The default bulk insert of DirectoryRepository: one InsertAccount per account.
#include "directory/repository.h"

namespace caduce::directory {
namespace {

class OneByOne final : public DirectoryRepository::AccountBulkInsert {
 public:
  OneByOne(DirectoryRepository& repo, storage::Tx& tx) : repo_(repo), tx_(tx) {}

  Status Add(size_t count, const std::function<void(size_t, Account*)>& fill) override {
    for (size_t i = 0; i < count; ++i) {
      fill(i, &scratch_);
      CADUCE_TRY(int64_t id, repo_.InsertAccount(tx_, scratch_));
      if (added_ == 0) first_ = id;
      if (id != first_ + added_) {
        return InternalError("the store did not give consecutive ids to a bulk insert");
      }
      ++added_;
    }
    return OkStatus();
  }
  Result<int64_t> Finish() override { return first_; }

 private:
  DirectoryRepository& repo_;
  storage::Tx& tx_;
  Account scratch_;
  int64_t first_ = 0;
  int64_t added_ = 0;
};

}  // namespace

Result<std::unique_ptr<DirectoryRepository::AccountBulkInsert>>
DirectoryRepository::BeginInsertAccounts(storage::Tx& tx, size_t) {
  return std::unique_ptr<AccountBulkInsert>(new OneByOne(*this, tx));
}

}  // namespace caduce::directory
