// The storage interfaces are abstract; this unit anchors their vtables.
#include "storage/database.h"
