;;; byte-compile.el --- training: byte-compile Lisp files that ship with Emacs  -*- lexical-binding: t -*-

;; Usage: emacs -Q --batch -l byte-compile.el
;; Compiles a set of the installed Lisp sources (the Lisp libraries and the
;; compiler itself; the measuring set is modes for programs and text) into a
;; temporary directory and prints the SHA-1 of each .elc.

(load (expand-file-name "../bench-lib.el" (file-name-directory load-file-name)) nil t)

(bench-byte-compile
 '("emacs-lisp/bytecomp.el" "emacs-lisp/byte-opt.el" "emacs-lisp/cconv.el"
   "emacs-lisp/cl-seq.el" "emacs-lisp/cl-extra.el" "emacs-lisp/seq.el"
   "emacs-lisp/map.el" "emacs-lisp/rx.el" "emacs-lisp/pcase.el"
   "emacs-lisp/lisp-mode.el" "emacs-lisp/eieio.el" "subr.el" "window.el"
   "replace.el" "isearch.el" "dired.el"))
