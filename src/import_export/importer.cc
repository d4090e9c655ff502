// The account import: header mapping, row buffering, two passes (persons, then
// shared mailboxes with their connection accounts) in one transaction, a savepoint
// per row, and the report.
#include "import_export/importer.h"

#include <openssl/evp.h>
#include <sodium.h>

#include <algorithm>
#include <bitset>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>

#include <boost/unordered/unordered_flat_map.hpp>
#include <fmt/format.h>

#include "base/json.h"
#include "base/text.h"
#include "import_export/formats/spreadsheet.h"
#include "import_export/plan_repository.h"

namespace caduce::import_export {
namespace {

using directory::Account;
using directory::AccountDraft;
using directory::Actor;
using directory::DirectoryService;
using directory::Field;
using directory::FieldIndex;
using directory::Finding;
using directory::Severity;
using directory::Spec;
using storage::Tx;
using storage::TxMode;

constexpr int64_t kProgressEvery = 500;
// Trail entries of accepted rows held before they are appended to the real trail.
constexpr size_t kAuditBatch = 1024;

// Columns an export adds for the administrator's information; the import ignores
// them without a warning (FIELDS.md: "Extra export-only columns are ignored").
bool IsExportOnlyHeader(std::string_view header) {
  std::string f = text::FoldLoose(header);
  return f == "statut" || f == "resultat" || f == "derniere connexion" ||
         f == "visible dans l annuaire" || f == "compte par defaut";
}

// With OpenSSL, whose SHA-256 uses the processor's SHA instructions where it has
// them (7 MB in ~4 ms here, against ~30 ms for a portable implementation).
Result<std::string> Sha256Hex(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    return InvalidArgumentError(fmt::format("Le fichier « {} » est illisible.", path));
  }
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (ctx == nullptr || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    std::fclose(f);
    return InternalError("SHA-256 unavailable");
  }
  std::vector<unsigned char> buf(1 << 16);
  size_t n;
  bool ok = true;
  while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) {
    ok = ok && EVP_DigestUpdate(ctx.get(), buf.data(), n) == 1;
  }
  const bool read_error = std::ferror(f) != 0;
  std::fclose(f);
  if (read_error) {
    return InvalidArgumentError(fmt::format("Le fichier « {} » est illisible.", path));
  }
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (!ok || EVP_DigestFinal_ex(ctx.get(), out, &size) != 1) {
    return InternalError("SHA-256 failed");
  }
  char hex[2 * EVP_MAX_MD_SIZE + 1];
  sodium_bin2hex(hex, sizeof hex, out, size);
  return std::string(hex);
}

// The text a cell gives a field. Dates lose their time of day; everything else is
// the reader's text (numbers in their shortest decimal form). In a workbook, an
// apostrophe before '=', '+', '-' or '@' is the mark that keeps a text from being
// read as a formula (our CSV export writes it, and LibreOffice keeps it when it
// saves such a CSV as a workbook): it is not part of the value. The CSV reader
// already removes it.
// A view into the cell's text (no copy).
std::string_view CellValue(const Cell& c, bool workbook) {
  std::string_view v = c.text;
  if (c.kind == Cell::Kind::kDate) return v.substr(0, v.find('T'));
  if (workbook && c.kind == Cell::Kind::kText && v.size() >= 2 && v[0] == '\'' &&
      (v[1] == '=' || v[1] == '+' || v[1] == '-' || v[1] == '@')) {
    return v.substr(1);
  }
  return v;
}

directory::FieldValues UnpackValues(const std::string& packed) {
  directory::FieldValues out;
  size_t i = 0;
  while (i < packed.size()) {
    size_t field = static_cast<unsigned char>(packed[i]);
    uint32_t len;
    std::memcpy(&len, packed.data() + i + 1, sizeof len);
    out[field].assign(packed.data() + i + 1 + sizeof len, len);
    i += 1 + sizeof len + len;
  }
  return out;
}

// One data row, kept compact: the values of the mapped columns, length-prefixed.
struct BufferedRow {
  int64_t number = 0;
  std::string packed;                          // (field, length, bytes)*
  std::bitset<directory::kNumFields> numeric;  // from a numeric cell
  std::bitset<directory::kNumFields> present;  // the file has a value (maybe empty)
  bool shared = false;  // ORG or APP: applied in the second pass
  std::string address;  // lowercase, as the row names it ("" when none)

  void Put(Field f, std::string_view v) {
    packed += static_cast<char>(FieldIndex(f));
    uint32_t len = static_cast<uint32_t>(v.size());
    packed.append(reinterpret_cast<const char*>(&len), sizeof len);
    packed.append(v);
  }
  directory::FieldValues Unpack() const { return UnpackValues(packed); }
};

Finding RowError(Field f, std::string code, std::string message) {
  return Finding{f, Severity::kError, std::move(code), std::move(message)};
}

// The rows the reader thread hands to the importer, in batches, with a bound on
// how far the reader may run ahead (memory stays that of the buffered rows).
class RowQueue {
 public:
  static constexpr size_t kBatch = 256;
  static constexpr size_t kMaxBatches = 64;

  // Blocks while the queue is full; false once the importer stopped listening.
  bool Push(std::vector<BufferedRow> batch) {
    std::unique_lock<std::mutex> lock(mu_);
    space_.wait(lock, [&] { return cancelled_ || batches_.size() < kMaxBatches; });
    if (cancelled_) return false;
    batches_.push_back(std::move(batch));
    ready_.notify_one();
    return true;
  }
  // The reader is done: `st` says whether it read the whole file.
  void Finish(Status st) {
    std::lock_guard<std::mutex> lock(mu_);
    done_ = true;
    status_ = std::move(st);
    ready_.notify_one();
  }
  // The next batch; false when the reader is done and every batch was taken.
  bool Pop(std::vector<BufferedRow>* batch) {
    std::unique_lock<std::mutex> lock(mu_);
    ready_.wait(lock, [&] { return done_ || !batches_.empty(); });
    if (batches_.empty()) return false;
    *batch = std::move(batches_.front());
    batches_.pop_front();
    space_.notify_one();
    return true;
  }
  void Cancel() {
    std::lock_guard<std::mutex> lock(mu_);
    cancelled_ = true;
    space_.notify_all();
  }
  Status status() {
    std::lock_guard<std::mutex> lock(mu_);
    return status_;
  }

 private:
  std::mutex mu_;
  std::condition_variable ready_, space_;
  std::deque<std::vector<BufferedRow>> batches_;
  bool done_ = false;
  bool cancelled_ = false;
  Status status_;
};

// The import's write transaction, driven by a thread of its own while the planner
// reads its snapshot of the store through another connection: the trail entries
// and the new accounts of accepted rows are written on the second core as the rows
// are planned. Jobs run in the order they were posted; after the first failure the
// rest are dropped, and Close() returns it. REQUIRES: nothing else uses the
// transaction until Close() returned.
class StoreWriter {
 public:
  using Job = std::function<Status(Tx&)>;
  // How many jobs may wait: the planner runs at most this far ahead of the writer.
  static constexpr size_t kMaxJobs = 8;

  explicit StoreWriter(Tx& tx) : tx_(tx), thread_([this] { Loop(); }) {}
  // Drops the jobs that wait (an import that stopped rolls back).
  ~StoreWriter() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      jobs_.clear();
      space_.notify_all();
    }
    (void)Close();
  }
  StoreWriter(const StoreWriter&) = delete;
  StoreWriter& operator=(const StoreWriter&) = delete;

  // Queues `job`, waiting while kMaxJobs do. Dropped when a job failed already.
  void Post(Job job) {
    std::unique_lock<std::mutex> lock(mu_);
    space_.wait(lock, [&] { return !status_.ok() || jobs_.size() < kMaxJobs; });
    if (!status_.ok()) return;
    jobs_.push_back(std::move(job));
    ready_.notify_one();
  }
  // Runs what waits, stops the thread, and returns the first failure.
  Status Close() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      closing_ = true;
      ready_.notify_one();
    }
    if (thread_.joinable()) thread_.join();
    std::lock_guard<std::mutex> lock(mu_);
    return status_;
  }

 private:
  void Loop() {
    for (;;) {
      Job job;
      {
        std::unique_lock<std::mutex> lock(mu_);
        ready_.wait(lock, [&] { return closing_ || !jobs_.empty(); });
        if (jobs_.empty()) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
        space_.notify_one();
      }
      Status st = job(tx_);
      if (!st.ok()) {
        std::lock_guard<std::mutex> lock(mu_);
        status_ = std::move(st);
        jobs_.clear();
        space_.notify_all();
        return;
      }
    }
  }

  Tx& tx_;
  std::mutex mu_;
  std::condition_variable ready_, space_;
  std::deque<Job> jobs_;  // GUARDED_BY(mu_)
  bool closing_ = false;  // GUARDED_BY(mu_)
  Status status_;         // GUARDED_BY(mu_)
  std::thread thread_;    // last: starts once the members above are made
};

bool HasError(const std::vector<Finding>& findings) {
  for (const Finding& f : findings) {
    if (f.severity == Severity::kError) return true;
  }
  return false;
}

class Importer {
 public:
  Importer(DirectoryService& service, const Actor& actor, const ImportOptions& options)
      : real_(service), service_(&service), actor_(actor), options_(options) {}

  Result<ImportReport> Run(const std::string& path);

 private:
  // Reads the file into `queue` (runs on the reader thread; touches only the
  // header mapping before the first batch is pushed).
  Status ReadFile(const std::string& path, RowQueue& queue);
  // Takes a batch from the reader: buffers its rows and, while no address repeats
  // one already applied, applies its person rows at once (pass 1 overlaps the
  // reading; see Run).
  Status TakeBatch(Tx& tx, std::vector<BufferedRow> batch);
  // Begins the import's transaction and computes the actor's scope and the
  // default structure.
  Result<std::unique_ptr<Tx>> BeginImport();
  void SetUpPlan();
  Status MapHeader(const Row& header);
  Status ApplyRow(Tx& tx, const BufferedRow& row, RowReport& report);
  // Reads at once the stored accounts named by the rows that `pick` gives for 0 …
  // n - 1 (nullptr: no row), which are planned next (PlanRepository::PrefetchStored).
  template <typename Pick>
  Status Prefetch(Tx& tx, size_t n, Pick pick) {
    if (!plan_) return OkStatus();
    std::vector<std::string_view> addresses;
    addresses.reserve(n);
    for (size_t k = 0; k < n; ++k) {
      const BufferedRow* row = pick(k);
      if (row != nullptr && !row->address.empty()) addresses.push_back(row->address);
    }
    return plan_->PrefetchStored(tx, addresses);
  }
  // The same for the next RowQueue::kBatch rows of `order` (rows_ indexes) from `at`.
  Status PrefetchNext(Tx& tx, const std::vector<size_t>& order, size_t at) {
    return Prefetch(tx, std::min(RowQueue::kBatch, order.size() - at),
                    [&](size_t k) { return &rows_[order[at + k]]; });
  }
  Status ApplyRowAt(Tx& tx, size_t i) {
    CADUCE_RETURN_IF_ERROR(ApplyRow(tx, rows_[i], report_.rows_report[i]));
    if (++applied_ % kProgressEvery == 0) Report(Progress::Phase::kApplying);
    return OkStatus();
  }
  Result<std::optional<int64_t>> ResolveStructure(Tx& tx, const std::string& name,
                                                  RowReport& report);
  void Report(Progress::Phase phase) {
    if (!options_.progress) return;
    Progress p;
    p.phase = phase;
    p.rows_read = static_cast<int64_t>(rows_.size());
    p.rows_total = phase == Progress::Phase::kReading ? 0 : p.rows_read;
    p.rows_applied = applied_;
    options_.progress(p);
  }

  // A row's savepoint: in the transaction for a real import, in the plan for a dry
  // run (which writes nothing to roll back).
  Status SetSavepoint(Tx& tx) {
    if (plan_) {
      plan_mark_ = plan_->Mark();
      plan_audit_mark_ = plan_audit_repo_->Mark();
      return OkStatus();
    }
    return tx.SetSavepoint();
  }
  Status RollbackToSavepoint(Tx& tx) {
    if (plan_) {
      plan_->RollbackTo(plan_mark_);
      plan_audit_repo_->RollbackTo(plan_audit_mark_);
      return OkStatus();
    }
    return tx.RollbackToSavepoint();
  }
  Status ReleaseSavepoint(Tx& tx) {
    if (plan_) {
      plan_->Forget(plan_mark_);
      if (writer_ != nullptr) {
        // The new accounts of accepted rows go to the store as the rows come.
        if (auto job = plan_->StreamNewAccounts()) writer_->Post(std::move(job));
      }
      // The trail entries of accepted rows are final: appended to the real trail
      // as they come, a batch at a time (the trail has no reference to the
      // accounts), so that they are not all held.
      if (plan_audit_repo_->Mark() >= kAuditBatch) return AppendPlannedEvents(tx);
      return OkStatus();
    }
    return tx.ReleaseSavepoint();
  }
  // Appends the events of the rows accepted so far to the real trail (applied
  // import only; a dry run collects none).
  // While the writer runs, they are handed to it (its transaction, its thread).
  Status AppendPlannedEvents(Tx& tx) {
    if (writer_ != nullptr) {
      writer_->Post([this, events = plan_audit_repo_->Take()](Tx& wtx) mutable {
        return real_.audit().AppendAll(wtx, std::move(events));
      });
      return OkStatus();
    }
    return real_.audit().AppendAll(tx, plan_audit_repo_->Take());
  }
  // Whether the rows go through the plan (a dry run, or an import applied from its
  // plan) rather than straight through the real service.
  bool Planned() const { return options_.dry_run || !options_.apply_row_by_row; }

  DirectoryService& real_;
  // The service the rows go through: real_, or for a dry run the same service over
  // the plan (plan_repository.h), so that one planner serves both.
  DirectoryService* service_;
  std::unique_ptr<PlanRepository> plan_;
  std::unique_ptr<PlanAuditRepository> plan_audit_repo_;
  std::unique_ptr<audit::AuditLog> plan_audit_;
  std::unique_ptr<DirectoryService> plan_service_;
  // An applied import's writer (see Run), while the rows are planned.
  StoreWriter* writer_ = nullptr;
  size_t plan_mark_ = 0;
  size_t plan_audit_mark_ = 0;
  Actor actor_;  // with its scope, computed once in the import's transaction
  const ImportOptions& options_;
  ImportReport report_;
  std::vector<std::optional<Field>> columns_;  // file column → field
  std::bitset<directory::kNumFields> has_column_;
  std::vector<BufferedRow> rows_;
  // The rows naming each address (one lookup a row). A row applied while the
  // file was still being read whose address a later row repeats sets early_ to
  // false: pass 1 then starts again from scratch once every row is known (both
  // rows must be rejected).
  struct AddressRows {
    int64_t first = 0;          // the number of the first row naming it
    std::vector<int64_t> more;  // the rows naming it again (none, usually)
    bool applied_early = false;
  };
  struct TextHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // A flat table (one probe a row); its values move when it grows: no pointer to
  // one is kept across an insertion. Not reserved from the file's size: a flat
  // table's room goes by powers of two, and an estimate just above one would
  // double it (17 MB more for 100,000 rows); growing costs a few milliseconds.
  boost::unordered_flat_map<std::string, AddressRows, TextHash, std::equal_to<>> rows_by_address_;
  bool early_ = true;
  // About how many rows the file holds, from its size (a row takes 70 bytes or
  // more in a workbook, more in a CSV): room made at once in the tables that hold
  // a row each.
  size_t expected_rows_ = 0;
  std::map<std::string, std::optional<int64_t>> structures_;  // folded name → id
  int64_t default_structure_ = 0;
  int64_t applied_ = 0;
};

Status Importer::MapHeader(const Row& header) {
  columns_.assign(header.cells.size(), std::nullopt);
  std::vector<std::string> missing;
  for (size_t i = 0; i < header.cells.size(); ++i) {
    std::string name(text::Trim(header.cells[i].text));
    if (name.empty()) continue;
    std::optional<Field> f = directory::FieldByHeader(name);
    if (!f) {
      if (!IsExportOnlyHeader(name)) {
        report_.file_findings.push_back(FileFinding{
            Severity::kWarning, "unknown_column",
            fmt::format("La colonne « {} » (colonne {}) n'est pas une colonne du fichier de "
                        "comptes : elle est ignorée.",
                        name, ColumnName(static_cast<int32_t>(i)))});
      }
      continue;
    }
    if (has_column_[FieldIndex(*f)]) {
      return InvalidArgumentError(fmt::format(
          "La colonne « {} » apparaît deux fois (colonne {}) : gardez-en une seule, puis "
          "importez à nouveau. Rien n'a été importé.",
          Spec(*f).header, ColumnName(static_cast<int32_t>(i))));
    }
    has_column_.set(FieldIndex(*f));
    columns_[i] = *f;
    report_.columns.push_back(*f);
  }
  for (Field f : MandatoryColumns()) {
    if (!has_column_[FieldIndex(f)]) missing.push_back(fmt::format("« {} »", Spec(f).header));
  }
  if (!missing.empty()) {
    std::string list;
    for (size_t i = 0; i < missing.size(); ++i) {
      if (i) list += ", ";
      list += missing[i];
    }
    return InvalidArgumentError(fmt::format(
        "Colonne{} obligatoire{} absente{} : {}. La première ligne du fichier doit porter les "
        "en-têtes des colonnes (voir le fichier exporté). Rien n'a été importé.",
        missing.size() > 1 ? "s" : "", missing.size() > 1 ? "s" : "",
        missing.size() > 1 ? "s" : "", list));
  }
  return OkStatus();
}

Status Importer::ReadFile(const std::string& path, RowQueue& queue) {
  std::string head(8, '\0');
  if (std::FILE* f = std::fopen(path.c_str(), "rb")) {
    head.resize(std::fread(head.data(), 1, head.size(), f));
    std::fclose(f);
  }
  CADUCE_TRY(SpreadsheetFormat format, SniffFormat(head));
  bool workbook = format != SpreadsheetFormat::kCsv;
  CADUCE_TRY(auto reader, OpenSpreadsheet(path, options_.limits));
  bool have_header = false;
  std::vector<BufferedRow> batch;
  for (;;) {
    CADUCE_TRY(std::optional<Row> row, reader->Next());
    if (!row) break;
    bool empty = true;
    for (const Cell& c : row->cells) {
      if (c.kind != Cell::Kind::kEmpty && !text::Trim(c.text).empty()) {
        empty = false;
        break;
      }
    }
    if (empty) continue;  // an empty middle row: nothing to do
    if (!have_header) {
      CADUCE_RETURN_IF_ERROR(MapHeader(*row));
      have_header = true;
      continue;
    }
    BufferedRow b;
    b.number = row->number;
    size_t packed_size = 0;  // at most: one allocation for the row's values
    for (const Cell& c : row->cells) packed_size += c.text.size() + 1 + sizeof(uint32_t);
    b.packed.reserve(packed_size);
    for (size_t i = 0; i < row->cells.size() && i < columns_.size(); ++i) {
      if (!columns_[i]) continue;
      const Cell& c = row->cells[i];
      size_t fi = FieldIndex(*columns_[i]);
      b.present.set(fi);
      if (c.kind == Cell::Kind::kNumber) b.numeric.set(fi);
      if (c.kind != Cell::Kind::kEmpty) b.Put(*columns_[i], CellValue(c, workbook));
      if (*columns_[i] == Field::kType) {
        std::optional<directory::AccountType> t = directory::ParseAccountType(c.text);
        b.shared = t && directory::IsSharedMailbox(*t);
      }
      if (*columns_[i] == Field::kAddress) b.address = text::ToLowerAscii(text::Trim(c.text));
    }
    batch.push_back(std::move(b));
    if (batch.size() == RowQueue::kBatch) {
      if (!queue.Push(std::move(batch))) return OkStatus();  // the import stopped
      batch.clear();
    }
  }
  if (!have_header) {
    return InvalidArgumentError(
        "Le fichier est vide : il doit contenir une ligne d'en-têtes puis une ligne par "
        "compte.");
  }
  if (!batch.empty()) queue.Push(std::move(batch));
  return OkStatus();
}

Status Importer::TakeBatch(Tx& tx, std::vector<BufferedRow> batch) {
  if (early_) {  // the person rows of the batch are planned below, as they come
    CADUCE_RETURN_IF_ERROR(Prefetch(
        tx, batch.size(), [&](size_t k) { return batch[k].shared ? nullptr : &batch[k]; }));
  }
  for (BufferedRow& b : batch) {
    size_t i = rows_.size();
    AddressRows* same = nullptr;
    if (!b.address.empty()) {
      auto [it, fresh] = rows_by_address_.try_emplace(b.address);
      same = &it->second;  // valid until the next insertion, after this row
      if (fresh) {
        same->first = b.number;
      } else {
        same->more.push_back(b.number);
        if (same->applied_early) early_ = false;
      }
    }
    rows_.push_back(std::move(b));
    report_.rows_report.emplace_back().row = rows_[i].number;
    if (rows_.size() % kProgressEvery == 0) Report(Progress::Phase::kReading);
    if (early_ && !rows_[i].shared) {
      if (same != nullptr) same->applied_early = true;
      CADUCE_RETURN_IF_ERROR(ApplyRowAt(tx, i));
    }
  }
  return OkStatus();
}

void Importer::SetUpPlan() {
  // The rows go through the same service, whose store keeps the writes in memory
  // (written in bulk at the end, or never for a dry run) and whose trail keeps no
  // chain (the events of an applied import are appended to the real one).
  plan_service_.reset();
  plan_audit_.reset();
  plan_ = std::make_unique<PlanRepository>(real_.repo());
  plan_->Reserve(expected_rows_);
  plan_audit_repo_ = std::make_unique<PlanAuditRepository>(!options_.dry_run);
  plan_audit_ = std::make_unique<audit::AuditLog>(*plan_audit_repo_, real_.clock());
  plan_service_ = std::make_unique<DirectoryService>(real_.db(), *plan_, *plan_audit_,
                                                     real_.reference(), real_.clock());
  service_ = plan_service_.get();
}

Result<std::optional<int64_t>> Importer::ResolveStructure(Tx& tx, const std::string& name,
                                                          RowReport& report) {
  std::string key = text::CollapseSpaces(name);
  if (key.empty()) {
    if (default_structure_ == 0) {
      report.findings.push_back(RowError(
          Field::kStructure, "structure_required",
          "Vous administrez plusieurs structures : indiquez dans la colonne « Structure » "
          "l'intitulé exact de celle du compte."));
      return std::optional<int64_t>();
    }
    return std::optional<int64_t>(default_structure_);
  }
  auto it = structures_.find(key);
  if (it == structures_.end()) {
    CADUCE_TRY(directory::Scope scope, service_->ScopeOf(tx, actor_));
    CADUCE_TRY(std::optional<directory::Structure> s,
               service_->repo().FindStructureByName(tx, key));
    std::optional<int64_t> id;
    if (s && scope.Covers(s->id)) id = s->id;
    it = structures_.emplace(key, id).first;
  }
  if (!it->second) {
    report.findings.push_back(RowError(
        Field::kStructure, "structure_unknown",
        fmt::format("La structure « {} » n'existe pas ou vous ne l'administrez pas : indiquez "
                    "l'intitulé exact d'une de vos structures.",
                    key)));
  }
  return it->second;
}

Status Importer::ApplyRow(Tx& tx, const BufferedRow& row, RowReport& rr) {
  AccountDraft draft;
  draft.values = row.Unpack();
  draft.numeric_cell = row.numeric;
  rr.address = text::ToLowerAscii(text::Trim(draft.values[FieldIndex(Field::kAddress)]));
  rr.type = text::ToUpper(text::Trim(draft.values[FieldIndex(Field::kType)]));

  // Two rows naming one address: both rejected (the file must say one thing).
  auto dup = rows_by_address_.find(rr.address);
  if (dup != rows_by_address_.end() && !dup->second.more.empty()) {
    const std::vector<int64_t>& more = dup->second.more;
    std::string lines = std::to_string(dup->second.first);
    for (size_t i = 0; i < more.size(); ++i) {
      lines += i + 1 == more.size() ? " et " : ", ";
      lines += std::to_string(more[i]);
    }
    rr.findings.push_back(RowError(
        Field::kAddress, "duplicate_address",
        fmt::format("L'adresse « {} » figure sur plusieurs lignes ({}) : gardez-en une seule.",
                    rr.address, lines)));
    rr.action = RowAction::kRejected;
    return OkStatus();
  }

  CADUCE_TRY(std::optional<int64_t> structure_id,
             ResolveStructure(tx, draft.values[FieldIndex(Field::kStructure)], rr));
  if (!structure_id) {
    rr.action = RowAction::kRejected;
    return OkStatus();
  }

  std::optional<Account> existing;
  if (!rr.address.empty()) {
    // The brief first: most rows of a large import create accounts.
    CADUCE_TRY(std::optional<directory::AccountBrief> brief,
               service_->repo().FindAccountBriefByAddress(tx, rr.address));
    if (brief) {
      CADUCE_TRY(existing, service_->repo().FindAccount(tx, brief->id));
    }
  }
  CADUCE_RETURN_IF_ERROR(SetSavepoint(tx));
  Status st;
  if (existing) {
    CADUCE_TRY(directory::Scope scope, service_->ScopeOf(tx, actor_));
    if (!scope.Covers(existing->structure_id)) {
      rr.findings.push_back(RowError(
          Field::kAddress, "address_taken",
          fmt::format("L'adresse « {} » est déjà celle d'un compte d'une autre structure : "
                      "choisissez-en une autre.",
                      rr.address)));
    } else if (existing->structure_id != *structure_id) {
      rr.findings.push_back(RowError(
          Field::kStructure, "structure_immutable",
          fmt::format("Le compte « {} » appartient à une autre de vos structures : un compte "
                      "ne change pas de structure.",
                      rr.address)));
    } else {
      // Columns the file does not have keep their stored values.
      CADUCE_TRY(directory::FieldValues current, service_->RowOf(tx, *existing));
      AccountDraft merged;
      merged.values = current;
      for (size_t i = 0; i < directory::kNumFields; ++i) {
        if (has_column_[i]) merged.values[i] = draft.values[i];
      }
      merged.numeric_cell = draft.numeric_cell;
      bool changed = false;
      std::vector<std::string> persons;
      Result<Account> r = service_->ReplaceAccountInTx(tx, actor_, *existing, merged,
                                                      directory::Channel::kImport, &rr.findings,
                                                      &changed, &persons);
      st = r.status();
      if (st.ok()) {
        rr.action = changed ? RowAction::kUpdated : RowAction::kUnchanged;
        if (has_column_[FieldIndex(Field::kConnectionAccounts)] &&
            directory::IsSharedMailbox(existing->type)) {
          st = service_->SetConnectionAccountsInTx(tx, actor_, *r, persons, &rr.findings,
                                                  &rr.rights_granted, &rr.rights_revoked);
          if (st.ok() && (rr.rights_granted || rr.rights_revoked)) {
            rr.action = RowAction::kUpdated;
          }
        }
      }
    }
  } else {
    directory::CreateOptions opts;
    opts.channel = directory::Channel::kImport;
    opts.visible_in_directory = options_.visible;
    Result<Account> r =
        service_->CreateAccountInTx(tx, actor_, *structure_id, draft, opts, &rr.findings);
    st = r.status();
    if (st.ok()) {
      rr.action = RowAction::kCreated;
      if (directory::IsSharedMailbox(r->type)) {
        CADUCE_TRY(auto rights, service_->repo().RightsOnMailbox(tx, r->id));
        rr.rights_granted = static_cast<int64_t>(rights.size());
      }
      if (options_.notify && directory::IsNominative(r->type)) {
        CADUCE_RETURN_IF_ERROR(service_->repo().EnqueueNotification(
            tx, r->id, "activation", real_.clock().NowMicros()));
        ++report_.notifications_queued;
      }
    }
  }
  if (st.ok() && HasError(rr.findings)) st = InvalidArgumentError("row refused");
  if (!st.ok()) {
    switch (st.code()) {
      case Code::kInvalidArgument:
      case Code::kAlreadyExists:
      case Code::kNotFound:
      case Code::kFailedPrecondition:
        break;
      case Code::kPermissionDenied:
        if (!HasError(rr.findings)) {
          rr.findings.push_back(RowError(Field::kStructure, "permission_denied", st.message()));
        }
        break;
      default:
        return st;  // the store failed: the whole import stops, nothing is committed
    }
    if (!HasError(rr.findings)) {
      rr.findings.push_back(RowError(Field::kAddress, "refused", st.message()));
    }
    CADUCE_RETURN_IF_ERROR(RollbackToSavepoint(tx));
    rr.action = RowAction::kRejected;
    rr.rights_granted = rr.rights_revoked = 0;
  }
  return ReleaseSavepoint(tx);
}

Result<std::unique_ptr<Tx>> Importer::BeginImport() {
  actor_.scope.reset();
  // A dry run writes nothing: it plans in a read transaction, which leaves the
  // store's other writers alone.
  CADUCE_TRY(auto tx, service_->db().Begin(options_.dry_run ? TxMode::kRead : TxMode::kWrite));
  CADUCE_TRY(directory::Scope scope, service_->ScopeOf(*tx, actor_));
  actor_.scope = scope;
  if (!scope.IsAdministrator()) {
    return PermissionDeniedError("Vous n'administrez aucune structure : import impossible.");
  }
  default_structure_ = options_.structure_id;
  if (default_structure_ != 0 && !scope.Covers(default_structure_)) {
    return PermissionDeniedError("Vous n'administrez pas cette structure.");
  }
  if (default_structure_ == 0 && !scope.all && scope.structure_ids.size() == 1) {
    default_structure_ = scope.structure_ids.front();
  }
  if (default_structure_ == 0 && scope.all) {
    // The operator of a service with a single structure: that one.
    CADUCE_TRY(std::vector<directory::Structure> all, service_->repo().ListStructures(*tx));
    if (all.size() == 1) default_structure_ = all.front().id;
  }
  return tx;
}

Result<ImportReport> Importer::Run(const std::string& path) {
  report_.file_name = options_.file_name.empty() ? path : options_.file_name;
  report_.dry_run = options_.dry_run;
  // The file's hash on a thread of its own (30 ms for a 7 MB workbook), needed
  // by the report and the trail at the end; an unreadable file is reported as
  // the hash found it, before anything else.
  std::future<Result<std::string>> sha256 =
      std::async(std::launch::async, [&path] { return Sha256Hex(path); });
  std::error_code size_error;
  const uintmax_t file_size = std::filesystem::file_size(path, size_error);
  if (!size_error) {
    expected_rows_ = static_cast<size_t>(std::clamp<uintmax_t>(
        file_size / 64, 1024, static_cast<uintmax_t>(options_.limits.max_rows) + 1));
  }

  // The file is read on a thread of its own while pass 1 applies the person rows
  // already read (two cores: the XML and the store work side by side). Nothing is
  // applied before the header was read and checked, and a file-level error found
  // later still stops the import before its commit.
  RowQueue queue;
  std::thread reader([this, &path, &queue] { queue.Finish(ReadFile(path, queue)); });
  struct Join {
    RowQueue& queue;
    std::thread& reader;
    ~Join() {
      queue.Cancel();
      reader.join();
    }
  } join{queue, reader};

  std::vector<BufferedRow> batch;
  bool more = queue.Pop(&batch);
  if (!queue.status().ok()) {  // not a spreadsheet, no header, a missing column
    CADUCE_RETURN_IF_ERROR(sha256.get().status());
    return queue.status();
  }
  if (Planned()) SetUpPlan();
  CADUCE_TRY(auto tx, BeginImport());
  // An applied import holds its plan in memory until it writes it: the store
  // keeps less of its own meanwhile. Ended before the transaction closes.
  struct BulkWrite {
    std::function<void()> end;
    void End() {
      if (end) std::exchange(end, nullptr)();
    }
    ~BulkWrite() { End(); }
  } bulk;
  // An import applied from its plan uses both cores: the rows are planned in a
  // read transaction of their own (`plan_tx`), begun once the write transaction
  // holds the store's write lock, so that it sees the store exactly as the write
  // transaction does before its first write; the write transaction goes to a
  // writer thread, which writes the trail entries and the new accounts of the
  // accepted rows meanwhile. Declared after `tx` and `bulk`: stopped before they end.
  std::unique_ptr<Tx> plan_tx;
  std::unique_ptr<StoreWriter> writer;
  auto start_writing = [&]() -> Status {
    if (options_.dry_run || !plan_) return OkStatus();
    bulk.end = real_.repo().BeginBulkWrite(*tx);
    CADUCE_TRY(plan_tx, real_.db().Begin(TxMode::kRead));
    // A read transaction takes its snapshot at its first read.
    CADUCE_RETURN_IF_ERROR(real_.repo().ListStructures(*plan_tx).status());
    writer = std::make_unique<StoreWriter>(*tx);
    writer_ = writer.get();
    return OkStatus();
  };
  // Stops the writer (what it did is rolled back with `tx`, or written after it).
  auto stop_writing = [&]() -> Status {
    if (writer == nullptr) return OkStatus();
    Status st = writer->Close();
    writer_ = nullptr;
    writer.reset();
    plan_tx.reset();
    return st;
  };
  CADUCE_RETURN_IF_ERROR(start_writing());
  // The transaction the rows are planned (or, row by row, written) in.
  auto planning = [&]() -> Tx& { return plan_tx ? *plan_tx : *tx; };
  // A store not much larger than the file: its addresses read in one pass rather
  // than looked up one row at a time.
  auto load_briefs = [&]() -> Status {
    return plan_ ? plan_->LoadStoredBriefs(planning(), 2 * expected_rows_) : OkStatus();
  };
  CADUCE_RETURN_IF_ERROR(load_briefs());
  Report(Progress::Phase::kApplying);
  while (more) {
    CADUCE_RETURN_IF_ERROR(TakeBatch(planning(), std::move(batch)));
    more = queue.Pop(&batch);
  }
  CADUCE_RETURN_IF_ERROR(queue.status());
  report_.rows = static_cast<int64_t>(rows_.size());

  // Pass 1: persons (and rows whose type is not a shared one), so that pass 2 finds
  // every person the file creates, whatever the order of the rows. Already done
  // as the rows came, unless an address applied early came again: then it starts
  // over in a fresh transaction (or plan), now that every row is known.
  if (!early_) {
    (void)stop_writing();  // its work is rolled back with the transaction
    bulk.End();
    tx.reset();  // rolled back
    if (Planned()) SetUpPlan();
    CADUCE_TRY(tx, BeginImport());
    CADUCE_RETURN_IF_ERROR(start_writing());
    CADUCE_RETURN_IF_ERROR(load_briefs());
    applied_ = 0;
    report_.notifications_queued = 0;
    for (size_t i = 0; i < rows_.size(); ++i) {
      report_.rows_report[i] = RowReport{};
      report_.rows_report[i].row = rows_[i].number;
    }
    std::vector<size_t> persons;
    for (size_t i = 0; i < rows_.size(); ++i) {
      if (!rows_[i].shared) persons.push_back(i);
    }
    for (size_t at = 0; at < persons.size(); ++at) {
      if (at % RowQueue::kBatch == 0) CADUCE_RETURN_IF_ERROR(PrefetchNext(planning(), persons, at));
      CADUCE_RETURN_IF_ERROR(ApplyRowAt(planning(), persons[at]));
    }
  }
  std::vector<size_t> shared;
  for (size_t i = 0; i < rows_.size(); ++i) {
    if (rows_[i].shared) shared.push_back(i);
  }
  // Pass 2: shared mailboxes and their "Compte(s) de connexion".
  Report(Progress::Phase::kRights);
  for (size_t at = 0; at < shared.size(); ++at) {
    if (at % RowQueue::kBatch == 0) CADUCE_RETURN_IF_ERROR(PrefetchNext(planning(), shared, at));
    const size_t i = shared[at];
    CADUCE_RETURN_IF_ERROR(ApplyRow(planning(), rows_[i], report_.rows_report[i]));
    if (++applied_ % kProgressEvery == 0) Report(Progress::Phase::kRights);
  }

  for (RowReport& rr : report_.rows_report) {
    // An unchanged row is not the import's business: its warnings (a recommended
    // column left empty) were reported when it was written.
    if (rr.action == RowAction::kUnchanged) rr.findings.clear();
    switch (rr.action) {
      case RowAction::kCreated: ++report_.created; break;
      case RowAction::kUpdated: ++report_.updated; break;
      case RowAction::kUnchanged: ++report_.unchanged; break;
      case RowAction::kRejected: ++report_.rejected; break;
    }
    report_.rights_granted += rr.rights_granted;
    report_.rights_revoked += rr.rights_revoked;
    for (const Finding& f : rr.findings) {
      if (f.severity == Severity::kWarning) ++report_.warnings;
    }
  }
  for (const FileFinding& f : report_.file_findings) {
    if (f.severity == Severity::kWarning) ++report_.warnings;
  }

  CADUCE_TRY(report_.sha256, sha256.get());
  bool apply = !options_.dry_run && !(options_.all_or_nothing && report_.rejected > 0);
  if (apply) {
    if (plan_) {
      // The plan, for good: the trail entries of the last rows, then the accounts,
      // rights and messages in bulk, in the same transaction.
      Report(Progress::Phase::kWriting);
      CADUCE_RETURN_IF_ERROR(stop_writing());  // the writer's trail entries come first
      CADUCE_RETURN_IF_ERROR(AppendPlannedEvents(*tx));
      CADUCE_RETURN_IF_ERROR(plan_->WriteTo(*tx));
      Report(Progress::Phase::kWriting);
    }
    JsonObject detail;
    detail.Add("file", report_.file_name)
        .Add("sha256", report_.sha256)
        .AddRaw("counts", CountsJson(report_))
        .Add("notify", options_.notify)
        .Add("visible", options_.visible);
    // On the import's structure, so that the structure's trail lists it; with the
    // user agent like every entry the actor causes.
    audit::Event e = real_.MakeEvent(
        actor_, "import.applied",
        default_structure_ != 0 ? fmt::format("structure:{}", default_structure_)
                                : "file:" + report_.sha256,
        0, detail.str());
    CADUCE_RETURN_IF_ERROR(real_.audit().Append(*tx, std::move(e)));
    bulk.End();
    CADUCE_RETURN_IF_ERROR(tx->Commit());
    report_.applied = true;
  } else {
    report_.notifications_queued = 0;
  }
  // Otherwise the transaction is rolled back when `tx` goes out of scope.
  for (size_t i = 0; i < rows_.size(); ++i) {
    report_.rows_report[i].packed_values = std::move(rows_[i].packed);
  }
  Report(Progress::Phase::kDone);
  return std::move(report_);
}

}  // namespace

std::string_view RowActionLabel(RowAction action) {
  switch (action) {
    case RowAction::kCreated: return "créé";
    case RowAction::kUpdated: return "modifié";
    case RowAction::kUnchanged: return "inchangé";
    case RowAction::kRejected: return "rejeté";
  }
  return "?";
}

std::string CountsJson(const ImportReport& r) {
  JsonObject counts;
  counts.Add("rows", r.rows)
      .Add("created", r.created)
      .Add("updated", r.updated)
      .Add("unchanged", r.unchanged)
      .Add("rejected", r.rejected)
      .Add("rights_granted", r.rights_granted)
      .Add("rights_revoked", r.rights_revoked)
      .Add("warnings", r.warnings)
      .Add("notifications_queued", r.notifications_queued);
  return counts.str();
}

directory::FieldValues RowValues(const RowReport& row) {
  return UnpackValues(row.packed_values);
}

std::vector<Field> MandatoryColumns() {
  std::vector<Field> out;
  for (const directory::FieldSpec& s : directory::FieldTable()) {
    bool everywhere = true;
    for (auto r : s.requirement) {
      if (r != directory::Requirement::kMandatory) everywhere = false;
    }
    if (everywhere) out.push_back(s.field);
  }
  return out;
}

Result<ImportReport> ImportAccounts(DirectoryService& service, const Actor& actor,
                                    const std::string& path, const ImportOptions& options) {
  Importer importer(service, actor, options);
  return importer.Run(path);
}

}  // namespace caduce::import_export
