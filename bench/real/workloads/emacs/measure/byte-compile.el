;;; byte-compile.el --- measure: byte-compile Lisp files that ship with Emacs  -*- lexical-binding: t -*-

;; Usage: emacs -Q --batch -l byte-compile.el
;; Compiles a set of the installed Lisp sources (modes for programs and
;; text; the training compiles other files) into a temporary directory and
;; prints each file's name and the SHA-1 of its .elc, which every variant
;; must produce byte for byte.

(load (expand-file-name "../bench-lib.el" (file-name-directory load-file-name)) nil t)

(bench-byte-compile
 (bench-choose
  '("progmodes/cc-engine.el" "progmodes/python.el" "progmodes/js.el"
    "progmodes/sh-script.el" "progmodes/ruby-mode.el" "progmodes/perl-mode.el"
    "textmodes/css-mode.el" "textmodes/sgml-mode.el" "textmodes/texinfo.el"
    "textmodes/bibtex.el" "calendar/calendar.el" "simple.el" "files.el"
    "minibuffer.el")
  ;; Real use: other modes and libraries, none compiled by the training or the measuring run.
  '("progmodes/sql.el" "progmodes/make-mode.el" "progmodes/f90.el" "progmodes/prolog.el"
    "textmodes/rst.el" "textmodes/nroff-mode.el" "calendar/diary-lib.el" "ibuffer.el" "indent.el")))
