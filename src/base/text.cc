// UTF-8 validation, folding and case mapping (Latin-1 and Latin Extended-A).
#include "base/text.h"

#include <array>

namespace caduce::text {
namespace {

// Base letters of U+00C0..U+00FF, lowercase, accents removed ("" keeps the character).
constexpr std::array<const char*, 64> kLatin1Base = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",   // C0
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "ss",  // D0
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",   // E0
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "y",   // F0
};

// Base letters of U+0100..U+017F, lowercase, accents removed.
constexpr std::array<const char*, 128> kExtABase = {
    "a", "a", "a", "a", "a", "a", "c", "c", "c", "c", "c", "c", "c", "c", "d", "d",     // 0100
    "d", "d", "e", "e", "e", "e", "e", "e", "e", "e", "e", "e", "g", "g", "g", "g",     // 0110
    "g", "g", "g", "g", "h", "h", "h", "h", "i", "i", "i", "i", "i", "i", "i", "i",     // 0120
    "i", "i", "ij", "ij", "j", "j", "k", "k", "k", "l", "l", "l", "l", "l", "l", "l",   // 0130
    "l", "l", "l", "n", "n", "n", "n", "n", "n", "n", "n", "n", "o", "o", "o", "o",     // 0140
    "o", "o", "oe", "oe", "r", "r", "r", "r", "r", "r", "s", "s", "s", "s", "s", "s",   // 0150
    "s", "s", "t", "t", "t", "t", "t", "t", "u", "u", "u", "u", "u", "u", "u", "u",     // 0160
    "u", "u", "u", "u", "w", "w", "y", "y", "y", "z", "z", "z", "z", "z", "z", "s",     // 0170
};

bool IsSpace(char32_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0xA0 ||
                                  c == '\v' || c == '\f' || c == 0x202F; }

char32_t UpperOf(char32_t c) {
  if (c >= 'a' && c <= 'z') return c - 32;
  if (c >= 0xE0 && c <= 0xFE && c != 0xF7) return c - 32;
  if (c == 0xFF) return 0x178;
  if (c >= 0x100 && c <= 0x17F) {
    if (c <= 0x12F || (c >= 0x132 && c <= 0x137) || (c >= 0x14A && c <= 0x177)) {
      return (c % 2 == 1) ? c - 1 : c;
    }
    if (c == 0x131) return 'I';
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) {
      return (c % 2 == 0) ? c - 1 : c;
    }
    if (c == 0x17F) return 'S';
  }
  return c;
}

}  // namespace

char32_t DecodeUtf8(std::string_view s, size_t* i) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size();
  size_t k = *i;
  unsigned char b0 = p[k];
  if (b0 < 0x80) {
    *i = k + 1;
    return b0;
  }
  int len = 0;
  char32_t cp = 0;
  char32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2; cp = b0 & 0x1F; min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3; cp = b0 & 0x0F; min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4; cp = b0 & 0x07; min = 0x10000;
  } else {
    *i = k + 1;
    return 0xFFFD;
  }
  if (k + len > n) {
    *i = k + 1;
    return 0xFFFD;
  }
  for (int j = 1; j < len; ++j) {
    unsigned char b = p[k + j];
    if ((b & 0xC0) != 0x80) {
      *i = k + 1;
      return 0xFFFD;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    *i = k + 1;
    return 0xFFFD;
  }
  *i = k + len;
  return cp;
}

void AppendUtf8(char32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    size_t before = i;
    char32_t cp = DecodeUtf8(s, &i);
    if (cp == 0xFFFD && i == before + 1) return false;
    if (cp == 0xFFFD) {
      // A literal U+FFFD is three bytes long: EF BF BD.
      if (i - before != 3) return false;
    }
  }
  return true;
}

bool HasControlChars(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    char32_t c = DecodeUtf8(s, &i);
    if (c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F)) return true;
  }
  return false;
}

size_t CodePointCount(std::string_view s) {
  size_t n = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

std::string_view Trim(std::string_view s) {
  auto starts_nbsp = [](std::string_view v) {
    return v.size() >= 2 && static_cast<unsigned char>(v[0]) == 0xC2 &&
           static_cast<unsigned char>(v[1]) == 0xA0;
  };
  auto ends_nbsp = [](std::string_view v) {
    return v.size() >= 2 && static_cast<unsigned char>(v[v.size() - 2]) == 0xC2 &&
           static_cast<unsigned char>(v[v.size() - 1]) == 0xA0;
  };
  for (;;) {
    if (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' ||
                       s.front() == '\n')) {
      s.remove_prefix(1);
    } else if (starts_nbsp(s)) {
      s.remove_prefix(2);
    } else {
      break;
    }
  }
  for (;;) {
    if (!s.empty() &&
        (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
      s.remove_suffix(1);
    } else if (ends_nbsp(s)) {
      s.remove_suffix(2);
    } else {
      break;
    }
  }
  return s;
}

namespace {

// Shared loop of CollapseSpaces, Fold and FoldLoose.
template <class MapFn>
std::string Transform(std::string_view s, MapFn map) {
  std::string out;
  out.reserve(s.size());
  bool pending_space = false;
  size_t i = 0;
  while (i < s.size()) {
    char32_t c;
    unsigned char b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      c = b;
      ++i;
    } else {
      c = DecodeUtf8(s, &i);
    }
    if (IsSpace(c)) {
      pending_space = true;
      continue;
    }
    size_t before = out.size();
    if (pending_space && !out.empty()) out += ' ';
    size_t mark = out.size();
    if (!map(c, out)) {
      // The mapping turned the character into a separator.
      out.resize(before);
      pending_space = true;
      continue;
    }
    (void)mark;
    pending_space = false;
  }
  return out;
}

// Appends the folded form of `c`; returns false when `c` folds to a separator.
bool FoldChar(char32_t c, std::string& out) {
  if (c < 0x80) {
    out += static_cast<char>((c >= 'A' && c <= 'Z') ? c + 32 : c);
  } else if (c >= 0xC0 && c <= 0xFF && kLatin1Base[c - 0xC0][0] != '\0') {
    out += kLatin1Base[c - 0xC0];
  } else if (c >= 0x100 && c <= 0x17F) {
    out += kExtABase[c - 0x100];
  } else if (c == 0x2019 || c == 0x2018) {
    out += '\'';  // typographic apostrophes
  } else if (c == 0x2010 || c == 0x2011 || c == 0x2013 || c == 0x2014) {
    out += '-';
  } else {
    AppendUtf8(c, out);
  }
  return true;
}

}  // namespace

std::string CollapseSpaces(std::string_view s) {
  return Transform(s, [](char32_t c, std::string& out) {
    AppendUtf8(c, out);
    return true;
  });
}

std::string Fold(std::string_view s) { return Transform(s, FoldChar); }

std::string FoldLoose(std::string_view s) {
  return Transform(s, [](char32_t c, std::string& out) {
    size_t before = out.size();
    FoldChar(c, out);
    bool alnum = false;
    for (size_t k = before; k < out.size(); ++k) {
      unsigned char b = static_cast<unsigned char>(out[k]);
      if ((b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') || b >= 0x80) alnum = true;
    }
    return alnum;
  });
}

std::string ToUpper(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    unsigned char b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      out += static_cast<char>((b >= 'a' && b <= 'z') ? b - 32 : b);
      ++i;
      continue;
    }
    AppendUtf8(UpperOf(DecodeUtf8(s, &i)), out);
  }
  return out;
}

std::string ToLowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return out;
}

}  // namespace caduce::text
