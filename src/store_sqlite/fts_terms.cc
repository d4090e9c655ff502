// Words of a text through FTS5's unicode61 tokenizer (fts_terms.h).
#include "store_sqlite/fts_terms.h"

#include <sqlite3.h>

#include <cctype>
#include <string>
#include <unordered_set>

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

}  // namespace

std::string DistinctTerms(std::string_view text) {
  std::string out;
  std::unordered_set<std::string> seen;
  seen.reserve(256);
  bool ok = ThisThread().Tokenize(text, [&](std::string_view word) {
    auto [it, added] = seen.emplace(word);
    if (!added) return;
    if (!out.empty()) out += ' ';
    out += word;
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
