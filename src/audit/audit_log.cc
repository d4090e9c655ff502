// Appending to and verifying the hash-chained trail (docs/formats/audit-chain.md).
#include "audit/audit_log.h"

#include <sodium.h>

#include <algorithm>

#include <fmt/format.h>

namespace caduce::audit {
namespace {

// Netstring (djb): "<decimal length>:<bytes>,". Unambiguous for any byte content.
void AppendNetstring(std::string& out, std::string_view v) {
  out += std::to_string(v.size());
  out += ':';
  out += v;
  out += ',';
}

}  // namespace

std::string CanonicalEncoding(const Entry& e) {
  std::string out = "caduce-audit-v1;";
  AppendNetstring(out, std::to_string(e.seq));
  AppendNetstring(out, std::to_string(e.at));
  AppendNetstring(out, std::to_string(e.event.actor_person_id));
  AppendNetstring(out, e.event.actor);
  AppendNetstring(out, std::to_string(e.event.mailbox_id));
  AppendNetstring(out, e.event.action);
  AppendNetstring(out, e.event.object);
  AppendNetstring(out, e.event.ip);
  AppendNetstring(out, e.event.detail);
  return out;
}

Hash ComputeHash(const Entry& e) {
  std::string canonical = CanonicalEncoding(e);
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, 32);
  crypto_generichash_update(&st, e.prev_hash.data(), e.prev_hash.size());
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(canonical.data()),
                            canonical.size());
  Hash h{};
  crypto_generichash_final(&st, h.data(), h.size());
  return h;
}

std::string HexOf(const Hash& h) {
  char hex[2 * sizeof(Hash) + 1];
  sodium_bin2hex(hex, sizeof hex, h.data(), h.size());
  return std::string(hex);
}

Result<Entry> AuditLog::Append(storage::Tx& tx, Event event) {
  if (!repo_.KeepsEntries()) {
    // No chain: the entry goes to the store unchained (seq 0, no hashes), for a
    // store that collects the events to append them for good later. Such a store
    // writes nothing to the database: any transaction will do (an import plans in
    // a read transaction while another thread holds the write one).
    Entry e;
    e.at = clock_.NowMicros();
    e.event = std::move(event);
    CADUCE_RETURN_IF_ERROR(repo_.Insert(tx, e));
    return e;
  }
  if (tx.mode() != storage::TxMode::kWrite) {
    return FailedPreconditionError("audit append needs a write transaction");
  }
  CADUCE_TRY(std::optional<Entry> last, repo_.Last(tx));
  Entry e;
  e.seq = last ? last->seq + 1 : 1;
  e.at = clock_.NowMicros();
  // Time never goes backwards along the chain, whatever the wall clock does.
  if (last && e.at < last->at) e.at = last->at;
  e.event = std::move(event);
  if (e.event.detail.empty()) e.event.detail = "{}";
  if (last) e.prev_hash = last->hash;
  e.hash = ComputeHash(e);
  CADUCE_RETURN_IF_ERROR(repo_.Insert(tx, e));
  return e;
}

Status AuditRepository::InsertAll(storage::Tx& tx, const std::vector<Entry>& entries) {
  for (const Entry& e : entries) CADUCE_RETURN_IF_ERROR(Insert(tx, e));
  return OkStatus();
}

Status AuditLog::AppendAll(storage::Tx& tx, std::vector<Event> events) {
  if (events.empty()) return OkStatus();
  if (repo_.KeepsEntries() && tx.mode() != storage::TxMode::kWrite) {
    return FailedPreconditionError("audit append needs a write transaction");
  }
  if (!repo_.KeepsEntries()) {
    Entry unchained;
    unchained.at = clock_.NowMicros();
    for (Event& ev : events) {
      unchained.event = std::move(ev);
      CADUCE_RETURN_IF_ERROR(repo_.Insert(tx, unchained));
    }
    return OkStatus();
  }
  CADUCE_TRY(std::optional<Entry> last, repo_.Last(tx));
  // The chain's tail: what the next entry links to.
  int64_t seq = last ? last->seq : 0;
  int64_t at = last ? last->at : 0;
  Hash prev = last ? last->hash : Hash{};
  const int64_t now = clock_.NowMicros();
  // Chained here, handed to the store a chunk at a time (written many per
  // statement), so that a large append holds one chunk of entries, not two copies.
  constexpr size_t kChunk = 512;
  std::vector<Entry> chunk;
  chunk.reserve(std::min(kChunk, events.size()));
  for (Event& ev : events) {
    Entry& next = chunk.emplace_back();
    next.seq = ++seq;
    next.at = at = std::max(now, at);  // never backwards along the chain
    next.event = std::move(ev);
    if (next.event.detail.empty()) next.event.detail = "{}";
    next.prev_hash = prev;  // all zero for the first entry of the trail
    next.hash = prev = ComputeHash(next);
    if (chunk.size() == kChunk) {
      CADUCE_RETURN_IF_ERROR(repo_.InsertAll(tx, chunk));
      chunk.clear();
    }
  }
  return repo_.InsertAll(tx, chunk);
}

Result<VerifyReport> AuditLog::Verify(storage::Tx& tx) {
  VerifyReport report;
  Hash prev{};
  int64_t expected_seq = 1;
  Status st = repo_.Scan(tx, [&](const Entry& e) {
    ++report.entries;
    std::string problem;
    if (e.seq != expected_seq) {
      problem = fmt::format("expected entry {} but found entry {}: an entry was deleted or "
                            "the entries were reordered",
                            expected_seq, e.seq);
    } else if (e.prev_hash != prev) {
      problem = "its link to the previous entry does not match: the previous entry was "
                "altered, deleted or moved";
    } else if (ComputeHash(e) != e.hash) {
      problem = "its content does not match its hash: the entry was altered";
    }
    if (!problem.empty()) {
      report.ok = false;
      report.first_bad_seq = e.seq;
      report.problem = std::move(problem);
      return false;
    }
    prev = e.hash;
    report.head = e.hash;
    ++expected_seq;
    return true;
  });
  CADUCE_RETURN_IF_ERROR(st);
  return report;
}

}  // namespace caduce::audit
