// Streaming export of accounts to XLSX (libxlsxwriter, constant memory) or CSV.
#include "import_export/exporter.h"

#include <fmt/format.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "import_export/formats/csv_writer.h"
#include "import_export/formats/xlsx_writer.h"

namespace caduce::import_export {
namespace {

using directory::Account;
using directory::Field;
using directory::FieldIndex;
using directory::FieldKind;
using storage::TxMode;

constexpr int kPage = 2000;
constexpr int64_t kLastSheetRow = 1048576;  // Excel's last row

// The values offered by the drop-down of a list column.
std::vector<std::string> ListValues(Field f, const directory::ReferenceData& ref) {
  auto of = [](const directory::ReferenceList& l) {
    std::vector<std::string> v;
    for (const auto& e : l.entries()) v.push_back(e.code + " - " + e.label);
    return v;
  };
  switch (f) {
    case Field::kType:
      return {"PER", "INT", "MED", "ORG", "APP"};
    case Field::kDepartement:
      return of(ref.departements());
    case Field::kRegion:
      return of(ref.regions());
    case Field::kProfession:
      return of(ref.professions());
    case Field::kSpecialite:
      return of(ref.specialites());
    case Field::kCiviliteExercice:
      return of(ref.civilites());
    case Field::kTypeIdStructure:
      return of(ref.types_id_structure());
    case Field::kActiviteLiberale:
      return {"OUI", "NON"};
    default:
      return {};
  }
}

double WidthOf(Field f) {
  switch (f) {
    case Field::kType:
      return 10;
    case Field::kAddress:
    case Field::kConnectionAccounts:
    case Field::kAlias:
      return 36;
    case Field::kCp:
    case Field::kActiviteLiberale:
      return 10;
    case Field::kDescription:
    case Field::kRaisonSociale:
    case Field::kAdresse1:
    case Field::kProfession:
    case Field::kSpecialite:
    case Field::kStructure:
    case Field::kDepartement:
    case Field::kRegion:
      return 28;
    default:
      return 16;
  }
}

// Rows handed from the thread that reads the database to a thread that writes
// the file, in batches: libxlsxwriter's cell storage and XML formatting then run
// beside the queries and the formatting of the next rows (the export has two
// cores to use; the deflate in Close() stays on one). The batches go back and
// forth, so their strings keep their capacity and memory stays bounded by
// kBatches * kBatchRows rows.
class RowPipe {
 public:
  static constexpr size_t kBatches = 4;
  static constexpr size_t kBatchRows = 512;
  using Batch = std::vector<std::vector<std::string>>;

  // `write` is called on the writer thread, in order, for every row pushed.
  RowPipe(size_t columns, std::function<Status(const std::vector<std::string>&)> write)
      : write_(std::move(write)) {
    for (size_t i = 0; i < kBatches; ++i) {
      free_.push_back(std::make_unique<Batch>(kBatchRows, std::vector<std::string>(columns)));
    }
    writer_ = std::thread([this] { Drain(); });
  }
  ~RowPipe() { (void)Finish(); }
  RowPipe(const RowPipe&) = delete;
  RowPipe& operator=(const RowPipe&) = delete;

  // The row to fill next (its strings hold an older row's values: overwrite
  // them all). Waits for a free batch; the writer's error once it failed.
  Result<std::vector<std::string>*> NextRow() {
    if (!filling_ || used_ == kBatchRows) {
      if (filling_) Send();
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return !free_.empty() || !failed_.ok(); });
      if (!failed_.ok()) return failed_;
      filling_ = std::move(free_.front());
      free_.pop_front();
      used_ = 0;
    }
    return &(*filling_)[used_++];
  }

  // Sends the last rows, waits for the writer, and returns its first error.
  Status Finish() {
    if (!writer_.joinable()) return failed_;
    if (filling_ && used_ > 0) Send();
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    writer_.join();
    return failed_;
  }

 private:
  void Send() {
    {
      std::lock_guard lock(mu_);
      full_.push_back({std::move(filling_), used_});
    }
    cv_.notify_all();
    filling_.reset();
    used_ = 0;
  }

  void Drain() {
    for (;;) {
      std::pair<std::unique_ptr<Batch>, size_t> job;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return !full_.empty() || done_; });
        if (full_.empty()) return;
        job = std::move(full_.front());
        full_.pop_front();
      }
      Status s;
      for (size_t i = 0; i < job.second && s.ok(); ++i) s = write_((*job.first)[i]);
      {
        std::lock_guard lock(mu_);
        if (!s.ok() && failed_.ok()) failed_ = s;
        free_.push_back(std::move(job.first));
      }
      cv_.notify_all();
    }
  }

  std::function<Status(const std::vector<std::string>&)> write_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Batch>> free_;                     // guarded by mu_
  std::deque<std::pair<std::unique_ptr<Batch>, size_t>> full_;  // guarded by mu_
  bool done_ = false;                                           // guarded by mu_
  Status failed_;                                               // guarded by mu_
  std::unique_ptr<Batch> filling_;                              // producer side only
  size_t used_ = 0;
  std::thread writer_;
};

std::string StatusLabel(const Account& a) {
  switch (a.status) {
    case directory::AccountStatus::kPending:
      return "en attente d'activation";
    case directory::AccountStatus::kActive:
      return "actif";
    case directory::AccountStatus::kDisabled:
      return a.disabled_reason == "expired" ? "désactivé (péremption)" : "désactivé";
  }
  return "";
}

}  // namespace

std::vector<std::string> ExportHeaders() {
  std::vector<std::string> h;
  for (const auto& s : directory::FieldTable()) h.emplace_back(s.header);
  h.emplace_back("Statut");
  return h;
}

Result<ExportStats> ExportAccounts(directory::DirectoryService& service,
                                   const directory::Actor& actor, const std::string& path,
                                   const ExportOptions& options) {
  CADUCE_TRY(auto tx, service.db().Begin(TxMode::kRead));
  CADUCE_TRY(directory::Scope scope, service.ScopeOf(*tx, actor));
  std::vector<int64_t> structures = options.structure_ids;
  if (structures.empty()) {
    if (scope.all) {
      CADUCE_TRY(auto all, service.repo().ListStructures(*tx));
      for (const auto& s : all) structures.push_back(s.id);
    } else {
      structures = scope.structure_ids;
    }
  }
  for (int64_t id : structures) {
    if (!scope.Covers(id)) {
      return PermissionDeniedError("Vous n'administrez pas cette structure : export impossible.");
    }
  }
  std::unordered_map<int64_t, std::string> structure_names;
  for (int64_t id : structures) {
    CADUCE_TRY(auto s, service.repo().FindStructure(*tx, id));
    if (s) structure_names[id] = s->name;
  }

  const directory::ReferenceData& ref = service.reference();
  std::vector<std::string> headers = ExportHeaders();
  std::unique_ptr<XlsxWriter> xlsx;
  std::unique_ptr<CsvWriter> csv;
  if (options.format == ExportFormat::kXlsx) {
    CADUCE_TRY(xlsx, XlsxWriter::Create(path, "Comptes"));
    std::vector<double> widths;
    for (const auto& s : directory::FieldTable()) widths.push_back(WidthOf(s.field));
    widths.push_back(22);
    CADUCE_RETURN_IF_ERROR(xlsx->SetColumns(headers, widths));
    for (const auto& s : directory::FieldTable()) {
      std::vector<std::string> values = ListValues(s.field, ref);
      if (!values.empty()) {
        CADUCE_RETURN_IF_ERROR(xlsx->AddListValidation(static_cast<int32_t>(FieldIndex(s.field)),
                                                       values, 2, kLastSheetRow));
      }
    }
  } else {
    CADUCE_TRY(csv, CsvWriter::Create(path));
    CADUCE_RETURN_IF_ERROR(csv->WriteRow(headers));
  }

  // Addresses of the persons named in "Compte(s) de connexion", looked up once.
  std::unordered_map<int64_t, std::string> addresses;
  auto address_of = [&](int64_t id) -> Result<std::string> {
    auto it = addresses.find(id);
    if (it != addresses.end()) return it->second;
    CADUCE_TRY(std::optional<directory::AccountBrief> a,
               service.repo().FindAccountBrief(*tx, id));
    std::string addr = a ? std::move(a->address) : "";
    addresses.emplace(id, addr);
    return addr;
  };

  // Declared after the writers: finished (joined) before they are destroyed.
  RowPipe pipe(headers.size(), [&](const std::vector<std::string>& r) {
    return xlsx ? xlsx->WriteRow(r) : csv->WriteRow(r);
  });
  ExportStats stats;
  for (int64_t sid : structures) {
    directory::AccountFilter f;
    f.structure_ids = {sid};
    f.limit = kPage;
    for (;;) {
      CADUCE_TRY(std::vector<Account> page, service.repo().ListAccounts(*tx, f));
      if (page.empty()) break;
      for (const Account& a : page) {
        if (directory::IsNominative(a.type)) addresses.emplace(a.id, a.address());
      }
      for (const Account& a : page) {
        CADUCE_TRY(std::vector<std::string> * next, pipe.NextRow());
        std::vector<std::string>& row = *next;
        for (const auto& s : directory::FieldTable()) {
          size_t i = FieldIndex(s.field);
          switch (s.field) {
            case Field::kType:
              row[i].assign(directory::AccountTypeCode(a.type));
              break;
            case Field::kConnectionAccounts: {
              row[i].clear();
              if (directory::IsSharedMailbox(a.type)) {
                CADUCE_TRY(auto rights, service.repo().RightsOnMailbox(*tx, a.id));
                std::vector<std::string> list;
                for (const auto& r : rights) {
                  CADUCE_TRY(std::string addr, address_of(r.person_id));
                  if (!addr.empty()) list.push_back(std::move(addr));
                }
                std::sort(list.begin(), list.end());
                for (size_t k = 0; k < list.size(); ++k) {
                  if (k) row[i] += ';';
                  row[i] += list[k];
                }
              }
              break;
            }
            case Field::kStructure:
              row[i] = structure_names[a.structure_id];
              break;
            default:
              // Assigned into the recycled string: no allocation once it is long enough.
              if (s.kind == FieldKind::kList) {
                row[i] = directory::DisplayValue(s.field, a.get(s.field), ref);
              } else {
                row[i].assign(a.get(s.field));
              }
          }
        }
        row.back().assign(StatusLabel(a));
        ++stats.accounts;
      }
      f.after_id = page.back().id;
    }
  }
  CADUCE_RETURN_IF_ERROR(pipe.Finish());
  if (xlsx) CADUCE_RETURN_IF_ERROR(xlsx->Close());
  if (csv) CADUCE_RETURN_IF_ERROR(csv->Close());
  return stats;
}

}  // namespace caduce::import_export
