;;; byte-compile.el --- measure: byte-compile Lisp files that ship with Emacs  -*- lexical-binding: t -*-

;; Usage: emacs -Q --batch -l byte-compile.el
;; Compiles a set of the installed Lisp sources (modes for programs and
;; text; the training compiles other files) into a temporary directory and
;; prints each file's name and the SHA-1 of its .elc, which every variant
;; must produce byte for byte.

(require 'bytecomp)

(let* ((lisp-dir (expand-file-name "../lisp/" data-directory))
       (out (make-temp-file "nix-pgo-bench-elc-" t))
       (byte-compile-dest-file-function
        (lambda (file) (expand-file-name (concat (file-name-base file) ".elc") out)))
       (files '("progmodes/cc-engine.el" "progmodes/python.el" "progmodes/js.el"
                "progmodes/sh-script.el" "progmodes/ruby-mode.el" "progmodes/perl-mode.el"
                "textmodes/css-mode.el" "textmodes/sgml-mode.el" "textmodes/texinfo.el"
                "textmodes/bibtex.el" "calendar/calendar.el" "simple.el" "files.el"
                "minibuffer.el")))
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
