; slurp's additions for TypeScript, after the JavaScript and TypeScript
; tags.scm and javascript.scm.
(type_alias_declaration name: (type_identifier) @name) @definition.type
(enum_declaration name: (identifier) @name) @definition.enum
(internal_module name: (identifier) @name) @definition.module
(interface_declaration name: (type_identifier) @name) @definition.interface
; `declare const logger: () => Middleware` declares logger.
(program
  (ambient_declaration
    (lexical_declaration
      (variable_declarator name: (identifier) @name) @definition.variable)))
(program
  (export_statement
    declaration: (ambient_declaration
      (lexical_declaration
        (variable_declarator name: (identifier) @name) @definition.variable))))

(interface_body) @scope
(enum_body) @scope
(object_type) @scope
