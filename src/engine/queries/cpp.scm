; slurp's additions for C++, after tree-sitter-cpp's tags.scm and c.scm.
(namespace_definition name: (_) @name) @definition.module
(alias_declaration name: (type_identifier) @name) @definition.type
(function_declarator declarator: (operator_name) @name) @definition.function
(class_specifier
  name: (template_type name: (type_identifier) @name) body: (_)) @definition.class
(struct_specifier
  name: (template_type name: (type_identifier) @name) body: (_)) @definition.class
(concept_definition name: (identifier) @name) @definition.type

(template_argument_list) @scope
(lambda_expression) @scope
(function_declarator
  declarator: (template_function name: (identifier) @name)) @definition.function
