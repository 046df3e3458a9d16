; slurp's additions to tree-sitter-c's tags.scm (also read for C++).
; Captures: @name and @definition.KIND as in tags.scm; @scope marks a node
; whose inside is not top level; @comment feeds doc comments.
; src/engine/tree_symbols.cc reads them.

; What ctags reports at top level and tags.scm leaves out.
(preproc_def name: (identifier) @name) @definition.macro
(preproc_function_def name: (identifier) @name) @definition.macro
(union_specifier name: (type_identifier) @name body: (_)) @definition.class
(type_definition
  declarator: (pointer_declarator declarator: (type_identifier) @name)) @definition.type
(type_definition
  declarator: (function_declarator
    declarator: (parenthesized_declarator
      (pointer_declarator declarator: (type_identifier) @name)))) @definition.type
(type_definition
  declarator: (function_declarator
    declarator: (parenthesized_declarator (type_identifier) @name))) @definition.type
(type_definition
  declarator: (function_declarator declarator: (type_identifier) @name)) @definition.type
(type_definition
  declarator: (array_declarator declarator: (type_identifier) @name)) @definition.type

(compound_statement) @scope
(field_declaration_list) @scope
(enumerator_list) @scope
(parameter_list) @scope
(initializer_list) @scope

(comment) @comment
