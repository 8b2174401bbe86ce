/* Helpers of the addon's thread-pool calls (settleUnlinked, takeFiles, syncFsAsync); see napi_jobs.h. */
#include <stdio.h>
#include <stdlib.h>

#include "napi_jobs.h"

int copy_strings(napi_env env, napi_value array, uint32_t count, char **out, const char *what) {
  for (uint32_t i = 0; i < count; i++) {
    napi_value element;
    size_t length;
    if (napi_get_element(env, array, i, &element) != napi_ok ||
        napi_get_value_string_utf8(env, element, NULL, 0, &length) != napi_ok || !(out[i] = malloc(length + 1)) ||
        napi_get_value_string_utf8(env, element, out[i], length + 1, &length) != napi_ok) {
      char msg[120];
      snprintf(msg, sizeof msg, "%s: paths must be strings", what);
      napi_throw_type_error(env, NULL, msg);
      return -1;
    }
  }
  return 0;
}

napi_value queue_job(napi_env env, const char *name, napi_async_execute_callback execute,
                     napi_async_complete_callback complete, void *data, napi_deferred *deferred,
                     napi_async_work *work) {
  napi_value promise, resource_name;
  if (napi_create_promise(env, deferred, &promise) != napi_ok ||
      napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &resource_name) != napi_ok ||
      napi_create_async_work(env, NULL, resource_name, execute, complete, data, work) != napi_ok ||
      napi_queue_async_work(env, *work) != napi_ok) {
    char msg[120];
    snprintf(msg, sizeof msg, "%s: could not queue the work", name);
    napi_throw_error(env, NULL, msg);
    return NULL;
  }
  return promise;
}

void reject_job(napi_env env, napi_deferred deferred, const char *message) {
  napi_value text, error;
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &text);
  napi_create_error(env, NULL, text, &error);
  napi_reject_deferred(env, deferred, error);
}
