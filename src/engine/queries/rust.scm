; slurp's additions to tree-sitter-rust's tags.scm. Items in a `mod` are
; top level; items in an impl, a trait or a block are not.
(const_item name: (identifier) @name) @definition.constant
(static_item name: (identifier) @name) @definition.variable

(impl_item body: (declaration_list) @scope)
(trait_item body: (declaration_list) @scope)
(block) @scope
(field_declaration_list) @scope
(enum_variant_list) @scope

(line_comment) @comment
(block_comment) @comment
