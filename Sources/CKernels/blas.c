// BLAS: OpenBLAS through dlopen on Linux, Accelerate on macOS.
//
// OpenBLAS runs single-threaded (OPENBLAS_NUM_THREADS=1 during the load, so it starts no thread
// pool of its own): TensorCore splits each product across its own threads, the same threads that
// run the element-wise kernels, so no BLAS thread spins on a core the kernels need.
//
// Why dlopen: Debian's OpenBLAS (a DYNAMIC_ARCH build) picks its kernels once, in its load-time
// constructor, and falls back to its slowest (Prescott) kernels on CPUs it does not recognise, such
// as recent Intel Xeons, about 5x slower. The environment variable OPENBLAS_CORETYPE overrides the
// choice, but it is read only at load. Loading the library ourselves lets us choose from the CPU's
// feature bits first (never an AVX-512 family on a CPU without AVX-512), set the variable only for
// the duration of the dlopen, and put the process environment back as it was.
#include "CKernels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pthread.h>

static char library_name[512] = "";
static char config[256] = "";
static char core[64] = "";
static const char *core_source = "";
static int load_status = -2;  // -2 not tried, 0 loaded, -1 failed
static char load_error[512] = "";
static pthread_once_t once = PTHREAD_ONCE_INIT;

#if defined(__APPLE__)

#define ACCELERATE_NEW_LAPACK
#include <Accelerate/Accelerate.h>

static void load(void) {
  snprintf(library_name, sizeof library_name, "Accelerate");
  snprintf(config, sizeof config, "Apple Accelerate (vecLib)");
  load_status = 0;
}

void aek_sgemm(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
               const float *b, int ldb, float beta, float *c, int ldc) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m,
              n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

int aek_dsyevd(int n, double *a, double *w) {
  pthread_once(&once, load);
  __LAPACK_int size = n, lwork = -1, liwork = -1, info = 0, iwork_query = 0;
  double work_query = 0;
  char jobz = 'V', uplo = 'U';
  dsyevd_(&jobz, &uplo, &size, a, &size, w, &work_query, &lwork, &iwork_query, &liwork, &info);
  if (info != 0) return (int)info;
  lwork = (__LAPACK_int)work_query;
  liwork = iwork_query;
  double *work = malloc(sizeof(double) * (size_t)lwork);
  __LAPACK_int *iwork = malloc(sizeof(__LAPACK_int) * (size_t)liwork);
  if (!work || !iwork) {
    free(work);
    free(iwork);
    return -2;
  }
  dsyevd_(&jobz, &uplo, &size, a, &size, w, work, &lwork, iwork, &liwork, &info);
  free(work);
  free(iwork);
  return (int)info;
}

int aek_blas_threads(void) { return 0; }
void aek_blas_set_threads(int threads) { (void)threads; }
int aek_blas_split_products(void) { return 0; }
const char *aek_blas_core_for_cpu(void) { return NULL; }
int aek_blas_core_unsupported(const char *name) { (void)name; return 0; }

#else  // Linux and other ELF systems: OpenBLAS

#include <dlfcn.h>

typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float *, int, const float *,
                         int, float, float *, int);
typedef char *(*string_fn)(void);
typedef int (*int_fn)(void);
typedef void (*set_threads_fn)(int);
// LAPACK's Fortran dsyevd (LP64: 32-bit integers, as Debian's OpenBLAS is built), with the
// hidden lengths of its two character arguments that gfortran's calling convention adds at the
// end (a C translation of LAPACK ignores them).
typedef void (*dsyevd_fn)(const char *, const char *, const int *, double *, const int *, double *,
                          double *, const int *, int *, const int *, int *, size_t, size_t);

static sgemm_fn sgemm;
static dsyevd_fn dsyevd;
static int_fn get_threads;
static set_threads_fn set_threads;

enum { ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112 };

// OpenBLAS core families that need AVX-512, AVX2+FMA or AVX.
static const char *const avx512_cores[] = {"skylakex", "cooperlake", "sapphirerapids", NULL};
static const char *const avx2_cores[] = {"haswell", "zen", NULL};
static const char *const avx_cores[] = {"sandybridge", "bulldozer", "piledriver",
                                        "steamroller", "excavator", NULL};

static int listed(const char *name, const char *const *list) {
  for (; *list; list++)
    if (strcasecmp(name, *list) == 0) return 1;
  return 0;
}

int aek_blas_core_unsupported(const char *name) {
  if (listed(name, avx512_cores)) return !aek_cpu_has_avx512();
  if (listed(name, avx2_cores)) return !aek_cpu_has_avx2_fma();
  if (listed(name, avx_cores)) return !aek_cpu_has_avx();
  return 0;
}

const char *aek_blas_core_for_cpu(void) {
#if defined(__x86_64__)
  if (aek_cpu_has_avx512()) return "SkylakeX";
  if (aek_cpu_has_avx2_fma()) return "Haswell";
  if (aek_cpu_has_avx()) return "Sandybridge";
#endif
  return NULL;
}

static void *open_first(const char *const *names) {
  for (; *names; names++) {
    void *handle = dlopen(*names, RTLD_NOW | RTLD_LOCAL);
    if (handle) {
      snprintf(library_name, sizeof library_name, "%s", *names);
      return handle;
    }
  }
  return NULL;
}

static void load(void) {
  const char *user_core = getenv("OPENBLAS_CORETYPE");
  const char *chosen = NULL;
  if (user_core && *user_core) {
    if (aek_blas_core_unsupported(user_core)) {
      snprintf(load_error, sizeof load_error,
               "OPENBLAS_CORETYPE=%s needs instructions this CPU lacks; unset it to let "
               "AutoencoderKit choose",
               user_core);
      load_status = -1;
      return;
    }
    core_source = "OPENBLAS_CORETYPE from the environment";
  } else if ((chosen = aek_blas_core_for_cpu()) != NULL) {
    setenv("OPENBLAS_CORETYPE", chosen, 1);
    core_source = "selected from CPU features";
  } else {
    core_source = "library default";
  }

  // AUTOENCODERKIT_BLAS names another library (a path or a soname) exporting cblas_sgemm.
  const char *override = getenv("AUTOENCODERKIT_BLAS");
  const char *const override_list[] = {override, NULL};
  const char *const defaults[] = {"libopenblas.so.0", "libopenblas.so", "libblas.so.3", NULL};
  const char *user_threads = getenv("OPENBLAS_NUM_THREADS");
  char *saved_threads = user_threads ? strdup(user_threads) : NULL;
  setenv("OPENBLAS_NUM_THREADS", "1", 1);
  void *handle = open_first(override && *override ? override_list : defaults);
  if (chosen) unsetenv("OPENBLAS_CORETYPE");  // the environment is as we found it
  if (saved_threads) {
    setenv("OPENBLAS_NUM_THREADS", saved_threads, 1);
    free(saved_threads);
  } else {
    unsetenv("OPENBLAS_NUM_THREADS");
  }

  if (!handle) {
    snprintf(load_error, sizeof load_error,
             "no BLAS library found (%s); install OpenBLAS: apt-get install libopenblas0-pthread",
             override && *override ? override : "tried libopenblas.so.0, libblas.so.3");
    load_status = -1;
    return;
  }
  sgemm = (sgemm_fn)dlsym(handle, "cblas_sgemm");
  if (!sgemm) {
    snprintf(load_error, sizeof load_error, "%s has no cblas_sgemm", library_name);
    load_status = -1;
    return;
  }
  string_fn corename = (string_fn)dlsym(handle, "openblas_get_corename");
  string_fn get_config = (string_fn)dlsym(handle, "openblas_get_config");
  get_threads = (int_fn)dlsym(handle, "openblas_get_num_threads");
  set_threads = (set_threads_fn)dlsym(handle, "openblas_set_num_threads");
  if (corename) snprintf(core, sizeof core, "%s", corename());
  if (get_config) snprintf(config, sizeof config, "%s", get_config());
  if (!corename) core_source = "";
  if (set_threads) set_threads(1);
  dsyevd = (dsyevd_fn)dlsym(handle, "dsyevd_");  // absent from a BLAS-only library
  load_status = 0;
}

void aek_sgemm(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
               const float *b, int ldb, float beta, float *c, int ldc) {
  sgemm(ROW_MAJOR, ta ? TRANS : NO_TRANS, tb ? TRANS : NO_TRANS, m, n, k, alpha, a, lda, b, ldb,
        beta, c, ldc);
}

int aek_dsyevd(int n, double *a, double *w) {
  pthread_once(&once, load);
  if (load_status != 0 || !dsyevd) return -1;
  int lwork = -1, liwork = -1, info = 0, iwork_query = 0;
  double work_query = 0;
  dsyevd("V", "U", &n, a, &n, w, &work_query, &lwork, &iwork_query, &liwork, &info, 1, 1);
  if (info != 0) return info;
  lwork = (int)work_query;
  liwork = iwork_query;
  double *work = malloc(sizeof(double) * (size_t)lwork);
  int *iwork = malloc(sizeof(int) * (size_t)liwork);
  if (!work || !iwork) {
    free(work);
    free(iwork);
    return -2;
  }
  dsyevd("V", "U", &n, a, &n, w, work, &lwork, iwork, &liwork, &info, 1, 1);
  free(work);
  free(iwork);
  return info;
}

int aek_blas_threads(void) { return get_threads ? get_threads() : 0; }
int aek_blas_split_products(void) { return 1; }
void aek_blas_set_threads(int threads) {
  if (set_threads && threads > 0) set_threads(threads);
}

#endif

int aek_blas_load(char *error, size_t capacity) {
  pthread_once(&once, load);
  if (load_status != 0 && error && capacity > 0) snprintf(error, capacity, "%s", load_error);
  return load_status == 0 ? 0 : -1;
}

const char *aek_blas_library(void) { return library_name; }
const char *aek_blas_config(void) { return config; }
const char *aek_blas_core(void) { return core; }
const char *aek_blas_core_source(void) { return core_source; }
