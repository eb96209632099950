// kernels.c's bodies, compiled once per SIMD level by simd_levels.h.
#include "convolution_body.h"  // first: kernels_body.h's GDN takes its channel sums
#include "kernels_body.h"
#include "direct_convolution_body.h"
#include "winograd_body.h"
