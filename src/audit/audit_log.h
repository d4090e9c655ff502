// File: audit/audit_log.h
//
// The hash-chained audit trail (DESIGN.md rule 3, STYLE.md convention 10). Every
// change is appended in the same transaction as the change itself. Each entry's
// hash is BLAKE2b-256 (libsodium generichash) over the previous entry's hash and
// the entry's canonical encoding (docs/formats/audit-chain.md), so altering,
// deleting or reordering an entry breaks the chain at that entry, which Verify
// names. No health content (message subjects, bodies, file names) may go into an
// entry.
#ifndef CADUCE_AUDIT_AUDIT_LOG_H_
#define CADUCE_AUDIT_AUDIT_LOG_H_

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "storage/database.h"

namespace caduce::audit {

using Hash = std::array<uint8_t, 32>;

// What the caller says happened.
struct Event {
  int64_t actor_person_id = 0;  // the physical person (0: the operator's command line, caduce)
  std::string actor;            // label: the person's address, "operator (cli)", "caduce"
  int64_t mailbox_id = 0;       // the mailbox acted on or for (0: none)
  std::string action;           // stable dotted name: "account.created", "right.granted" …
  std::string object;           // what was acted on: "account:42", "structure:3"
  std::string ip;               // remote address ("" for the command line)
  std::string detail;           // a JSON object with the change (no health content)
};

// A stored entry.
struct Entry {
  int64_t seq = 0;  // 1, 2, 3 … without gaps
  int64_t at = 0;   // microseconds since the epoch
  Event event;
  Hash prev_hash{};  // all zero for seq 1
  Hash hash{};
};

struct Filter {
  std::optional<int64_t> mailbox_id;
  std::optional<int64_t> actor_person_id;
  std::optional<std::string> action_prefix;  // "right." matches right.granted and right.revoked
  std::optional<int64_t> from;               // at >= from (microseconds)
  std::optional<int64_t> to;                 // at < to
  int64_t after_seq = 0;
  int limit = 1000;
  // Entries whose mailbox is an account of this structure, or whose object is the
  // structure itself ("structure:<id>"); the store resolves the membership.
  std::optional<int64_t> structure_id;
  int64_t before_seq = 0;     // > 0: only seq < before_seq
  bool newest_first = false;  // seq order descending
};

// What a store must offer the audit log. Implemented by store_sqlite/.
class AuditRepository {
 public:
  virtual ~AuditRepository() = default;
  // The newest entry, or nullopt when the trail is empty.
  virtual Result<std::optional<Entry>> Last(storage::Tx& tx) = 0;
  virtual Status Insert(storage::Tx& tx, const Entry& entry) = 0;
  // Stores `entries` in order, as Insert would one by one (a bulk append: a store
  // may write many per statement). On error some may be stored: the caller's
  // transaction is then rolled back.
  virtual Status InsertAll(storage::Tx& tx, const std::vector<Entry>& entries);
  // Calls `fn` for every entry in seq order (stops early when fn returns false).
  virtual Status Scan(storage::Tx& tx, const std::function<bool(const Entry&)>& fn) = 0;
  // Entries matching `f`, in seq order.
  virtual Result<std::vector<Entry>> Query(storage::Tx& tx, const Filter& f) = 0;
  // False for a store that keeps no chain (an import's plan): the log then skips
  // reading the tail and hashing, and hands Insert each entry unchained (seq 0, no
  // hashes), which such a store drops (a dry run) or collects to append for good
  // later (an import applied from its plan).
  virtual bool KeepsEntries() const { return true; }
  // True for a store that drops whatever it is handed (a dry run's): a writer may
  // then skip making its events.
  virtual bool DropsEntries() const { return false; }
};

struct VerifyReport {
  int64_t entries = 0;  // entries checked
  bool ok = true;
  // When !ok: the first entry whose hash, link or sequence does not hold, and why.
  int64_t first_bad_seq = 0;
  std::string problem;
  Hash head{};  // hash of the last entry (keep it elsewhere to detect a cut tail)
};

class AuditLog {
 public:
  AuditLog(AuditRepository& repo, const Clock& clock) : repo_(repo), clock_(clock) {}

  // Appends `event` in `tx`. REQUIRES: tx.mode() == kWrite, unless the store keeps
  // no chain (KeepsEntries).
  Result<Entry> Append(storage::Tx& tx, Event event);
  // False when whatever is appended is dropped (a dry run's trail): a caller may
  // then skip building an event's detail, which nobody will read.
  bool Records() const { return !repo_.DropsEntries(); }

  // Appends `events` in order in `tx`, reading the chain's tail once (bulk changes:
  // an import, a batch of rights). REQUIRES: as Append.
  Status AppendAll(storage::Tx& tx, std::vector<Event> events);

  // Walks the whole chain and reports the first entry that does not verify.
  Result<VerifyReport> Verify(storage::Tx& tx);

  Result<std::vector<Entry>> Query(storage::Tx& tx, const Filter& f) { return repo_.Query(tx, f); }

 private:
  AuditRepository& repo_;
  const Clock& clock_;
};

// The canonical encoding hashed for an entry (docs/formats/audit-chain.md).
std::string CanonicalEncoding(const Entry& entry);
// hash = BLAKE2b-256(prev_hash || CanonicalEncoding(entry)).
Hash ComputeHash(const Entry& entry);
std::string HexOf(const Hash& h);

}  // namespace caduce::audit

#endif  // CADUCE_AUDIT_AUDIT_LOG_H_
