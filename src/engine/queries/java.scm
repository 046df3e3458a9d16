; slurp's additions to tree-sitter-java's tags.scm. Only top-level types
; are top level: members live in class bodies.
(enum_declaration name: (identifier) @name) @definition.enum
(record_declaration name: (identifier) @name) @definition.class
(annotation_type_declaration name: (identifier) @name) @definition.interface

(class_body) @scope
(interface_body) @scope
(enum_body) @scope
(annotation_type_body) @scope
(block) @scope

(line_comment) @comment
(block_comment) @comment
