;;; json.el --- measure: json-encode and json-read of generated records with json.el  -*- lexical-binding: t -*-

;; Usage: emacs -Q --batch -l json.el
;; Generates order records (objects with strings that need escapes,
;; non-ASCII text, numbers, booleans, null, nested arrays) with its own
;; random generator, encodes them with json.el, reads them back as
;; alists and as hash tables, checks the round trip and prints sizes and
;; SHA-1s.  (The training encodes other shapes: number matrices, deep
;; trees, plists, pretty printing.)

(require 'json)

(load (expand-file-name "../bench-lib.el" (file-name-directory load-file-name)) nil t)
(setq bench-seed (bench-choose 424242 31337))

(defconst bench-names '("Zoë" "Jürgen" "Ångström AB" "O'Brien \"Bob\"" "Back\\slash Ltd" "Tab\tSeparated"
                        "新しい店" "Crème brûlée" "line\nbreak" "plain"))

(defun bench-record (i)
  `((id . ,i)
    (customer . ((name . ,(bench-pick bench-names))
                 (email . ,(format "user%d@example.org" (bench-random 5000)))
                 (vip . ,(if (= 0 (bench-random 7)) t :json-false))
                 (note . ,(if (= 0 (bench-random 3)) :null (format "note %d" (bench-random 100))))))
    (lines . ,(vconcat
               (mapcar (lambda (k)
                         `((sku . ,(format "SKU-%05d-%d" (bench-random 99999) k))
                           (qty . ,(1+ (bench-random 20)))
                           (price . ,(/ (bench-random 100000) 100.0))
                           (tags . ,(vconcat (mapcar (lambda (_) (bench-pick '("red" "blue" "sale" "new" "bulk")))
                                                     (number-sequence 1 (bench-random 4)))))))
                       (number-sequence 1 (1+ (bench-random 6))))))
    (total . ,(/ (bench-random 10000000) 100.0))))

(let* ((records (vconcat (mapcar #'bench-record (number-sequence 1 (bench-choose 2200 1400)))))
       (text (json-encode records))
       (as-alists (let ((json-object-type 'alist) (json-array-type 'vector) (json-key-type 'symbol))
                    (json-read-from-string text)))
       (again (json-encode as-alists))
       (as-tables (let ((json-object-type 'hash-table) (json-array-type 'list) (json-key-type 'string))
                    (json-read-from-string text)))
       (skus 0))
  (dolist (record as-tables)
    (setq skus (+ skus (length (gethash "lines" record)))))
  (princ (format "encoded %d chars sha1 %s\n" (length text) (secure-hash 'sha1 text)))
  (princ (format "round trip identical: %s\n" (string= text again)))
  (princ (format "records %d lines %d\n" (length as-tables) skus)))
