// Rows of table `audit` to and from audit::Entry. Reads check each column's stored
// type in SQL (typeof, length) because sqlite3_column_* converts silently: a hash
// cut to 31 bytes or an `at` turned into text would otherwise reach the verifier as
// a plausible value. Query assembles its WHERE clause from fixed fragments, one per
// filter set, so that SQLite can use the matching index for each combination; every
// value is a bound parameter.
#include "store_sqlite/audit_repo.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <utility>
#include <variant>
#include <vector>

#include "store_sqlite/columns.h"
#include "store_sqlite/db.h"

namespace caduce::store_sqlite {
namespace {

// The columns every read selects, in the order ReadRow expects. The last one names
// the first column whose stored type is wrong, or is '' for a well-formed row.
constexpr std::string_view kColumns =
    "seq, at, actor_person_id, actor, mailbox_id, action, object, ip, detail, prev_hash, hash, "
    "CASE"
    " WHEN typeof(at) <> 'integer' THEN 'at is not an integer'"
    " WHEN typeof(actor_person_id) <> 'integer' THEN 'actor_person_id is not an integer'"
    " WHEN typeof(actor) <> 'text' THEN 'actor is not text'"
    " WHEN typeof(mailbox_id) <> 'integer' THEN 'mailbox_id is not an integer'"
    " WHEN typeof(action) <> 'text' THEN 'action is not text'"
    " WHEN typeof(object) <> 'text' THEN 'object is not text'"
    " WHEN typeof(ip) <> 'text' THEN 'ip is not text'"
    " WHEN typeof(detail) <> 'text' THEN 'detail is not text'"
    " WHEN typeof(prev_hash) <> 'blob' OR length(prev_hash) <> 32"
    " THEN 'prev_hash is not a 32-byte BLOB'"
    " WHEN typeof(hash) <> 'blob' OR length(hash) <> 32 THEN 'hash is not a 32-byte BLOB'"
    " ELSE '' END";

std::string Select(std::string_view rest) {
  return fmt::format("SELECT {} FROM audit{}", kColumns, rest);
}

// Fills `e` from the current row of `st`. Reuses e's string buffers, which keeps a
// scan of the whole trail from allocating once per field per row.
Status ReadRow(const Stmt& st, audit::Entry* e) {
  e->seq = st.Int64(0);
  std::string_view problem = st.TextView(11);
  if (!problem.empty()) {
    return DataLossError(fmt::format("audit entry {}: {}", e->seq, problem));
  }
  e->at = st.Int64(1);
  e->event.actor_person_id = st.Int64(2);
  e->event.actor.assign(st.TextView(3));
  e->event.mailbox_id = st.Int64(4);
  e->event.action.assign(st.TextView(5));
  e->event.object.assign(st.TextView(6));
  e->event.ip.assign(st.TextView(7));
  e->event.detail.assign(st.TextView(8));
  // Lengths were checked by the problem column above.
  std::string prev = st.Blob(9);
  std::string hash = st.Blob(10);
  std::memcpy(e->prev_hash.data(), prev.data(), e->prev_hash.size());
  std::memcpy(e->hash.data(), hash.data(), e->hash.size());
  return OkStatus();
}

// The smallest string greater than every string that starts with `prefix`, in
// SQLite's BINARY (memcmp) order, or nullopt when there is none (prefix empty or
// made of 0xFF bytes only): "right." gives "right/". Bytes, not code points, because
// the comparison it bounds is memcmp; the result need not be valid UTF-8.
std::optional<std::string> BytePrefixSuccessor(std::string_view prefix) {
  std::string s(prefix);
  // A trailing 0xFF cannot be incremented; dropping it widens nothing, since every
  // string that starts with s + 0xFF also starts with s and sorts below s's successor.
  while (!s.empty() && static_cast<unsigned char>(s.back()) == 0xFF) s.pop_back();
  if (s.empty()) return std::nullopt;
  s.back() = static_cast<char>(static_cast<unsigned char>(s.back()) + 1);
  return s;
}

}  // namespace

Result<std::optional<audit::Entry>> SqliteAuditRepository::Last(storage::Tx& tx) {
  // Built once: Last runs before every append.
  static const std::string kLast = Select(" ORDER BY seq DESC LIMIT 1");
  Stmt st(SqliteTx::ConnOf(tx), kLast);
  if (!st.Step()) {
    CADUCE_RETURN_IF_ERROR(st.status().WithContext("last audit entry"));
    return std::optional<audit::Entry>();
  }
  audit::Entry e;
  CADUCE_RETURN_IF_ERROR(ReadRow(st, &e));
  return std::optional<audit::Entry>(std::move(e));
}

Status SqliteAuditRepository::Insert(storage::Tx& tx, const audit::Entry& e) {
  CADUCE_RETURN_IF_ERROR(RequireWrite(tx, "inserting an audit entry"));
  Stmt st(SqliteTx::ConnOf(tx),
          "INSERT INTO audit(seq, at, actor_person_id, actor, mailbox_id, action, object, ip, "
          "detail, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
  st.Bind(1, e.seq)
      .Bind(2, e.at)
      .Bind(3, e.event.actor_person_id)
      .Bind(4, e.event.actor)
      .Bind(5, e.event.mailbox_id)
      .Bind(6, e.event.action)
      .Bind(7, e.event.object)
      .Bind(8, e.event.ip)
      .Bind(9, e.event.detail)
      .BindBlob(10, e.prev_hash.data(), e.prev_hash.size())
      .BindBlob(11, e.hash.data(), e.hash.size());
  Status s = st.Run();
  if (!s.ok()) return s.WithContext(fmt::format("insert audit entry {}", e.seq));
  return OkStatus();
}

// Entries written at once by InsertAll.
constexpr size_t kEntriesPerInsert = 32;

Status SqliteAuditRepository::InsertAll(storage::Tx& tx, const std::vector<audit::Entry>& entries) {
  CADUCE_RETURN_IF_ERROR(RequireWrite(tx, "inserting audit entries"));
  Connection& conn = SqliteTx::ConnOf(tx);
  static const std::vector<std::string> sql = ManyRowsInsertSql(
      "INSERT INTO audit(seq, at, actor_person_id, actor, mailbox_id, action, object, ip, "
      "detail, prev_hash, hash) VALUES ",
      11, kEntriesPerInsert);
  // `entries` outlives the statements: their texts are bound without a copy.
  return InsertManyRows(
      conn, sql, 11, entries.size(),
      [&](Stmt& st, size_t row, int at) {
        const audit::Entry& e = entries[row];
        st.Bind(at + 1, e.seq)
            .Bind(at + 2, e.at)
            .Bind(at + 3, e.event.actor_person_id)
            .BindStatic(at + 4, e.event.actor)
            .Bind(at + 5, e.event.mailbox_id)
            .BindStatic(at + 6, e.event.action)
            .BindStatic(at + 7, e.event.object)
            .BindStatic(at + 8, e.event.ip)
            .BindStatic(at + 9, e.event.detail)
            .BindBlobStatic(at + 10, e.prev_hash.data(), e.prev_hash.size())
            .BindBlobStatic(at + 11, e.hash.data(), e.hash.size());
      },
      [&](Status st, size_t first, size_t last) {
        return st.WithContext(fmt::format("insert audit entries {} to {}", entries[first].seq,
                                          entries[last].seq));
      });
}

Status SqliteAuditRepository::Scan(storage::Tx& tx,
                                   const std::function<bool(const audit::Entry&)>& fn) {
  // seq is the rowid: this walks the table's own b-tree in order, without a sort.
  static const std::string kAll = Select(" ORDER BY seq");
  Stmt st(SqliteTx::ConnOf(tx), kAll);
  audit::Entry e;
  while (st.Step()) {
    CADUCE_RETURN_IF_ERROR(ReadRow(st, &e));
    if (!fn(e)) break;
  }
  return st.status().ok() ? OkStatus() : st.status().WithContext("scan audit trail");
}

Result<std::vector<audit::Entry>> SqliteAuditRepository::Query(storage::Tx& tx,
                                                               const audit::Filter& f) {
  if (f.limit < 1) {
    return InvalidArgumentError(
        fmt::format("audit query limit must be at least 1, not {}", f.limit));
  }
  std::string where = " WHERE seq > ?1";
  std::vector<std::variant<int64_t, std::string>> args = {f.after_seq};
  auto param = [&](std::variant<int64_t, std::string> v) {
    args.push_back(std::move(v));
    return fmt::format("?{}", args.size());
  };
  // The mailbox and person indexes are partial (WHERE ... <> 0); SQLite uses a partial
  // index only when the query repeats its condition, hence the extra term.
  if (f.mailbox_id) {
    if (*f.mailbox_id != 0) where += " AND mailbox_id <> 0";
    where += " AND mailbox_id = " + param(*f.mailbox_id);
  }
  if (f.actor_person_id) {
    if (*f.actor_person_id != 0) where += " AND actor_person_id <> 0";
    where += " AND actor_person_id = " + param(*f.actor_person_id);
  }
  if (f.action_prefix && !f.action_prefix->empty()) {
    // A range on the raw bytes, not LIKE: LIKE would read '%' and '_' in the prefix
    // as wildcards and fold ASCII case.
    where += " AND action >= " + param(*f.action_prefix);
    if (std::optional<std::string> upper = BytePrefixSuccessor(*f.action_prefix)) {
      where += " AND action < " + param(std::move(*upper));
    }
  }
  if (f.from) where += " AND at >= " + param(*f.from);
  if (f.to) where += " AND at < " + param(*f.to);
  if (f.before_seq > 0) where += " AND seq < " + param(f.before_seq);
  if (f.structure_id) {
    std::string sid = param(*f.structure_id);
    where += fmt::format(
        " AND (EXISTS (SELECT 1 FROM accounts a WHERE a.id = mailbox_id AND a.structure_id = {0})"
        " OR object = 'structure:' || {0})",
        sid);
  }
  where += f.newest_first ? " ORDER BY seq DESC" : " ORDER BY seq";
  where += " LIMIT " + param(int64_t{f.limit});

  Stmt st(SqliteTx::ConnOf(tx), Select(where));
  for (size_t i = 0; i < args.size(); ++i) {
    int index = static_cast<int>(i + 1);
    if (const int64_t* n = std::get_if<int64_t>(&args[i])) {
      st.Bind(index, *n);
    } else {
      st.Bind(index, std::get<std::string>(args[i]));
    }
  }
  std::vector<audit::Entry> out;
  while (st.Step()) {
    audit::Entry e;
    CADUCE_RETURN_IF_ERROR(ReadRow(st, &e));
    out.push_back(std::move(e));
  }
  if (!st.status().ok()) return st.status().WithContext("query audit trail");
  return out;
}

}  // namespace caduce::store_sqlite
