;;; regex.el --- measure: regular-expression search and replace over a generated log  -*- lexical-binding: t -*-

;; Usage: emacs -Q --batch -l regex.el
;; Generates a web-server-like log with its own random generator, then
;; counts matches, rewrites fields with back-references, folds case,
;; splits lines and matches strings.  Prints the counts and the SHA-1 of
;; the rewritten text.  The training runs other expressions over Lisp
;; sources and prose.

(load (expand-file-name "../bench-lib.el" (file-name-directory load-file-name)) nil t)
(setq bench-seed (bench-choose 20261126 7))

(defconst bench-lines (bench-choose 18000 11000))
(defconst bench-users '("alice" "bob" "carol" "dave" "erin" "frank" "grace" "heidi" "ivan" "judy"))
(defconst bench-actions '("GET" "POST" "PUT" "DELETE" "PATCH" "HEAD"))
(defconst bench-words '("index" "api" "v1" "v2" "users" "orders" "items" "search" "static" "img"
                        "login" "logout" "cart" "checkout" "report" "admin" "health" "metrics"))

(with-temp-buffer
  (dotimes (i bench-lines)
    (insert (format "2026-%02d-%02d %02d:%02d:%02d host%d.example.org app[%d]: user=%s action=%s status=%d bytes=%d path=/%s/%s/%d ua=\"Mozilla/5.0 (X11; Linux x86_64) Client/%d.%d\"\n"
                    (1+ (bench-random 12)) (1+ (bench-random 28)) (bench-random 24) (bench-random 60) (bench-random 60)
                    (bench-random 16) (+ 1000 (bench-random 9000)) (bench-pick bench-users) (bench-pick bench-actions)
                    (bench-pick '(200 200 200 201 204 301 302 304 400 401 403 404 500 503))
                    (bench-random 100000) (bench-pick bench-words) (bench-pick bench-words) i
                    (bench-random 120) (bench-random 10))))
  (let ((counts nil))
    (dolist (re '("status=5[0-9][0-9]"
                  "user=\\(alice\\|carol\\|judy\\) action=\\(POST\\|PUT\\)"
                  "path=/\\(api\\|admin\\)/[a-z0-9]+/[0-9]*7\\b"
                  "^2026-0[1-6]-[0-9][0-9] [01][0-9]:"
                  "bytes=[0-9]\\{5\\} "
                  "status=4[0-9][0-9] .*\\bv[12]\\b"))
      (goto-char (point-min))
      (let ((n 0))
        (while (re-search-forward re nil t) (setq n (1+ n)))
        (push (cons re n) counts)))
    ;; Rewrite fields with back-references.
    (goto-char (point-min))
    (while (re-search-forward "^\\([0-9]\\{4\\}\\)-\\([0-9][0-9]\\)-\\([0-9][0-9]\\) " nil t)
      (replace-match "\\3/\\2/\\1 " t))
    (goto-char (point-min))
    (while (re-search-forward "user=\\([a-z]+\\) action=\\([A-Z]+\\)" nil t)
      (replace-match "\\2 by \\1" t))
    (goto-char (point-min))
    (while (re-search-forward "host\\([0-9]+\\)\\.example\\.org app\\[\\([0-9]+\\)\\]" nil t)
      (replace-match "h\\1:\\2" t))
    (goto-char (point-min))
    (while (re-search-forward "ua=\"[^\"]*Client/\\([0-9.]+\\)\"" nil t)
      (replace-match "client=\\1" t))
    ;; Case-folding search.
    (let ((case-fold-search t) (n 0))
      (goto-char (point-min))
      (while (re-search-forward "\\(get\\|delete\\) by \\(ALICE\\|bob\\)" nil t) (setq n (1+ n)))
      (push (cons "case-folded" n) counts))
    ;; Line by line: split into fields and match strings.
    (let ((fields 0) (slow 0))
      (dolist (line (split-string (buffer-string) "\n" t))
        (let ((parts (split-string line "[ =]+" t)))
          (setq fields (+ fields (length parts)))
          (when (and (string-match "bytes=\\([0-9]+\\)" line)
                     (> (string-to-number (match-string 1 line)) 90000)
                     (string-match-p "status=\\(?:2\\|3\\)[0-9][0-9]" line))
            (setq slow (1+ slow)))))
      (push (cons "fields" fields) counts)
      (push (cons "large-ok" slow) counts))
    (dolist (c (nreverse counts))
      (princ (format "%s: %d\n" (car c) (cdr c))))
    (princ (format "rewritten %d chars sha1 %s\n" (buffer-size) (secure-hash 'sha1 (current-buffer))))))
