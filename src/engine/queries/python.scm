; slurp's additions to tree-sitter-python's tags.scm.
(assignment left: (identifier) @name right: (lambda)) @definition.function

(function_definition body: (block) @scope)
(class_definition body: (block) @scope)
(lambda) @scope

(comment) @comment
