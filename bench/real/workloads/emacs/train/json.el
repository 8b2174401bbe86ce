;;; json.el --- training: json.el on other shapes than the measuring run  -*- lexical-binding: t -*-

;; Usage: emacs -Q --batch -l json.el
;; Encodes and reads, with json.el: a matrix of numbers, a deep tree of
;; plists, and a pretty-printed list of events read back from a buffer.
;; Prints sizes and SHA-1s.

(require 'json)

(load (expand-file-name "../bench-lib.el" (file-name-directory load-file-name)) nil t)
(setq bench-seed 777)

(defun bench-tree (depth)
  (if (= depth 0)
      (list :leaf (bench-random 1000) :label (format "n%d" (bench-random 50)))
    (list :depth depth
          :weight (/ (bench-random 1000) 7.0)
          :children (vconcat (mapcar (lambda (_) (bench-tree (1- depth))) (number-sequence 1 3))))))

(let* ((matrix (vconcat (mapcar (lambda (_) (vconcat (mapcar (lambda (_) (- (bench-random 2000) 1000)) (number-sequence 1 40))))
                                (number-sequence 1 1500))))
       (matrix-text (json-encode matrix))
       (matrix-back (let ((json-array-type 'list)) (json-read-from-string matrix-text)))
       (tree (bench-tree 7))
       (tree-text (let ((json-encoding-object-sort-predicate #'string<)) (json-encode tree)))
       (tree-back (let ((json-object-type 'plist)) (json-read-from-string tree-text)))
       (events (vconcat (mapcar (lambda (i) `(("seq" . ,i) ("kind" . ,(if (= 0 (% i 3)) "key" "mouse"))
                                              ("x" . ,(bench-random 1920)) ("y" . ,(bench-random 1080))
                                              ("mods" . ,(vector "ctrl" "meta"))))
                                (number-sequence 1 2500))))
       (events-text (let ((json-encoding-pretty-print t)) (json-encode events)))
       (events-back (with-temp-buffer
                      (insert events-text)
                      (goto-char (point-min))
                      (let ((json-object-type 'hash-table)) (json-read)))))
  (princ (format "matrix %d chars sha1 %s sum %d\n" (length matrix-text) (secure-hash 'sha1 matrix-text)
                 (apply #'+ (mapcar (lambda (row) (apply #'+ row)) matrix-back))))
  (princ (format "tree %d chars sha1 %s depth %s\n" (length tree-text) (secure-hash 'sha1 tree-text) (plist-get tree-back :depth)))
  (princ (format "events %d chars sha1 %s read %d\n" (length events-text) (secure-hash 'sha1 events-text) (length events-back))))
