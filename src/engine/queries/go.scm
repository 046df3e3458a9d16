; slurp's additions to tree-sitter-go's tags.scm.
(const_spec name: (identifier) @name) @definition.constant
(var_spec name: (identifier) @name) @definition.variable
(type_alias name: (type_identifier) @name) @definition.type

(block) @scope
(field_declaration_list) @scope
(interface_type) @scope
(func_literal) @scope

(comment) @comment
