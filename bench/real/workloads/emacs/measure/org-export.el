;;; org-export.el --- measure: export a generated Org document to HTML  -*- lexical-binding: t -*-

;; Usage: emacs -Q --batch -l org-export.el
;; Generates a project handbook in Org (nested headings, paragraphs with
;; markup and links, lists, tables, source blocks, footnotes) with its own
;; random generator and exports it to HTML (body only, no time stamps).
;; Prints the size and SHA-1 of the HTML.  (The training exports another
;; document to plain text and Markdown.)

(require 'org)
(require 'ox-html)

;; Org names anchors with `random'; a fixed seed makes them the same in every run.
(load (expand-file-name "../bench-lib.el" (file-name-directory load-file-name)) nil t)
;; Org's export names its references with `random': seeded here, after every load, they are the same in every run.
(random "nix-pgo-bench")
(setq bench-seed (bench-choose 99991 4711))

(defconst bench-words '("build" "profile" "merge" "store" "daemon" "switch" "counter" "branch" "layout"
                        "cache" "spool" "harvest" "variant" "closure" "derivation" "optimize" "measure"))

(defun bench-sentence ()
  (let ((words (mapcar (lambda (_)
                         (let ((w (bench-pick bench-words)))
                           (pcase (bench-random 9)
                             (0 (format "*%s*" w)) (1 (format "/%s/" w)) (2 (format "=%s=" w))
                             (3 (format "[[https://example.org/%s][%s]]" w w)) (_ w))))
                       (number-sequence 0 (+ 6 (bench-random 10))))))
    (concat (capitalize (car words)) " " (mapconcat #'identity (cdr words) " ") ".")))

(defun bench-document ()
  (with-temp-buffer
    (insert "#+TITLE: Handbook\n#+OPTIONS: toc:2 num:t author:nil date:nil timestamp:nil\n\n")
    (dotimes (chapter (bench-choose 12 8))
      (insert (format "* Chapter %d: %s\n" chapter (bench-sentence)))
      (dotimes (section (+ 2 (bench-random 3)))
        (insert (format "** Section %d.%d\n" chapter section))
        (dotimes (_ (+ 1 (bench-random 3))) (insert (bench-sentence) " " (bench-sentence) "\n\n"))
        (pcase (bench-random 4)
          (0 (dotimes (i (+ 2 (bench-random 5))) (insert (format "- item %d :: %s\n" i (bench-sentence)))))
          (1 (insert "| name | runs | share |\n|------+------+-------|\n")
             (dotimes (i (+ 3 (bench-random 8)))
               (insert (format "| %s | %d | %d%% |\n" (bench-pick bench-words) (bench-random 1000) (bench-random 100)))))
          (2 (insert "#+BEGIN_SRC emacs-lisp\n(defun f (x)\n  (* x x))\n#+END_SRC\n"))
          (_ (insert (format "Footnoted[fn:%d-%d] text.\n\n[fn:%d-%d] %s\n" chapter section chapter section (bench-sentence)))))
        (insert "\n")
        (dotimes (sub (bench-random 3))
          (insert (format "*** Detail %d.%d.%d\n%s\n\n" chapter section sub (bench-sentence))))))
    (buffer-string)))

(let* ((org-export-with-broken-links t)
       (org-html-htmlize-output-type nil)
       (html (org-export-string-as (bench-document) 'html t)))
  (princ (format "html %d chars sha1 %s\n" (length html) (secure-hash 'sha1 html))))
