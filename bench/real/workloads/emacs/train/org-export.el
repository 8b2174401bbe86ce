;;; org-export.el --- training: export a generated Org document to plain text and Markdown  -*- lexical-binding: t -*-

;; Usage: emacs -Q --batch -l org-export.el
;; Generates a meeting log in Org (dated headings with TODO keywords and
;; tags, checklists, property drawers, tables) with its own random
;; generator and exports it to plain text and to Markdown.  Prints sizes
;; and SHA-1s.  (The measuring run exports another document to HTML.)

(require 'org)
(require 'ox-ascii)
(require 'ox-md)

(load (expand-file-name "../bench-lib.el" (file-name-directory load-file-name)) nil t)
;; Org's export names its references with `random': seeded here, after every load, they are the same in every run.
(random "nix-pgo-bench-training")
(setq bench-seed 31337)

(defconst bench-words '("agenda" "minutes" "decision" "owner" "deadline" "review" "release" "budget"
                        "risk" "follow-up" "customer" "roadmap" "metric" "incident"))

(defun bench-phrase ()
  (mapconcat (lambda (_) (let ((w (bench-pick bench-words)))
                           (if (= 0 (bench-random 6)) (format "~%s~" w) w)))
             (number-sequence 0 (+ 4 (bench-random 8))) " "))

(defun bench-document ()
  (with-temp-buffer
    (insert "#+TITLE: Meetings\n#+TODO: TODO WAIT | DONE\n#+OPTIONS: author:nil date:nil timestamp:nil\n\n")
    (dotimes (week 20)
      (insert (format "* Week %d :%s:\n" week (bench-pick '("team" "board" "ops"))))
      (dotimes (meeting (+ 1 (bench-random 3)))
        (insert (format "** %s Meeting %d-%d <2026-%02d-%02d>\n:PROPERTIES:\n:ROOM: %d\n:END:\n"
                        (bench-pick '("TODO" "WAIT" "DONE")) week meeting (1+ (% week 12)) (1+ (bench-random 28))
                        (bench-random 400)))
        (insert (bench-phrase) ".\n")
        (dotimes (i (+ 2 (bench-random 4)))
          (insert (format "- [%s] %s\n" (if (= 0 (bench-random 2)) "X" " ") (bench-phrase))))
        (when (= 0 (bench-random 2))
          (insert "\n| who | votes |\n|-----+-------|\n")
          (dotimes (_ 4) (insert (format "| %s | %d |\n" (bench-pick bench-words) (bench-random 30)))))
        (insert "\n")))
    (buffer-string)))

(let* ((document (bench-document))
       (org-export-with-broken-links t)
       (ascii (org-export-string-as document 'ascii))
       (md (org-export-string-as document 'md)))
  (princ (format "ascii %d chars sha1 %s\n" (length ascii) (secure-hash 'sha1 ascii)))
  (princ (format "md %d chars sha1 %s\n" (length md) (secure-hash 'sha1 md))))
