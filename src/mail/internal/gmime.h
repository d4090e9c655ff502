// File: mail/internal/gmime.h
//
// What the files of mail/ that use GMime share (mime.cc, compose.cc,
// body_structure.cc): GMime's one-time initialisation and owning pointers for
// its objects. Nothing outside mail/ includes it: GMime stays inside this part.
#ifndef CADUCE_MAIL_INTERNAL_GMIME_H_
#define CADUCE_MAIL_INTERNAL_GMIME_H_

#include <gmime/gmime.h>

#include <memory>
#include <mutex>

namespace caduce::mail::internal {

// Initialises GMime once per process; thread-safe.
inline void InitGMime() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

struct GObjectUnref {
  void operator()(void* p) const {
    if (p != nullptr) g_object_unref(p);
  }
};
// A GObject (GMimeMessage, GMimeStream …) released with g_object_unref.
template <class T>
using GPtr = std::unique_ptr<T, GObjectUnref>;

struct GFree {
  void operator()(void* p) const { g_free(p); }
};
// A string GLib allocated, released with g_free.
using GString = std::unique_ptr<char, GFree>;

}  // namespace caduce::mail::internal

#endif  // CADUCE_MAIL_INTERNAL_GMIME_H_
