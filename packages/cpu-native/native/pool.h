/*
 * A small pthread pool for synchronous parallel loops: the caller publishes a job of
 * numbered tasks, runs tasks itself, and returns once every task has finished.
 * Workers claim tasks dynamically, so a worker the OS has not scheduled delays
 * nothing: the caller takes the tasks it leaves.
 */
#ifndef MOLRL_POOL_H
#define MOLRL_POOL_H

#include <stdint.h>

typedef void (*task_fn)(void *ctx, int task);

/* Threads a job may use, the caller included (>= 1). Starts or stops workers. Not thread-safe: call under the pool lock. */
int pool_set_threads(int threads);
int pool_threads(void);
/* Run tasks 0..count-1 of fn; uses the workers when `parallel` and count > 1. Caller must hold the pool lock. */
void pool_run(int count, task_fn fn, void *ctx, int parallel);
/*
 * fn(ctx, begin, end) over [0, n) cut into ranges of whole `unit`s (the last may be
 * shorter), about four per thread: on the pool's threads when `parallel`, the pool is
 * free and n holds at least two units; otherwise on the caller alone, in one range.
 * Takes and releases the pool lock itself (a caller that finds the pool busy runs alone).
 */
typedef void (*range_fn)(void *ctx, int64_t begin, int64_t end);
void pool_for(int64_t n, int64_t unit, int parallel, range_fn fn, void *ctx);
/* The lock that owns the pool (one GEMM at a time uses it); try_lock returns 0 when taken. */
void pool_lock(void);
int pool_try_lock(void);
void pool_unlock(void);
/* Processors this process may run on (affinity mask), at least 1. */
int pool_available_processors(void);

#endif
