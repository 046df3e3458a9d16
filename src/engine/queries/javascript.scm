; slurp's additions to tree-sitter-javascript's tags.scm (also read for
; TypeScript): top-level bindings, as ctags reports them.
(program
  (lexical_declaration
    (variable_declarator name: (identifier) @name) @definition.variable))
(program
  (variable_declaration
    (variable_declarator name: (identifier) @name) @definition.variable))
(program
  (export_statement
    declaration: [
      (lexical_declaration
        (variable_declarator name: (identifier) @name) @definition.variable)
      (variable_declaration
        (variable_declarator name: (identifier) @name) @definition.variable)]))

; `const [a, b] = ...` and `const { a, b: c } = ...` bind a, b and c.
(program
  [(lexical_declaration
     (variable_declarator
       name: (array_pattern (identifier) @name)) @definition.variable)
   (variable_declaration
     (variable_declarator
       name: (array_pattern (identifier) @name)) @definition.variable)])
(program
  [(lexical_declaration
     (variable_declarator
       name: (object_pattern
         [(shorthand_property_identifier_pattern) @name
          (pair_pattern value: (identifier) @name)])) @definition.variable)
   (variable_declaration
     (variable_declarator
       name: (object_pattern
         [(shorthand_property_identifier_pattern) @name
          (pair_pattern value: (identifier) @name)])) @definition.variable)])
; `export const { a, b } = slice.actions` exports a and b.
(program
  (export_statement
    declaration: (lexical_declaration
      (variable_declarator
        name: [(object_pattern
                 [(shorthand_property_identifier_pattern) @name
                  (pair_pattern value: (identifier) @name)])
               (array_pattern (identifier) @name)]) @definition.variable)))

(statement_block) @scope
(class_body) @scope
(object) @scope
(arguments) @scope
(formal_parameters) @scope

(comment) @comment
