// The system's zlib (zlib1g-dev), for HdrHistogram's compressed histogram encoding.
#include <zlib.h>
