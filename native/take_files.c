/*
 * Opens, checks, locks and reads a chunk of spool files in libuv's thread
 * pool, so the harvest's per-file system calls run beside the event loop
 * instead of on it. Each file is opened read-write without following a
 * symlink or blocking on a fifo, and checked on the descriptor exactly as
 * src/harvest/open-spool-file.ts does (regular, one link, owned by its user
 * directory's uid); then write-locked without waiting and read whole from
 * offset 0. A file another process holds the lock of comes back open and
 * unlocked: the caller waits for it with a timeout. With `peek` set, each file
 * is instead opened read-only, checked the same way, its first `peek` bytes
 * read and closed again, unlocked: enough to tell whose it is.
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
#include "take_files.h"

/* Keep in step with TAKE_STATUS in src/durable/record-lock.ts. */
enum {
  TAKE_READ = 0,       /* locked and read: bytes at offset, `size` long */
  TAKE_BUSY = 1,       /* open and checked, but another process holds the lock: not locked, not read */
  TAKE_TOO_LARGE = 2,  /* locked, larger than the cap: not read */
  TAKE_GONE = 3,       /* could not be opened (aux: errno) */
  TAKE_SYMLINK = 4,    /* a symlink */
  TAKE_NOT_REGULAR = 5,
  TAKE_WRONG_OWNER = 6, /* aux: the owner's uid */
  TAKE_HARD_LINK = 7,   /* aux: the link count */
  TAKE_FAILED = 8,      /* locking or reading failed (aux: errno); not kept open */
};

typedef struct {
  size_t count;
  char **paths;
  uint32_t *uids;
  double max_bytes;
  size_t peek;
  int32_t *status;
  int32_t *fds;
  uint64_t *devs;
  uint64_t *inos;
  double *sizes;
  double *offsets;
  double *aux;
  char *data;
  size_t data_length;
  napi_deferred deferred;
  napi_async_work work;
} take_job;

static void free_job(take_job *job) {
  if (job->paths)
    for (size_t i = 0; i < job->count; i++) free(job->paths[i]);
  free(job->paths);
  free(job->uids);
  free(job->status);
  free(job->fds);
  free(job->devs);
  free(job->inos);
  free(job->sizes);
  free(job->offsets);
  free(job->aux);
  free(job->data);
  free(job);
}

/* Appends the whole file to job->data; 0, or an errno. */
static int read_whole(take_job *job, int fd, size_t size, size_t *read_length) {
  char *grown = realloc(job->data, job->data_length + size + 1);
  if (!grown) return ENOMEM;
  job->data = grown;
  size_t done = 0;
  while (done < size) {
    ssize_t n = pread(fd, job->data + job->data_length + done, size - done, (off_t)done);
    if (n == -1 && errno == EINTR) continue;
    if (n == -1) return errno;
    if (n == 0) break;
    done += (size_t)n;
  }
  *read_length = done;
  return 0;
}

/* The first job->peek bytes (or the whole file when shorter), then closed. */
static void peek_one(take_job *job, size_t i, int fd, size_t size) {
  size_t length = 0;
  int err = read_whole(job, fd, size < job->peek ? size : job->peek, &length);
  close(fd);
  if (err) {
    job->status[i] = TAKE_FAILED;
    job->aux[i] = err;
    return;
  }
  job->status[i] = TAKE_READ;
  job->sizes[i] = (double)length;
  job->offsets[i] = (double)job->data_length;
  job->data_length += length;
}

static void take_one(take_job *job, size_t i) {
  job->fds[i] = -1;
  int fd = open(job->paths[i], (job->peek ? O_RDONLY : O_RDWR) | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd == -1) {
    job->status[i] = errno == ELOOP ? TAKE_SYMLINK : TAKE_GONE;
    job->aux[i] = errno;
    return;
  }
  struct stat st;
  if (fstat(fd, &st) == -1) {
    job->status[i] = TAKE_GONE;
    job->aux[i] = errno;
    close(fd);
    return;
  }
  int problem = !S_ISREG(st.st_mode) ? TAKE_NOT_REGULAR
                : st.st_uid != job->uids[i] ? TAKE_WRONG_OWNER
                : st.st_nlink != 1 ? TAKE_HARD_LINK
                : 0;
  if (problem) {
    job->status[i] = problem;
    job->aux[i] = problem == TAKE_WRONG_OWNER ? (double)st.st_uid : (double)st.st_nlink;
    close(fd);
    return;
  }
  job->devs[i] = (uint64_t)st.st_dev;
  job->inos[i] = (uint64_t)st.st_ino;
  if (job->peek) {
    peek_one(job, i, fd, (size_t)st.st_size);
    return;
  }
  job->fds[i] = fd;
  struct flock fl;
  memset(&fl, 0, sizeof fl);
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  int rc;
  do {
    rc = fcntl(fd, F_SETLK, &fl);
  } while (rc == -1 && errno == EINTR);
  if (rc == -1) {
    if (errno == EAGAIN || errno == EACCES) {
      job->status[i] = TAKE_BUSY;
      return;
    }
    job->status[i] = TAKE_FAILED;
    job->aux[i] = errno;
    job->fds[i] = -1;
    close(fd);
    return;
  }
  /* The size that counts is the one under the lock: a writer may have finished since the open. */
  if (fstat(fd, &st) == -1) {
    job->status[i] = TAKE_FAILED;
    job->aux[i] = errno;
    job->fds[i] = -1;
    close(fd);
    return;
  }
  job->sizes[i] = (double)st.st_size;
  if ((double)st.st_size > job->max_bytes) {
    job->status[i] = TAKE_TOO_LARGE;
    return;
  }
  size_t length = 0;
  int err = read_whole(job, fd, (size_t)st.st_size, &length);
  if (err) {
    job->status[i] = TAKE_FAILED;
    job->aux[i] = err;
    job->fds[i] = -1;
    close(fd);
    return;
  }
  job->status[i] = TAKE_READ;
  job->offsets[i] = (double)job->data_length;
  job->sizes[i] = (double)length;
  job->data_length += length;
}

static void execute(napi_env env, void *data) {
  (void)env;
  take_job *job = data;
  for (size_t i = 0; i < job->count; i++) take_one(job, i);
}

/* A typed array of `count` elements holding a copy of `source`; NULL when it could not be made. */
static napi_value typed_copy(napi_env env, napi_typedarray_type type, const void *source, size_t count,
                             size_t width) {
  void *data;
  napi_value buffer, array;
  if (napi_create_arraybuffer(env, count * width, &data, &buffer) != napi_ok) return NULL;
  if (count) memcpy(data, source, count * width);
  if (napi_create_typedarray(env, type, count, buffer, 0, &array) != napi_ok) return NULL;
  return array;
}

/* The chunk's results as one object; NULL when any part could not be made. */
static napi_value make_result(napi_env env, take_job *job) {
  struct {
    const char *name;
    napi_typedarray_type type;
    const void *source;
    size_t width;
  } fields[] = {
    {"status", napi_int32_array, job->status, 4},  {"fds", napi_int32_array, job->fds, 4},
    {"devs", napi_biguint64_array, job->devs, 8},  {"inos", napi_biguint64_array, job->inos, 8},
    {"sizes", napi_float64_array, job->sizes, 8},  {"offsets", napi_float64_array, job->offsets, 8},
    {"aux", napi_float64_array, job->aux, 8},
  };
  napi_value result, bytes;
  void *copy;
  if (napi_create_object(env, &result) != napi_ok) return NULL;
  for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++) {
    napi_value array = typed_copy(env, fields[f].type, fields[f].source, job->count, fields[f].width);
    if (!array || napi_set_named_property(env, result, fields[f].name, array) != napi_ok) return NULL;
  }
  if (napi_create_buffer_copy(env, job->data_length, job->data_length ? job->data : "", &copy, &bytes) != napi_ok ||
      napi_set_named_property(env, result, "bytes", bytes) != napi_ok)
    return NULL;
  return result;
}

static void complete(napi_env env, napi_status status, void *data) {
  take_job *job = data;
  napi_value result = status == napi_ok ? make_result(env, job) : NULL;
  if (result) {
    napi_resolve_deferred(env, job->deferred, result);
  } else {
    /* Nobody will get these descriptors: close them, which also drops their locks. */
    for (size_t i = 0; i < job->count; i++)
      if (job->fds[i] >= 0) close(job->fds[i]);
    reject_job(env, job->deferred, "takeFiles did not complete");
  }
  napi_delete_async_work(env, job->work);
  free_job(job);
}

/* takeFiles(paths: string[], uids: Uint32Array, maxBytes: number, peek: number): Promise<TakenChunk> */
static napi_value take_files(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  uint32_t peek;
  uint32_t count;
  double max_bytes;
  napi_typedarray_type uid_type;
  size_t uid_count;
  void *uid_data;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4 ||
      napi_get_array_length(env, argv[0], &count) != napi_ok ||
      napi_get_typedarray_info(env, argv[1], &uid_type, &uid_count, &uid_data, NULL, NULL) != napi_ok ||
      uid_type != napi_uint32_array || uid_count != count || napi_get_value_double(env, argv[2], &max_bytes) != napi_ok ||
      napi_get_value_uint32(env, argv[3], &peek) != napi_ok) {
    napi_throw_type_error(env, NULL, "takeFiles: expected paths, uids (Uint32Array of the same length), maxBytes, peek");
    return NULL;
  }
  take_job *job = calloc(1, sizeof *job);
  if (!job) {
    napi_throw_error(env, NULL, "takeFiles: out of memory");
    return NULL;
  }
  job->count = count;
  job->max_bytes = max_bytes;
  job->peek = peek;
  job->paths = calloc(count + 1, sizeof *job->paths);
  job->uids = calloc(count + 1, sizeof *job->uids);
  job->status = calloc(count + 1, sizeof *job->status);
  job->fds = calloc(count + 1, sizeof *job->fds);
  job->devs = calloc(count + 1, sizeof *job->devs);
  job->inos = calloc(count + 1, sizeof *job->inos);
  job->sizes = calloc(count + 1, sizeof *job->sizes);
  job->offsets = calloc(count + 1, sizeof *job->offsets);
  job->aux = calloc(count + 1, sizeof *job->aux);
  if (!job->paths || !job->uids || !job->status || !job->fds || !job->devs || !job->inos || !job->sizes ||
      !job->offsets || !job->aux) {
    free_job(job);
    napi_throw_error(env, NULL, "takeFiles: out of memory");
    return NULL;
  }
  if (count) memcpy(job->uids, uid_data, count * sizeof *job->uids);
  /* No descriptor until take_one opens one: complete() closes only what it finds here. */
  for (uint32_t i = 0; i < count; i++) job->fds[i] = -1;
  if (copy_strings(env, argv[0], count, job->paths, "takeFiles") != 0) {
    free_job(job);
    return NULL;
  }
  napi_value promise = queue_job(env, "takeFiles", execute, complete, job, &job->deferred, &job->work);
  if (!promise) free_job(job);
  return promise;
}

void register_take_files(napi_env env, napi_value exports) {
  napi_property_descriptor prop = {"takeFiles", NULL, take_files, NULL, NULL, NULL, napi_default, NULL};
  napi_define_properties(env, exports, 1, &prop);
}
