// The thread pool behind TensorCore's Parallel: persistent workers that spin briefly between
// parallel regions, so that a training step's few regions (gather, shards, update) start in
// about a microsecond instead of the tens a sleeping thread takes to wake.
//
// One region runs at a time. The caller runs part 0 and each worker k runs part k, always the
// same worker for the same part, so a shard's buffers stay in one core's caches step after step;
// workers without a part in a region are left alone.
// A region started from inside a region, or while another thread's region runs, runs its parts
// one after another on the calling thread instead: correct, never a deadlock.
#include "CKernels.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define CPU_RELAX() __asm__ __volatile__("yield")
#else
#define CPU_RELAX() ((void)0)
#endif

enum { MAX_WORKERS = 63 };
// How long an idle worker spins for the next region before it sleeps; zero while regions have
// more parts than the machine has processors, where a spinning thread would hold a processor
// that another part is waiting for.
static const uint64_t SPIN_NANOSECONDS = 200000;
static _Atomic uint64_t spin_nanoseconds = SPIN_NANOSECONDS;

static pthread_mutex_t region_lock = PTHREAD_MUTEX_INITIALIZER;  // held by the running region's caller
static pthread_mutex_t sleep_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
// Per worker: bumped each time a region gives that worker a part. A worker with no part in a
// region is not signalled, so it neither wakes nor reads the region's job.
static _Atomic uint64_t assigned[MAX_WORKERS + 1];
static _Atomic int unfinished;    // parts yet to finish on workers in the current region
static _Atomic int sleepers;      // workers waiting on `wake`
static _Atomic int worker_count;  // grows under region_lock only

// The current region, written before the workers' `assigned` are bumped and read after.
static aek_task_fn job_body;
static void *job_context;

static _Thread_local int inside_region;

static uint64_t now_nanoseconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

// Waits until worker `part`'s `assigned` differs from `seen`: spinning first, then asleep.
// Returns the new value.
static uint64_t wait_for_part(size_t part, uint64_t seen) {
  uint64_t start = now_nanoseconds();
  for (unsigned spins = 1;; spins++) {
    uint64_t current = atomic_load_explicit(&assigned[part], memory_order_acquire);
    if (current != seen) return current;
    CPU_RELAX();
    if (spins % 256 == 0 && now_nanoseconds() - start > atomic_load_explicit(&spin_nanoseconds, memory_order_relaxed)) break;
  }
  pthread_mutex_lock(&sleep_lock);
  atomic_fetch_add(&sleepers, 1);
  uint64_t current;
  while ((current = atomic_load(&assigned[part])) == seen) pthread_cond_wait(&wake, &sleep_lock);
  atomic_fetch_sub(&sleepers, 1);
  pthread_mutex_unlock(&sleep_lock);
  return current;
}

static void *worker_main(void *argument) {
  size_t part = (size_t)(uintptr_t)argument;
  inside_region = 1;  // a region started from a part runs inline
  // Zero: parts go only to counted workers, and this one was counted after it was created (it
  // may start running only after its first part was assigned, which it must not miss).
  uint64_t seen = 0;
  for (;;) {
    seen = wait_for_part(part, seen);
    job_body(job_context, part);
    atomic_fetch_sub_explicit(&unfinished, 1, memory_order_release);
  }
  return NULL;
}

// Starts workers until there are `wanted` (or thread creation fails). Called under region_lock.
static void add_workers(int wanted) {
  if (wanted > MAX_WORKERS) wanted = MAX_WORKERS;
  while (atomic_load(&worker_count) < wanted) {
    size_t part = (size_t)atomic_load(&worker_count) + 1;
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attributes, 8u << 20);  // Swift code runs on workers: a main-sized stack
    pthread_t thread;
    int failed = pthread_create(&thread, &attributes, worker_main, (void *)(uintptr_t)part);
    pthread_attr_destroy(&attributes);
    if (failed) return;
    atomic_fetch_add(&worker_count, 1);
  }
}

void aek_parallel_run(size_t parts, aek_task_fn body, void *context) {
  if (parts <= 1 || inside_region || pthread_mutex_trylock(&region_lock) != 0) {
    for (size_t part = 0; part < parts; part++) body(context, part);
    return;
  }
  static long processors;
  if (!processors) processors = sysconf(_SC_NPROCESSORS_ONLN);
  int oversubscribed = processors > 0 && parts > (size_t)processors;
  atomic_store_explicit(&spin_nanoseconds, oversubscribed ? 0 : SPIN_NANOSECONDS, memory_order_relaxed);
  add_workers((int)(parts - 1));
  size_t on_workers = (size_t)atomic_load(&worker_count);
  if (on_workers > parts - 1) on_workers = parts - 1;
  job_body = body;
  job_context = context;
  atomic_store(&unfinished, (int)on_workers);
  for (size_t part = 1; part <= on_workers; part++) atomic_fetch_add(&assigned[part], 1);
  if (atomic_load(&sleepers) > 0) {
    pthread_mutex_lock(&sleep_lock);
    pthread_cond_broadcast(&wake);
    pthread_mutex_unlock(&sleep_lock);
  }
  inside_region = 1;
  body(context, 0);
  for (size_t part = on_workers + 1; part < parts; part++) body(context, part);  // no worker for it
  inside_region = 0;
  for (unsigned spins = 1; atomic_load_explicit(&unfinished, memory_order_acquire) != 0; spins++) {
    // Yield now and then to a worker descheduled by a busy machine; always, when the parts
    // outnumber the processors and the worker may be waiting for this one.
    if (oversubscribed || spins % 4096 == 0) sched_yield();
    else CPU_RELAX();
  }
  pthread_mutex_unlock(&region_lock);
}

size_t aek_parallel_workers(void) { return (size_t)atomic_load(&worker_count); }

size_t aek_take_next(size_t *counter) { return __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED); }
