#ifndef TAKE_FILES_H
#define TAKE_FILES_H
#include <node_api.h>

/* Adds takeFiles to the addon's exports (take_files.c). */
void register_take_files(napi_env env, napi_value exports);

#endif
