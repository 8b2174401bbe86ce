;;; live.el --- training in a long-running Emacs: what emacsclient asks of `emacs --daemon'  -*- lexical-binding: t -*-

;; Loaded into `emacs -Q --daemon' with `emacsclient --eval (load ...)'; the
;; benchmark then calls `nix-pgo-bench-edit' once per file through
;; emacsclient, as an editor session would: visit a Lisp source or a NEWS
;; file, fontify it, move over its expressions, indent a copy, type into
;; it and undo.  Each call returns a line of counts and a SHA-1, which the
;; benchmark checks.

(defun nix-pgo-bench--count-faces ()
  (let ((pos (point-min)) (changes 0))
    (while (setq pos (next-single-property-change pos 'face))
      (setq changes (1+ changes)))
    changes))

(defun nix-pgo-bench-edit (file)
  "Visit FILE (relative to the installed lisp directory, or to `data-directory' for etc/...) and work on it."
  (let* ((path (if (string-prefix-p "etc/" file)
                   (expand-file-name (substring file 4) data-directory)
                 (expand-file-name file (expand-file-name "../lisp/" data-directory))))
         (buffer (find-file-noselect path t))
         faces sexps)
    (with-current-buffer buffer
      (when (string-suffix-p ".el" path) (emacs-lisp-mode))
      (font-lock-ensure)
      (setq faces (nix-pgo-bench--count-faces))
      (goto-char (point-min))
      (setq sexps 0)
      (when (derived-mode-p 'emacs-lisp-mode)
        (condition-case nil
            (while (progn (forward-sexp) (< (point) (point-max))) (setq sexps (1+ sexps)))
          (scan-error nil))))
    (let ((copy (generate-new-buffer "*nix-pgo-bench-copy*")) digest)
      (with-current-buffer copy
        (insert-buffer-substring buffer)
        (if (string-suffix-p ".el" path) (emacs-lisp-mode) (text-mode))
        (buffer-enable-undo)
        (goto-char (point-min))
        (forward-line 400)
        (indent-region (point-min) (point))
        (dotimes (i 300)
          (goto-char (+ (point-min) (* i 37)))
          (insert (format "%d " i))
          (undo-boundary))
        (goto-char (point-min))
        (while (search-forward "defun" nil t) (replace-match "DEFUN" t t))
        (setq digest (secure-hash 'sha1 (current-buffer))))
      (kill-buffer copy)
      (kill-buffer buffer)
      (format "%s faces=%d sexps=%d %s" file faces sexps digest))))
