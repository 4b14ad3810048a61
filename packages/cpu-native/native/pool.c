#define _GNU_SOURCE
#include "pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#elif defined(__aarch64__)
#define cpu_relax() __asm__ __volatile__("yield")
#else
#define cpu_relax() ((void)0)
#endif

#define MAX_WORKERS 255
/* How long a worker spins for the next job before sleeping: a GEMM publishes its
 * pack job and its compute job back to back, and a spinning worker joins at once. */
#define SPIN_NS 50000

static pthread_mutex_t owner = PTHREAD_MUTEX_INITIALIZER; /* one GEMM at a time drives the pool */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;    /* guards sleeping and waking */
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static pthread_cond_t finished = PTHREAD_COND_INITIALIZER;

/* The job: generation in the high 32 bits, next unclaimed task in the low 32. While
 * a new job's fields are written, the low word is CLOSED: a worker still holding the
 * previous generation's state cannot claim a task then (its compare-exchange fails on
 * the new generation), and one that sees the new generation waits for it to open. */
#define CLOSED 0xffffffffu
static _Atomic uint64_t state;
static _Atomic int done;
static _Atomic int waiting_for_done;
static _Atomic int job_count;
static task_fn job_fn;
static void *job_ctx;
static uint32_t generation;

static pthread_t workers[MAX_WORKERS];
static int num_workers;
static _Atomic int quit_below; /* workers with index >= this exit */
static int threads_wanted = 0;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Claim and run tasks of generation `gen` until none is left. */
static void run_tasks(uint32_t gen) {
  for (;;) {
    uint64_t s = atomic_load(&state);
    if ((uint32_t)(s >> 32) != gen) return;
    uint32_t i = (uint32_t)s;
    if (i == CLOSED) {
      cpu_relax();
      continue;
    }
    if ((int)i >= atomic_load(&job_count)) return;
    if (!atomic_compare_exchange_weak(&state, &s, s + 1)) continue;
    /* The job cannot change before this task is counted done, so fn and ctx are this generation's. */
    job_fn(job_ctx, (int)i);
    if (atomic_fetch_add(&done, 1) + 1 == job_count && atomic_load(&waiting_for_done)) {
      pthread_mutex_lock(&mu);
      pthread_cond_signal(&finished);
      pthread_mutex_unlock(&mu);
    }
  }
}

static void *worker_main(void *arg) {
  int index = (int)(intptr_t)arg;
  uint32_t seen = (uint32_t)(atomic_load(&state) >> 32);
  for (;;) {
    uint32_t gen = (uint32_t)(atomic_load(&state) >> 32);
    if (gen == seen) {
      uint64_t until = now_ns() + SPIN_NS;
      int spins = 0;
      while ((gen = (uint32_t)(atomic_load(&state) >> 32)) == seen && atomic_load(&quit_below) > index) {
        cpu_relax();
        if (++spins % 64 == 0 && now_ns() > until) break;
      }
      if (gen == seen) {
        pthread_mutex_lock(&mu);
        while ((gen = (uint32_t)(atomic_load(&state) >> 32)) == seen && atomic_load(&quit_below) > index)
          pthread_cond_wait(&wake, &mu);
        pthread_mutex_unlock(&mu);
      }
    }
    if (atomic_load(&quit_below) <= index) return NULL;
    seen = gen;
    run_tasks(gen);
  }
}

static void stop_workers(int keep) {
  if (num_workers <= keep) return;
  pthread_mutex_lock(&mu);
  atomic_store(&quit_below, keep);
  pthread_cond_broadcast(&wake);
  pthread_mutex_unlock(&mu);
  for (int i = keep; i < num_workers; i++) pthread_join(workers[i], NULL);
  num_workers = keep;
}

int pool_available_processors(void) {
#ifdef __linux__
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    int count = CPU_COUNT(&set);
    if (count > 0) return count;
  }
#endif
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int)n : 1;
}

int pool_set_threads(int threads) {
  if (threads < 1) threads = 1;
  if (threads > MAX_WORKERS + 1) threads = MAX_WORKERS + 1;
  int want = threads - 1;
  stop_workers(want < num_workers ? want : num_workers);
  atomic_store(&quit_below, MAX_WORKERS + 1);
  while (num_workers < want) {
    if (pthread_create(&workers[num_workers], NULL, worker_main, (void *)(intptr_t)num_workers) != 0) break;
    num_workers++;
  }
  threads_wanted = num_workers + 1;
  return threads_wanted;
}

int pool_threads(void) {
  if (threads_wanted == 0) pool_set_threads(pool_available_processors());
  return threads_wanted;
}

void pool_run(int count, task_fn fn, void *ctx, int parallel) {
  if (count <= 0) return;
  if (!parallel || count == 1 || pool_threads() == 1) {
    for (int i = 0; i < count; i++) fn(ctx, i);
    return;
  }
  /* Close the new generation first, then write the job, then open it: a worker of the
   * previous job that read its (exhausted) state must never see this job's count with
   * that state still claimable, or it would run a task of this job outside its count
   * and count it done (the caller would return while that task still runs). */
  uint32_t gen = ++generation;
  atomic_store(&state, ((uint64_t)gen << 32) | CLOSED);
  job_fn = fn;
  job_ctx = ctx;
  atomic_store(&job_count, count);
  atomic_store(&done, 0);
  pthread_mutex_lock(&mu);
  atomic_store(&state, (uint64_t)gen << 32);
  pthread_cond_broadcast(&wake);
  pthread_mutex_unlock(&mu);
  run_tasks(gen);
  /* Others may still run their last tasks: spin briefly, then sleep. */
  uint64_t until = now_ns() + SPIN_NS;
  int spins = 0;
  while (atomic_load(&done) < count) {
    cpu_relax();
    if (++spins % 64 == 0 && now_ns() > until) {
      pthread_mutex_lock(&mu);
      atomic_store(&waiting_for_done, 1);
      while (atomic_load(&done) < count) pthread_cond_wait(&finished, &mu);
      atomic_store(&waiting_for_done, 0);
      pthread_mutex_unlock(&mu);
      break;
    }
  }
}

typedef struct {
  range_fn fn;
  void *ctx;
  int64_t n, per_task;
} range_job;

static void range_task(void *ctx, int task) {
  const range_job *job = (const range_job *)ctx;
  const int64_t begin = (int64_t)task * job->per_task;
  const int64_t end = begin + job->per_task < job->n ? begin + job->per_task : job->n;
  job->fn(job->ctx, begin, end);
}

void pool_for(int64_t n, int64_t unit, int parallel, range_fn fn, void *ctx) {
  if (n <= 0) return;
  const int owner = pool_try_lock();
  const int threads = owner ? pool_threads() : 1;
  if (!parallel || threads == 1 || n < 2 * unit) {
    fn(ctx, 0, n);
    if (owner) pool_unlock();
    return;
  }
  /* About four ranges per thread: a thread the OS delays leaves its ranges to the others. */
  const int64_t wanted = 4 * (int64_t)threads;
  int64_t per_task = (n + wanted - 1) / wanted;
  per_task = (per_task + unit - 1) / unit * unit;
  range_job job = {fn, ctx, n, per_task};
  pool_run((int)((n + per_task - 1) / per_task), range_task, &job, 1);
  pool_unlock();
}

void pool_lock(void) { pthread_mutex_lock(&owner); }
int pool_try_lock(void) { return pthread_mutex_trylock(&owner) == 0; }
void pool_unlock(void) { pthread_mutex_unlock(&owner); }
