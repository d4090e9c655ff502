// The words of a text as the full-text index sees them: FTS5's own unicode61
// tokenizer (remove_diacritics 2), called outside any connection so that a
// message's words are found before the write lock is taken.
#ifndef CADUCE_STORE_SQLITE_FTS_TERMS_H_
#define CADUCE_STORE_SQLITE_FTS_TERMS_H_

#include <string>
#include <string_view>
#include <vector>

namespace caduce::store_sqlite {

// Each distinct word of `text` once, folded (lower case, no accents), joined by
// spaces in the order first seen. Indexing it in a detail=column table gives the
// same index as indexing `text`. Returns `text` itself if the tokenizer is missing.
std::string DistinctTerms(std::string_view text);

// Every word of `text`, folded, in order: the words of a search.
std::vector<std::string> Terms(std::string_view text);

}  // namespace caduce::store_sqlite

#endif  // CADUCE_STORE_SQLITE_FTS_TERMS_H_
