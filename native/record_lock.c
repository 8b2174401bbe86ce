/*
 * POSIX record locks (fcntl F_SETLK/F_SETLKW) for Node, which has no API for
 * them. The LLVM profile runtime and GCC's libgcov lock their output files this
 * way, so the harvester must use the same kind of lock (flock would not block them).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include <node_api.h>

#include "napi_jobs.h"
#include "settle_unlinked.h"
#include "take_files.h"

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_value error, code_value, message;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, NULL, message, &error);
  napi_create_int32(env, err, &code_value);
  napi_set_named_property(env, error, "errno", code_value);
  napi_throw(env, error);
  return NULL;
}

/* Reads the file descriptor argument; on failure a TypeError is pending and -1 returned. */
static int fd_arg(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, NULL, "expected a file descriptor");
    return -1;
  }
  return fd;
}

static napi_value js_bool(napi_env env, int value) {
  napi_value result;
  napi_get_boolean(env, value, &result);
  return result;
}

/* A lock description covering the whole file. */
static struct flock whole_file(short type) {
  struct flock fl;
  memset(&fl, 0, sizeof fl);
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  return fl;
}

/* Sets (F_WRLCK) or clears (F_UNLCK) a lock on the whole file; without wait, false when another process holds it. */
static napi_value set_lock(napi_env env, napi_callback_info info, short type, int wait) {
  int fd = fd_arg(env, info);
  if (fd < 0) return NULL;
  struct flock fl = whole_file(type);
  int rc;
  do {
    rc = fcntl(fd, wait ? F_SETLKW : F_SETLK, &fl);
  } while (rc == -1 && errno == EINTR);
  if (rc == -1 && !wait && (errno == EAGAIN || errno == EACCES)) return js_bool(env, 0);
  if (rc == -1) return throw_errno(env, "fcntl", errno);
  return js_bool(env, 1);
}

static napi_value try_lock_write(napi_env env, napi_callback_info info) { return set_lock(env, info, F_WRLCK, 0); }
static napi_value lock_write_wait(napi_env env, napi_callback_info info) { return set_lock(env, info, F_WRLCK, 1); }
static napi_value unlock(napi_env env, napi_callback_info info) { return set_lock(env, info, F_UNLCK, 0); }

/*
 * Which process holds a lock that conflicts with a write lock: its pid, 0 when none, -1 when one is held by a
 * process this one cannot see (another pid namespace reports pid 0). Tells status whether a daemon runs.
 */
static napi_value lock_holder(napi_env env, napi_callback_info info) {
  int fd = fd_arg(env, info);
  if (fd < 0) return NULL;
  struct flock fl = whole_file(F_WRLCK);
  if (fcntl(fd, F_GETLK, &fl) == -1) return throw_errno(env, "fcntl", errno);
  napi_value result;
  napi_create_int32(env, fl.l_type == F_UNLCK ? 0 : fl.l_pid > 0 ? (int32_t)fl.l_pid : -1, &result);
  return result;
}

/* syncfs(fd): flushes the whole file system of fd once instead of one fsync per harvested file. */
static napi_value sync_fs(napi_env env, napi_callback_info info) {
  int fd = fd_arg(env, info);
  if (fd < 0) return NULL;
  if (syncfs(fd) == -1) return throw_errno(env, "syncfs", errno);
  return js_bool(env, 1);
}

typedef struct {
  int fd;
  int err;
  napi_deferred deferred;
  napi_async_work work;
} sync_fs_job;

static void sync_fs_execute(napi_env env, void *data) {
  (void)env;
  sync_fs_job *job = data;
  job->err = syncfs(job->fd) == -1 ? errno : 0;
}

static void sync_fs_complete(napi_env env, napi_status status, void *data) {
  sync_fs_job *job = data;
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  if (status == napi_ok && job->err == 0) {
    napi_resolve_deferred(env, job->deferred, undefined);
  } else {
    char msg[160];
    snprintf(msg, sizeof msg, "syncfs: %s", status == napi_ok ? strerror(job->err) : "cancelled");
    napi_value message, error, code_value;
    napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, NULL, message, &error);
    napi_create_int32(env, job->err, &code_value);
    napi_set_named_property(env, error, "errno", code_value);
    napi_reject_deferred(env, job->deferred, error);
  }
  napi_delete_async_work(env, job->work);
  free(job);
}

/* syncfs(fd) in libuv's thread pool: the event loop goes on (merges finish, start) while the disk flushes. */
static napi_value sync_fs_async(napi_env env, napi_callback_info info) {
  int fd = fd_arg(env, info);
  if (fd < 0) return NULL;
  sync_fs_job *job = calloc(1, sizeof *job);
  if (!job) return throw_errno(env, "syncfs", ENOMEM);
  job->fd = fd;
  napi_value promise = queue_job(env, "syncFsAsync", sync_fs_execute, sync_fs_complete, job, &job->deferred, &job->work);
  if (!promise) free(job);
  return promise;
}

/*
 * flock(LOCK_EX|LOCK_NB), kept until flock_release: true when no other open file description holds a flock on the
 * file. Held while the collector reads a live profile for the last time and removes it; a program's startup
 * object that takes its shared flock (blocking) meanwhile waits, and then finds the name gone.
 */
static napi_value flock_try_exclusive(napi_env env, napi_callback_info info) {
  int fd = fd_arg(env, info);
  if (fd < 0) return NULL;
  int rc;
  do {
    rc = flock(fd, LOCK_EX | LOCK_NB);
  } while (rc == -1 && errno == EINTR);
  if (rc == -1 && errno == EWOULDBLOCK) return js_bool(env, 0);
  if (rc == -1) return throw_errno(env, "flock", errno);
  return js_bool(env, 1);
}

static napi_value flock_release(napi_env env, napi_callback_info info) {
  int fd = fd_arg(env, info);
  if (fd < 0) return NULL;
  if (flock(fd, LOCK_UN) == -1) return throw_errno(env, "flock", errno);
  return js_bool(env, 1);
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"tryLockWrite", NULL, try_lock_write, NULL, NULL, NULL, napi_default, NULL},
    {"lockWriteWait", NULL, lock_write_wait, NULL, NULL, NULL, napi_default, NULL},
    {"unlock", NULL, unlock, NULL, NULL, NULL, napi_default, NULL},
    {"lockHolder", NULL, lock_holder, NULL, NULL, NULL, napi_default, NULL},
    {"syncFs", NULL, sync_fs, NULL, NULL, NULL, napi_default, NULL},
    {"syncFsAsync", NULL, sync_fs_async, NULL, NULL, NULL, napi_default, NULL},
    {"flockTryExclusive", NULL, flock_try_exclusive, NULL, NULL, NULL, napi_default, NULL},
    {"flockRelease", NULL, flock_release, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  register_settle_unlinked(env, exports);
  register_take_files(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
