/*
 * Settles harvested raw profiles in libuv's thread pool, a chunk of files per
 * call, so a batch costs a few calls instead of three promises per file. For
 * each held file: unlink its path if the path still names it, then empty it.
 * Its descriptor stays open for the drain list: a program that had opened the
 * file before the unlink (or was in the middle of opening it) writes into the
 * empty file once it gets the lock, and the next pass takes what it wrote.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <node_api.h>

#include "napi_jobs.h"
#include "settle_unlinked.h"

typedef struct {
  size_t count;
  char **paths;
  int32_t *fds;
  uint64_t *devs;
  uint64_t *inos;
  int32_t *results;
  napi_deferred deferred;
  napi_async_work work;
} settle_job;

static void free_job(settle_job *job) {
  if (job->paths)
    for (size_t i = 0; i < job->count; i++) free(job->paths[i]);
  free(job->paths);
  free(job->fds);
  free(job->devs);
  free(job->inos);
  free(job->results);
  free(job);
}

/* 0 once unlinked (when the path still named it) and emptied; -errno when emptying failed. */
static int32_t settle_one(const char *path, int fd, uint64_t dev, uint64_t ino) {
  struct stat st;
  if (lstat(path, &st) == 0 && (uint64_t)st.st_dev == dev && (uint64_t)st.st_ino == ino) unlink(path);
  int rc;
  do {
    rc = ftruncate(fd, 0);
  } while (rc == -1 && errno == EINTR);
  return rc == -1 ? -errno : 0;
}

static void execute(napi_env env, void *data) {
  (void)env;
  settle_job *job = data;
  for (size_t i = 0; i < job->count; i++)
    job->results[i] = settle_one(job->paths[i], job->fds[i], job->devs[i], job->inos[i]);
}

static void complete(napi_env env, napi_status status, void *data) {
  settle_job *job = data;
  napi_value results;
  if (status == napi_ok && napi_create_array_with_length(env, job->count, &results) == napi_ok) {
    for (size_t i = 0; i < job->count; i++) {
      napi_value value;
      napi_create_int32(env, job->results[i], &value);
      napi_set_element(env, results, (uint32_t)i, value);
    }
    napi_resolve_deferred(env, job->deferred, results);
  } else {
    reject_job(env, job->deferred, "settleUnlinked did not complete");
  }
  napi_delete_async_work(env, job->work);
  free_job(job);
}

/* Copies a typed array argument of `count` elements of `type`; NULL with a TypeError pending on mismatch. */
static void *copy_typed(napi_env env, napi_value value, napi_typedarray_type type, size_t count, size_t width) {
  napi_typedarray_type actual;
  size_t length;
  void *data;
  if (napi_get_typedarray_info(env, value, &actual, &length, &data, NULL, NULL) != napi_ok || actual != type ||
      length != count) {
    napi_throw_type_error(env, NULL, "settleUnlinked: typed array of the wrong type or length");
    return NULL;
  }
  void *copy = malloc(count * width + 1);
  if (!copy) {
    napi_throw_error(env, NULL, "settleUnlinked: out of memory");
    return NULL;
  }
  if (count) memcpy(copy, data, count * width);
  return copy;
}

/* settleUnlinked(paths: string[], fds: Int32Array, devs: BigUint64Array, inos: BigUint64Array): Promise<number[]> */
static napi_value settle_unlinked(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  uint32_t count;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4 ||
      napi_get_array_length(env, argv[0], &count) != napi_ok) {
    napi_throw_type_error(env, NULL, "settleUnlinked: expected paths, fds, devs, inos");
    return NULL;
  }
  settle_job *job = calloc(1, sizeof *job);
  if (!job) {
    napi_throw_error(env, NULL, "settleUnlinked: out of memory");
    return NULL;
  }
  job->count = count;
  job->paths = calloc(count + 1, sizeof *job->paths);
  job->results = calloc(count + 1, sizeof *job->results);
  if (!job->paths || !job->results) {
    free_job(job);
    napi_throw_error(env, NULL, "settleUnlinked: out of memory");
    return NULL;
  }
  job->fds = copy_typed(env, argv[1], napi_int32_array, count, sizeof(int32_t));
  if (job->fds) job->devs = copy_typed(env, argv[2], napi_biguint64_array, count, sizeof(uint64_t));
  if (job->devs) job->inos = copy_typed(env, argv[3], napi_biguint64_array, count, sizeof(uint64_t));
  if (!job->inos) {
    free_job(job);
    return NULL;
  }
  if (copy_strings(env, argv[0], count, job->paths, "settleUnlinked") != 0) {
    free_job(job);
    return NULL;
  }
  napi_value promise = queue_job(env, "settleUnlinked", execute, complete, job, &job->deferred, &job->work);
  if (!promise) free_job(job);
  return promise;
}

void register_settle_unlinked(napi_env env, napi_value exports) {
  napi_property_descriptor prop = {"settleUnlinked", NULL, settle_unlinked, NULL, NULL, NULL, napi_default, NULL};
  napi_define_properties(env, exports, 1, &prop);
}
