;;; bench-lib.el --- what the benchmark's Emacs workloads share  -*- lexical-binding: t -*-

;; Loaded by each workload script (train/*.el, measure/*.el): a
;; deterministic random generator, so every run of a script generates the
;; same data, and byte-compiling a list of installed Lisp files with the
;; SHA-1 of each result.

(defvar bench-seed 1
  "The generator's state: each script sets its own seed.")

(defvar bench-real-use nil
  "Non-nil (set with --eval before the script loads): a measuring script
works on other inputs of its kind, another seed and size or other files,
as the real use the real-use variant is trained on would.")

(defun bench-choose (measured real-use)
  "MEASURED, or REAL-USE when `bench-real-use' is set."
  (if bench-real-use real-use measured))

(defun bench-random-15 ()
  "The next 15 bits of a linear congruential generator."
  (setq bench-seed (% (+ (* bench-seed 1103515245) 12345) 2147483648))
  (/ bench-seed 65536))

(defun bench-random (n)
  "A deterministic number in [0, N), N below 2^30."
  (% (+ (* (bench-random-15) 32768) (bench-random-15)) n))

(defun bench-pick (list)
  "A deterministic element of LIST."
  (nth (bench-random (length list)) list))

(defun bench-byte-compile (files)
  "Byte-compile FILES (relative to the installed lisp directory) into a
temporary directory and print each file's name and the SHA-1 of its .elc."
  ;; Loaded here, not by every script: only the byte-compiling ones need it
  ;; (and its variables must be special before they are bound below).
  (require 'bytecomp)
  (let* ((lisp-dir (expand-file-name "../lisp/" data-directory))
         (out (make-temp-file "nix-pgo-bench-elc-" t))
         (byte-compile-dest-file-function
          (lambda (file) (expand-file-name (concat (file-name-base file) ".elc") out))))
    (unwind-protect
        (dolist (file files)
          (let ((source (expand-file-name file lisp-dir)))
            (unless (byte-compile-file source)
              (error "Could not compile %s" file))
            (princ (format "%s %s\n" file
                           (with-temp-buffer
                             (set-buffer-multibyte nil)
                             (insert-file-contents-literally (funcall byte-compile-dest-file-function source))
                             (secure-hash 'sha1 (current-buffer)))))))
      (delete-directory out t))))

(provide 'bench-lib)
