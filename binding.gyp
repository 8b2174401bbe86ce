{
  "targets": [
    {
      "target_name": "record_lock",
      "sources": ["native/record_lock.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
