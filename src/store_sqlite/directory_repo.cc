// The SQLite directory repository. The account SQL is built once from FieldTable()
// (the column names are FieldSpec::key), so adding a field to fields.cc and a
// column to a migration is all it takes; no statement lists the fields by hand.
// Search terms live in account_search beside each account's structure and
// directory flags; a prefix becomes the byte range [prefix, successor), walked in
// (term, account_id) order and cut as soon as the limit of distinct accounts is
// reached, which keeps a search over a million accounts to a few hundred rows.
#include "store_sqlite/directory_repo.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <string>
#include <tuple>
#include <unordered_set>
#include <utility>
#include <vector>

#include "base/text.h"
#include "directory/fields.h"
#include "store_sqlite/columns.h"
#include "store_sqlite/db.h"

namespace caduce::store_sqlite {
namespace {

using directory::Account;
using directory::AccountBrief;
using directory::AccountStatus;
using directory::AccountType;
using directory::ConnectionRight;
using directory::Field;
using directory::Structure;

// ---- Column mapping ---------------------------------------------------------------


// Columns read before the per-field ones, in this order, by every account SELECT.
constexpr std::string_view kFixedColumns =
    "id, structure_id, type, address, status, disabled_reason, visible_in_directory, "
    "default_mailbox_id, created_at, updated_at, password_hash IS NOT NULL";
constexpr int kFirstFieldColumn = 11;

// The account statements, built once from the field table.
struct AccountSql {
  std::vector<Field> columns;  // fields stored in a column of their own, in table order
  std::string find_by_id;
  std::string find_by_ids;  // ?1 to ?kIdsPerFind (NULL for none)
  std::string find_by_address;
  std::string list_all;           // ?1 after_id, ?2 type, ?3 status, ?4 limit
  std::string list_in_structure;  // the same and ?5 structure_id
  std::string insert;             // BindAccount's parameters, then created_at
  std::string update;             // BindAccount's parameters, then id
};

bool HasOwnColumn(Field f) {
  // The type and the address have dedicated columns read by the fixed part; the
  // connection accounts and the structure are relations, not columns.
  return f != Field::kType && f != Field::kAddress && f != Field::kConnectionAccounts &&
         f != Field::kStructure;
}

// Accounts written by one statement of a bulk insert.
constexpr size_t kAccountsPerInsert = 16;
// Accounts read by one statement of FindAccounts.
constexpr size_t kIdsPerFind = 64;

const AccountSql& Sql() {
  static const AccountSql* const sql = [] {
    auto* s = new AccountSql;
    for (const directory::FieldSpec& spec : directory::FieldTable()) {
      if (HasOwnColumn(spec.field)) s->columns.push_back(spec.field);
    }
    std::string select = fmt::format("SELECT {}", kFixedColumns);
    for (Field f : s->columns) select += fmt::format(", {}", directory::Spec(f).key);
    select += " FROM accounts";
    constexpr std::string_view kListFilter =
        "id > ?1 AND (?2 IS NULL OR type = ?2) AND (?3 IS NULL OR status = ?3) "
        "ORDER BY id LIMIT ?4";
    s->find_by_id = select + " WHERE id = ?1";
    s->find_by_ids = select + " WHERE id IN (?1";
    for (size_t i = 2; i <= kIdsPerFind; ++i) s->find_by_ids += fmt::format(", ?{}", i);
    s->find_by_ids += ")";
    s->find_by_address = select + " WHERE address = ?1";
    s->list_all = fmt::format("{} WHERE {}", select, kListFilter);
    s->list_in_structure = fmt::format("{} WHERE structure_id = ?5 AND {}", select, kListFilter);

    // Parameters 1-8 are the fixed columns below; the fields follow from 9.
    std::string names =
        "structure_id, type, address, status, disabled_reason, visible_in_directory, "
        "default_mailbox_id, updated_at";
    std::string values = "?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8";
    std::string sets =
        "structure_id = ?1, type = ?2, address = ?3, status = ?4, disabled_reason = ?5, "
        "visible_in_directory = ?6, default_mailbox_id = ?7, updated_at = ?8";
    int n = 9;
    for (Field f : s->columns) {
      std::string_view key = directory::Spec(f).key;
      names += fmt::format(", {}", key);
      values += fmt::format(", ?{}", n);
      sets += fmt::format(", {} = ?{}", key, n);
      ++n;
    }
    s->insert =
        fmt::format("INSERT INTO accounts ({}, created_at) VALUES ({}, ?{})", names, values, n);
    s->update = fmt::format("UPDATE accounts SET {} WHERE id = ?{}", sets, n);
    return s;
  }();
  return *sql;
}

// Binds the parameters shared by Sql().insert and Sql().update, from parameter
// 1 + offset; returns the index of the next parameter.
// REQUIRES: `a` stays as it is until the statement ran (its texts are not copied).
int BindAccount(Stmt& st, const Account& a, int offset = 0) {
  st.Bind(offset + 1, a.structure_id)
      .BindStatic(offset + 2, directory::AccountTypeCode(a.type))
      .BindStatic(offset + 3, std::string_view(a.address()))
      .BindStatic(offset + 4, StatusToSql(a.status))
      .BindStatic(offset + 5, std::string_view(a.disabled_reason))
      .Bind(offset + 6, int64_t{a.visible_in_directory ? 1 : 0});
  // 0 means "itself": stored as NULL so that the foreign key only sees real ids.
  if (a.default_mailbox_id == 0) {
    st.BindNull(offset + 7);
  } else {
    st.Bind(offset + 7, a.default_mailbox_id);
  }
  st.Bind(offset + 8, a.updated_at);
  int n = offset + 9;
  for (Field f : Sql().columns) st.BindStatic(n++, std::string_view(a.get(f)));
  return n;
}

// Sql().insert with `rows` rows of values: row k's parameters follow row k-1's
// (each row binds BindAccount's parameters, then created_at).
const std::string& InsertManySql(size_t rows) {
  static const std::vector<std::string> sql = [] {
    const std::string& one = Sql().insert;
    size_t values = one.find(" VALUES ");
    std::string_view row = std::string_view(one).substr(values + 8);  // "(?1, ?2, … ?n)"
    int per_row = static_cast<int>(std::count(row.begin(), row.end(), '?'));
    return ManyRowsInsertSql(std::string_view(one).substr(0, values + 8), per_row,
                             kAccountsPerInsert);
  }();
  return sql[rows];
}

Result<Account> ReadAccount(const Stmt& st) {
  Account a;
  a.id = st.Int64(0);
  a.structure_id = st.Int64(1);
  std::string_view type = st.TextView(2);
  std::optional<AccountType> t = directory::ParseAccountType(type);
  if (!t) return DataLossError(fmt::format("account {} has an unknown type '{}'", a.id, type));
  a.type = *t;
  a.get(Field::kType) = std::string(directory::AccountTypeCode(*t));
  a.get(Field::kAddress) = st.Text(3);
  std::string_view status = st.TextView(4);
  std::optional<AccountStatus> s = StatusFromSql(status);
  if (!s) return DataLossError(fmt::format("account {} has an unknown status '{}'", a.id, status));
  a.status = *s;
  a.disabled_reason = st.Text(5);
  a.visible_in_directory = st.Int64(6) != 0;
  a.default_mailbox_id = st.IsNull(7) ? 0 : st.Int64(7);
  a.created_at = st.Int64(8);
  a.updated_at = st.Int64(9);
  a.has_password = st.Int64(10) != 0;
  int col = kFirstFieldColumn;
  for (Field f : Sql().columns) a.get(f) = st.Text(col++);
  return a;
}

Structure ReadStructure(const Stmt& st) {
  Structure s;
  s.id = st.Int64(0);
  s.name = st.Text(1);
  s.id_type = st.Text(2);
  s.id_value = st.Text(3);
  s.mss_domain = st.Text(4);
  s.created_at = st.Int64(5);
  return s;
}

ConnectionRight ReadRight(const Stmt& st) {
  ConnectionRight r;
  r.mailbox_id = st.Int64(0);
  r.person_id = st.Int64(1);
  r.created_at = st.Int64(2);
  r.created_by = st.Text(3);
  return r;
}

// ---- Errors -----------------------------------------------------------------------

Connection& ConnOf(storage::Tx& tx) { return SqliteTx::ConnOf(tx); }


// Rewords SQLite's constraint failures into sentences a person can act on: a taken
// unique key (`on_unique`) or a reference to a row that does not exist
// (`on_missing`). Other failures keep SQLite's words behind `what`.
Status Reword(const Status& st, std::string_view what, std::string_view on_unique,
              std::string_view on_missing) {
  if (st.ok()) return st;
  if (st.code() == Code::kAlreadyExists && !on_unique.empty()) {
    return AlreadyExistsError(std::string(on_unique));
  }
  if (st.code() == Code::kFailedPrecondition && !on_missing.empty() &&
      st.message().find("FOREIGN KEY") != std::string::npos) {
    return FailedPreconditionError(std::string(on_missing));
  }
  return st.WithContext(what);
}

// Sorted ids without repeats, so that a structure named twice is searched once.
std::vector<int64_t> UniqueIds(std::vector<int64_t> ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

// ---- Search -----------------------------------------------------------------------

// The folded terms an account is found by, without repeats or empty ones: its
// address, "prénom nom" and "nom prénom" (a prefix search reaches the name and
// the first name through them), or the one of the two it has. Stores written
// before kept the name and the first name as terms of their own too
// (`with_former`: what an update deletes), which find the same accounts.
std::vector<std::string> SearchTerms(const Account& a, bool with_former = false) {
  std::vector<std::string> terms;
  auto add = [&terms](std::string t) {
    if (!t.empty() && std::find(terms.begin(), terms.end(), t) == terms.end()) {
      terms.push_back(std::move(t));
    }
  };
  std::string nom = text::Fold(a.get(Field::kNom));
  std::string prenom = text::Fold(a.get(Field::kPrenom));
  add(text::Fold(a.address()));
  if (!nom.empty() && !prenom.empty()) {
    add(prenom + " " + nom);
    add(nom + " " + prenom);
    if (!with_former) return terms;
  }
  add(std::move(nom));
  add(std::move(prenom));
  return terms;
}

// Removes the search terms of account `id` as it is stored now (before an update).
Status DeleteSearchTerms(Connection& conn, int64_t id) {
  Account old;
  {
    Stmt st(conn, "SELECT address, nom, prenom FROM accounts WHERE id = ?1");
    st.Bind(1, id);
    if (!st.Step()) return st.status();
    old.get(Field::kAddress) = st.Text(0);
    old.get(Field::kNom) = st.Text(1);
    old.get(Field::kPrenom) = st.Text(2);
  }
  for (const std::string& term : SearchTerms(old, /*with_former=*/true)) {
    Stmt del(conn, "DELETE FROM account_search WHERE term = ?1 AND account_id = ?2");
    del.Bind(1, std::string_view(term)).Bind(2, id);
    CADUCE_RETURN_IF_ERROR(del.Run());
  }
  return OkStatus();
}

// The statement inserting `n` terms of one account (1 <= n <= 3, what
// SearchTerms gives): ?1 account,
// ?2 structure, ?3 visible, ?4 nominative, then the terms from ?5. One statement
// per account rather than one per term: a bulk import writes 100,000 accounts.
const std::string& InsertTermsSql(size_t n) {
  static const std::vector<std::string> sql = [] {
    std::vector<std::string> all(4);
    for (size_t k = 1; k <= 3; ++k) {
      all[k] = "INSERT INTO account_search (term, account_id, structure_id, visible, nominative) "
               "VALUES ";
      for (size_t i = 0; i < k; ++i) {
        all[k] += fmt::format("{}(?{}, ?1, ?2, ?3, ?4)", i ? ", " : "", 5 + i);
      }
    }
    return all;
  }();
  return sql[n];
}

// Writes the account's search terms. REQUIRES: it has none (new, or deleted first).
Status WriteSearchTerms(Connection& conn, const Account& a, int64_t id) {
  std::vector<std::string> terms = SearchTerms(a);
  if (terms.empty()) return OkStatus();  // SearchTerms gives at most 3 (see above)
  Stmt ins(conn, InsertTermsSql(terms.size()));
  ins.Bind(1, id)
      .Bind(2, a.structure_id)
      .Bind(3, int64_t{a.visible_in_directory ? 1 : 0})
      .Bind(4, int64_t{directory::IsNominative(a.type) ? 1 : 0});
  for (size_t i = 0; i < terms.size(); ++i) {
    ins.Bind(static_cast<int>(5 + i), std::string_view(terms[i]));
  }
  return ins.Run();
}

// Both statements walk an index in (term, account_id) order: the primary key of
// account_search for every structure, account_search_by_structure for one. The
// filters are read from the same index entry. No LIMIT: the caller stops stepping
// once it holds enough distinct accounts.
constexpr std::string_view kSearchAll =
    "SELECT term, account_id FROM account_search "
    "WHERE term >= ?1 AND term < ?2 AND (?3 = 0 OR visible = 1) AND (?4 = 0 OR nominative = 1) "
    "ORDER BY term, account_id";
constexpr std::string_view kSearchInStructure =
    "SELECT term, account_id FROM account_search "
    "WHERE structure_id = ?5 AND term >= ?1 AND term < ?2 "
    "AND (?3 = 0 OR visible = 1) AND (?4 = 0 OR nominative = 1) "
    "ORDER BY term, account_id";

struct Hit {
  std::string term;  // the smallest term of the account that matched
  int64_t account_id;
};

// Binds the range and filters shared by both search statements.
void BindSearch(Stmt& st, const std::string& prefix, const std::optional<std::string>& upper,
                const directory::SearchQuery& q) {
  st.Bind(1, std::string_view(prefix));
  if (upper) {
    st.Bind(2, std::string_view(*upper));
  } else {
    // SQLite orders every TEXT value before every BLOB value, so an empty BLOB is
    // an upper bound that no term reaches: the range stays open.
    static const char kNothing = 0;
    st.BindBlob(2, &kNothing, 0);
  }
  st.Bind(3, int64_t{q.only_visible ? 1 : 0}).Bind(4, int64_t{q.only_nominative ? 1 : 0});
}

// Steps `st` until `limit` distinct accounts were seen. Rows come in (term, id)
// order, so an account's first row carries its smallest matching term.
Status CollectHits(Stmt& st, size_t limit, std::vector<Hit>* hits) {
  std::unordered_set<int64_t> seen;
  size_t found = 0;
  while (found < limit && st.Step()) {
    int64_t id = st.Int64(1);
    if (seen.insert(id).second) {
      hits->push_back(Hit{st.Text(0), id});
      ++found;
    }
  }
  return st.status();
}

}  // namespace

std::optional<std::string> PrefixSuccessor(std::string_view prefix) {
  std::string s(prefix);
  while (!s.empty()) {
    // Start of the last code point: the last byte that is not a continuation byte.
    size_t start = s.size() - 1;
    while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
    size_t i = start;
    char32_t cp = text::DecodeUtf8(s, &i);
    s.resize(start);
    if (cp >= 0x10FFFF) continue;  // nothing above it: carry to the previous one
    char32_t next = cp + 1;
    if (next >= 0xD800 && next <= 0xDFFF) next = 0xE000;  // surrogates never occur
    text::AppendUtf8(next, s);
    return s;
  }
  return std::nullopt;
}

// ---- Structures -------------------------------------------------------------------

Result<int64_t> SqliteDirectoryRepository::InsertStructure(storage::Tx& tx, const Structure& s) {
  CADUCE_RETURN_IF_ERROR(RequireWrite(tx, "insert structure"));
  Connection& conn = ConnOf(tx);
  Stmt st(conn,
          "INSERT INTO structures (name, id_type, id_value, mss_domain, created_at) "
          "VALUES (?1, ?2, ?3, ?4, ?5)");
  st.Bind(1, std::string_view(s.name))
      .Bind(2, std::string_view(s.id_type))
      .Bind(3, std::string_view(s.id_value))
      .Bind(4, std::string_view(s.mss_domain))
      .Bind(5, s.created_at);
  CADUCE_RETURN_IF_ERROR(Reword(st.Run(), fmt::format("insert structure \"{}\"", s.name),
                                fmt::format("a structure named \"{}\" already exists", s.name),
                                ""));
  return static_cast<int64_t>(sqlite3_last_insert_rowid(conn.handle()));
}

Result<std::optional<Structure>> SqliteDirectoryRepository::FindStructure(storage::Tx& tx,
                                                                          int64_t id) {
  Stmt st(ConnOf(tx),
          "SELECT id, name, id_type, id_value, mss_domain, created_at FROM structures "
          "WHERE id = ?1");
  st.Bind(1, id);
  std::optional<Structure> found;
  if (st.Step()) found = ReadStructure(st);
  CADUCE_RETURN_IF_ERROR(st.status());
  return found;
}

Result<std::optional<Structure>> SqliteDirectoryRepository::FindStructureByName(
    storage::Tx& tx, std::string_view name) {
  Stmt st(ConnOf(tx),
          "SELECT id, name, id_type, id_value, mss_domain, created_at FROM structures "
          "WHERE name = ?1");
  st.Bind(1, name);
  std::optional<Structure> found;
  if (st.Step()) found = ReadStructure(st);
  CADUCE_RETURN_IF_ERROR(st.status());
  return found;
}

Result<std::vector<Structure>> SqliteDirectoryRepository::ListStructures(storage::Tx& tx) {
  Stmt st(ConnOf(tx),
          "SELECT id, name, id_type, id_value, mss_domain, created_at FROM structures "
          "ORDER BY id");
  std::vector<Structure> all;
  while (st.Step()) all.push_back(ReadStructure(st));
  CADUCE_RETURN_IF_ERROR(st.status());
  return all;
}

// ---- Administrators and operators -------------------------------------------------

Status SqliteDirectoryRepository::AddAdministrator(storage::Tx& tx, int64_t person_id,
                                                   int64_t structure_id) {
  CADUCE_RETURN_IF_ERROR(RequireWrite(tx, "add administrator"));
  Stmt st(ConnOf(tx),
          "INSERT INTO administrators (person_id, structure_id) VALUES (?1, ?2) "
          "ON CONFLICT (person_id, structure_id) DO NOTHING");
  st.Bind(1, person_id).Bind(2, structure_id);
  return Reword(st.Run(), "add administrator", "",
                fmt::format("account {} or structure {} does not exist", person_id, structure_id));
}

Result<std::vector<int64_t>> SqliteDirectoryRepository::StructuresAdministeredBy(
    storage::Tx& tx, int64_t person_id) {
  Stmt st(ConnOf(tx),
          "SELECT structure_id FROM administrators WHERE person_id = ?1 ORDER BY structure_id");
  st.Bind(1, person_id);
  std::vector<int64_t> ids;
  while (st.Step()) ids.push_back(st.Int64(0));
  CADUCE_RETURN_IF_ERROR(st.status());
  return ids;
}

Result<std::vector<int64_t>> SqliteDirectoryRepository::AdministratorsOf(storage::Tx& tx,
                                                                         int64_t structure_id) {
  Stmt st(ConnOf(tx),
          "SELECT person_id FROM administrators WHERE structure_id = ?1 ORDER BY person_id");
  st.Bind(1, structure_id);
  std::vector<int64_t> ids;
  while (st.Step()) ids.push_back(st.Int64(0));
  CADUCE_RETURN_IF_ERROR(st.status());
  return ids;
}

Status SqliteDirectoryRepository::SetOperator(storage::Tx& tx, int64_t person_id,
                                              bool is_operator) {
  CADUCE_RETURN_IF_ERROR(RequireWrite(tx, "set operator"));
  if (is_operator) {
    Stmt st(ConnOf(tx),
            "INSERT INTO operators (person_id) VALUES (?1) ON CONFLICT (person_id) DO NOTHING");
    st.Bind(1, person_id);
    return Reword(st.Run(), "set operator", "",
                  fmt::format("account {} does not exist", person_id));
  }
  Stmt st(ConnOf(tx), "DELETE FROM operators WHERE person_id = ?1");
  st.Bind(1, person_id);
  return Reword(st.Run(), "clear operator", "", "");
}

Result<bool> SqliteDirectoryRepository::IsOperator(storage::Tx& tx, int64_t person_id) {
  Stmt st(ConnOf(tx), "SELECT 1 FROM operators WHERE person_id = ?1");
  st.Bind(1, person_id);
  bool found = st.Step();
  CADUCE_RETURN_IF_ERROR(st.status());
  return found;
}

// ---- Accounts ---------------------------------------------------------------------

Result<int64_t> SqliteDirectoryRepository::InsertAccount(storage::Tx& tx, const Account& a) {
  CADUCE_RETURN_IF_ERROR(RequireWrite(tx, "insert account"));
  Connection& conn = ConnOf(tx);
  int64_t id = 0;
  {
    Stmt st(conn, Sql().insert);
    int n = BindAccount(st, a);
    st.Bind(n, a.created_at);
    Status run = st.Run();
    if (!run.ok()) {  // the messages are built only when needed: this is a bulk path
      return Reword(
          run, fmt::format("insert account {}", a.address()),
          fmt::format("the address {} is already taken by another account", a.address()),
          fmt::format(
              "cannot insert account {}: structure {} or default mailbox {} does not exist",
              a.address(), a.structure_id, a.default_mailbox_id));
    }
    id = sqlite3_last_insert_rowid(conn.handle());
  }
  Status indexed = WriteSearchTerms(conn, a, id);
  if (!indexed.ok()) return indexed.WithContext(fmt::format("index account {}", a.address()));
  return id;
}

// A row of kBriefColumns as an account's brief.
constexpr char kBriefColumns[] = "id, structure_id, type, default_mailbox_id, address";
Result<AccountBrief> ReadBrief(Stmt& st) {
  std::optional<AccountType> t = directory::ParseAccountType(st.TextView(2));
  if (!t) return DataLossError(fmt::format("account {} has an unknown type", st.Int64(0)));
  return AccountBrief{st.Int64(0), st.Int64(1), *t, st.Text(4), st.IsNull(3) ? 0 : st.Int64(3)};
}

// The largest account id (0 when there is none): ids only grow, so it bounds the
// number of accounts, at the cost of one step down the table's b-tree.
Result<int64_t> LargestAccountId(Connection& conn) {
  Stmt st(conn, "SELECT coalesce(max(id), 0) FROM accounts");
  int64_t largest = 0;
  if (st.Step()) largest = st.Int64(0);
  CADUCE_RETURN_IF_ERROR(st.status());
  return largest;
}

// The rows of `sql` on sqlite_schema: (name, CREATE statement) pairs.
Result<std::vector<std::pair<std::string, std::string>>> SchemaEntries(Connection& conn,
                                                                       const char* sql) {
  std::vector<std::pair<std::string, std::string>> out;
  Stmt st(conn, sql);
  while (st.Step()) out.emplace_back(st.Text(0), st.Text(1));
  CADUCE_RETURN_IF_ERROR(st.status());
  return out;
}

// While alive, the indexes of kBulkDeferredIndexesSql are dropped; Build()
// creates them again from their rows (one sort each instead of a hundred thousand
// inserts at random places). So is the trigger of kBulkDeferredTriggerSql, which
// counts each inserted account in account_counts (migration 8): Build() adds the
// counts of the new rows, which the caller tallied, one statement per (structure,
// type, status), then creates the trigger again. DDL is transactional in SQLite: a
// rollback or a kill before the commit brings the indexes and the trigger back
// with the rows.
class DeferredIndexes {
 public:
  // Drops the indexes when `count` new accounts outnumber those of the table.
  static Result<DeferredIndexes> Begin(Connection& conn, size_t count) {
    DeferredIndexes d(conn);
    CADUCE_TRY(int64_t largest, LargestAccountId(conn));
    if (count < 1000 || static_cast<int64_t>(count) <= largest) return d;
    CADUCE_TRY(d.indexes_, SchemaEntries(conn, kBulkDeferredIndexesSql));
    for (const auto& [name, sql] : d.indexes_) {
      CADUCE_RETURN_IF_ERROR(conn.Exec(fmt::format("DROP INDEX \"{}\"", name)));
    }
    CADUCE_TRY(auto trigger, SchemaEntries(conn, kBulkDeferredTriggerSql));
    if (!trigger.empty()) {
      d.count_trigger_ = std::move(trigger.front());
      CADUCE_RETURN_IF_ERROR(
          conn.Exec(fmt::format("DROP TRIGGER \"{}\"", d.count_trigger_.first)));
    }
    return d;
  }
  // (structure, type, status) → accounts inserted since Begin.
  using Counts = std::map<std::tuple<int64_t, std::string_view, std::string_view>, int64_t>;
  bool counts_deferred() const { return !count_trigger_.second.empty(); }
  // REQUIRES: `counts` tallies every account inserted since Begin when
  // counts_deferred().
  Status Build(const Counts& counts) {
    for (const auto& [name, sql] : std::exchange(indexes_, {})) {
      Status st = conn_->Exec(sql);
      if (!st.ok()) return st.WithContext(fmt::format("build index {}", name));
    }
    if (counts_deferred()) {
      for (const auto& [key, n] : counts) {
        Stmt st(*conn_,
                "INSERT INTO account_counts (structure_id, type, status, n) "
                "VALUES (?1, ?2, ?3, ?4) "
                "ON CONFLICT (structure_id, type, status) DO UPDATE SET n = n + excluded.n");
        st.Bind(1, std::get<0>(key)).Bind(2, std::get<1>(key)).Bind(3, std::get<2>(key)).Bind(4, n);
        Status counted = st.Run();
        if (!counted.ok()) return counted.WithContext("count the new accounts");
      }
      const auto [name, sql] = std::exchange(count_trigger_, {});
      Status created = conn_->Exec(sql);
      if (!created.ok()) return created.WithContext(fmt::format("create {}", name));
    }
    return OkStatus();
  }

 private:
  explicit DeferredIndexes(Connection& conn) : conn_(&conn) {}
  Connection* conn_;
  std::vector<std::pair<std::string, std::string>> indexes_;
  std::pair<std::string, std::string> count_trigger_;  // name, CREATE statement, while dropped
};

namespace {

// See BeginInsertAccounts in directory_repo.h.
class SqliteAccountBulkInsert final : public directory::DirectoryRepository::AccountBulkInsert {
 public:
  SqliteAccountBulkInsert(Connection& conn, DeferredIndexes deferred)
      : conn_(conn), deferred_(std::move(deferred)) {}

  Status Add(size_t count, const std::function<void(size_t, Account*)>& fill) override {
    if (finished_) return FailedPreconditionError("the bulk insert is finished");
    // kAccountsPerInsert accounts a statement (one statement's fixed cost and
    // record buffers shared by 16 rows); the ids come out consecutive, checked below.
    if (batch_.size() < kAccountsPerInsert) batch_.resize(kAccountsPerInsert);
    for (size_t start = 0; start < count; start += kAccountsPerInsert) {
      const size_t rows = std::min(kAccountsPerInsert, count - start);
      Stmt st(conn_, InsertManySql(rows));
      int n = 1;
      for (size_t k = 0; k < rows; ++k) {
        Account& a = batch_[k];
        fill(start + k, &a);
        n = BindAccount(st, a, n - 1);
        st.Bind(n++, a.created_at);
        structure_of_.push_back(a.structure_id);
        flags_of_.push_back(static_cast<uint8_t>((a.visible_in_directory ? 1 : 0) |
                                                 (directory::IsNominative(a.type) ? 2 : 0)));
        if (deferred_.counts_deferred()) {
          ++counts_[{a.structure_id, directory::AccountTypeCode(a.type), StatusToSql(a.status)}];
        }
        const uint32_t index = static_cast<uint32_t>(added_ + k);
        for (const std::string& t : SearchTerms(a)) {
          terms_.push_back(Term{static_cast<uint32_t>(text_.size()), index,
                                static_cast<uint32_t>(t.size())});
          text_ += t;
        }
      }
      Status run = st.Run();
      if (!run.ok()) {
        const Account& a = batch_[0];
        return Reword(
            run, fmt::format("insert accounts {} to {}", a.address(), batch_[rows - 1].address()),
            fmt::format("an address among {} to {} is already taken by another account",
                        a.address(), batch_[rows - 1].address()),
            fmt::format("cannot insert accounts {} to {}: a structure or default mailbox does "
                        "not exist",
                        a.address(), batch_[rows - 1].address()));
      }
      // The last row's id; SQLite gives a multi-row insert's rows consecutive ids
      // when none is given and no other writer runs (this transaction writes).
      int64_t last = sqlite3_last_insert_rowid(conn_.handle());
      if (added_ == 0) first_ = last - static_cast<int64_t>(rows - 1);
      added_ += rows;
      if (last != first_ + static_cast<int64_t>(added_ - 1)) {
        return InternalError("the store did not give consecutive ids to a bulk insert");
      }
    }
    return OkStatus();
  }

  Result<int64_t> Finish() override {
    if (finished_) return FailedPreconditionError("the bulk insert is finished");
    finished_ = true;
    batch_ = {};
    auto term_of = [this](const Term& t) {
      return std::string_view(text_).substr(t.offset, t.size);
    };
    // (term, account_id): the primary key's order, and within one structure the
    // order of account_search_by_structure.
    std::sort(terms_.begin(), terms_.end(), [&](const Term& x, const Term& y) {
      int c = term_of(x).compare(term_of(y));
      return c != 0 ? c < 0 : x.account < y.account;
    });
    // kTermsPerInsert terms a statement, the last statement with the rest; the
    // terms' text outlives the statements: bound without a copy.
    constexpr size_t kTermsPerInsert = 32;
    static const std::vector<std::string> sql = ManyRowsInsertSql(
        "INSERT INTO account_search (term, account_id, structure_id, visible, nominative) "
        "VALUES ",
        5, kTermsPerInsert);
    CADUCE_RETURN_IF_ERROR(InsertManyRows(
        conn_, sql, 5, terms_.size(),
        [&](Stmt& ins, size_t row, int at) {
          const Term& t = terms_[row];
          ins.BindStatic(at + 1, term_of(t))
              .Bind(at + 2, first_ + static_cast<int64_t>(t.account))
              .Bind(at + 3, structure_of_[t.account])
              .Bind(at + 4, int64_t{flags_of_[t.account] & 1})
              .Bind(at + 5, int64_t{(flags_of_[t.account] >> 1) & 1});
        },
        [](Status st, size_t, size_t) { return st.WithContext("index the new accounts"); }));
    CADUCE_RETURN_IF_ERROR(deferred_.Build(counts_));
    return first_;
  }

 private:
  // The terms of every account, kept in one buffer until they are written sorted;
  // 12 bytes a term besides its text (an import of 100,000 accounts has up to 300,000).
  struct Term {
    uint32_t offset;
    uint32_t account;  // index in this bulk insert: id first_ + account
    uint32_t size;
  };

  Connection& conn_;
  DeferredIndexes deferred_;
  DeferredIndexes::Counts counts_;  // tallied only when the trigger is dropped
  std::vector<Account> batch_;
  std::string text_;
  std::vector<Term> terms_;
  std::vector<int64_t> structure_of_;  // by index
  std::vector<uint8_t> flags_of_;      // 1: visible, 2: nominative
  int64_t first_ = 0;
  size_t added_ = 0;
  bool finished_ = false;
};

}  // namespace

Result<std::unique_ptr<directory::DirectoryRepository::AccountBulkInsert>>
SqliteDirectoryRepository::BeginInsertAccounts(storage::Tx& tx, size_t at_least) {
  CADUCE_RETURN_IF_ERROR(RequireWrite(tx, "insert accounts"));
  Connection& conn = ConnOf(tx);
  // Reset by SQLite at the end of the transaction.
  CADUCE_RETURN_IF_ERROR(conn.Exec("PRAGMA defer_foreign_keys = ON"));
  CADUCE_TRY(DeferredIndexes deferred, DeferredIndexes::Begin(conn, at_least));
  return std::unique_ptr<AccountBulkInsert>(
      new SqliteAccountBulkInsert(conn, std::move(deferred)));
}

std::function<void()> SqliteDirectoryRepository::BeginBulkWrite(storage::Tx& tx) {
  Connection& conn = ConnOf(tx);
  int64_t size = 0;
  {
    Stmt st(conn, "PRAGMA cache_size");
    if (!st.Step()) return {};
    size = st.Int64(0);
  }
  if (!conn.Exec("PRAGMA cache_size = -16384").ok()) return {};
  return [&conn, size] { (void)conn.Exec(fmt::format("PRAGMA cache_size = {}", size)); };
}

Status SqliteDirectoryRepository::InsertRights(storage::Tx& tx,
                                               std::vector<ConnectionRight> rights) {
  CADUCE_RETURN_IF_ERROR(RequireWrite(tx, "insert connection rights"));
  Connection& conn = ConnOf(tx);
  std::sort(rights.begin(), rights.end(), [](const ConnectionRight& x, const ConnectionRight& y) {
    return x.mailbox_id != y.mailbox_id ? x.mailbox_id < y.mailbox_id : x.person_id < y.person_id;
  });
  // kPerInsert rights a statement, the last statement with the rest; `rights`
  // outlives the statements: their texts are bound without a copy.
  constexpr size_t kPerInsert = 32;
  static const std::vector<std::string> sql = ManyRowsInsertSql(
      "INSERT INTO connection_rights (mailbox_id, person_id, created_at, created_by) VALUES ", 4,
      kPerInsert);
  return InsertManyRows(
      conn, sql, 4, rights.size(),
      [&](Stmt& st, size_t row, int at) {
        const ConnectionRight& r = rights[row];
        st.Bind(at + 1, r.mailbox_id)
            .Bind(at + 2, r.person_id)
            .Bind(at + 3, r.created_at)
            .BindStatic(at + 4, std::string_view(r.created_by));
      },
      [&](Status st, size_t first, size_t last) {
        const ConnectionRight& a = rights[first];
        const ConnectionRight& b = rights[last];
        return Reword(st, "insert connection rights",
                      fmt::format("a right among those of mailboxes {} to {} already exists",
                                  a.mailbox_id, b.mailbox_id),
                      fmt::format("a mailbox or person among those of mailboxes {} to {} does "
                                  "not exist",
                                  a.mailbox_id, b.mailbox_id));
      });
}

Status SqliteDirectoryRepository::UpdateAccount(storage::Tx& tx, const Account& a) {
  CADUCE_RETURN_IF_ERROR(RequireWrite(tx, "update account"));
  Connection& conn = ConnOf(tx);
  CADUCE_RETURN_IF_ERROR(DeleteSearchTerms(conn, a.id));
  {
    Stmt st(conn, Sql().update);
    int n = BindAccount(st, a);
    st.Bind(n, a.id);
    Status run = st.Run();
    if (!run.ok()) {
      return Reword(
          run, fmt::format("update account {}", a.id),
          fmt::format("the address {} is already taken by another account", a.address()),
          fmt::format(
              "cannot update account {}: structure {} or default mailbox {} does not exist",
              a.id, a.structure_id, a.default_mailbox_id));
    }
    if (sqlite3_changes(conn.handle()) == 0) {
      return NotFoundError(fmt::format("account {} does not exist", a.id));
    }
  }
  Status indexed = WriteSearchTerms(conn, a, a.id);
  if (!indexed.ok()) return indexed.WithContext(fmt::format("index account {}", a.id));
  return OkStatus();
}

Result<std::optional<Account>> SqliteDirectoryRepository::FindAccount(storage::Tx& tx, int64_t id) {
  Stmt st(ConnOf(tx), Sql().find_by_id);
  st.Bind(1, id);
  std::optional<Account> found;
  if (st.Step()) {
    CADUCE_TRY(found, ReadAccount(st));
  }
  CADUCE_RETURN_IF_ERROR(st.status());
  return found;
}

Result<std::vector<Account>> SqliteDirectoryRepository::FindAccounts(
    storage::Tx& tx, std::span<const int64_t> ids) {
  // One statement for kIdsPerFind ids: a statement's run allocates a buffer for
  // each text column it returns and frees them at its reset, so reading a batch of
  // accounts costs one run instead of one each.
  std::vector<Account> out;
  out.reserve(ids.size());
  for (size_t start = 0; start < ids.size(); start += kIdsPerFind) {
    const size_t n = std::min(kIdsPerFind, ids.size() - start);
    Stmt st(ConnOf(tx), Sql().find_by_ids);
    for (size_t k = 0; k < kIdsPerFind; ++k) {
      if (k < n) {
        st.Bind(static_cast<int>(k + 1), ids[start + k]);
      } else {
        st.BindNull(static_cast<int>(k + 1));
      }
    }
    while (st.Step()) {
      CADUCE_TRY(Account a, ReadAccount(st));
      out.push_back(std::move(a));
    }
    CADUCE_RETURN_IF_ERROR(st.status());
  }
  return out;
}

Result<std::optional<AccountBrief>> SqliteDirectoryRepository::FindAccountBrief(
    storage::Tx& tx, int64_t id) {
  static const std::string sql =
      fmt::format("SELECT {} FROM accounts WHERE id = ?1", kBriefColumns);
  Stmt st(ConnOf(tx), sql);
  st.Bind(1, id);
  std::optional<AccountBrief> found;
  if (st.Step()) {
    CADUCE_TRY(found, ReadBrief(st));
  }
  CADUCE_RETURN_IF_ERROR(st.status());
  return found;
}

Result<std::optional<std::vector<AccountBrief>>> SqliteDirectoryRepository::AllAccountBriefs(
    storage::Tx& tx, size_t max) {
  Connection& conn = ConnOf(tx);
  CADUCE_TRY(int64_t largest, LargestAccountId(conn));
  if (largest > 0 && static_cast<uint64_t>(largest) > max) {
    int64_t count = 0;
    Stmt st(conn, "SELECT count(*) FROM accounts");
    if (st.Step()) count = st.Int64(0);
    CADUCE_RETURN_IF_ERROR(st.status());
    if (static_cast<uint64_t>(count) > max) return std::optional<std::vector<AccountBrief>>();
  }
  std::vector<AccountBrief> out;
  static const std::string sql = fmt::format("SELECT {} FROM accounts", kBriefColumns);
  Stmt st(conn, sql);
  while (st.Step()) {
    CADUCE_TRY(AccountBrief b, ReadBrief(st));
    out.push_back(std::move(b));
  }
  CADUCE_RETURN_IF_ERROR(st.status());
  return std::optional<std::vector<AccountBrief>>(std::move(out));
}

Result<std::optional<AccountBrief>> SqliteDirectoryRepository::FindAccountBriefByAddress(
    storage::Tx& tx, std::string_view address) {
  static const std::string sql =
      fmt::format("SELECT {} FROM accounts WHERE address = ?1", kBriefColumns);
  Stmt st(ConnOf(tx), sql);
  st.Bind(1, address);
  std::optional<AccountBrief> found;
  if (st.Step()) {
    CADUCE_TRY(found, ReadBrief(st));
  }
  CADUCE_RETURN_IF_ERROR(st.status());
  return found;
}

Result<std::optional<Account>> SqliteDirectoryRepository::FindAccountByAddress(
    storage::Tx& tx, std::string_view address) {
  Stmt st(ConnOf(tx), Sql().find_by_address);
  st.Bind(1, address);
  std::optional<Account> found;
  if (st.Step()) {
    CADUCE_TRY(found, ReadAccount(st));
  }
  CADUCE_RETURN_IF_ERROR(st.status());
  return found;
}

Result<std::vector<Account>> SqliteDirectoryRepository::ListAccounts(
    storage::Tx& tx, const directory::AccountFilter& f) {
  std::vector<Account> out;
  if (f.limit <= 0) return out;
  // Room for a page of one structure at once: an Account is 36 strings, and each
  // growth of the vector moves every one read so far.
  out.reserve(static_cast<size_t>(std::min(f.limit, 4096)));
  // Reads one page through `sql`, appending to `out`.
  auto read_page = [&](const std::string& sql, std::optional<int64_t> structure_id) -> Status {
    Stmt st(ConnOf(tx), sql);
    st.Bind(1, f.after_id);
    if (f.type) {
      st.Bind(2, directory::AccountTypeCode(*f.type));
    } else {
      st.BindNull(2);
    }
    if (f.status) {
      st.Bind(3, StatusToSql(*f.status));
    } else {
      st.BindNull(3);
    }
    st.Bind(4, int64_t{f.limit});
    if (structure_id) st.Bind(5, *structure_id);
    while (st.Step()) {
      CADUCE_TRY(Account a, ReadAccount(st));
      out.push_back(std::move(a));
    }
    return st.status();
  };
  if (f.structure_ids.empty()) {
    CADUCE_RETURN_IF_ERROR(read_page(Sql().list_all, std::nullopt));
    return out;
  }
  // One page per structure through accounts_by_structure, then the first `limit` of
  // their union: bounded work whatever the size of the other structures.
  const std::vector<int64_t> structures = UniqueIds(f.structure_ids);
  for (int64_t sid : structures) {
    CADUCE_RETURN_IF_ERROR(read_page(Sql().list_in_structure, sid));
  }
  if (structures.size() == 1) return out;  // one page, already in id order
  std::sort(out.begin(), out.end(), [](const Account& a, const Account& b) { return a.id < b.id; });
  if (out.size() > static_cast<size_t>(f.limit)) out.resize(static_cast<size_t>(f.limit));
  return out;
}

Result<bool> SqliteDirectoryRepository::MssLocalPartTaken(storage::Tx& tx, std::string_view local,
                                                          std::string_view domain,
                                                          int64_t except_id) {
  if (local.empty()) return false;  // "no MSSanté address" is never taken
  // `mss_address <> ''` lets SQLite use the partial index accounts_by_mss.
  Stmt st(ConnOf(tx),
          "SELECT 1 FROM accounts a JOIN structures s ON s.id = a.structure_id "
          "WHERE a.mss_address = ?1 AND a.mss_address <> '' AND s.mss_domain = ?2 "
          "AND a.id <> ?3 LIMIT 1");
  st.Bind(1, local).Bind(2, domain).Bind(3, except_id);
  bool taken = st.Step();
  CADUCE_RETURN_IF_ERROR(st.status());
  return taken;
}

// ---- Search -----------------------------------------------------------------------

Result<std::vector<Account>> SqliteDirectoryRepository::Search(storage::Tx& tx,
                                                               const directory::SearchQuery& q) {
  std::vector<Account> out;
  if (q.limit <= 0) return out;
  const size_t limit = static_cast<size_t>(std::min(q.limit, kMaxSearchResults));
  const std::string prefix = text::Fold(q.prefix);
  const std::optional<std::string> upper = PrefixSuccessor(prefix);
  Connection& conn = ConnOf(tx);

  std::vector<Hit> hits;
  if (q.structure_ids.empty()) {
    Stmt st(conn, kSearchAll);
    BindSearch(st, prefix, upper, q);
    CADUCE_RETURN_IF_ERROR(CollectHits(st, limit, &hits));
  } else {
    // Each structure through its own index range, each cut at the limit; the merge
    // keeps the global (term, id) order. An account is in one structure only, so
    // no account appears in two lists.
    for (int64_t sid : UniqueIds(q.structure_ids)) {
      Stmt st(conn, kSearchInStructure);
      BindSearch(st, prefix, upper, q);
      st.Bind(5, sid);
      CADUCE_RETURN_IF_ERROR(CollectHits(st, limit, &hits));
    }
    std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) {
      return a.term != b.term ? a.term < b.term : a.account_id < b.account_id;
    });
    if (hits.size() > limit) hits.resize(limit);
  }

  out.reserve(hits.size());
  for (const Hit& h : hits) {
    CADUCE_TRY(std::optional<Account> a, FindAccount(tx, h.account_id));
    if (!a) {
      return DataLossError(
          fmt::format("search term '{}' refers to a missing account {}", h.term, h.account_id));
    }
    out.push_back(std::move(*a));
  }
  return out;
}

// The directory's suggestions: the primary key of account_search walked in (term,
// account_id) order over the prefix's range, its visible flag read from the index
// entry, and only the visible entries joined to their account (not disabled) and
// structure, for the few columns the directory shows.
constexpr std::string_view kSearchDirectory =
    "SELECT s.account_id, a.type, a.address, a.nom, a.prenom, a.description, st.name "
    "FROM account_search s JOIN accounts a ON a.id = s.account_id "
    "JOIN structures st ON st.id = a.structure_id "
    "WHERE s.term >= ?1 AND s.term < ?2 AND s.visible = 1 AND a.visible_in_directory = 1 "
    "AND a.status <> 'disabled' "
    "ORDER BY s.term, s.account_id";

Result<std::vector<directory::DirectoryEntry>> SqliteDirectoryRepository::SearchDirectory(
    storage::Tx& tx, std::string_view prefix, int limit) {
  std::vector<directory::DirectoryEntry> out;
  if (limit <= 0) return out;
  const size_t max = static_cast<size_t>(std::min(limit, kMaxSearchResults));
  const std::string folded = text::Fold(prefix);
  const std::optional<std::string> upper = PrefixSuccessor(folded);
  Stmt st(ConnOf(tx), kSearchDirectory);
  st.Bind(1, std::string_view(folded));
  if (upper) {
    st.Bind(2, std::string_view(*upper));
  } else {
    static const char kNothing = 0;  // an open range, as in BindSearch
    st.BindBlob(2, &kNothing, 0);
  }
  std::unordered_set<int64_t> seen;
  while (out.size() < max && st.Step()) {
    int64_t id = st.Int64(0);
    if (!seen.insert(id).second) continue;
    std::optional<AccountType> type = directory::ParseAccountType(st.TextView(1));
    if (!type) return DataLossError(fmt::format("account {} has an unknown type", id));
    out.push_back(directory::DirectoryEntry{id, *type, st.Text(2), st.Text(3), st.Text(4),
                                            st.Text(5), st.Text(6)});
  }
  CADUCE_RETURN_IF_ERROR(st.status());
  return out;
}

// ---- Administration list --------------------------------------------------------

Result<directory::AccountPage> SqliteDirectoryRepository::ListAccountPage(
    storage::Tx& tx, const directory::AccountPageQuery& q) {
  using Sort = directory::AccountPageQuery::Sort;
  directory::AccountPage page;
  // The WHERE clause from fixed fragments, one per filter given, so that each
  // combination is its own prepared statement; every value is bound.
  std::string where = " FROM accounts WHERE structure_id = ?1";
  if (!q.types.empty()) where += " AND type IN (?2, ?3, ?4, ?5, ?6)";
  if (q.status) where += " AND status = ?7";
  const std::string prefix = text::Fold(q.prefix);
  const std::optional<std::string> upper = PrefixSuccessor(prefix);
  if (!prefix.empty()) {
    where +=
        " AND id IN (SELECT account_id FROM account_search WHERE structure_id = ?1 "
        "AND term >= ?8 AND term < ?9)";
  }
  auto bind = [&](Stmt& st) {
    st.Bind(1, q.structure_id);
    if (!q.types.empty()) {
      for (int i = 0; i < 5; ++i) {
        // Fewer than five types repeat the last one.
        size_t k = std::min(static_cast<size_t>(i), q.types.size() - 1);
        st.Bind(2 + i, directory::AccountTypeCode(q.types[k]));
      }
    }
    if (q.status) st.Bind(7, StatusToSql(*q.status));
    if (!prefix.empty()) {
      st.Bind(8, std::string_view(prefix));
      if (upper) {
        st.Bind(9, std::string_view(*upper));
      } else {
        static const char kNothing = 0;  // see BindSearch
        st.BindBlob(9, &kNothing, 0);
      }
    }
  };
  {
    // Without a search, the exact total is a sum over the per-structure counts
    // (migration 8), whatever the number of accounts.
    std::string count_sql;
    if (prefix.empty()) {
      count_sql = "SELECT coalesce(sum(n), 0) FROM account_counts WHERE structure_id = ?1";
      if (!q.types.empty()) count_sql += " AND type IN (?2, ?3, ?4, ?5, ?6)";
      if (q.status) count_sql += " AND status = ?7";
    } else {
      count_sql = "SELECT count(*)" + where;
    }
    Stmt st(ConnOf(tx), count_sql);
    bind(st);
    if (st.Step()) page.total = st.Int64(0);
    CADUCE_RETURN_IF_ERROR(st.status());
  }
  if (q.limit <= 0 || q.offset >= page.total) return page;
  const char* dir = q.descending ? " DESC" : "";
  std::string order;
  switch (q.sort) {
    case Sort::kAddress:
      order = fmt::format(" ORDER BY address{}", dir);
      break;
    case Sort::kNom:
      order = fmt::format(" ORDER BY nom{0}, prenom{0}, id{0}", dir);
      break;
    case Sort::kType:
      order = fmt::format(" ORDER BY type{0}, address{0}", dir);
      break;
    case Sort::kStatus:
      order = fmt::format(" ORDER BY status{0}, address{0}", dir);
      break;
    case Sort::kLastSignIn:
      order = fmt::format(" ORDER BY last_sign_in{0}, id{0}", dir);
      break;
  }
  Stmt st(ConnOf(tx),
          "SELECT id, type, address, nom, prenom, description, status, disabled_reason, "
          "visible_in_directory, coalesce(last_sign_in, 0), date_peremption" +
              where + order + " LIMIT ?10 OFFSET ?11");
  bind(st);
  st.Bind(10, int64_t{q.limit}).Bind(11, std::max<int64_t>(q.offset, 0));
  while (st.Step()) {
    directory::AccountListItem item;
    item.id = st.Int64(0);
    std::optional<AccountType> t = directory::ParseAccountType(st.TextView(1));
    std::optional<AccountStatus> status = StatusFromSql(st.TextView(6));
    if (!t || !status) {
      return DataLossError(fmt::format("account {} has an unknown type or status", item.id));
    }
    item.type = *t;
    item.address = st.Text(2);
    item.nom = st.Text(3);
    item.prenom = st.Text(4);
    item.description = st.Text(5);
    item.status = *status;
    item.disabled_reason = st.Text(7);
    item.visible_in_directory = st.Int64(8) != 0;
    item.last_sign_in = st.Int64(9);
    item.expires = st.Text(10);
    page.items.push_back(std::move(item));
  }
  CADUCE_RETURN_IF_ERROR(st.status());
  return page;
}

Result<int64_t> SqliteDirectoryRepository::LastSignIn(storage::Tx& tx, int64_t account_id) {
  Stmt st(ConnOf(tx), "SELECT coalesce(last_sign_in, 0) FROM accounts WHERE id = ?1");
  st.Bind(1, account_id);
  int64_t at = st.Step() ? st.Int64(0) : 0;
  CADUCE_RETURN_IF_ERROR(st.status());
  return at;
}

// ---- Connection rights ------------------------------------------------------------

Result<bool> SqliteDirectoryRepository::InsertRight(storage::Tx& tx, const ConnectionRight& r) {
  CADUCE_RETURN_IF_ERROR(RequireWrite(tx, "insert connection right"));
  Connection& conn = ConnOf(tx);
  Stmt st(conn,
          "INSERT INTO connection_rights (mailbox_id, person_id, created_at, created_by) "
          "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (mailbox_id, person_id) DO NOTHING");
  st.Bind(1, r.mailbox_id)
      .Bind(2, r.person_id)
      .Bind(3, r.created_at)
      .Bind(4, std::string_view(r.created_by));
  Status run = st.Run();
  if (!run.ok()) {
    return Reword(run, "insert connection right", "",
                  fmt::format("mailbox {} or person {} does not exist", r.mailbox_id,
                              r.person_id));
  }
  return sqlite3_changes(conn.handle()) > 0;
}

Result<bool> SqliteDirectoryRepository::DeleteRight(storage::Tx& tx, int64_t mailbox_id,
                                                    int64_t person_id) {
  CADUCE_RETURN_IF_ERROR(RequireWrite(tx, "delete connection right"));
  Connection& conn = ConnOf(tx);
  Stmt st(conn, "DELETE FROM connection_rights WHERE mailbox_id = ?1 AND person_id = ?2");
  st.Bind(1, mailbox_id).Bind(2, person_id);
  CADUCE_RETURN_IF_ERROR(Reword(st.Run(), "delete connection right", "", ""));
  return sqlite3_changes(conn.handle()) > 0;
}

Result<bool> SqliteDirectoryRepository::HasRight(storage::Tx& tx, int64_t mailbox_id,
                                                 int64_t person_id) {
  Stmt st(ConnOf(tx), "SELECT 1 FROM connection_rights WHERE mailbox_id = ?1 AND person_id = ?2");
  st.Bind(1, mailbox_id).Bind(2, person_id);
  bool found = st.Step();
  CADUCE_RETURN_IF_ERROR(st.status());
  return found;
}

namespace {

// The rights a statement selects with its one parameter bound to `id`.
Result<std::vector<ConnectionRight>> ListRights(storage::Tx& tx, std::string_view sql,
                                                int64_t id) {
  Stmt st(ConnOf(tx), sql);
  st.Bind(1, id);
  std::vector<ConnectionRight> rights;
  while (st.Step()) rights.push_back(ReadRight(st));
  CADUCE_RETURN_IF_ERROR(st.status());
  return rights;
}

}  // namespace

Result<std::vector<ConnectionRight>> SqliteDirectoryRepository::RightsOnMailbox(
    storage::Tx& tx, int64_t mailbox_id) {
  return ListRights(tx,
                    "SELECT mailbox_id, person_id, created_at, created_by FROM connection_rights "
                    "WHERE mailbox_id = ?1 ORDER BY person_id",
                    mailbox_id);
}

Result<std::vector<ConnectionRight>> SqliteDirectoryRepository::RightsOfPerson(storage::Tx& tx,
                                                                               int64_t person_id) {
  return ListRights(tx,
                    "SELECT mailbox_id, person_id, created_at, created_by FROM connection_rights "
                    "WHERE person_id = ?1 ORDER BY mailbox_id",
                    person_id);
}

Result<std::vector<int64_t>> SqliteDirectoryRepository::PersonsWithDefault(storage::Tx& tx,
                                                                           int64_t mailbox_id) {
  Stmt st(ConnOf(tx),
          "SELECT id FROM accounts WHERE default_mailbox_id = ?1 "
          "AND type IN ('PER', 'INT', 'MED') ORDER BY id");
  st.Bind(1, mailbox_id);
  std::vector<int64_t> ids;
  while (st.Step()) ids.push_back(st.Int64(0));
  CADUCE_RETURN_IF_ERROR(st.status());
  return ids;
}

Result<std::vector<int64_t>> SqliteDirectoryRepository::AccountsExpiringBy(storage::Tx& tx,
                                                                           std::string_view today) {
  // The first two conditions repeat the WHERE of the partial index
  // accounts_by_expiry, which is what lets SQLite use it; "YYYY-MM-DD" dates
  // compare as text. Sorted here rather than in SQL so that the plan stays a
  // range scan of that index instead of a walk of the whole table in id order.
  Stmt st(ConnOf(tx),
          "SELECT id FROM accounts WHERE date_peremption <> '' AND status <> 'disabled' "
          "AND date_peremption <= ?1");
  st.Bind(1, today);
  std::vector<int64_t> ids;
  while (st.Step()) ids.push_back(st.Int64(0));
  CADUCE_RETURN_IF_ERROR(st.status());
  std::sort(ids.begin(), ids.end());
  return ids;
}

Status SqliteDirectoryRepository::EnqueueNotification(storage::Tx& tx, int64_t account_id,
                                                      std::string_view kind, int64_t at) {
  CADUCE_RETURN_IF_ERROR(RequireWrite(tx, "EnqueueNotification"));
  Stmt st(SqliteTx::ConnOf(tx),
          "INSERT INTO notifications(account_id, kind, created_at) VALUES (?1, ?2, ?3)");
  st.Bind(1, account_id).Bind(2, kind).Bind(3, at);
  return st.Run();
}

Result<int64_t> SqliteDirectoryRepository::PendingNotifications(storage::Tx& tx,
                                                                std::string_view kind,
                                                                int64_t account_id) {
  Stmt st(SqliteTx::ConnOf(tx),
          "SELECT count(*) FROM notifications WHERE sent_at IS NULL AND kind = ?1 "
          "AND (?2 = 0 OR account_id = ?2)");
  st.Bind(1, kind).Bind(2, account_id);
  int64_t n = 0;
  if (st.Step()) n = st.Int64(0);
  CADUCE_RETURN_IF_ERROR(st.status());
  return n;
}

}  // namespace caduce::store_sqlite
