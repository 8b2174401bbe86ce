;;; byte-compile.el --- training: byte-compile Lisp files that ship with Emacs  -*- lexical-binding: t -*-

;; Usage: emacs -Q --batch -l byte-compile.el
;; Compiles a set of the installed Lisp sources (the Lisp libraries and the
;; compiler itself; the measuring set is modes for programs and text) into a
;; temporary directory and prints the SHA-1 of each .elc.

(require 'bytecomp)

(let* ((lisp-dir (expand-file-name "../lisp/" data-directory))
       (out (make-temp-file "nix-pgo-bench-elc-" t))
       (byte-compile-dest-file-function
        (lambda (file) (expand-file-name (concat (file-name-base file) ".elc") out)))
       (files '("emacs-lisp/bytecomp.el" "emacs-lisp/byte-opt.el" "emacs-lisp/cconv.el"
                "emacs-lisp/cl-seq.el" "emacs-lisp/cl-extra.el" "emacs-lisp/seq.el"
                "emacs-lisp/map.el" "emacs-lisp/rx.el" "emacs-lisp/pcase.el"
                "emacs-lisp/lisp-mode.el" "emacs-lisp/eieio.el" "subr.el" "window.el"
                "replace.el" "isearch.el" "dired.el")))
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
    (delete-directory out t)))
