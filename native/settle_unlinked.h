#ifndef SETTLE_UNLINKED_H
#define SETTLE_UNLINKED_H
#include <node_api.h>

/* Adds settleUnlinked to the addon's exports (settle_unlinked.c). */
void register_settle_unlinked(napi_env env, napi_value exports);

#endif
