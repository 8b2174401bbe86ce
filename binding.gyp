{
  "targets": [
    {
      "target_name": "record_lock",
      "sources": ["native/record_lock.c", "native/settle_unlinked.c", "native/take_files.c", "native/napi_jobs.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
