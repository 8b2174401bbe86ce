#ifndef NAPI_JOBS_H
#define NAPI_JOBS_H
#include <node_api.h>
#include <stdint.h>

/*
 * What the addon's thread-pool calls share (napi_jobs.c): copying a path
 * array, queueing the work behind a promise, rejecting it.
 */

/* Copies `count` strings of `array` into `out` (malloc'd each); -1 with a TypeError pending when one is not a string. */
int copy_strings(napi_env env, napi_value array, uint32_t count, char **out, const char *what);

/* Queues `execute` then `complete` on `data` and returns the promise they settle; NULL with an error pending. */
napi_value queue_job(napi_env env, const char *name, napi_async_execute_callback execute,
                     napi_async_complete_callback complete, void *data, napi_deferred *deferred,
                     napi_async_work *work);

/* Rejects `deferred` with an Error saying `message`. */
void reject_job(napi_env env, napi_deferred deferred, const char *message);

#endif
