// Words of a text through FTS5's unicode61 tokenizer (fts_terms.h).
#include "store_sqlite/fts_terms.h"

#include <sqlite3.h>

#include <cctype>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "store_sqlite/library.h"

namespace caduce::store_sqlite {
namespace {

// The tokenizer's functions, found once through a private in-memory connection
// that stays open (the FTS5 API lives with it).
struct Module {
  fts5_tokenizer api{};
  void* user = nullptr;
  bool ok = false;
};

const Module& Unicode61() {
  static const Module* module = [] {
    auto* m = new Module;
    ConfigureSqliteLibrary();
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
        SQLITE_OK) {
      return m;
    }
    fts5_api* fts = nullptr;
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, nullptr) == SQLITE_OK) {
      sqlite3_bind_pointer(st, 1, &fts, "fts5_api_ptr", nullptr);
      sqlite3_step(st);
    }
    sqlite3_finalize(st);
    if (fts != nullptr && fts->xFindTokenizer(fts, "unicode61", &m->user, &m->api) == SQLITE_OK) {
      m->ok = true;
    }
    return m;
  }();
  return *module;
}

// One tokenizer per thread: unicode61 keeps a scratch buffer in its instance.
class Instance {
 public:
  Instance() {
    const Module& m = Unicode61();
    const char* args[] = {"remove_diacritics", "2"};
    if (m.ok && m.api.xCreate(m.user, args, 2, &tok_) != SQLITE_OK) tok_ = nullptr;
  }
  ~Instance() {
    if (tok_ != nullptr) Unicode61().api.xDelete(tok_);
  }
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  template <typename F>
  bool Tokenize(std::string_view text, F&& each) {
    if (tok_ == nullptr) return false;
    auto cb = [](void* ctx, int, const char* token, int n, int, int) -> int {
      (*static_cast<F*>(ctx))(std::string_view(token, static_cast<size_t>(n)));
      return SQLITE_OK;
    };
    return Unicode61().api.xTokenize(tok_, &each, FTS5_TOKENIZE_DOCUMENT, text.data(),
                                     static_cast<int>(text.size()), cb) == SQLITE_OK;
  }

 private:
  Fts5Tokenizer* tok_ = nullptr;
};

Instance& ThisThread() {
  thread_local Instance instance;
  return instance;
}

// The words seen so far, as offsets into the output: an open-addressing table
// (a message has a few thousand words, most of them repeats).
class WordSet {
 public:
  explicit WordSet(const std::string& out) : out_(out), slots_(1024) {}

  // True when `word` was not in the set; then it will be found at `offset` of the output.
  bool Add(std::string_view word, uint32_t offset) {
    if ((count_ + 1) * 2 > slots_.size()) Grow();
    uint64_t h = Hash(word);
    size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      if (s.len == 0) {
        s = {h, offset, static_cast<uint32_t>(word.size())};
        ++count_;
        return true;
      }
      if (s.hash == h && s.len == word.size() &&
          std::memcmp(out_.data() + s.offset, word.data(), word.size()) == 0) {
        return false;
      }
    }
  }

 private:
  struct Slot {
    uint64_t hash = 0;
    uint32_t offset = 0, len = 0;  // len 0: empty (a word is never empty)
  };
  static uint64_t Hash(std::string_view w) {
    uint64_t h = 1469598103934665603ULL;  // FNV-1a
    for (unsigned char c : w) h = (h ^ c) * 1099511628211ULL;
    return h ^ (h >> 29);
  }
  void Grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    size_t mask = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.len == 0) continue;
      size_t i = s.hash & mask;
      while (slots_[i].len != 0) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }
  const std::string& out_;
  std::vector<Slot> slots_;
  size_t count_ = 0;
};

}  // namespace

std::string DistinctTerms(std::string_view text) {
  std::string out;
  out.reserve(text.size() / 2);
  WordSet seen(out);
  bool ok = ThisThread().Tokenize(text, [&](std::string_view word) {
    if (word.empty()) return;
    uint32_t at = static_cast<uint32_t>(out.size() + (out.empty() ? 0 : 1));
    // Compared against the output, so the word goes in first and is taken back
    // when it was there already.
    size_t before = out.size();
    if (!out.empty()) out += ' ';
    out += word;
    if (!seen.Add(word, at)) out.resize(before);
  });
  if (!ok) return std::string(text);
  return out;
}

std::vector<std::string> Terms(std::string_view text) {
  std::vector<std::string> out;
  bool ok = ThisThread().Tokenize(text, [&](std::string_view word) { out.emplace_back(word); });
  if (ok) return out;
  out.clear();  // no tokenizer: words between spaces
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    size_t start = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i > start) out.emplace_back(text.substr(start, i - start));
  }
  return out;
}

}  // namespace caduce::store_sqlite
