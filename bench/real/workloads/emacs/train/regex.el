;;; regex.el --- training: regular-expression search and replace over Lisp sources and prose  -*- lexical-binding: t -*-

;; Usage: emacs -Q --batch -l regex.el
;; Reads some installed Lisp sources and Emacs' NEWS files, then finds
;; definitions, symbols, strings and comments, rewrites them with
;; back-references and replace-regexp-in-string, and searches with case
;; folding.  Prints the counts and the SHA-1 of the rewritten text.  (The
;; measuring run works on a generated log with other expressions.)

(let ((lisp-dir (expand-file-name "../lisp/" data-directory))
      (counts nil))
  (with-temp-buffer
    (dolist (file '("subr.el" "simple.el" "files.el" "window.el" "startup.el"
                    "emacs-lisp/cl-macs.el" "emacs-lisp/bytecomp.el"))
      (insert-file-contents (expand-file-name file lisp-dir))
      (goto-char (point-max)))
    (dolist (file '("NEWS.27" "NEWS.26"))
      (goto-char (point-max))
      (insert-file-contents (expand-file-name file data-directory)))
    (dolist (re '("^(def\\(un\\|macro\\|subst\\) \\(\\(?:\\sw\\|\\s_\\)+\\)"
                  "^(def\\(var\\|const\\|custom\\) \\(\\(?:\\sw\\|\\s_\\)+\\)"
                  "\\_<\\(let\\*?\\|when\\|unless\\|dolist\\)\\_>"
                  "\"\\(?:[^\"\\\\]\\|\\\\.\\)*\""
                  ";+ .*$"
                  "^\\*+ [A-Z].*"
                  "[a-z]+-[a-z]+-[a-z]+"))
      (goto-char (point-min))
      (let ((n 0))
        (while (re-search-forward re nil t) (setq n (1+ n)))
        (push (cons re n) counts)))
    (goto-char (point-min))
    (while (re-search-forward "(defun \\(\\(?:\\sw\\|\\s_\\)+\\) (\\([^)]*\\))" nil t)
      (replace-match "(defun \\1 <\\2>" t))
    (goto-char (point-min))
    (while (re-search-forward "`\\([^'\n]+\\)'" nil t)
      (replace-match "<<\\1>>" t))
    (let ((case-fold-search t) (n 0))
      (goto-char (point-min))
      (while (re-search-forward "\\bemacs \\(now\\|no longer\\)\\b" nil t) (setq n (1+ n)))
      (push (cons "case-folded" n) counts))
    (let ((words 0))
      (dolist (line (split-string (buffer-string) "\n" t))
        (setq words (+ words (length (split-string (replace-regexp-in-string "[[:punct:]]+" " " line) "[ \t]+" t)))))
      (push (cons "words" words) counts))
    (dolist (c (nreverse counts))
      (princ (format "%s: %d\n" (car c) (cdr c))))
    (princ (format "rewritten %d chars sha1 %s\n" (buffer-size) (secure-hash 'sha1 (current-buffer))))))
