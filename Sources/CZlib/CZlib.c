// The module is zlib's own header (include/CZlib.h); this file only gives the target a source.
#include "CZlib.h"
