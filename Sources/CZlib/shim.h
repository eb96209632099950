// The system zlib (Debian: zlib1g-dev; macOS: in the SDK), for gzip'd IDX files and PNG.
#include <zlib.h>
